package flightsql

import (
	"strconv"
	"time"
)

// Options tune the connector for every source it opens. Zero fields take their defaults.
type Options struct {
	// MaxSplits bounds the splits of one scan by key ranges when the object does not say
	// how many. Default 8.
	MaxSplits int
	// BreakerFailures is the number of consecutive failed connection attempts after which a
	// source fails fast for BreakerCooldown. Default 3.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker fails fast before one probe is let
	// through. Default 10s.
	BreakerCooldown time.Duration
	// Now returns the current time (breaker). Default time.Now.
	Now func() time.Time
}

// DefaultOptions returns the options NewFactory uses for zero fields.
func DefaultOptions() Options {
	return Options{MaxSplits: 8, BreakerFailures: 3, BreakerCooldown: 10 * time.Second, Now: time.Now}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxSplits <= 0 {
		o.MaxSplits = d.MaxSplits
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = d.BreakerFailures
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = d.BreakerCooldown
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	return o
}

// Source option keys. password and token may be secret references (env:NAME, file:/path).
const (
	// OptionURI is the server: grpc+tcp://host:port (plain), grpc+tls://host:port (TLS), or
	// host:port (plain).
	OptionURI = "uri"
	// OptionUser and OptionPassword log in with the Basic handshake; the server's bearer
	// token is then sent on every call.
	OptionUser     = "user"
	OptionPassword = "password"
	// OptionToken is a bearer token sent on every call instead of a login.
	OptionToken = "token"
	// OptionTLSSkipVerify ("true") accepts any server certificate (test servers only).
	OptionTLSSkipVerify = "tls_skip_verify"
	// OptionConnectTimeout bounds connecting and logging in: Go duration or seconds;
	// default 5s.
	OptionConnectTimeout = "connect_timeout"
	// OptionMaxStreams bounds the result streams read at once from the server; default 8.
	OptionMaxStreams = "max_streams"
	// OptionTextPushdown ("true", the default, or "false") says whether text compares,
	// orders and matches LIKE bytewise on the server, as on a meshgate.
	OptionTextPushdown = "text_pushdown"
)

// Object option keys.
const (
	// ObjectSplitColumn names an integer column whose [min, max] range is cut into splits,
	// each read as its own remote statement.
	ObjectSplitColumn = "split_column"
	// ObjectSplits is the number of key-range splits; default Options.MaxSplits.
	ObjectSplits = "splits"
)

const (
	defaultConnectTimeout = 5 * time.Second
	defaultMaxStreams     = 8
	// defaultBatchRows is the largest batch handed on when ScanOptions.BatchRows is not
	// set; larger remote batches are sliced (without copying).
	defaultBatchRows = 64 * 1024
)

// parseDuration accepts a Go duration ("5s") or a whole number of seconds ("5").
func parseDuration(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
