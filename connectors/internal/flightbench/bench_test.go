package flightbench

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/connectors/internal/meshtest"
	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/connectors/postgres"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// The benchmark tables are the connectors' own (same databases, tables and version
// markers as connectors/postgres and connectors/mysql BenchmarkScan, so one creates them for
// the other): 6M lineitem rows in PostgreSQL, 1M in MariaDB; the Parquet file is the
// PostgreSQL table exported once into the temp directory.
const (
	benchDatabase = "meshgate_bench"
	pgRows        = 6_000_000
	pgVersion     = "lineitem-synthetic-v1"
	myRows        = 1_000_000
	myVersion     = "lineitem-synthetic-v2"
	parquetName   = "meshgate_bench_lineitem_6m_v1.parquet"
	splits        = 4
)

const pgCreate = `CREATE TABLE lineitem AS
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

const myCreate = `CREATE TABLE lineitem ENGINE=InnoDB AS
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

// lineitem is the contract's view of the table.
var lineitem = pushdowntest.Table{Name: "lineitem", Columns: []pushdowntest.Column{
	{Name: "l_orderkey", SQLType: "bigint", Type: expr.Int64}, {Name: "l_partkey", SQLType: "bigint", Type: expr.Int64},
	{Name: "l_suppkey", SQLType: "bigint", Type: expr.Int64}, {Name: "l_linenumber", SQLType: "integer", Type: expr.Int32},
	{Name: "l_quantity", SQLType: "decimal(15,2)", Type: expr.Decimal(15, 2)}, {Name: "l_extendedprice", SQLType: "decimal(15,2)", Type: expr.Decimal(15, 2)},
	{Name: "l_discount", SQLType: "decimal(15,2)", Type: expr.Decimal(15, 2)}, {Name: "l_tax", SQLType: "decimal(15,2)", Type: expr.Decimal(15, 2)},
	{Name: "l_returnflag", SQLType: "text", Type: expr.String}, {Name: "l_linestatus", SQLType: "text", Type: expr.String},
	{Name: "l_shipdate", SQLType: "date", Type: expr.Date}, {Name: "l_commitdate", SQLType: "date", Type: expr.Date},
	{Name: "l_receiptdate", SQLType: "date", Type: expr.Date}, {Name: "l_shipinstruct", SQLType: "text", Type: expr.String},
	{Name: "l_shipmode", SQLType: "text", Type: expr.String}, {Name: "l_comment", SQLType: "text", Type: expr.String},
}}

func columnNames() string {
	names := make([]string, len(lineitem.Columns))
	for i, c := range lineitem.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// pgDSN creates (once) the PostgreSQL table and returns a DSN for its database.
func pgDSN(b *testing.B) string {
	ctx := context.Background()
	dsn := testutil.PostgresDSN(b)
	admin, err := pgx.Connect(ctx, dsn)
	must(b, err)
	defer admin.Close(ctx)
	var exists bool
	must(b, admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", benchDatabase).Scan(&exists))
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+benchDatabase+" LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"); err != nil && !strings.Contains(err.Error(), "already exists") {
			b.Fatal(err)
		}
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		b.Skip("the benchmark needs MESHGATE_TEST_PG as a postgres:// URL")
	}
	u.Path = "/" + benchDatabase
	conn, err := pgx.Connect(ctx, u.String())
	must(b, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT pg_advisory_lock(4242)")
	must(b, err)
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(4242)")
	var version string
	_ = conn.QueryRow(ctx, "SELECT version FROM meshgate_bench_marker").Scan(&version)
	if version != pgVersion {
		b.Logf("creating %s.lineitem in PostgreSQL (%d rows); later runs reuse it", benchDatabase, pgRows)
		for _, s := range []string{"DROP TABLE IF EXISTS lineitem", "DROP TABLE IF EXISTS meshgate_bench_marker", pgCreate,
			"VACUUM ANALYZE lineitem", "CREATE TABLE meshgate_bench_marker (version text)", "INSERT INTO meshgate_bench_marker VALUES ('" + pgVersion + "')"} {
			_, err := conn.Exec(ctx, s)
			must(b, err)
		}
	}
	return u.String()
}

// myDSN creates (once) the MariaDB table and returns a DSN for its database.
func myDSN(b *testing.B) string {
	cfg, err := gomysql.ParseDSN(testutil.MySQLDSN(b))
	must(b, err)
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	must(b, err)
	defer admin.Close()
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	must(b, err)
	defer conn.Close()
	for _, s := range []string{"CREATE DATABASE IF NOT EXISTS " + benchDatabase, "USE " + benchDatabase, "SELECT GET_LOCK('meshgate_bench', 600)"} {
		_, err := conn.ExecContext(ctx, s)
		must(b, err)
	}
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK('meshgate_bench')")
	var version string
	_ = conn.QueryRowContext(ctx, "SELECT version FROM meshgate_bench_marker").Scan(&version)
	if version != myVersion {
		b.Logf("creating %s.lineitem in MariaDB (%d rows); later runs reuse it", benchDatabase, myRows)
		for _, s := range []string{"DROP TABLE IF EXISTS lineitem", "DROP TABLE IF EXISTS meshgate_bench_marker", myCreate,
			"ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)",
			"ANALYZE TABLE lineitem", "CREATE TABLE meshgate_bench_marker (version TEXT)",
			"INSERT INTO meshgate_bench_marker VALUES ('" + myVersion + "')"} {
			_, err := conn.ExecContext(ctx, s)
			must(b, err)
		}
	}
	cfg.DBName = benchDatabase
	return cfg.FormatDSN()
}

// parquetFile exports (once) the PostgreSQL table as Parquet in row groups of 1M rows.
func parquetFile(b *testing.B, pg string) string {
	path := filepath.Join(os.TempDir(), parquetName)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("exporting the PostgreSQL table to %s; later runs reuse it", path)
	ctx := context.Background()
	src, err := postgres.NewFactory(postgres.Options{}).Open(ctx, connectors.SourceConfig{Domain: "bench", Name: "pg", Type: "postgres", Options: map[string]string{"dsn": pg}})
	must(b, err)
	defer src.Close()
	cols := make([]connectors.Column, len(lineitem.Columns))
	fields := make([]arrow.Field, len(cols))
	for i, c := range lineitem.Columns {
		cols[i] = connectors.Column{ID: expr.ColumnID(i + 1), Name: c.Name, Type: c.Type}
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	h, err := src.OpenTable(ctx, connectors.Object{Table: "lineitem", Options: map[string]string{"splits": "1"}}, cols)
	must(b, err)
	sp, err := h.Splits(ctx)
	must(b, err)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	must(b, err)
	w, err := pqarrow.NewFileWriter(arrow.NewSchema(fields, nil), f,
		parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1<<20), parquet.WithCompression(compress.Codecs.Snappy), parquet.WithStats(true)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	must(b, err)
	r, err := h.Scan(ctx, sp[0], connectors.ScanOptions{Alloc: memory.NewGoAllocator()})
	must(b, err)
	for r.Next() {
		must(b, w.WriteBuffered(r.RecordBatch()))
	}
	must(b, r.Err())
	r.Release()
	must(b, w.Close())
	must(b, os.Rename(tmp, path))
	return path
}

// sources limits the benchmark to some sources (profiling one of them).
var sources = flag.String("sources", "", "comma-separated sources to benchmark: postgresql,mariadb,parquet (default all)")

func selected(source string) bool {
	if *sources == "" {
		return true
	}
	for _, s := range strings.Split(*sources, ",") {
		if strings.EqualFold(strings.TrimSpace(s), source) {
			return true
		}
	}
	return false
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// ---- baselines: the source read directly in this process ----

// pgDirect reads the table with pgx's binary protocol into Go values.
func pgDirect(b *testing.B, dsn string) int64 {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	must(b, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT "+columnNames()+" FROM lineitem", pgx.QueryResultFormats{pgx.BinaryFormatCode})
	must(b, err)
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
		must(b, rows.Scan(&ok, &pk, &sk, &ln, &qty, &price, &disc, &tax, &flag, &status, &ship, &commit, &receipt, &instr, &mode, &cmt))
		n++
	}
	must(b, rows.Err())
	return n
}

// myDirect reads the table with database/sql (binary protocol, prepared statement).
func myDirect(b *testing.B, dsn string) int64 {
	db, err := sql.Open("mysql", dsn)
	must(b, err)
	defer db.Close()
	stmt, err := db.Prepare("SELECT " + columnNames() + " FROM lineitem")
	must(b, err)
	defer stmt.Close()
	rows, err := stmt.Query()
	must(b, err)
	defer rows.Close()
	var ok, pk, sk, ln int64
	raw := make([]sql.RawBytes, 12)
	dest := []any{&ok, &pk, &sk, &ln}
	for i := range raw {
		dest = append(dest, &raw[i])
	}
	var n int64
	for rows.Next() {
		must(b, rows.Scan(dest...))
		n++
	}
	must(b, rows.Err())
	return n
}

// parquetDirect reads the file with pqarrow, columns decoded in parallel.
func parquetDirect(b *testing.B, path string) int64 {
	pf, err := file.OpenParquetFile(path, false)
	must(b, err)
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024, Parallel: true}, memory.NewGoAllocator())
	must(b, err)
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	must(b, err)
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	must(b, rr.Err())
	return n
}

// ---- through meshgate: a Flight SQL client reading a node in this process ----

// flightRead runs query on the node with a Flight SQL client and reads every endpoint (in
// parallel when there are several), returning the row count.
func flightRead(b *testing.B, client *flightsql.Client, ctx context.Context, query string) int64 {
	info, err := client.Execute(ctx, query)
	must(b, err)
	var rows atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(info.Endpoint))
	for _, ep := range info.Endpoint {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := client.DoGet(ctx, ep.Ticket)
			if err != nil {
				errs <- err
				return
			}
			defer r.Release()
			for r.Next() {
				rows.Add(r.RecordBatch().NumRows())
			}
			if err := r.Err(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return rows.Load()
}

// BenchmarkFlightScan compares, in one run, a full scan of lineitem read by a Flight SQL
// client through a meshgate node (planner, executor and Flight front door in this process)
// with the same table read directly in this process: pgx binary for PostgreSQL (6M rows),
// database/sql for MariaDB (1M rows), pqarrow for Parquet (6M rows). Each source is read
// with one split and with 4 parallel splits. Measurements alternate and each side's best of
// -count rounds (default 2) is kept, as the machine is shared; ratios are through-meshgate
// rows/s over direct rows/s (higher is better).
//
//	MESHGATE_TEST_PG=... MESHGATE_TEST_MYSQL=... go test ./connectors/internal/flightbench -run '^$' -bench FlightScan -benchtime 1x
func BenchmarkFlightScan(b *testing.B) {
	pg, my := pgDSN(b), myDSN(b)
	pq := parquetFile(b, pg)

	reg := connectors.Registry{
		"postgres": postgres.NewFactory(postgres.Options{}),
		"mysql":    mysql.NewFactory(mysql.Options{}),
		"files":    files.NewFactory(files.Options{}),
		// One split per file: consecutive row groups are grouped without limit.
		"files_whole": files.NewFactory(files.Options{TargetSplitRows: 1 << 40}),
	}
	m := meshtest.New(b, meshtest.Options{Connectors: reg, Partitions: splits})
	m.AddSource(b, "bench", "pg", "postgres", map[string]string{"dsn": pg, "max_connections": "8"})
	m.AddSource(b, "bench", "my", "mysql", map[string]string{"dsn": my, "max_connections": "8"})
	m.AddSource(b, "bench", "pq", "files", map[string]string{files.OptionRoot: filepath.Dir(pq)})
	m.AddSource(b, "bench", "pq1", "files_whole", map[string]string{files.OptionRoot: filepath.Dir(pq)})
	ds := func(name, object string, opts map[string]string, format string) pushdowntest.Dataset {
		t := lineitem
		t.Name = name
		return pushdowntest.Dataset{Table: t, Object: object, Options: opts, Format: format}
	}
	m.AddContract(b, pushdowntest.Contract(b, "bench", "pg", "pg",
		ds("pg_1", "lineitem", map[string]string{"splits": "1"}, ""), ds("pg_n", "lineitem", map[string]string{"splits": fmt.Sprint(splits)}, "")))
	m.AddContract(b, pushdowntest.Contract(b, "bench", "my", "my",
		ds("my_1", "lineitem", map[string]string{"split_column": "l_orderkey", "splits": "1"}, ""),
		ds("my_n", "lineitem", map[string]string{"split_column": "l_orderkey", "splits": fmt.Sprint(splits)}, "")))
	m.AddContract(b, pushdowntest.Contract(b, "bench", "pq", "pq", ds("pq_n", parquetName, nil, files.FormatParquet)))
	m.AddContract(b, pushdowntest.Contract(b, "bench", "pq1", "pq1", ds("pq_1", parquetName, nil, files.FormatParquet)))
	addr := m.ServeFlight(b, meshtest.FlightOptions{})

	client, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	must(b, err)
	defer client.Close()
	ctx, err := client.Client.AuthenticateBasicToken(context.Background(), meshtest.FlightUser, meshtest.FlightPassword)
	must(b, err)

	type side struct {
		name string
		rows int64
		read func() int64
		best time.Duration
	}
	via := func(dataset string) func() int64 {
		return func() int64 { return flightRead(b, client, ctx, "SELECT "+columnNames()+" FROM bench."+dataset) }
	}
	groups := []struct {
		source string
		direct *side
		one    *side
		par    *side
	}{
		{"PostgreSQL", &side{name: "pgx binary", rows: pgRows, read: func() int64 { return pgDirect(b, pg) }},
			&side{name: "meshgate 1 split", rows: pgRows, read: via("pg_1")}, &side{name: "meshgate 4 splits", rows: pgRows, read: via("pg_n")}},
		{"MariaDB", &side{name: "database/sql", rows: myRows, read: func() int64 { return myDirect(b, my) }},
			&side{name: "meshgate 1 split", rows: myRows, read: via("my_1")}, &side{name: "meshgate 4 splits", rows: myRows, read: via("my_n")}},
		{"Parquet", &side{name: "pqarrow", rows: pgRows, read: func() int64 { return parquetDirect(b, pq) }},
			&side{name: "meshgate 1 split", rows: pgRows, read: via("pq_1")}, &side{name: "meshgate 6 splits", rows: pgRows, read: via("pq_n")}},
	}
	rounds := 2
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			for _, g := range groups {
				if !selected(g.source) {
					continue
				}
				for _, s := range []*side{g.direct, g.one, g.par} {
					start := time.Now()
					n := s.read()
					d := time.Since(start)
					if n != s.rows {
						b.Fatalf("%s %s read %d rows, want %d", g.source, s.name, n, s.rows)
					}
					if s.best == 0 || d < s.best {
						s.best = d
					}
				}
			}
		}
	}
	for _, g := range groups {
		if !selected(g.source) {
			continue
		}
		rate := func(s *side) float64 { return float64(s.rows) / s.best.Seconds() }
		d, one, par := rate(g.direct), rate(g.one), rate(g.par)
		b.Logf("%-10s %d rows: direct %s %.0f rows/s; %s %.0f rows/s (%.2fx); %s %.0f rows/s (%.2fx)",
			g.source, g.direct.rows, g.direct.name, d, g.one.name, one, one/d, g.par.name, par, par/d)
		key := strings.ToLower(g.source[:2])
		b.ReportMetric(one/d, key+"-ratio-1split")
		b.ReportMetric(par/d, key+"-ratio-parallel")
	}
}
