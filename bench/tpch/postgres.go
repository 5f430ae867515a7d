package tpch

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meshgate/meshgate/internal/errs"
)

// LoadOptions configures LoadPostgres.
type LoadOptions struct {
	// SF is the TPC-H scale factor; at least MinScaleFactor. Required.
	SF float64
	// Parallelism is the number of tables loaded at once, each over its own connection.
	// Default 2.
	Parallelism int
	// Allocator backs the generator's batches. Default memory.NewGoAllocator().
	Allocator memory.Allocator
}

// loadMarkerTable records a completed load in the loaded database.
const loadMarkerTable = "meshgate_tpch_load"

// DatabaseName returns the database LoadPostgres loads scale factor sf into, e.g.
// "meshgate_tpch_sf0_01" for 0.01 and "meshgate_tpch_sf1" for 1.
func DatabaseName(sf float64) string {
	return "meshgate_tpch_sf" + strings.ReplaceAll(strconv.FormatFloat(sf, 'f', -1, 64), ".", "_")
}

// LoadPostgres loads the TPC-H data of opts.SF into PostgreSQL and returns a DSN for the loaded
// database: dsn with its database replaced by DatabaseName(opts.SF), which is created next to
// dsn's database when missing (the role needs CREATEDB for that first call).
//
// The database has schemas sales, customers and supply named like the mesh domains, so
// Query(n) runs unchanged on it. Columns have the spec's exact types (bigint, integer,
// numeric(15,2), date, char(n), varchar(n)); note that PostgreSQL returns char(n) values
// blank-padded to n, so comparisons with meshgate must trim trailing blanks of char columns
// (Table.Schema marks them under SQLTypeKey). The database is created with the C collation so
// ORDER BY on text sorts bytewise, as meshgate does.
//
// Rows come straight from the generator (NewRecordReader), so they equal the Parquet files of
// Generate for the same SF; no files are needed. Each table gets its primary key, an index on
// every foreign-key column (without them PostgreSQL runs the correlated subqueries of Q17
// and Q20 in quadratic time) and ANALYZE. A marker table records the completed load: a later
// call with the same SF and GeneratorVersion returns at once. Concurrent calls (say two test
// processes) serialise on an advisory lock, so exactly one loads.
func LoadPostgres(ctx context.Context, dsn string, opts LoadOptions) (string, error) {
	s, err := newScale(opts.SF)
	if err != nil {
		return "", err
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = 2
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.NewGoAllocator()
	}
	name := DatabaseName(opts.SF)
	target, err := withDatabase(dsn, name)
	if err != nil {
		return "", err
	}

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", errs.Wrap(errs.KindUnavailable, err, "loading TPC-H into PostgreSQL: cannot connect: check the DSN and that the server is running")
	}
	defer admin.Close(context.WithoutCancel(ctx))

	// Session-level lock on the admin connection: it spans CREATE DATABASE, which cannot run
	// in a transaction, and is released with the connection if this process dies.
	lockKey := advisoryLockKey(name)
	if _, err := admin.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return "", pgError(err, "waiting for the TPC-H load lock of database %s", name)
	}
	defer admin.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", lockKey) //nolint:errcheck // closing the connection releases it anyway

	var exists bool
	if err := admin.QueryRow(ctx, "select exists (select 1 from pg_database where datname = $1)", name).Scan(&exists); err != nil {
		return "", pgError(err, "looking up database %s", name)
	}
	if !exists {
		create := "create database " + pgx.Identifier{name}.Sanitize() +
			" template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'"
		if _, err := admin.Exec(ctx, create); err != nil {
			return "", pgError(err, "creating database %s for TPC-H (the role needs CREATEDB, or create it yourself with C collation)", name)
		}
	}

	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		return "", errs.Wrap(errs.KindUnavailable, err, "loading TPC-H: cannot connect to database %s", name)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	done, err := loadCompleted(ctx, conn, opts.SF)
	if err != nil {
		return "", err
	}
	if done {
		return target, nil
	}
	if err := createTables(ctx, conn); err != nil {
		return "", err
	}

	g := newGenerator(s, opts.Allocator)
	order := []tableID{tableLineItem, tableOrders, tablePartSupp, tableCustomer, tablePart, tableSupplier, tableNation, tableRegion}
	defs := tableDefs()
	err = runParallel(ctx, opts.Parallelism, len(order), func(ctx context.Context, i int) error {
		return loadTable(ctx, target, g, order[i], defs[order[i]])
	})
	if err != nil {
		return "", err
	}

	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "delete from public."+loadMarkerTable); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "insert into public."+loadMarkerTable+" (generator_version, sf) values ($1, $2)", GeneratorVersion, opts.SF)
		return err
	})
	if err != nil {
		return "", pgError(err, "recording the completed TPC-H load in database %s", name)
	}
	return target, nil
}

// withDatabase returns dsn pointing at database name. URLs get a new path; keyword/value
// strings get a trailing dbname, which wins over an earlier one in libpq and pgx.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errs.New(errs.KindInvalidArgument, "PostgreSQL DSN is not a valid URL: use postgres://user:password@host:port/database")
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	return strings.TrimSpace(dsn + " dbname=" + name), nil
}

func advisoryLockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("meshgate tpch load " + name))
	return int64(h.Sum64())
}

// pgError classifies a PostgreSQL failure. pgx's error text is the server's message without its
// detail, which is where PostgreSQL would put row values.
func pgError(err error, format string, args ...any) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.Wrap(errs.KindUnavailable, err, format, args...)
}

func loadCompleted(ctx context.Context, conn *pgx.Conn, sf float64) (bool, error) {
	create := fmt.Sprintf(`create table if not exists public.%s (
	generator_version text not null,
	sf double precision not null,
	loaded_at timestamptz not null default now())`, loadMarkerTable)
	if _, err := conn.Exec(ctx, create); err != nil {
		return false, pgError(err, "creating the TPC-H load marker table")
	}
	var done bool
	err := conn.QueryRow(ctx, fmt.Sprintf("select exists (select 1 from public.%s where generator_version = $1 and sf = $2)", loadMarkerTable),
		GeneratorVersion, sf).Scan(&done)
	if err != nil {
		return false, pgError(err, "reading the TPC-H load marker")
	}
	return done, nil
}

// createTables replaces the three schemas (a previous load may have been partial or of an
// older generator version) in one transaction.
func createTables(ctx context.Context, conn *pgx.Conn) error {
	var ddl strings.Builder
	for _, schema := range []string{DomainSales, DomainCustomers, DomainSupply} {
		id := pgx.Identifier{schema}.Sanitize()
		fmt.Fprintf(&ddl, "drop schema if exists %s cascade;\ncreate schema %[1]s;\n", id)
	}
	for _, t := range Tables() {
		fmt.Fprintf(&ddl, "create table %s (", pgx.Identifier{t.Domain, t.Name}.Sanitize())
		for i, f := range t.Schema.Fields() {
			sqlType, _ := f.Metadata.GetValue(SQLTypeKey)
			if i > 0 {
				ddl.WriteString(", ")
			}
			fmt.Fprintf(&ddl, "%s %s not null", pgx.Identifier{f.Name}.Sanitize(), sqlType)
		}
		ddl.WriteString(");\n")
	}
	if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, ddl.String())
		return err
	}); err != nil {
		return pgError(err, "creating the TPC-H schemas sales, customers and supply")
	}
	return nil
}

// loadTable copies one table over its own connection, then adds its keys, indexes and
// statistics.
func loadTable(ctx context.Context, dsn string, g *generator, id tableID, def tableDef) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "loading TPC-H table %s: cannot connect", def.name)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A lost tail of a load is redone from the marker, so durability per commit buys nothing.
	if _, err := conn.Exec(ctx, "set synchronous_commit = off"); err != nil {
		return pgError(err, "loading TPC-H table %s", def.name)
	}

	reader := g.recordReader(ctx, id)
	defer reader.Release()
	names := make([]string, len(def.columns))
	for i, c := range def.columns {
		names[i] = c.name
	}
	table := pgx.Identifier{def.domain, def.name}
	if _, err := conn.CopyFrom(ctx, table, names, &copyRows{reader: reader}); err != nil {
		return pgError(err, "copying TPC-H table %s into PostgreSQL", table.Sanitize())
	}

	quoted := func(cols []string) string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = pgx.Identifier{c}.Sanitize()
		}
		return strings.Join(out, ", ")
	}
	stmts := []string{fmt.Sprintf("alter table %s add primary key (%s)", table.Sanitize(), quoted(def.primaryKey))}
	for _, fk := range def.foreignKeys {
		stmts = append(stmts, fmt.Sprintf("create index on %s (%s)", table.Sanitize(), quoted([]string{fk})))
	}
	stmts = append(stmts, "analyze "+table.Sanitize())
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return pgError(err, "indexing TPC-H table %s", table.Sanitize())
		}
	}
	return nil
}

// copyRows adapts a record reader to pgx's row-at-a-time CopyFromSource. Values are boxed
// per row; pgx encodes them before asking for the next row.
type copyRows struct {
	reader  array.RecordReader
	rec     arrow.RecordBatch
	row     int
	getters []func(row int) any
	values  []any
	err     error
}

var _ pgx.CopyFromSource = (*copyRows)(nil)

func (c *copyRows) Next() bool {
	c.row++
	for c.rec == nil || c.row >= int(c.rec.NumRows()) {
		if !c.reader.Next() {
			c.err = c.reader.Err()
			return false
		}
		c.rec, c.row = c.reader.RecordBatch(), 0
		if err := c.bind(); err != nil {
			c.err = err
			return false
		}
	}
	return true
}

func (c *copyRows) Values() ([]any, error) {
	for i, get := range c.getters {
		c.values[i] = get(c.row)
	}
	return c.values, nil
}

func (c *copyRows) Err() error { return c.err }

// bind prepares one getter per column of the current batch.
func (c *copyRows) bind() error {
	c.getters = c.getters[:0]
	for i, col := range c.rec.Columns() {
		switch a := col.(type) {
		case *array.Int64:
			c.getters = append(c.getters, func(row int) any { return a.Value(row) })
		case *array.Int32:
			c.getters = append(c.getters, func(row int) any { return a.Value(row) })
		case *array.Decimal128:
			exp := -a.DataType().(*arrow.Decimal128Type).Scale
			c.getters = append(c.getters, func(row int) any {
				return pgtype.Numeric{Int: a.Value(row).BigInt(), Exp: exp, Valid: true}
			})
		case *array.Date32:
			c.getters = append(c.getters, func(row int) any {
				return pgtype.Date{Time: a.Value(row).ToTime(), Valid: true}
			})
		case *array.String:
			c.getters = append(c.getters, func(row int) any { return a.Value(row) })
		default:
			return errs.New(errs.KindInternal, "TPC-H loader cannot copy column %s of type %s", c.rec.ColumnName(i), col.DataType())
		}
	}
	c.values = make([]any, len(c.getters))
	return nil
}
