package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/postgres"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// exec runs setup SQL on an admin connection.
func (h *harness) exec(t *testing.T, sqls ...string) {
	t.Helper()
	conn := h.admin(t)
	for _, s := range sqls {
		_, err := conn.Exec(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func readRows(t *testing.T, h connectors.TableHandle, mem memory.Allocator) [][]any {
	t.Helper()
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	var rows [][]any
	for _, s := range splits {
		r, err := h.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem})
		require.NoError(t, err)
		for r.Next() {
			rec := r.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				row := make([]any, rec.NumCols())
				for j := range row {
					row[j] = expr.ValueAt(rec.Column(j), i)
				}
				rows = append(rows, row)
			}
		}
		err = r.Err()
		r.Release()
		require.NoError(t, err)
	}
	return rows
}

func scanErr(t *testing.T, h connectors.TableHandle, mem memory.Allocator) error {
	t.Helper()
	r, err := h.Scan(context.Background(), mustSplits(t, h)[0], connectors.ScanOptions{Alloc: mem})
	require.NoError(t, err)
	defer r.Release()
	for r.Next() {
	}
	return r.Err()
}

func mustSplits(t *testing.T, h connectors.TableHandle) []connectors.Split {
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	return splits
}

func open(t *testing.T, src connectors.Source, obj connectors.Object, cols ...connectors.Column) connectors.TableHandle {
	t.Helper()
	h, err := src.OpenTable(context.Background(), obj, cols)
	require.NoError(t, err)
	return h
}

func col(id expr.ColumnID, name string, t arrow.DataType) connectors.Column {
	return connectors.Column{ID: id, Name: name, Type: t}
}

// PostgreSQL types beyond the suite's: their Arrow mapping, how they read, and which have
// none (read as text, with a warning).
func TestTypeMapping(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("types")
	mood, dom := name+"_mood", name+"_dom"
	h.exec(t,
		"CREATE TYPE "+mood+" AS ENUM ('sad', 'happy')",
		"CREATE DOMAIN "+dom+" AS integer CHECK (VALUE > 0)",
		`CREATE TABLE `+name+` (u uuid, j json, jb jsonb, e `+mood+`, arr int[], iv interval, n numeric,
			c char(3), nm name, d `+dom+`, pt point, tm time, qc "char", ts timestamp, dt date, i2 smallint, big numeric(50,2))`,
		`INSERT INTO `+name+` VALUES ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"b": 1,  "a": [true]}', '{"b": 1, "a": [true]}',
			'happy', '{1,2,NULL}', '1 year 2 mons 3 days 04:05:06.789', 123.456, 'ab', 'nm', 7, '(1,2)', '12:34:56', 'x',
			'2024-02-29 01:02:03.456789', '1969-07-20', -3, 12.5)`,
		"INSERT INTO "+name+" (u) VALUES (NULL)",
	)
	t.Cleanup(func() {
		h.exec(t, "DROP TABLE "+name, "DROP TYPE "+mood, "DROP DOMAIN "+dom)
	})
	src := h.Source(t)
	obj := connectors.Object{Table: name}
	schema, warnings, err := src.Describe(context.Background(), obj)
	require.NoError(t, err)
	want := map[string]arrow.DataType{
		"u": expr.String, "j": expr.String, "jb": expr.String, "e": expr.String, "arr": expr.String,
		"iv": expr.Interval, "n": expr.Decimal(38, 9), "c": expr.String, "nm": expr.String, "d": expr.Int32,
		"pt": expr.String, "tm": expr.String, "qc": expr.String, "ts": expr.Timestamp, "dt": expr.Date,
		"i2": expr.Int16, "big": expr.Decimal(38, 2),
	}
	for _, f := range schema.Fields() {
		require.Truef(t, arrow.TypeEqual(want[f.Name], f.Type), "%s: %s", f.Name, f.Type)
	}
	require.Len(t, warnings, 3)
	require.Contains(t, warnings[0], "column pt")
	require.Contains(t, warnings[1], "column tm")
	require.Contains(t, warnings[2], "column big")

	var cols []connectors.Column
	for i, f := range schema.Fields() {
		cols = append(cols, col(expr.ColumnID(i+1), f.Name, f.Type))
	}
	// Declared types wider than the source's read through lossless conversions.
	cols = append(cols, col(100, "i2", expr.Int64), col(101, "dt", expr.Timestamp), col(102, "ts", expr.TimestampTZ),
		col(103, "n", expr.Decimal(20, 5)), col(104, "i2", expr.Decimal(10, 2)), col(105, "i2", expr.Float64))
	rows := readRows(t, open(t, src, obj, cols...), mem)
	require.Len(t, rows, 2)
	got := map[string]any{}
	for i, c := range cols {
		got[fmt.Sprintf("%s/%d", c.Name, c.ID)] = rows[0][i]
	}
	tsv := arrow.Timestamp(time.Date(2024, 2, 29, 1, 2, 3, 456789000, time.UTC).UnixMicro())
	require.Equal(t, map[string]any{
		"u/1": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j/2": `{"b": 1,  "a": [true]}`, "jb/3": `{"a": [true], "b": 1}`,
		"e/4": "happy", "arr/5": "{1,2,NULL}",
		"iv/6": arrow.MonthDayNanoInterval{Months: 14, Days: 3, Nanoseconds: (4*3600+5*60+6)*1e9 + 789e6},
		"n/7":  decimal128.FromI64(123456000000), "c/8": "ab", "nm/9": "nm", "d/10": int64(7), "pt/11": "(1,2)",
		"tm/12": "12:34:56", "qc/13": "x", "ts/14": tsv, "dt/15": arrow.Date32(-165), "i2/16": int64(-3),
		"big/17": decimal128.FromI64(1250),
		"i2/100": int64(-3), "dt/101": arrow.Timestamp(-165 * 86400 * 1_000_000), "ts/102": tsv,
		"n/103": decimal128.FromI64(12345600), "i2/104": decimal128.FromI64(-300), "i2/105": -3.0,
	}, got)
	for _, v := range rows[1] {
		require.Nil(t, v)
	}

	// Conversions that lose information are refused when the table is opened.
	for _, c := range []connectors.Column{col(1, "u", expr.Int64), col(1, "ts", expr.Date), col(1, "iv", expr.Int64)} {
		_, err := src.OpenTable(context.Background(), obj, []connectors.Column{c})
		require.ErrorIs(t, err, errs.InvalidArgument)
		require.Contains(t, err.Error(), "column "+c.Name)
	}
}

// Values that cannot be read as the declared type fail naming the column, never quoting the
// value.
func TestUnreadableValues(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := h.Source(t)
	for _, tc := range []struct {
		query, col string
		typ        arrow.DataType
		reason     string
	}{
		{"SELECT 'NaN'::numeric AS v", "v", expr.Decimal(10, 2), "NaN"},
		{"SELECT 'Infinity'::numeric AS v", "v", expr.Decimal(10, 2), "infinity"},
		{"SELECT 1.001::numeric AS v", "v", expr.Decimal(10, 2), "fractional digits"},
		{"SELECT 123456789.5::numeric AS v", "v", expr.Decimal(10, 2), "digits before the decimal point"},
		{"SELECT 'infinity'::date AS v", "v", expr.Date, "infinite dates"},
		{"SELECT '-infinity'::timestamp AS v", "v", expr.Timestamp, "infinite timestamps"},
		{"SELECT 70000::int4 AS v", "v", expr.Int16, "out of range"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			hd, err := src.OpenTable(context.Background(), connectors.Object{Query: tc.query}, []connectors.Column{col(1, tc.col, tc.typ)})
			if err != nil {
				// Narrowing integer reads are refused up front only when the types cannot
				// convert at all; int4 as smallint converts with a range check.
				t.Fatalf("open: %v", err)
			}
			err = scanErr(t, hd, mem)
			require.ErrorIs(t, err, errs.InvalidArgument)
			require.Contains(t, err.Error(), "column v")
			require.Contains(t, err.Error(), tc.reason)
			require.NotContains(t, err.Error(), "123456789")
		})
	}
	// Numeric values of every magnitude decode exactly at the declared scale.
	values := []string{"0", "1", "-1", "0.0001", "-0.0001", "9999.9999", "10000", "12345678901234567890.1234",
		"-99999999999999999999999999999999.9999", "0.1", "100000000", "1e20", "-1e-4", "5000.5"}
	var sel []string
	for _, v := range values {
		sel = append(sel, "("+v+"::numeric)")
	}
	hd := open(t, src, connectors.Object{Query: "SELECT v FROM (VALUES " + strings.Join(sel, ", ") + ") AS x(v)"}, col(1, "v", expr.Decimal(38, 4)))
	rows := readRows(t, hd, mem)
	require.Len(t, rows, len(values))
	for i, v := range values {
		want, err := decimal128.FromString(v, 38, 4)
		require.NoError(t, err, v)
		require.Equal(t, want, rows[i][0], v)
	}
}

// Datasets bound to a SQL query: described from the statement, pushed down around it. Their
// text columns' collation is unknown, so text equality is Inexact.
func TestQueryObject(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := h.Source(t)
	obj := connectors.Object{Query: "SELECT g AS id, 'v' || g AS label FROM generate_series(1, 100) g WHERE g % 2 = 0;"}
	schema, _, err := src.Describe(context.Background(), obj)
	require.NoError(t, err)
	require.Equal(t, []string{"id", "label"}, []string{schema.Field(0).Name, schema.Field(1).Name})
	hd := open(t, src, obj, col(1, "id", expr.Int32), col(2, "label", expr.String))
	label := &expr.ColumnRef{ID: 2, Name: "label", Type: expr.String}
	id := &expr.ColumnRef{ID: 1, Name: "id", Type: expr.Int32}
	fh, support := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		&expr.Call{Func: expr.FnEq, Args: []expr.Expr{label, expr.StringLit("v42")}, Type: expr.Bool},
		&expr.Call{Func: expr.FnGt, Args: []expr.Expr{id, expr.Int32Lit(10)}, Type: expr.Bool},
	})
	require.Equal(t, []connectors.FilterSupport{connectors.Inexact, connectors.Exact}, support)
	require.Contains(t, fh.Explain(), `FROM (SELECT g AS id, 'v' || g AS label FROM generate_series(1, 100) g WHERE g % 2 = 0) AS "q" WHERE`)
	require.Equal(t, [][]any{{int64(42), "v42"}}, readRows(t, fh, mem))

	// A declared split column cuts a query into key ranges.
	obj.Options = map[string]string{"split_column": "id", "splits": "5"}
	hd = open(t, src, obj, col(1, "id", expr.Int32))
	require.Len(t, mustSplits(t, hd), 5)
	require.Len(t, readRows(t, hd, mem), 50)
}

// Text under a nondeterministic (case-insensitive) collation: equality finds a superset,
// ordering is still exact through COLLATE "C", LIKE is not pushed.
func TestNondeterministicCollation(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("coll")
	h.exec(t, "CREATE COLLATION IF NOT EXISTS meshgate_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
		"CREATE TABLE "+name+" (s text COLLATE meshgate_test_ci, p char(3))",
		"INSERT INTO "+name+" VALUES ('abc', 'a'), ('ABC', 'a  '), ('abd', 'b'), (NULL, NULL)")
	t.Cleanup(func() { h.exec(t, "DROP TABLE "+name) })
	src := h.Source(t)
	hd := open(t, src, connectors.Object{Table: name}, col(1, "s", expr.String), col(2, "p", expr.String))
	s := &expr.ColumnRef{ID: 1, Name: "s", Type: expr.String}
	p := &expr.ColumnRef{ID: 2, Name: "p", Type: expr.String}
	eq := func(a expr.Expr, v string) expr.Expr {
		return &expr.Call{Func: expr.FnEq, Args: []expr.Expr{a, expr.StringLit(v)}, Type: expr.Bool}
	}
	fh, support := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		eq(s, "abc"),
		&expr.Call{Func: expr.FnLt, Args: []expr.Expr{s, expr.StringLit("abd")}, Type: expr.Bool},
		&expr.Call{Func: expr.FnLike, Args: []expr.Expr{s, expr.StringLit("a%")}, Type: expr.Bool},
		eq(p, "a"),
	})
	require.Equal(t, []connectors.FilterSupport{connectors.Inexact, connectors.Exact, connectors.Unsupported, connectors.Exact}, support)
	// The source returns both spellings; the gateway keeps 'abc'.
	require.ElementsMatch(t, [][]any{{"abc", "a"}, {"ABC", "a"}}, readRows(t, fh, mem))

	// char(n) groups exactly (PostgreSQL groups without trailing blanks, as the gateway reads).
	ah := hd.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{2}).(connectors.AggregatePushdown).ApplyAggregate(
		[]expr.NamedExpr{{ID: 10, Name: "p", Expr: p}}, []expr.AggCall{{ID: 11, Func: "count", Type: expr.Int64}})
	require.NotNil(t, ah)
	require.ElementsMatch(t, [][]any{{"a", int64(2)}, {"b", int64(1)}, {nil, int64(1)}}, readRows(t, ah, mem))
	require.Nil(t, hd.(connectors.AggregatePushdown).ApplyAggregate([]expr.NamedExpr{{ID: 10, Name: "s", Expr: s}}, []expr.AggCall{{ID: 11, Func: "count", Type: expr.Int64}}))
}

// Statement parameters ($n) in pushed expressions take their values at scan time.
func TestParams(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := h.Source(t)
	hd := open(t, src, connectors.Object{Query: "SELECT g AS id FROM generate_series(1, 10) g"}, col(1, "id", expr.Int32))
	fh, _ := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{&expr.Call{Func: expr.FnLtEq,
		Args: []expr.Expr{&expr.ColumnRef{ID: 1, Name: "id", Type: expr.Int32}, &expr.Param{Index: 1, Type: expr.Int32}}, Type: expr.Bool}})
	require.NotNil(t, fh)
	r, err := fh.Scan(context.Background(), mustSplits(t, fh)[0], connectors.ScanOptions{Alloc: mem, Params: []any{3}})
	require.NoError(t, err)
	defer r.Release()
	require.True(t, r.Next())
	require.EqualValues(t, 3, r.RecordBatch().NumRows())
}

// An unreachable server fails within the connect timeout with an Unavailable error naming
// the source, never the credentials; after BreakerFailures attempts the source fails fast
// until the cool-down has passed, then one probe is let through.
func TestUnreachableSourceAndBreaker(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := postgres.NewFactory(postgres.Options{BreakerFailures: 2, BreakerCooldown: time.Minute, Now: func() time.Time { return now }})
	src, err := f.Open(context.Background(), connectors.SourceConfig{Domain: "sales", Name: "orders_db", Type: "postgres",
		Options: map[string]string{"dsn": "postgres://topsecretuser:hunter2pw@127.0.0.1:1/db?sslmode=disable", "connect_timeout": "2s"}})
	require.NoError(t, err)
	defer src.Close()
	check := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, errs.Unavailable)
		require.Contains(t, err.Error(), "sales/orders_db")
		for _, secret := range []string{"hunter2pw", "topsecretuser", "postgres://"} {
			require.NotContains(t, err.Error(), secret)
		}
	}
	for i := 0; i < 2; i++ {
		err := src.Ping(context.Background())
		check(err)
		require.Contains(t, err.Error(), "connection refused")
	}
	err = src.Ping(context.Background())
	check(err)
	require.Contains(t, err.Error(), "failing fast")
	_, _, err = src.Describe(context.Background(), connectors.Object{Table: "t"})
	require.Contains(t, err.Error(), "failing fast")

	now = now.Add(2 * time.Minute) // half-open: one probe reaches the network again
	err = src.Ping(context.Background())
	check(err)
	require.Contains(t, err.Error(), "connection refused")
	require.Contains(t, src.Ping(context.Background()).Error(), "failing fast")

	// Wrong credentials against the real server: named, not quoted.
	dsn := strings.Replace(testutil.PostgresDSN(t), "meshgate:meshgate@", "meshgate:wrong-pw-42@", 1)
	bad := openSource(t, map[string]string{"dsn": dsn})
	err = bad.Ping(context.Background())
	require.ErrorIs(t, err, errs.Unavailable)
	require.Contains(t, err.Error(), "credentials")
	require.NotContains(t, err.Error(), "wrong-pw-42")

	// Option errors name the option, never its value.
	_, err = f.Open(context.Background(), connectors.SourceConfig{Domain: "d", Name: "s", Options: map[string]string{"dsn": "postgres://u:pw-in-dsn@host:notaport/db"}})
	require.ErrorIs(t, err, errs.InvalidArgument)
	require.NotContains(t, err.Error(), "pw-in-dsn")
}

// Cancelling a scan of a huge result mid-stream stops the statement on the server and gives
// the connection back to the pool idle, ready for the next query.
func TestCancelBigScan(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := openSource(t, map[string]string{"dsn": h.dsn, "max_connections": "1"})
	stats := src.(interface{ PoolStats() (int, int, int) })
	hd := open(t, src, connectors.Object{Query: "SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 50000000) g"},
		col(1, "id", expr.Int32), col(2, "pad", expr.String))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := hd.Scan(ctx, mustSplits(t, hd)[0], connectors.ScanOptions{Alloc: mem, BatchRows: 10000})
	require.NoError(t, err)
	require.True(t, r.Next())
	require.True(t, r.Next())
	cancel()
	require.False(t, r.Next())
	require.True(t, errors.Is(r.Err(), context.Canceled), "%v", r.Err())
	r.Release()
	total, acquired, idle := stats.PoolStats()
	require.Equal(t, []int{1, 0, 1}, []int{total, acquired, idle}, "the connection is back, idle, not replaced")
	// The server is not running the statement any more.
	var active int
	require.NoError(t, h.admin(t).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'meshgate' AND state = 'active' AND query LIKE '%generate_series(1, 50000000)%'").Scan(&active))
	require.Zero(t, active)
	// The same connection serves the next scan.
	hd2 := open(t, src, connectors.Object{Query: "SELECT 1 AS one"}, col(1, "one", expr.Int32))
	require.Equal(t, [][]any{{int64(1)}}, readRows(t, hd2, mem))
}

// Tables larger than Options.SplitBytes are split by ctid page ranges without any option;
// the splits partition the table.
func TestDefaultCtidSplits(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("ctid")
	h.exec(t, "CREATE TABLE "+name+" AS SELECT g AS id, md5(g::text) AS s FROM generate_series(1, 60000) g", "ANALYZE "+name)
	t.Cleanup(func() { h.exec(t, "DROP TABLE "+name) })
	src, err := postgres.NewFactory(postgres.Options{SplitBytes: 512 << 10, MaxSplits: 6}).Open(context.Background(),
		connectors.SourceConfig{Domain: "test", Name: "pg", Options: map[string]string{"dsn": h.dsn}})
	require.NoError(t, err)
	defer src.Close()
	hd := open(t, src, connectors.Object{Table: name}, col(1, "id", expr.Int32))
	require.Contains(t, hd.Explain(), "up to 6 splits by ctid page ranges")
	require.InDelta(t, 60000, hd.Stats().Rows, 1)
	splits := mustSplits(t, hd)
	require.Len(t, splits, 6)
	require.Contains(t, splits[2].String(), "ctid pages [")
	seen := make(map[int64]int)
	for _, s := range splits {
		r, err := hd.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem})
		require.NoError(t, err)
		n := 0
		for r.Next() {
			ids := r.RecordBatch().Column(0).(*array.Int32)
			for i := 0; i < ids.Len(); i++ {
				seen[int64(ids.Value(i))]++
			}
			n += ids.Len()
		}
		require.NoError(t, r.Err())
		r.Release()
		require.Positive(t, n, s.String())
	}
	require.Len(t, seen, 60000)
	for id, n := range seen {
		require.Equal(t, 1, n, "id %d", id)
	}
}

// max_connections bounds the connections a source opens: with both held by readers in the
// middle of their results, a third reader waits for one of them and then reuses it.
func TestConcurrencyLimit(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := openSource(t, map[string]string{"dsn": h.dsn, "max_connections": "2"})
	stats := src.(interface{ PoolStats() (int, int, int) })
	hd := open(t, src, connectors.Object{Query: "SELECT g AS id FROM generate_series(1, 100000) g"}, col(1, "id", expr.Int32))
	startReader := func(ctx context.Context) array.RecordReader {
		r, err := hd.Scan(ctx, mustSplits(t, hd)[0], connectors.ScanOptions{Alloc: mem, BatchRows: 1000})
		require.NoError(t, err)
		return r
	}
	first, second := startReader(context.Background()), startReader(context.Background())
	require.True(t, first.Next())
	require.True(t, second.Next())
	total, acquired, _ := stats.PoolStats()
	require.Equal(t, []int{2, 2}, []int{total, acquired})

	third := startReader(context.Background())
	done := make(chan int64)
	go func() {
		var rows int64
		for third.Next() {
			rows += third.RecordBatch().NumRows()
		}
		done <- rows
	}()
	select {
	case <-done:
		t.Fatal("a third reader ran while both connections were held")
	default:
	}
	first.Release() // abandoned mid-result: its connection is closed, a new one is dialled
	require.EqualValues(t, 100000, <-done)
	require.NoError(t, third.Err())
	third.Release()
	second.Release()
	total, acquired, _ = stats.PoolStats()
	require.LessOrEqual(t, total, 2)
	require.Zero(t, acquired)
}

// char(n) columns read without their trailing blanks, as PostgreSQL's bpchar-to-text cast
// does; PostgreSQL compares them ignoring trailing blanks. Equality with a value bound as
// bpchar is pushed, Exact unless the value ends in a blank (TPC-H's r_name = 'EUROPE' on a
// char(25)), Inexact otherwise; the gateway's answer never changes.
func TestCharEquality(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("bpchar")
	h.exec(t, "CREATE TABLE "+name+" (id int, flag char(1), mode char(4))",
		"CREATE INDEX ON "+name+" (mode)",
		"INSERT INTO "+name+" VALUES (1, 'R', 'AIR'), (2, 'A', 'SHIP'), (3, NULL, 'é日'), (4, 'R', NULL)")
	t.Cleanup(func() { h.exec(t, "DROP TABLE "+name) })
	src := h.Source(t)
	hd := open(t, src, connectors.Object{Table: name}, col(1, "id", expr.Int32), col(2, "flag", expr.String), col(3, "mode", expr.String))
	flag := &expr.ColumnRef{ID: 2, Name: "flag", Type: expr.String}
	mode := &expr.ColumnRef{ID: 3, Name: "mode", Type: expr.String}
	cmp := func(fn string, a expr.Expr, v string) expr.Expr {
		return &expr.Call{Func: fn, Args: []expr.Expr{a, expr.StringLit(v)}, Type: expr.Bool}
	}
	// value reads column i of a row as the gateway sees it (trailing blanks trimmed).
	value := func(r []any, i int) (string, bool) { v, ok := r[i].(string); return v, ok }
	for _, tc := range []struct {
		name    string
		pred    expr.Expr
		support connectors.FilterSupport
		// source are the ids PostgreSQL returns (a superset when Inexact); keep is the
		// gateway's own evaluation of the predicate.
		source []int64
		keep   func(r []any) bool
	}{
		{"one-character flag", cmp(expr.FnEq, flag, "R"), connectors.Exact, []int64{1, 4},
			func(r []any) bool { v, ok := value(r, 1); return ok && v == "R" }},
		{"shorter literal", cmp(expr.FnEq, mode, "AIR"), connectors.Exact, []int64{1},
			func(r []any) bool { v, ok := value(r, 2); return ok && v == "AIR" }},
		{"multibyte", cmp(expr.FnEq, mode, "é日"), connectors.Exact, []int64{3},
			func(r []any) bool { v, ok := value(r, 2); return ok && v == "é日" }},
		{"literal ending in a blank", cmp(expr.FnEq, mode, "AIR "), connectors.Inexact, []int64{1}, nil},
		{"not equal", cmp(expr.FnNotEq, flag, "R"), connectors.Exact, []int64{2},
			func(r []any) bool { v, ok := value(r, 1); return ok && v != "R" }},
		{"not equal shorter", cmp(expr.FnNotEq, mode, "AIR"), connectors.Exact, []int64{2, 3},
			func(r []any) bool { v, ok := value(r, 2); return ok && v != "AIR" }},
		{"not equal ending in a blank", cmp(expr.FnNotEq, mode, "AIR "), connectors.Unsupported, nil, nil},
		{"IN", &expr.InList{Arg: mode, List: []expr.Expr{expr.StringLit("SHIP"), expr.StringLit("AIR")}}, connectors.Exact, []int64{1, 2},
			func(r []any) bool { v, ok := value(r, 2); return ok && (v == "SHIP" || v == "AIR") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fh, support := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{tc.pred})
			require.Equal(t, []connectors.FilterSupport{tc.support}, support)
			if tc.support == connectors.Unsupported {
				require.Nil(t, fh)
				return
			}
			require.Contains(t, fh.Explain(), "::bpchar")
			rows := readRows(t, fh, mem)
			var got []int64
			for _, r := range rows {
				got = append(got, r[0].(int64))
				if tc.support == connectors.Exact {
					require.True(t, tc.keep(r), "an exact filter returned row %v", r)
				}
			}
			require.ElementsMatch(t, tc.source, got)
		})
	}
}
