package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func (h *harness) exec(t *testing.T, sqls ...string) {
	t.Helper()
	db := h.admin(t)
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	for _, s := range sqls {
		_, err := conn.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

func col(id expr.ColumnID, name string, t arrow.DataType) connectors.Column {
	return connectors.Column{ID: id, Name: name, Type: t}
}

func open(t *testing.T, src connectors.Source, obj connectors.Object, cols ...connectors.Column) connectors.TableHandle {
	t.Helper()
	h, err := src.OpenTable(context.Background(), obj, cols)
	require.NoError(t, err)
	return h
}

func mustSplits(t *testing.T, h connectors.TableHandle) []connectors.Split {
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	return splits
}

func readRows(t *testing.T, h connectors.TableHandle, mem memory.Allocator) ([][]any, error) {
	t.Helper()
	var rows [][]any
	for _, s := range mustSplits(t, h) {
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
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// MySQL types beyond the suite's: their Arrow mapping and how they read.
func TestTypeMapping(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("types")
	h.exec(t, "CREATE TABLE "+name+` (b BOOL, ti TINYINT, tu TINYINT UNSIGNED, su SMALLINT UNSIGNED, mi MEDIUMINT, iu INT UNSIGNED,
		bu BIGINT UNSIGNED, b1 BIT(1), b8 BIT(8), y YEAR, e ENUM('sad','happy'), st SET('a','b'), j JSON, tm TIME,
		wide DECIMAL(65,30), c CHAR(5), vb VARBINARY(10), ts TIMESTAMP(6) NULL, dt DATETIME)`,
		`INSERT INTO `+name+` VALUES (TRUE, -128, 255, 65535, -8388608, 4294967295, 18446744073709551615, b'1', b'10000001', 2155,
		'happy', 'a,b', '{"k": [1, "é"]}', '12:34:56', 12.5, 'ab   ', x'00ff00', '2038-01-19 03:14:07.999999', '1000-01-01 00:00:00')`,
		"INSERT INTO "+name+" (b) VALUES (NULL)")
	t.Cleanup(func() { h.exec(t, "DROP TABLE "+name) })
	src := h.Source(t)
	obj := connectors.Object{Table: name}
	schema, warnings, err := src.Describe(context.Background(), obj)
	require.NoError(t, err)
	want := map[string]arrow.DataType{
		"b": expr.Bool, "ti": expr.Int8, "tu": expr.Int16, "su": expr.Int32, "mi": expr.Int32, "iu": expr.Int64,
		"bu": expr.Decimal(20, 0), "b1": expr.Bool, "b8": expr.Int64, "y": expr.Int16, "e": expr.String, "st": expr.String,
		"j": expr.String, "tm": expr.String, "wide": expr.Decimal(38, 30), "c": expr.String, "vb": expr.Binary,
		"ts": expr.TimestampTZ, "dt": expr.Timestamp,
	}
	var cols []connectors.Column
	for i, f := range schema.Fields() {
		require.Truef(t, arrow.TypeEqual(want[f.Name], f.Type), "%s: %s", f.Name, f.Type)
		cols = append(cols, col(expr.ColumnID(i+1), f.Name, f.Type))
	}
	require.Len(t, warnings, 2)
	require.Contains(t, warnings[0], "column tm")
	require.Contains(t, warnings[1], "column wide")
	cols = append(cols, col(100, "mi", expr.Int64), col(101, "dt", expr.TimestampTZ), col(102, "ti", expr.Decimal(5, 2)))
	rows, err := readRows(t, open(t, src, obj, cols...), mem)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	wide, _ := decimal128.FromString("12.5", 38, 30)
	require.Equal(t, []any{true, int64(-128), int64(255), int64(65535), int64(-8388608), int64(4294967295),
		decimal128.FromU64(18446744073709551615), true, int64(129), int64(2155), "happy", "a,b", `{"k": [1, "é"]}`, "12:34:56",
		wide, "ab", []byte{0, 0xff, 0}, arrow.Timestamp(time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC).UnixMicro()),
		arrow.Timestamp(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()),
		int64(-8388608), arrow.Timestamp(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()), decimal128.FromI64(-12800),
	}, rows[0])
	for _, v := range rows[1] {
		require.Nil(t, v)
	}
	// UNSIGNED columns compare but do no arithmetic (MySQL fails on negative results);
	// BOOL is usable as a condition only.
	hd := open(t, src, obj, col(1, "iu", expr.Int64), col(2, "b", expr.Bool))
	iu := &expr.ColumnRef{ID: 1, Name: "iu", Type: expr.Int64}
	b := &expr.ColumnRef{ID: 2, Name: "b", Type: expr.Bool}
	_, support := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		&expr.Call{Func: expr.FnGt, Args: []expr.Expr{iu, expr.Int64Lit(5)}, Type: expr.Bool},
		&expr.Call{Func: expr.FnGt, Args: []expr.Expr{&expr.Call{Func: expr.FnSub, Args: []expr.Expr{iu, expr.Int64Lit(5)}, Type: expr.Int64}, expr.Int64Lit(0)}, Type: expr.Bool},
		b,
		&expr.Call{Func: expr.FnEq, Args: []expr.Expr{b, expr.BoolLit(true)}, Type: expr.Bool},
	})
	require.Equal(t, []connectors.FilterSupport{connectors.Exact, connectors.Unsupported, connectors.Exact, connectors.Unsupported}, support)
}

// Zero dates and values outside the declared type fail naming the column.
func TestUnreadableValues(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	name := uniqueName("zero")
	h.exec(t, "SET SESSION sql_mode = ''", "CREATE TABLE "+name+" (d DATE, n DECIMAL(12,4))",
		"INSERT INTO "+name+" VALUES ('0000-00-00', 12345678.1234)")
	t.Cleanup(func() { h.exec(t, "DROP TABLE "+name) })
	src := h.Source(t)
	for _, c := range []connectors.Column{col(1, "d", expr.Date), col(1, "n", expr.Decimal(6, 2))} {
		_, err := readRows(t, open(t, src, connectors.Object{Table: name}, c), mem)
		require.ErrorIs(t, err, errs.InvalidArgument)
		require.Contains(t, err.Error(), "column "+c.Name)
		require.NotContains(t, err.Error(), "12345678")
	}
}

func TestQueryObject(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := h.Source(t)
	obj := connectors.Object{Query: "SELECT seq AS id, CONCAT('v', seq) AS label FROM seq_1_to_100 WHERE seq % 2 = 0;",
		Options: map[string]string{"split_column": "id", "splits": "3"}}
	hd := open(t, src, obj, col(1, "id", expr.Int64), col(2, "label", expr.String))
	label := &expr.ColumnRef{ID: 2, Name: "label", Type: expr.String}
	fh, support := hd.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		&expr.Call{Func: expr.FnEq, Args: []expr.Expr{label, expr.StringLit("v42")}, Type: expr.Bool}})
	require.Equal(t, []connectors.FilterSupport{connectors.Inexact}, support)
	require.Contains(t, fh.Explain(), "AS `q` WHERE")
	require.Len(t, mustSplits(t, fh), 3)
	rows, err := readRows(t, fh, mem)
	require.NoError(t, err)
	require.Equal(t, [][]any{{int64(42), "v42"}}, rows)
}

func TestUnreachableSourceAndBreaker(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := mysql.NewFactory(mysql.Options{BreakerFailures: 2, BreakerCooldown: time.Minute, Now: func() time.Time { return now }})
	src, err := f.Open(context.Background(), connectors.SourceConfig{Domain: "sales", Name: "shop_db", Type: "mysql",
		Options: map[string]string{"dsn": "topsecretuser:hunter2pw@tcp(127.0.0.1:1)/db", "connect_timeout": "2s"}})
	require.NoError(t, err)
	defer src.Close()
	check := func(err error) {
		t.Helper()
		require.ErrorIs(t, err, errs.Unavailable)
		require.Contains(t, err.Error(), "sales/shop_db")
		for _, secret := range []string{"hunter2pw", "topsecretuser"} {
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
	now = now.Add(2 * time.Minute)
	require.Contains(t, src.Ping(context.Background()).Error(), "connection refused")
	require.Contains(t, src.Ping(context.Background()).Error(), "failing fast")

	dsn := strings.Replace(testutil.MySQLDSN(t), "meshgate:meshgate@", "meshgate:wrong-pw-42@", 1)
	err = openSource(t, map[string]string{"dsn": dsn}).Ping(context.Background())
	require.ErrorIs(t, err, errs.Unavailable)
	require.Contains(t, err.Error(), "credentials")
	require.NotContains(t, err.Error(), "wrong-pw-42")
}

// Cancelling a scan of a huge result stops it and gives the connection back.
func TestCancelBigScan(t *testing.T) {
	h := newHarness(t)
	mem := testutil.CheckedAllocator(t)
	src := openSource(t, map[string]string{"dsn": h.dsn, "max_connections": "1"})
	stats := src.(interface{ PoolStats() (int, int, int) })
	hd := open(t, src, connectors.Object{Query: "SELECT seq AS id, REPEAT('x', 200) AS pad FROM seq_1_to_50000000"},
		col(1, "id", expr.Int64), col(2, "pad", expr.String))
	ctx, cancel := context.WithCancel(context.Background())
	r, err := hd.Scan(ctx, mustSplits(t, hd)[0], connectors.ScanOptions{Alloc: mem, BatchRows: 10000})
	require.NoError(t, err)
	require.True(t, r.Next())
	require.True(t, r.Next())
	cancel()
	for r.Next() {
	}
	require.True(t, errors.Is(r.Err(), context.Canceled), "%v", r.Err())
	r.Release()
	_, acquired, _ := stats.PoolStats()
	require.Zero(t, acquired)
	rows, err := readRows(t, open(t, src, connectors.Object{Query: "SELECT 1 AS one"}, col(1, "one", expr.Int64)), mem)
	require.NoError(t, err)
	require.Equal(t, [][]any{{int64(1)}}, rows)
}
