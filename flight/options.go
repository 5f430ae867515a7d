package flight

import (
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Server. Zero values take the DefaultOptions value, so callers set only
// what they change.
type Options struct {
	// Addr is the listen address. Default "127.0.0.1:32010"; use ":32010" to listen on every
	// interface and port 0 to pick a free port (tests).
	Addr string
	// AdvertiseAddr is the host:port clients reach this node at. When set, FlightInfo
	// endpoints list it as a location (grpc+tcp:// or grpc+tls://) so clients can fetch from
	// this node over another connection; when empty, endpoints carry no location, which means
	// "the server you asked". It must not be a wildcard address such as 0.0.0.0.
	AdvertiseAddr string
	// TLSCertFile and TLSKeyFile enable TLS when both are set (PEM files).
	TLSCertFile string
	TLSKeyFile  string
	// Catalog is the single catalog name clients see. Default "mesh".
	Catalog string
	// TicketTTL is how long a ticket from GetFlightInfo can be redeemed. Default 10 minutes.
	TicketTTL time.Duration
	// PreparedStatementIdleTTL closes a prepared statement unused for this long. Default 30
	// minutes.
	PreparedStatementIdleTTL time.Duration
	// MaxPreparedStatementsPerUser bounds the open prepared statements of one user on this
	// node. Default 1024.
	MaxPreparedStatementsPerUser int
	// MaxBatchBytes bounds one IPC message of a result stream (metadata and body): larger
	// batches are sliced. Default 4 MiB, so clients with gRPC's default 4 MiB receive limit
	// can read every message; values below 1 MiB are raised to 1 MiB.
	MaxBatchBytes int64
	// MaxRecvBytes is the largest message the server accepts (parameter bindings). Default
	// 64 MiB.
	MaxRecvBytes int
	// ShutdownTimeout bounds the graceful part of the shutdown Serve performs when its
	// context ends; after it, connections are closed. Default 10 seconds.
	ShutdownTimeout time.Duration
	// Allocator allocates result conversions and metadata results. Default
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Logger receives one line per query and internal error details. Default slog.Default().
	Logger *slog.Logger
	// Registerer registers the server's metrics. Nil registers none.
	Registerer prometheus.Registerer
	// Now returns the current time (ticket and statement expiry). Default time.Now.
	Now func() time.Time
}

// Defaults documented on Options.
const (
	DefaultAddr                         = "127.0.0.1:32010"
	DefaultCatalog                      = "mesh"
	DefaultTicketTTL                    = 10 * time.Minute
	DefaultPreparedStatementIdleTTL     = 30 * time.Minute
	DefaultMaxPreparedStatementsPerUser = 1024
	DefaultMaxBatchBytes                = 4 << 20
	MinMaxBatchBytes                    = 1 << 20
	DefaultMaxRecvBytes                 = 64 << 20
	DefaultShutdownTimeout              = 10 * time.Second
)

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		Addr:                         DefaultAddr,
		Catalog:                      DefaultCatalog,
		TicketTTL:                    DefaultTicketTTL,
		PreparedStatementIdleTTL:     DefaultPreparedStatementIdleTTL,
		MaxPreparedStatementsPerUser: DefaultMaxPreparedStatementsPerUser,
		MaxBatchBytes:                DefaultMaxBatchBytes,
		MaxRecvBytes:                 DefaultMaxRecvBytes,
		ShutdownTimeout:              DefaultShutdownTimeout,
		Allocator:                    memory.DefaultAllocator,
		Logger:                       slog.Default(),
		Now:                          time.Now,
	}
}

// withDefaults fills zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Addr == "" {
		o.Addr = d.Addr
	}
	if o.Catalog == "" {
		o.Catalog = d.Catalog
	}
	if o.TicketTTL <= 0 {
		o.TicketTTL = d.TicketTTL
	}
	if o.PreparedStatementIdleTTL <= 0 {
		o.PreparedStatementIdleTTL = d.PreparedStatementIdleTTL
	}
	if o.MaxPreparedStatementsPerUser <= 0 {
		o.MaxPreparedStatementsPerUser = d.MaxPreparedStatementsPerUser
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = d.MaxBatchBytes
	}
	if o.MaxBatchBytes < MinMaxBatchBytes {
		o.MaxBatchBytes = MinMaxBatchBytes
	}
	if o.MaxRecvBytes <= 0 {
		o.MaxRecvBytes = d.MaxRecvBytes
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = d.ShutdownTimeout
	}
	if o.Allocator == nil {
		o.Allocator = d.Allocator
	}
	if o.Logger == nil {
		o.Logger = d.Logger
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	return o
}
