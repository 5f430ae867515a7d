package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/internal/breaker"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
)

// NewFactory returns the factory of "postgres" sources. Zero fields of opts take their
// defaults (DefaultOptions).
func NewFactory(opts Options) connectors.Factory {
	return &factory{opts: opts.withDefaults()}
}

type factory struct{ opts Options }

var _ connectors.Factory = (*factory)(nil)

func (f *factory) Type() string { return "postgres" }

// Open builds the source's connection pool. It does not connect: the first Describe, Scan
// or Ping does, so registering a source whose server is down succeeds and Ping reports it.
func (f *factory) Open(_ context.Context, cfg connectors.SourceConfig) (connectors.Source, error) {
	return openSource(cfg, f.opts, nil)
}

// openSource opens a source; adjust, when set, changes the pool configuration first (the
// benchmarks count bytes received through their own dialer).
func openSource(cfg connectors.SourceConfig, opts Options, adjust func(*pgxpool.Config)) (*source, error) {
	name := cfg.Domain + "/" + cfg.Name
	poolCfg, connectTimeout, err := poolConfig(cfg, name)
	if err != nil {
		return nil, err
	}
	if adjust != nil {
		adjust(poolCfg)
	}
	// NewWithConfig dials nothing while MinConns is 0; its context only bounds that.
	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: the connection pool cannot be built from the options; check option %s or the host/port/database/user options", name, OptionDSN)
	}
	return &source{
		name:           name,
		pool:           pool,
		opts:           opts,
		dialect:        sqlgen.Postgres(),
		connectTimeout: connectTimeout,
		breaker:        breaker.New(name, breaker.Options{Failures: opts.BreakerFailures, Cooldown: opts.BreakerCooldown, Now: opts.Now}),
	}, nil
}

// poolConfig turns the source options into a pool configuration: connection settings, the
// pool size (max_connections) and the connect timeout. Errors name the option, never its
// value.
func poolConfig(cfg connectors.SourceConfig, name string) (*pgxpool.Config, time.Duration, error) {
	opt := func(key string) (string, error) {
		v, err := cfg.Option(key, "")
		if err != nil {
			return "", errs.Wrap(errs.KindFailedPrecondition, err, "source %s: option %s cannot be resolved", name, key)
		}
		return v, nil
	}
	dsn, err := opt(OptionDSN)
	if err != nil {
		return nil, 0, err
	}
	if dsn == "" {
		var parts []string
		for _, kv := range []struct{ key, param string }{
			{OptionHost, "host"}, {OptionPort, "port"}, {OptionDatabase, "dbname"},
			{OptionUser, "user"}, {OptionPassword, "password"}, {OptionSSLMode, "sslmode"},
		} {
			v, err := opt(kv.key)
			if err != nil {
				return nil, 0, err
			}
			if v != "" {
				parts = append(parts, kv.param+"="+quoteConnValue(v))
			}
		}
		if len(parts) == 0 {
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: set option %s, or %s, %s, %s and %s", name, OptionDSN, OptionHost, OptionDatabase, OptionUser, OptionPassword)
		}
		dsn = strings.Join(parts, " ")
	}
	poolCfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: the connection options cannot be parsed as a PostgreSQL connection string; check option %s or the host/port/database/user options", name, OptionDSN)
	}
	maxConns := defaultMaxConnections
	if v, err := opt(OptionMaxConnections); err != nil {
		return nil, 0, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a number from 1 to 1000", name, OptionMaxConnections)
		}
		maxConns = n
	}
	timeout := defaultConnectTimeout
	if v, err := opt(OptionConnectTimeout); err != nil {
		return nil, 0, err
	} else if v != "" {
		d, ok := parseDuration(v)
		if !ok {
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a duration such as 5s", name, OptionConnectTimeout)
		}
		timeout = d
	}
	connCfg := poolCfg.ConnConfig
	cc := &connCfg.Config
	cc.ConnectTimeout = timeout
	rp := cc.RuntimeParams
	rp["application_name"] = "meshgate"
	// Timestamps without time zone are read as UTC by the gateway; pushed casts and
	// comparisons between the two kinds must agree.
	rp["TimeZone"] = "UTC"
	// The connector only reads; a dataset's SQL cannot change the source by accident.
	rp["default_transaction_read_only"] = "on"
	// On cancellation ask the server to stop the statement and keep the connection, so a
	// cancelled scan returns its connection to the pool idle instead of closing it.
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: timeout}
	}
	// Statements are prepared unnamed per scan; pgx's own cache serves catalog queries.
	connCfg.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	// The pool opens connections on demand up to the source's concurrency limit and keeps
	// none open for their own sake: an idle source holds no server slot after
	// MaxConnIdleTime.
	poolCfg.MaxConns = int32(maxConns)
	poolCfg.MinConns, poolCfg.MinIdleConns = 0, 0
	poolCfg.MaxConnIdleTime = idleConnTimeout
	poolCfg.HealthCheckPeriod = healthCheckPeriod
	return poolCfg, timeout, nil
}

// quoteConnValue quotes a keyword/value connection string value.
func quoteConnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// source is one registered PostgreSQL source: a pool, its breaker and what was learnt about
// the server.
type source struct {
	name           string
	pool           *pgxpool.Pool
	opts           Options
	dialect        *sqlgen.Dialect
	connectTimeout time.Duration
	breaker        *breaker.Breaker
	// serverVersion is server_version_num, learnt on the first connection (0: unknown).
	serverVersion atomic.Int64
}

var _ connectors.Source = (*source)(nil)

// acquire returns a pooled connection, through the breaker. Connection failures are
// Unavailable errors naming the source, never its options. The caller gives the connection
// back with Release (a connection left busy or closed is dropped by the pool).
func (s *source) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	probe, err := s.breaker.Allow()
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			s.breaker.Release(probe)
			return nil, errs.Wrap(errs.KindOf(ctx.Err()), ctx.Err(), "source %s: waiting for a connection stopped", s.name)
		case errors.Is(err, puddle.ErrClosedPool):
			s.breaker.Release(probe)
			return nil, errs.New(errs.KindUnavailable, "source %s is closed", s.name)
		}
		reason := connectReason(err)
		s.breaker.Failure(reason)
		return nil, errs.New(errs.KindUnavailable, "source %s cannot be reached: %s", s.name, reason)
	}
	s.breaker.Success()
	if s.serverVersion.Load() == 0 {
		major, _, _ := strings.Cut(conn.Conn().PgConn().ParameterStatus("server_version"), ".")
		if m, err := strconv.Atoi(strings.TrimSpace(major)); err == nil {
			s.serverVersion.Store(int64(m) * 10000)
		}
	}
	return conn, nil
}

// destroy closes a connection instead of returning it to the pool, for a statement
// abandoned mid-result: draining the rest of a large result would take as long as reading it.
func destroy(conn *pgxpool.Conn) {
	c := conn.Hijack()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

func (s *source) Ping(ctx context.Context) error {
	conn, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := conn.Conn().PgConn().Ping(ctx); err != nil {
		return s.queryError(ctx, err, "ping")
	}
	return nil
}

func (s *source) Close() error {
	s.pool.Close()
	return nil
}

// PoolStats reports the pool's connections: total, acquired (in use) and idle. Tests and
// metrics use it to check that scans give their connections back.
func (s *source) PoolStats() (total, acquired, idle int) {
	st := s.pool.Stat()
	return int(st.TotalConns()), int(st.AcquiredConns()), int(st.IdleConns())
}
