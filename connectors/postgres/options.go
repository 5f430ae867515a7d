package postgres

import (
	"strconv"
	"time"
)

// Options tune the connector for every source it opens. Zero fields take their defaults
// (DefaultOptions).
type Options struct {
	// DefaultBatchRows is the batch size when ScanOptions.BatchRows is not set. Default
	// 65,536.
	DefaultBatchRows int
	// MaxBatchBytes ends a batch early once its variable-length data reaches this size, so
	// wide text rows do not build huge batches. Default 32 MiB.
	MaxBatchBytes int
	// MaxSplits caps the splits of one table scan. Default 8.
	MaxSplits int
	// SplitBytes is the table size per split when the object does not set "splits": a table
	// of 1 GiB is read as 8 splits with the default 128 MiB (never more than MaxSplits).
	SplitBytes int64
	// BreakerFailures is the number of consecutive failed connection attempts after which a
	// source fails fast for BreakerCooldown. Default 3.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker fails fast before one probe is let
	// through. Default 10s.
	BreakerCooldown time.Duration
	// Now is the clock of the breaker. Default time.Now.
	Now func() time.Time
}

// DefaultOptions returns the options NewFactory uses for zero fields.
func DefaultOptions() Options {
	return Options{
		DefaultBatchRows: 64 * 1024,
		MaxBatchBytes:    32 << 20,
		MaxSplits:        8,
		SplitBytes:       128 << 20,
		BreakerFailures:  3,
		BreakerCooldown:  10 * time.Second,
		Now:              time.Now,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.DefaultBatchRows <= 0 {
		o.DefaultBatchRows = d.DefaultBatchRows
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = d.MaxBatchBytes
	}
	if o.MaxSplits <= 0 {
		o.MaxSplits = d.MaxSplits
	}
	if o.SplitBytes <= 0 {
		o.SplitBytes = d.SplitBytes
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

// Source option keys. dsn, or the individual connection options; password and dsn may be
// secret references (env:NAME, file:/path).
const (
	OptionDSN            = "dsn"
	OptionHost           = "host"
	OptionPort           = "port"
	OptionDatabase       = "database"
	OptionUser           = "user"
	OptionPassword       = "password"
	OptionSSLMode        = "sslmode"
	OptionMaxConnections = "max_connections" // pool size; default 8
	OptionConnectTimeout = "connect_timeout" // Go duration or seconds; default 5s
)

// Object option keys.
const (
	// ObjectSplitColumn names an integer column whose [min, max] range is cut into splits,
	// for views, queries, or tables where physical ranges are not wanted.
	ObjectSplitColumn = "split_column"
	// ObjectSplits is the number of splits (1 disables splitting); default from the table's
	// size, at most Options.MaxSplits.
	ObjectSplits = "splits"
)

const (
	defaultMaxConnections = 8
	defaultConnectTimeout = 5 * time.Second
	// idleConnTimeout closes pooled connections unused for this long.
	idleConnTimeout = 5 * time.Minute
	// healthCheckPeriod is how often the pool closes idle connections past idleConnTimeout.
	healthCheckPeriod = time.Minute
)

// parseDuration accepts a Go duration ("5s") or a whole number of seconds ("5").
func parseDuration(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
