package breaker

import (
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/errs"
)

// Options configure a Breaker. Zero fields take their defaults.
type Options struct {
	// Failures is the number of consecutive failed connection attempts after which the
	// breaker opens. Default 3.
	Failures int
	// Cooldown is how long an open breaker fails fast before one probe is let through.
	// Default 10s.
	Cooldown time.Duration
	// Now is the breaker's clock. Default time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultFailures = 3
	DefaultCooldown = 10 * time.Second
)

// Breaker guards the connection attempts of one source. After Options.Failures consecutive
// failures it opens: Allow fails fast until the cool-down has passed; then exactly one probe
// is let through (half-open). The probe's success closes the breaker, its failure opens it for
// another cool-down. It is safe for concurrent use.
type Breaker struct {
	source   string // "domain/source", for messages
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu          sync.Mutex
	consecutive int
	openUntil   time.Time
	probing     bool
	lastReason  string
}

// New returns a closed breaker for the named source ("domain/source").
func New(source string, opts Options) *Breaker {
	if opts.Failures <= 0 {
		opts.Failures = DefaultFailures
	}
	if opts.Cooldown <= 0 {
		opts.Cooldown = DefaultCooldown
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Breaker{source: source, failures: opts.Failures, cooldown: opts.Cooldown, now: opts.Now}
}

// Allow reports whether a connection attempt may proceed: a nil error means go ahead. probe
// is set when the attempt is the half-open probe; its outcome must be reported with Success,
// Failure or Release. The error is Unavailable and names the source and the last
// caller-safe reason, never an option value.
func (b *Breaker) Allow() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.consecutive < b.failures {
		return false, nil
	}
	if now := b.now(); now.Before(b.openUntil) || b.probing {
		wait := max(b.openUntil.Sub(now).Round(time.Second), 0)
		return false, errs.New(errs.KindUnavailable,
			"source %s is unavailable: %d consecutive connection attempts failed (last: %s); failing fast, the next attempt is in %s",
			b.source, b.consecutive, b.lastReason, wait)
	}
	b.probing = true
	return true, nil
}

// Success records a working connection and closes the breaker.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consecutive, b.probing = 0, false
}

// Failure records a failed connection attempt. reason must be caller-safe (no credentials,
// no server message that could quote data).
func (b *Breaker) Failure(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consecutive++
	b.lastReason = reason
	b.probing = false
	if b.consecutive >= b.failures {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// Release ends a probe whose outcome says nothing about the source (the caller went away).
func (b *Breaker) Release(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}
