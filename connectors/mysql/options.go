package mysql

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
	// MaxBatchBytes ends a batch early once its variable-length data reaches this size.
	// Default 32 MiB.
	MaxBatchBytes int
	// DefaultSplits is the number of key-range splits when an object sets split_column but
	// not splits. Default 4.
	DefaultSplits int
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
		DefaultSplits:    4,
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
	if o.DefaultSplits <= 0 {
		o.DefaultSplits = d.DefaultSplits
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

// Source option keys. dsn is a go-sql-driver DSN (user:password@tcp(host:port)/database);
// dsn and password may be secret references (env:NAME, file:/path).
const (
	OptionDSN            = "dsn"
	OptionHost           = "host"
	OptionPort           = "port"
	OptionDatabase       = "database"
	OptionUser           = "user"
	OptionPassword       = "password"
	OptionTLS            = "tls"             // true, false, skip-verify or preferred
	OptionMaxConnections = "max_connections" // pool size; default 8
	OptionConnectTimeout = "connect_timeout" // Go duration or seconds; default 5s
)

// Object option keys.
const (
	// ObjectSplitColumn names an integer column whose [min, max] range is cut into splits.
	ObjectSplitColumn = "split_column"
	// ObjectSplits is the number of splits (1 disables splitting); default
	// Options.DefaultSplits.
	ObjectSplits = "splits"
)

const (
	defaultMaxConnections = 8
	defaultConnectTimeout = 5 * time.Second
)

func parseDuration(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}
