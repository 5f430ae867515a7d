package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/internal/breaker"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// NewFactory returns the factory of "snowflake" sources.
func NewFactory(opts Options) connectors.Factory { return &factory{opts: opts.withDefaults()} }

type factory struct{ opts Options }

func (f *factory) Type() string { return "snowflake" }

// Open parses the options and builds the connection pool without connecting: the first
// Describe, Scan or Ping logs in.
func (f *factory) Open(_ context.Context, cfg connectors.SourceConfig) (connectors.Source, error) {
	st, err := parseOptions(cfg)
	if err != nil {
		return nil, err
	}
	name := cfg.Domain + "/" + cfg.Name
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *st.cfg))
	db.SetMaxOpenConns(st.maxConns)
	db.SetMaxIdleConns(st.maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &source{
		name: name, db: db, dialect: Dialect(), connectTimeout: st.connectTimeout,
		breaker: breaker.New(name, breaker.Options{Failures: f.opts.BreakerFailures, Cooldown: f.opts.BreakerCooldown, Now: f.opts.Now}),
	}, nil
}

type source struct {
	name           string
	db             *sql.DB
	dialect        *sqlgen.Dialect
	connectTimeout time.Duration
	breaker        *breaker.Breaker
}

var _ connectors.Source = (*source)(nil)

// conn takes a pooled connection through the breaker, logging in within the connect
// timeout if the pool has none.
func (s *source) conn(ctx context.Context) (*sql.Conn, error) {
	probe, err := s.breaker.Allow()
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	c, err := s.db.Conn(cctx)
	if err != nil {
		if ctx.Err() != nil {
			s.breaker.Release(probe)
			return nil, errs.Wrap(errs.KindOf(ctx.Err()), ctx.Err(), "source %s: waiting for a connection stopped", s.name)
		}
		reason := connectReason(err)
		if isCredentialError(err) {
			s.breaker.Release(probe)
			return nil, errs.New(errs.KindFailedPrecondition, "source %s: %s", s.name, reason)
		}
		s.breaker.Failure(reason)
		return nil, errs.New(errs.KindUnavailable, "source %s cannot be reached: %s", s.name, reason)
	}
	s.breaker.Success()
	return c, nil
}

// connectReason describes a failed login without credentials or account details.
func connectReason(err error) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		switch se.Number {
		case 390100, 390144, 390318, 394304:
			return fmt.Sprintf("Snowflake rejected the credentials (error %d); check the source's user and password or private_key", se.Number)
		case 390201, 390189:
			return fmt.Sprintf("the warehouse, database or role does not exist or is not granted (error %d)", se.Number)
		}
		return fmt.Sprintf("Snowflake refused the login (error %d)", se.Number)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the connect timeout"
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "no such host"):
		return "the account's host name cannot be resolved; check option account"
	case strings.Contains(msg, "connection refused"):
		return "connection refused"
	case strings.Contains(msg, "timeout"):
		return "no answer within the connect timeout"
	}
	return "the connection failed"
}

func isCredentialError(err error) bool {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		switch se.Number {
		case 390100, 390144, 390318, 394304:
			return true
		}
	}
	return false
}

// queryError classifies an error of a running statement. Snowflake's messages name SQL
// objects (and for conversion errors may quote a value), so only the error number and SQL
// state are kept for data errors.
func (s *source) queryError(ctx context.Context, err error, what string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(errs.KindOf(ctxErr), ctxErr, "source %s: %s stopped", s.name, what)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		switch {
		case strings.HasPrefix(se.SQLState, "42"):
			return errs.New(errs.KindInvalidArgument, "source %s: %s: Snowflake rejected the statement (error %d, SQLSTATE %s): %s", s.name, what, se.Number, se.SQLState, se.Message)
		case strings.HasPrefix(se.SQLState, "22"):
			return errs.New(errs.KindInvalidArgument, "source %s: %s: a value cannot be converted (error %d, SQLSTATE %s)", s.name, what, se.Number, se.SQLState)
		}
		return errs.New(errs.KindInternal, "source %s: %s failed (Snowflake error %d, SQLSTATE %s)", s.name, what, se.Number, se.SQLState)
	}
	if errors.Is(err, driver.ErrBadConn) {
		return errs.New(errs.KindUnavailable, "source %s: %s: the connection broke", s.name, what)
	}
	return errs.New(errs.KindInternal, "source %s: %s failed", s.name, what)
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

// tableName normalizes a table name the way Snowflake resolves it: unquoted parts are
// upper-cased, quoted parts kept. It returns the parts.
func tableName(name string) ([]string, error) {
	parts, err := sqlgen.ParseTableName(name)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(name, `"`) {
		for i, p := range parts {
			parts[i] = strings.ToUpper(p)
		}
	}
	if len(parts) > 3 {
		return nil, errs.New(errs.KindInvalidArgument, "table name %q has more than three parts; write [database.]schema.table", name)
	}
	return parts, nil
}

// quotedName renders table name parts quoted.
func (s *source) quotedName(parts []string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = s.dialect.QuoteIdent(p)
	}
	return strings.Join(q, ".")
}

// describe returns the object's columns.
func (s *source) describe(ctx context.Context, obj connectors.Object) ([]column, error) {
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if obj.Query != "" {
		rows, err := c.QueryContext(ctx, "SELECT * FROM ("+strings.TrimRight(strings.TrimSpace(obj.Query), ";")+") AS q LIMIT 0")
		if err != nil {
			return nil, s.queryError(ctx, err, "describing the dataset's query")
		}
		defer rows.Close()
		types, err := rows.ColumnTypes()
		if err != nil {
			return nil, s.queryError(ctx, err, "describing the dataset's query")
		}
		out := make([]column, len(types))
		for i, t := range types {
			dt := t.DatabaseTypeName()
			if dt == "FIXED" {
				dt = "NUMBER"
			}
			p, sc, _ := t.DecimalSize()
			out[i] = column{name: t.Name(), dataType: dt, precision: int32(p), scale: int32(sc)}
		}
		return out, nil
	}
	parts, err := tableName(obj.Table)
	if err != nil {
		return nil, err
	}
	view := "INFORMATION_SCHEMA.COLUMNS"
	if len(parts) == 3 {
		view = s.dialect.QuoteIdent(parts[0]) + ".INFORMATION_SCHEMA.COLUMNS"
	}
	var schema any
	if len(parts) >= 2 {
		schema = parts[len(parts)-2]
	}
	q := "SELECT column_name, data_type, COALESCE(numeric_precision, 0), COALESCE(numeric_scale, 0), COALESCE(collation_name, '') FROM " + view +
		" WHERE table_schema = COALESCE(CAST(? AS VARCHAR), CURRENT_SCHEMA()) AND table_name = ? ORDER BY ordinal_position"
	rows, err := c.QueryContext(ctx, q, schema, parts[len(parts)-1])
	if err != nil {
		return nil, s.queryError(ctx, err, "describing "+obj.Table)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var col column
		if err := rows.Scan(&col.name, &col.dataType, &col.precision, &col.scale, &col.collation); err != nil {
			return nil, s.queryError(ctx, err, "describing "+obj.Table)
		}
		out = append(out, col)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, err, "describing "+obj.Table)
	}
	if len(out) == 0 {
		return nil, errs.New(errs.KindNotFound, "source %s: table or view %s does not exist (or the source's role cannot see it)", s.name, obj.Table)
	}
	return out, nil
}

// Describe returns the object's columns mapped to Arrow types; unmapped types are read as
// text and listed in the warnings.
func (s *source) Describe(ctx context.Context, obj connectors.Object) (*arrow.Schema, []string, error) {
	cols, err := s.describe(ctx, obj)
	if err != nil {
		return nil, nil, err
	}
	fields := make([]arrow.Field, len(cols))
	var warnings []string
	for i, c := range cols {
		t, known := c.arrowType()
		if !known {
			warnings = append(warnings, fmt.Sprintf("column %s of %s has type %s, which has no Arrow mapping: it is read as text", c.name, objectName(obj), c.dataType))
		}
		fields[i] = arrow.Field{Name: c.name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), warnings, nil
}

func objectName(obj connectors.Object) string {
	if obj.Query != "" {
		return "the dataset's query"
	}
	return obj.Table
}

// OpenTable binds cols by name (exactly, else ignoring case when unique: Snowflake stores
// unquoted names upper-cased) and checks each can be read as its declared type.
func (s *source) OpenTable(ctx context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	remote, err := s.describe(ctx, obj)
	if err != nil {
		return nil, err
	}
	gcols := make([]sqlgen.Column, len(cols))
	scales := make([]int32, len(cols))
	for i, c := range cols {
		rc, err := findColumn(remote, c.Name, obj)
		if err != nil {
			return nil, err
		}
		if !rc.fits(c.Type) {
			return nil, errs.New(errs.KindInvalidArgument, "column %s of %s (source %s): its type %s cannot be read as %s; declare a type it maps to",
				c.Name, objectName(obj), s.name, rc.dataType, expr.SQLTypeName(c.Type))
		}
		gcols[i] = sqlgen.Column{ID: c.ID, Name: rc.name, Type: c.Type, Caps: rc.caps(c.Type)}
		scales[i] = rc.scale
	}
	return newHandle(s, obj, gcols, scales)
}

func findColumn(cols []column, name string, obj connectors.Object) (column, error) {
	var folded []column
	names := make([]string, len(cols))
	for i, c := range cols {
		if c.name == name {
			return c, nil
		}
		if strings.EqualFold(c.name, name) {
			folded = append(folded, c)
		}
		names[i] = c.name
	}
	if len(folded) == 1 {
		return folded[0], nil
	}
	return column{}, errs.New(errs.KindNotFound, "column %s does not exist in %s; its columns are %s", name, objectName(obj), strings.Join(names, ", "))
}
