package postgres

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// The benchmark table: 6 million lineitem-shaped rows in database meshgate_bench, created
// once with generate_series and reused while benchVersion matches the marker.
const (
	benchDatabase = "meshgate_bench"
	benchTable    = "lineitem"
	benchRows     = 6_000_000
	benchVersion  = "lineitem-synthetic-v1"
)

const benchCreate = `CREATE TABLE lineitem AS
SELECT (g / 4 + 1)::bigint AS l_orderkey,
       (g * 7 % 200000 + 1)::bigint AS l_partkey,
       (g * 13 % 10000 + 1)::bigint AS l_suppkey,
       (g % 7 + 1)::int AS l_linenumber,
       ((g % 50) + 1)::numeric(15,2) AS l_quantity,
       ((g % 100000) * 1.37 + 900)::numeric(15,2) AS l_extendedprice,
       ((g % 11) / 100.0)::numeric(15,2) AS l_discount,
       ((g % 9) / 100.0)::numeric(15,2) AS l_tax,
       (ARRAY['A','N','R'])[g % 3 + 1]::char(1) AS l_returnflag,
       (ARRAY['F','O'])[g % 2 + 1]::char(1) AS l_linestatus,
       DATE '1992-01-02' + (g % 2526) AS l_shipdate,
       DATE '1992-01-31' + (g % 2466) AS l_commitdate,
       DATE '1992-01-03' + (g % 2555) AS l_receiptdate,
       (ARRAY['DELIVER IN PERSON','COLLECT COD','NONE','TAKE BACK RETURN'])[g % 4 + 1]::char(25) AS l_shipinstruct,
       (ARRAY['REG AIR','AIR','RAIL','SHIP','TRUCK','MAIL','FOB'])[g % 7 + 1]::char(10) AS l_shipmode,
       substr(md5(g::text), 1, 10 + g % 33)::varchar(44) AS l_comment
FROM generate_series(0, 5999999) g`

var benchColumns = []connectors.Column{
	{ID: 1, Name: "l_orderkey", Type: expr.Int64}, {ID: 2, Name: "l_partkey", Type: expr.Int64},
	{ID: 3, Name: "l_suppkey", Type: expr.Int64}, {ID: 4, Name: "l_linenumber", Type: expr.Int32},
	{ID: 5, Name: "l_quantity", Type: expr.Decimal(15, 2)}, {ID: 6, Name: "l_extendedprice", Type: expr.Decimal(15, 2)},
	{ID: 7, Name: "l_discount", Type: expr.Decimal(15, 2)}, {ID: 8, Name: "l_tax", Type: expr.Decimal(15, 2)},
	{ID: 9, Name: "l_returnflag", Type: expr.String}, {ID: 10, Name: "l_linestatus", Type: expr.String},
	{ID: 11, Name: "l_shipdate", Type: expr.Date}, {ID: 12, Name: "l_commitdate", Type: expr.Date},
	{ID: 13, Name: "l_receiptdate", Type: expr.Date}, {ID: 14, Name: "l_shipinstruct", Type: expr.String},
	{ID: 15, Name: "l_shipmode", Type: expr.String}, {ID: 16, Name: "l_comment", Type: expr.String},
}

// benchDSN creates (once) the benchmark database and table and returns a DSN for it.
func benchDSN(b *testing.B) string {
	b.Helper()
	ctx := context.Background()
	dsn := testutil.PostgresDSN(b)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", benchDatabase).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+benchDatabase+" LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"); err != nil && !strings.Contains(err.Error(), "already exists") {
			b.Fatal(err)
		}
	}
	cfg.Database = benchDatabase
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	// Concurrent benchmark runs serialise here; exactly one creates the table.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(4242)")
	var version string
	_ = conn.QueryRow(ctx, "SELECT version FROM meshgate_bench_marker").Scan(&version)
	if version != benchVersion {
		b.Logf("creating %s.%s (%d rows); later runs reuse it", benchDatabase, benchTable, benchRows)
		for _, s := range []string{"DROP TABLE IF EXISTS lineitem", "DROP TABLE IF EXISTS meshgate_bench_marker", benchCreate,
			"VACUUM ANALYZE lineitem", "CREATE TABLE meshgate_bench_marker (version text)"} {
			if _, err := conn.Exec(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := conn.Exec(ctx, "INSERT INTO meshgate_bench_marker VALUES ($1)", benchVersion); err != nil {
			b.Fatal(err)
		}
	}
	return withDatabase(b, dsn, benchDatabase)
}

// withDatabase returns dsn (a URL) with its database replaced.
func withDatabase(b *testing.B, dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		b.Skip("the benchmark needs MESHGATE_TEST_PG as a postgres:// URL")
	}
	u.Path = "/" + db
	return u.String()
}

func arrow32(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// countingConn counts the bytes read from the server.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// benchSource opens the benchmark table through the connector, counting bytes received.
func benchSource(b *testing.B, dsn string) (*source, *atomic.Int64) {
	b.Helper()
	var received atomic.Int64
	dialer := &net.Dialer{}
	s, err := openSource(connectors.SourceConfig{Domain: "bench", Name: "pg",
		Options: map[string]string{"dsn": dsn, "max_connections": "8"}}, Options{}.withDefaults(), func(c *pgxpool.Config) {
		c.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, n: &received}, nil
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, &received
}

// scanSplits reads every split of h, parallel at most `parallel` at a time, and returns the
// row count.
func scanSplits(b *testing.B, h connectors.TableHandle, splits []connectors.Split, parallel int) int64 {
	var rows atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	mem := memory.NewGoAllocator()
	for _, sp := range splits {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := h.Scan(context.Background(), sp, connectors.ScanOptions{Alloc: mem})
			if err != nil {
				b.Error(err)
				return
			}
			defer r.Release()
			for r.Next() {
				rows.Add(r.RecordBatch().NumRows())
			}
			if err := r.Err(); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	return rows.Load()
}

// directScan is the baseline: pgx's Query with binary results scanned into Go values.
func directScan(b *testing.B, dsn string) int64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	names := make([]string, len(benchColumns))
	for i, c := range benchColumns {
		names[i] = c.Name
	}
	rows, err := conn.Query(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+benchTable, pgx.QueryResultFormats{pgx.BinaryFormatCode})
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var (
		ok, pk, sk                     int64
		ln                             int32
		qty, price, disc, tax          pgtype.Numeric
		flag, status, instr, mode, cmt string
		ship, commit, receipt          time.Time
		n                              int64
	)
	for rows.Next() {
		if err := rows.Scan(&ok, &pk, &sk, &ln, &qty, &price, &disc, &tax, &flag, &status, &ship, &commit, &receipt, &instr, &mode, &cmt); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// rawScan reads the result through pgconn without decoding anything: the protocol's ceiling.
func rawScan(b *testing.B, dsn string) int64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	names := make([]string, len(benchColumns))
	for i, c := range benchColumns {
		names[i] = c.Name
	}
	rr := conn.PgConn().ExecParams(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+benchTable, nil, nil, nil, []int16{1})
	var n int64
	for rr.NextRow() {
		n++
	}
	if _, err := rr.Close(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkScan compares, in one run, a full scan of 6M lineitem rows through the connector
// (one split, and all splits in parallel) with a direct pgx binary read into Go values, and
// reports bytes received for a selective filter + aggregate pushed down versus read unpushed.
//
//	MESHGATE_TEST_PG=... go test ./connectors/postgres -run '^$' -bench Scan -benchtime 1x
func BenchmarkScan(b *testing.B) {
	dsn := benchDSN(b)
	src, received := benchSource(b, dsn)
	defer src.Close()
	ctx := context.Background()
	th, err := src.OpenTable(ctx, connectors.Object{Table: benchTable}, benchColumns)
	if err != nil {
		b.Fatal(err)
	}
	splits, err := th.Splits(ctx)
	if err != nil {
		b.Fatal(err)
	}
	whole := []connectors.Split{wholeSplit}
	measure := func(f func() int64) float64 {
		start := time.Now()
		n := f()
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
		return float64(n) / time.Since(start).Seconds()
	}
	var raw, direct, one, parallel float64
	for i := 0; i < b.N; i++ {
		raw += measure(func() int64 { return rawScan(b, dsn) })
		direct += measure(func() int64 { return directScan(b, dsn) })
		one += measure(func() int64 { return scanSplits(b, th, whole, 1) })
		parallel += measure(func() int64 { return scanSplits(b, th, splits, len(splits)) })
	}
	n := float64(b.N)
	b.ReportMetric(direct/n, "direct-rows/s")
	b.ReportMetric(one/n, "connector-rows/s")
	b.ReportMetric(one/direct, "ratio-1split")
	b.ReportMetric(parallel/direct, "ratio-parallel")
	b.Logf("raw pgconn (no decoding) %.0f rows/s; direct pgx Scan %.0f rows/s; connector 1 split %.0f rows/s (%.2fx); %d splits %.0f rows/s (%.2fx)",
		raw/n, direct/n, one/n, one/direct, len(splits), parallel/n, parallel/direct)

	// A selective filter and an aggregate, pushed down versus computed in the gateway.
	ship := &expr.ColumnRef{ID: 11, Name: "l_shipdate", Type: expr.Date}
	cutoff := expr.DateLit(arrow32(1998, 8, 1))
	pred := &expr.Call{Func: expr.FnGtEq, Args: []expr.Expr{ship, cutoff}, Type: expr.Bool}
	filtered, _ := th.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{pred})
	agg := filtered.(connectors.AggregatePushdown).ApplyAggregate(
		[]expr.NamedExpr{{ID: 100, Name: "l_returnflag", Expr: &expr.ColumnRef{ID: 9, Name: "l_returnflag", Type: expr.String}}},
		[]expr.AggCall{{ID: 101, Func: "count", Type: expr.Int64},
			{ID: 102, Func: "sum", Args: []expr.Expr{&expr.ColumnRef{ID: 6, Name: "l_extendedprice", Type: expr.Decimal(15, 2)}}, Type: expr.Decimal(38, 2)},
			{ID: 103, Func: "avg", Args: []expr.Expr{&expr.ColumnRef{ID: 7, Name: "l_discount", Type: expr.Decimal(15, 2)}}, Type: expr.Decimal(38, 6)}})
	if agg == nil {
		b.Fatal("the aggregate was not pushed")
	}
	unpushed := th.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{6, 7, 9, 11})
	bytesOf := func(h connectors.TableHandle) (int64, time.Duration) {
		before := received.Load()
		start := time.Now()
		sp, _ := h.Splits(ctx)
		scanSplits(b, h, sp, len(sp))
		return received.Load() - before, time.Since(start)
	}
	filterOnly, _ := unpushed.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{pred})
	pushedBytes, pushedTime := bytesOf(agg)
	filterBytes, filterTime := bytesOf(filterOnly)
	fullBytes, fullTime := bytesOf(unpushed)
	b.ReportMetric(float64(pushedBytes), "pushed-agg-bytes")
	b.ReportMetric(float64(fullBytes), "unpushed-bytes")
	b.Logf("filter+aggregate pushed: %d bytes received in %s; filter only pushed: %d bytes in %s; nothing pushed (4 columns, all rows): %d bytes in %s",
		pushedBytes, pushedTime.Round(time.Millisecond), filterBytes, filterTime.Round(time.Millisecond), fullBytes, fullTime.Round(time.Millisecond))
}
