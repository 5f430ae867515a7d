package mysql_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// The benchmark table: 1 million lineitem-shaped rows in database meshgate_bench, created
// once from MariaDB's sequence engine and reused while benchVersion matches the marker.
const (
	benchDatabase = "meshgate_bench"
	benchRows     = 1_000_000
	benchVersion  = "lineitem-synthetic-v2"
)

const benchCreate = `CREATE TABLE lineitem ENGINE=InnoDB AS
SELECT CAST(seq DIV 4 + 1 AS SIGNED) AS l_orderkey,
       CAST(seq * 7 % 200000 + 1 AS SIGNED) AS l_partkey,
       CAST(seq * 13 % 10000 + 1 AS SIGNED) AS l_suppkey,
       CAST(seq % 7 + 1 AS INT) AS l_linenumber,
       CAST(seq % 50 + 1 AS DECIMAL(15,2)) AS l_quantity,
       CAST((seq % 100000) * 1.37 + 900 AS DECIMAL(15,2)) AS l_extendedprice,
       CAST((seq % 11) / 100 AS DECIMAL(15,2)) AS l_discount,
       CAST((seq % 9) / 100 AS DECIMAL(15,2)) AS l_tax,
       CAST(ELT(seq % 3 + 1, 'A', 'N', 'R') AS CHAR(1)) AS l_returnflag,
       CAST(ELT(seq % 2 + 1, 'F', 'O') AS CHAR(1)) AS l_linestatus,
       DATE '1992-01-02' + INTERVAL (seq % 2526) DAY AS l_shipdate,
       DATE '1992-01-31' + INTERVAL (seq % 2466) DAY AS l_commitdate,
       DATE '1992-01-03' + INTERVAL (seq % 2555) DAY AS l_receiptdate,
       CAST(ELT(seq % 4 + 1, 'DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN') AS CHAR(25)) AS l_shipinstruct,
       CAST(ELT(seq % 7 + 1, 'REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB') AS CHAR(10)) AS l_shipmode,
       CAST(SUBSTR(MD5(seq), 1, 10 + seq % 33) AS CHAR(44)) AS l_comment
FROM seq_0_to_999999`

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

func benchDSN(b *testing.B) string {
	b.Helper()
	cfg, err := gomysql.ParseDSN(testutil.MySQLDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{"CREATE DATABASE IF NOT EXISTS " + benchDatabase, "USE " + benchDatabase, "SELECT GET_LOCK('meshgate_bench', 600)"} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK('meshgate_bench')")
	var version string
	_ = conn.QueryRowContext(ctx, "SELECT version FROM meshgate_bench_marker").Scan(&version)
	if version != benchVersion {
		b.Logf("creating %s.lineitem (%d rows); later runs reuse it", benchDatabase, benchRows)
		for _, s := range []string{"DROP TABLE IF EXISTS lineitem", "DROP TABLE IF EXISTS meshgate_bench_marker", benchCreate,
			// Key-range splits want the key clustered, as TPC-H's primary key does.
			"ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)",
			"ANALYZE TABLE lineitem", "CREATE TABLE meshgate_bench_marker (version TEXT)",
			"INSERT INTO meshgate_bench_marker VALUES ('" + benchVersion + "')"} {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg.DBName = benchDatabase
	return cfg.FormatDSN()
}

// directScan is the baseline: a prepared statement (binary protocol) through database/sql,
// scanning integers into int64 and everything else into sql.RawBytes (no copies).
func directScan(b *testing.B, dsn string) int64 {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	names := make([]string, len(benchColumns))
	for i, c := range benchColumns {
		names[i] = c.Name
	}
	stmt, err := db.Prepare("SELECT " + strings.Join(names, ", ") + " FROM lineitem")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	rows, err := stmt.Query()
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var ok, pk, sk, ln int64
	raw := make([]sql.RawBytes, 12)
	dest := []any{&ok, &pk, &sk, &ln}
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

func scanAll(b *testing.B, h connectors.TableHandle, splits []connectors.Split) int64 {
	var rows atomic.Int64
	var wg sync.WaitGroup
	mem := memory.NewGoAllocator()
	for _, sp := range splits {
		wg.Add(1)
		go func() {
			defer wg.Done()
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

// BenchmarkScan compares, in one run, a full scan through the connector (one split, and four
// key-range splits in parallel) with a direct database/sql read.
//
//	MESHGATE_TEST_MYSQL=... go test ./connectors/mysql -run '^$' -bench Scan -benchtime 1x
func BenchmarkScan(b *testing.B) {
	dsn := benchDSN(b)
	ctx := context.Background()
	src, err := mysql.NewFactory(mysql.Options{}).Open(ctx, connectors.SourceConfig{Domain: "bench", Name: "my",
		Options: map[string]string{"dsn": dsn}})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	open := func(options map[string]string) (connectors.TableHandle, []connectors.Split) {
		h, err := src.OpenTable(ctx, connectors.Object{Table: "lineitem", Options: options}, benchColumns)
		if err != nil {
			b.Fatal(err)
		}
		splits, err := h.Splits(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return h, splits
	}
	one, oneSplits := open(nil)
	par, parSplits := open(map[string]string{"split_column": "l_orderkey", "splits": "4"})
	measure := func(f func() int64) float64 {
		start := time.Now()
		if n := f(); n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
		return benchRows / time.Since(start).Seconds()
	}
	var direct, single, parallel float64
	for i := 0; i < b.N; i++ {
		direct += measure(func() int64 { return directScan(b, dsn) })
		single += measure(func() int64 { return scanAll(b, one, oneSplits) })
		parallel += measure(func() int64 { return scanAll(b, par, parSplits) })
	}
	n := float64(b.N)
	b.ReportMetric(direct/n, "direct-rows/s")
	b.ReportMetric(single/n, "connector-rows/s")
	b.ReportMetric(single/direct, "ratio-1split")
	b.ReportMetric(parallel/direct, "ratio-parallel")
	b.Logf("direct database/sql %.0f rows/s; connector 1 split %.0f rows/s (%.2fx); %d splits %.0f rows/s (%.2fx)",
		direct/n, single/n, single/direct, len(parSplits), parallel/n, parallel/direct)
}
