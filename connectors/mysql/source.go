package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"strconv"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/internal/breaker"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
)

// NewFactory returns the factory of "mysql" sources (MySQL and MariaDB). Zero fields of opts
// take their defaults (DefaultOptions).
func NewFactory(opts Options) connectors.Factory {
	return &factory{opts: opts.withDefaults()}
}

type factory struct{ opts Options }

var _ connectors.Factory = (*factory)(nil)

func (f *factory) Type() string { return "mysql" }

// Open builds the source's connection pool without connecting: the first Describe, Scan or
// Ping does.
func (f *factory) Open(_ context.Context, cfg connectors.SourceConfig) (connectors.Source, error) {
	name := cfg.Domain + "/" + cfg.Name
	dcfg, maxConns, err := driverConfig(cfg, name)
	if err != nil {
		return nil, err
	}
	connector, err := gomysql.NewConnector(dcfg)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: the connection options are not valid; check option %s or the host/port/database/user options", name, OptionDSN)
	}
	db := sql.OpenDB(timeoutConnector{Connector: connector, timeout: dcfg.Timeout})
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &source{
		name:    name,
		db:      db,
		opts:    f.opts,
		dialect: sqlgen.MySQL(),
		breaker: breaker.New(name, breaker.Options{Failures: f.opts.BreakerFailures, Cooldown: f.opts.BreakerCooldown, Now: f.opts.Now}),
	}, nil
}

// timeoutConnector bounds a whole connection attempt (dial, TLS, handshake and
// authentication) by the connect timeout: the driver's own Timeout covers only the dial, so
// a server that accepts connections and never answers would hold a query until its caller
// gave up.
type timeoutConnector struct {
	driver.Connector
	timeout time.Duration
}

func (c timeoutConnector) Connect(ctx context.Context) (driver.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := c.Connector.Connect(ctx)
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		// Keep the deadline visible to the error classification (no answer within the
		// connect timeout) even when the driver reports it as a broken connection.
		return nil, fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return conn, err
}

// driverConfig turns the source options into a driver configuration. Errors name the option,
// never its value.
func driverConfig(cfg connectors.SourceConfig, name string) (*gomysql.Config, int, error) {
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
	var dc *gomysql.Config
	if dsn != "" {
		if dc, err = gomysql.ParseDSN(dsn); err != nil {
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: option %s is not a valid MySQL DSN (user:password@tcp(host:port)/database)", name, OptionDSN)
		}
	} else {
		dc = gomysql.NewConfig()
		vals := map[string]string{}
		for _, k := range []string{OptionHost, OptionPort, OptionDatabase, OptionUser, OptionPassword, OptionTLS} {
			if vals[k], err = opt(k); err != nil {
				return nil, 0, err
			}
		}
		if vals[OptionHost] == "" || vals[OptionUser] == "" {
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: set option %s, or %s, %s, %s and %s", name, OptionDSN, OptionHost, OptionDatabase, OptionUser, OptionPassword)
		}
		port := vals[OptionPort]
		if port == "" {
			port = "3306"
		}
		dc.Net, dc.Addr = "tcp", net.JoinHostPort(vals[OptionHost], port)
		dc.DBName, dc.User, dc.Passwd = vals[OptionDatabase], vals[OptionUser], vals[OptionPassword]
		switch vals[OptionTLS] {
		case "", "false":
		case "true", "skip-verify", "preferred":
			dc.TLSConfig = vals[OptionTLS]
		default:
			return nil, 0, errs.New(errs.KindInvalidArgument, "source %s: option %s must be true, false, skip-verify or preferred", name, OptionTLS)
		}
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
	dc.Timeout = timeout
	// Values are always bound by the server (prepared statements), never interpolated into
	// the SQL text by the driver; dates and datetimes are parsed by the decoders.
	dc.InterpolateParams = false
	dc.ParseTime = false
	dc.MultiStatements = false
	dc.Loc = time.UTC
	if dc.Params == nil {
		dc.Params = map[string]string{}
	}
	// TIMESTAMP values are read and compared in UTC, as the gateway interprets instants.
	dc.Params["time_zone"] = "'+00:00'"
	return dc, maxConns, nil
}

// source is one registered MySQL/MariaDB source.
type source struct {
	name    string
	db      *sql.DB
	opts    Options
	dialect *sqlgen.Dialect
	breaker *breaker.Breaker
}

var _ connectors.Source = (*source)(nil)

// conn takes a connection of the pool through the breaker. Connection failures are
// Unavailable errors naming the source, never its options.
func (s *source) conn(ctx context.Context) (*sql.Conn, error) {
	probe, err := s.breaker.Allow()
	if err != nil {
		return nil, err
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			s.breaker.Release(probe)
			return nil, errs.Wrap(errs.KindOf(ctx.Err()), ctx.Err(), "source %s: waiting for a connection stopped", s.name)
		}
		if !isConnectError(err) {
			s.breaker.Release(probe)
			return nil, s.queryError(ctx, err, "connecting")
		}
		reason := connectReason(err)
		s.breaker.Failure(reason)
		return nil, errs.New(errs.KindUnavailable, "source %s cannot be reached: %s", s.name, reason)
	}
	s.breaker.Success()
	return c, nil
}

func (s *source) Ping(ctx context.Context) error {
	c, err := s.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.PingContext(ctx); err != nil {
		return s.queryError(ctx, err, "ping")
	}
	return nil
}

func (s *source) Close() error { return s.db.Close() }

// PoolStats reports the pool's connections: open, in use and idle.
func (s *source) PoolStats() (total, acquired, idle int) {
	st := s.db.Stats()
	return st.OpenConnections, st.InUse, st.Idle
}
