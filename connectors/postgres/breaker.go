package postgres

import (
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/errs"
)

// breaker is a per-source circuit breaker over connection attempts. After `failures`
// consecutive failures it opens: callers fail fast, without touching the network, until the
// cool-down has passed; then exactly one probe is let through (half-open). The probe's success
// closes the breaker, its failure opens it for another cool-down.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time
	source   string // "domain/source", for messages

	mu          sync.Mutex
	consecutive int
	openUntil   time.Time
	probing     bool
	lastReason  string
}

func newBreaker(source string, failures int, cooldown time.Duration, now func() time.Time) *breaker {
	return &breaker{source: source, failures: failures, cooldown: cooldown, now: now}
}

// allow reports whether a connection attempt may proceed. probe is set when the attempt is
// the half-open probe; its outcome must be reported with success or failure.
func (b *breaker) allow() (probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.consecutive < b.failures {
		return false, nil
	}
	if now := b.now(); now.Before(b.openUntil) || b.probing {
		wait := b.openUntil.Sub(now).Round(time.Second)
		if wait < 0 {
			wait = 0
		}
		return false, errs.New(errs.KindUnavailable,
			"source %s is unavailable: %d consecutive connection attempts failed (last: %s); failing fast, the next attempt is in %s",
			b.source, b.consecutive, b.lastReason, wait)
	}
	b.probing = true
	return true, nil
}

func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consecutive, b.probing = 0, false
}

// failure records a failed connection attempt with a caller-safe reason.
func (b *breaker) failure(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.consecutive++
	b.lastReason = reason
	b.probing = false
	if b.consecutive >= b.failures {
		b.openUntil = b.now().Add(b.cooldown)
	}
}

// release ends a probe whose outcome says nothing about the source (the caller went away).
func (b *breaker) release(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}
