package snowflake

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// ---- dialect SQL ----

var (
	price  = expr.Decimal(15, 2)
	orders = []sqlgen.Column{
		{ID: 1, Name: "O_ORDERKEY", Type: expr.Int64, Caps: sqlgen.CapAll},
		{ID: 2, Name: "O_CUSTKEY", Type: expr.Int64, Caps: sqlgen.CapAll},
		{ID: 3, Name: "O_TOTALPRICE", Type: price, Caps: sqlgen.CapAll},
		{ID: 4, Name: "O_ORDERDATE", Type: expr.Date, Caps: sqlgen.CapAll},
		{ID: 5, Name: "O_COMMENT", Type: expr.String, Caps: sqlgen.CapAll},
		{ID: 6, Name: "O_NOTE", Type: expr.String, Caps: sqlgen.CapNone}, // collated text
		{ID: 7, Name: "O_TS", Type: expr.TimestampTZ, Caps: sqlgen.CapAll},
	}
	lines = []sqlgen.Column{
		{ID: 11, Name: "L_ORDERKEY", Type: expr.Int64, Caps: sqlgen.CapAll},
		{ID: 12, Name: "L_QTY", Type: expr.Int64, Caps: sqlgen.CapAll},
	}
)

func ref(cols []sqlgen.Column, id expr.ColumnID) *expr.ColumnRef {
	for _, c := range cols {
		if c.ID == id {
			return &expr.ColumnRef{ID: c.ID, Name: c.Name, Type: c.Type}
		}
	}
	panic(id)
}

func call(fn string, t arrow.DataType, args ...expr.Expr) *expr.Call {
	return &expr.Call{Func: fn, Args: args, Type: t}
}

var testSource = &source{name: "sales/sf", dialect: Dialect()}

func testHandle(t *testing.T, table string, cols []sqlgen.Column) *handle {
	src := testSource
	parts, err := tableName(table)
	require.NoError(t, err)
	q, err := sqlgen.Table(src.dialect, src.quotedName(parts), cols)
	require.NoError(t, err)
	return &handle{src: src, q: q, scales: map[expr.ColumnID]int32{}}
}

// TestDialectGolden renders every pushdown kind in the Snowflake dialect and compares the
// SQL and its bound values with testdata/dialect.golden.
func TestDialectGolden(t *testing.T) {
	o := testHandle(t, "sales.public.orders", orders)
	var out strings.Builder
	show := func(name string, h connectors.TableHandle, support ...connectors.FilterSupport) {
		require.NotNil(t, h, name)
		sql, args, err := h.(*handle).q.Render(sqlgen.RenderOptions{})
		require.NoError(t, err)
		fmt.Fprintf(&out, "-- %s\n%s\n", name, sql)
		for i, a := range args {
			v, err := bindValue(a)
			require.NoError(t, err)
			fmt.Fprintf(&out, "  ?%d = %#v (%s)\n", i+1, v, a.Type)
		}
		if len(support) > 0 {
			fmt.Fprintf(&out, "  support %v\n", support)
		}
		out.WriteString("\n")
	}
	show("scan", o)
	show("projection", o.ApplyProjection([]expr.ColumnID{5, 1}))
	fh, support := o.ApplyFilter([]expr.Expr{
		call(expr.FnGt, expr.Bool, ref(orders, 3), expr.Lit(price, decimal128.FromI64(1234567))),
		call(expr.FnEq, expr.Bool, ref(orders, 5), expr.StringLit("it's \"quoted\"; --")),
		call(expr.FnEq, expr.Bool, ref(orders, 6), expr.StringLit("collated")),
		call(expr.FnLtEq, expr.Bool, ref(orders, 4), expr.Lit(expr.Date, arrow.Date32(9000))),
		call(expr.FnGtEq, expr.Bool, ref(orders, 7), expr.Lit(expr.TimestampTZ, arrow.Timestamp(1_700_000_000_123_456))),
		call(expr.FnLike, expr.Bool, ref(orders, 5), expr.StringLit("%ca_e%")),
		call(expr.FnEq, expr.Bool, call(expr.FnAdd, expr.Int64, ref(orders, 1), expr.Int64Lit(1)), expr.Int64Lit(10)),
	})
	require.Equal(t, []connectors.FilterSupport{connectors.Exact, connectors.Exact, connectors.Unsupported, connectors.Exact, connectors.Exact, connectors.Exact, connectors.Exact}, support)
	show("filter", fh, support...)
	show("limit", o.ApplyLimit(10))
	show("top-N", o.ApplyTopN([]expr.SortKey{{Expr: ref(orders, 3), Desc: true}, {Expr: ref(orders, 1)}}, 5))
	ah := o.ApplyAggregate([]expr.NamedExpr{{ID: 20, Name: "o_custkey", Expr: ref(orders, 2)}}, []expr.AggCall{
		{ID: 21, Func: "count", Type: expr.Int64},
		{ID: 22, Func: "sum", Args: []expr.Expr{ref(orders, 3)}, Type: expr.Decimal(38, 2)},
		{ID: 23, Func: "avg", Args: []expr.Expr{ref(orders, 3)}, Type: expr.Decimal(38, 6)},
		{ID: 24, Func: "min", Args: []expr.Expr{ref(orders, 5)}, Type: expr.String},
		{ID: 25, Func: "count", Args: []expr.Expr{ref(orders, 1)}, Distinct: true, Type: expr.Int64,
			Filter: call(expr.FnGt, expr.Bool, ref(orders, 1), expr.Int64Lit(5))},
	})
	show("aggregate", ah)
	l := testHandle(t, "SALES.PUBLIC.LINEITEM", lines)
	show("join", o.ApplyJoin(l, expr.InnerJoin, call(expr.FnEq, expr.Bool, ref(orders, 1), ref(lines, 11))))
	show("quoted table", testHandle(t, `"Mixed Case"."we""ird; --"`, lines))
	// A collated text column is never ordered or grouped by Snowflake.
	require.Nil(t, o.ApplyTopN([]expr.SortKey{{Expr: ref(orders, 6)}}, 3))
	require.Nil(t, o.ApplyAggregate([]expr.NamedExpr{{ID: 30, Name: "n", Expr: ref(orders, 6)}}, []expr.AggCall{{ID: 31, Func: "count", Type: expr.Int64}}))

	path := filepath.Join("testdata", "dialect.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(out.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create %s", path)
	require.Equal(t, string(want), out.String())
	require.NotContains(t, out.String(), "DROP", "hostile values stay in bound arguments")
}

// ---- type mapping and batch conversion ----

func TestTypeMapping(t *testing.T) {
	for _, c := range []struct {
		col   column
		want  arrow.DataType
		known bool
	}{
		{column{dataType: "NUMBER", precision: 38, scale: 0}, expr.Decimal(38, 0), true},
		{column{dataType: "NUMBER", precision: 18, scale: 0}, expr.Int64, true},
		{column{dataType: "NUMBER", precision: 15, scale: 2}, expr.Decimal(15, 2), true},
		{column{dataType: "FLOAT"}, expr.Float64, true},
		{column{dataType: "TEXT"}, expr.String, true},
		{column{dataType: "BINARY"}, expr.Binary, true},
		{column{dataType: "BOOLEAN"}, expr.Bool, true},
		{column{dataType: "DATE"}, expr.Date, true},
		{column{dataType: "TIMESTAMP_NTZ"}, expr.Timestamp, true},
		{column{dataType: "TIMESTAMP_LTZ"}, expr.TimestampTZ, true},
		{column{dataType: "TIMESTAMP_TZ"}, expr.TimestampTZ, true},
		{column{dataType: "VARIANT"}, expr.String, false},
		{column{dataType: "TIME"}, expr.String, false},
		{column{dataType: "GEOGRAPHY"}, expr.String, false},
	} {
		got, known := c.col.arrowType()
		require.Equal(t, c.known, known, c.col.dataType)
		require.True(t, arrow.TypeEqual(c.want, got), "%s → %s", c.col.dataType, got)
	}
	n380 := column{dataType: "NUMBER", precision: 38, scale: 0}
	require.True(t, n380.fits(expr.Int64), "integers declared on NUMBER(38,0) are range-checked when read")
	require.True(t, n380.fits(expr.Int32))
	require.Equal(t, sqlgen.CapCompare|sqlgen.CapOrder, n380.caps(expr.Int64))
	n152 := column{dataType: "NUMBER", precision: 15, scale: 2}
	require.True(t, n152.fits(expr.Decimal(38, 4)))
	require.False(t, n152.fits(expr.Decimal(15, 1)), "fewer decimal places would round")
	require.False(t, n152.fits(expr.Int64))
	require.Equal(t, sqlgen.CapNone, column{dataType: "TEXT", collation: "en-ci"}.caps(expr.String))
	require.Equal(t, sqlgen.CapAll, column{dataType: "TEXT"}.caps(expr.String))
	require.False(t, column{dataType: "VARIANT"}.fits(expr.Int64))
}

func TestConvertColumn(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	ctx := context.Background()
	scaled := func(s string) arrow.Field {
		return arrow.Field{Name: "x", Metadata: arrow.NewMetadata([]string{"logicalType", "scale"}, []string{"FIXED", s})}
	}
	check := func(got arrow.Array, err error, want arrow.DataType, values ...string) {
		t.Helper()
		require.NoError(t, err)
		defer got.Release()
		require.True(t, arrow.TypeEqual(want, got.DataType()), "got %s", got.DataType())
		var out []string
		for i := 0; i < got.Len(); i++ {
			out = append(out, got.ValueStr(i))
		}
		require.Equal(t, values, out)
	}
	// NUMBER(15,2) arriving as scaled int32 (the batch's values fit 32 bits).
	b32 := array.NewInt32Builder(mem)
	b32.AppendValues([]int32{12345, -5}, nil)
	b32.AppendNull()
	i32 := b32.NewArray()
	b32.Release()
	defer i32.Release()
	got, err := convertColumn(ctx, mem, scaled("2"), i32, price, 2)
	check(got, err, price, "123.45", "-0.05", "(null)")
	// ... declared with more decimal places: rescaled exactly.
	got, err = convertColumn(ctx, mem, scaled("2"), i32, expr.Decimal(38, 4), 2)
	check(got, err, expr.Decimal(38, 4), "123.45", "-0.05", "(null)")
	require.NoError(t, err)
	// ... declared with fewer: refused, naming the column.
	_, err = convertColumn(ctx, mem, scaled("2"), i32, expr.Decimal(15, 1), 2)
	require.ErrorContains(t, err, "without rounding")
	// NUMBER(38,0) arriving as int8, declared bigint.
	b8 := array.NewInt8Builder(mem)
	b8.AppendValues([]int8{7, -8}, nil)
	i8 := b8.NewArray()
	b8.Release()
	defer i8.Release()
	got, err = convertColumn(ctx, mem, scaled("0"), i8, expr.Int64, 0)
	check(got, err, expr.Int64, "7", "-8")
	// A decimal128 NUMBER(38,0) value beyond int64 fails when read as bigint.
	bd := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 0})
	bd.Append(decimal128.FromBigInt(new(bigInt).Lsh(bigOne(), 70)))
	dec := bd.NewArray()
	bd.Release()
	defer dec.Release()
	_, err = convertColumn(ctx, mem, scaled("0"), dec, expr.Int64, 0)
	require.Error(t, err)
	// TIMESTAMP_LTZ arrives labelled with the session's zone: the same instants, as UTC.
	bts := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "America/New_York"})
	bts.Append(arrow.Timestamp(1_700_000_000_123_456))
	ts := bts.NewArray()
	bts.Release()
	defer ts.Release()
	got, err = convertColumn(ctx, mem, arrow.Field{Name: "ts"}, ts, expr.TimestampTZ, 0)
	require.NoError(t, err)
	require.Equal(t, arrow.Timestamp(1_700_000_000_123_456), got.(*array.Timestamp).Value(0))
	require.True(t, arrow.TypeEqual(expr.TimestampTZ, got.DataType()))
	got.Release()
	// TIME (unmapped) is read as text.
	bt := array.NewTime64Builder(mem, arrow.FixedWidthTypes.Time64ns.(*arrow.Time64Type))
	bt.Append(arrow.Time64(3_723_000_000_000))
	tm := bt.NewArray()
	bt.Release()
	defer tm.Release()
	got, err = convertColumn(ctx, mem, arrow.Field{Name: "t"}, tm, expr.String, 0)
	check(got, err, expr.String, "01:02:03.000000000")
	// A type change since registration is named.
	_, err = convertColumn(ctx, mem, arrow.Field{Name: "flag"}, tm, expr.Bool, 0)
	require.ErrorContains(t, err, "column flag arrived as time64[ns]")
}

// ---- options ----

func resolver(t *testing.T) func(string) (string, error) {
	return func(v string) (string, error) {
		if p, ok := strings.CutPrefix(v, "file:"); ok {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", errs.New(errs.KindFailedPrecondition, "secret reference file:%s cannot be read on this node", p)
			}
			return string(b), nil
		}
		if name, ok := strings.CutPrefix(v, "env:"); ok {
			val, ok := os.LookupEnv(name)
			if !ok {
				return "", errs.New(errs.KindFailedPrecondition, "secret reference env:%s: the environment variable is not set on this node", name)
			}
			return val, nil
		}
		return v, nil
	}
}

func parse(t *testing.T, opts map[string]string) (*settings, error) {
	return parseOptions(connectors.SourceConfig{Domain: "sales", Name: "sf", Type: "snowflake", Options: opts, Secrets: resolver(t)})
}

func TestOptions(t *testing.T) {
	t.Setenv("MESHGATE_SF_TEST_PASSWORD", "s3cret-Pa55")
	st, err := parse(t, map[string]string{
		OptionAccount: "xy12345.eu-west-1", OptionUser: "MESH", OptionPassword: "env:MESHGATE_SF_TEST_PASSWORD",
		OptionWarehouse: "WH", OptionDatabase: "SALES", OptionSchema: "PUBLIC", OptionRole: "ANALYST", OptionConnectTimeout: "30s",
		OptionMaxConnections: "6",
	})
	require.NoError(t, err)
	require.Equal(t, "xy12345.eu-west-1", st.cfg.Account)
	require.Equal(t, "s3cret-Pa55", st.cfg.Password)
	require.Equal(t, []string{"WH", "SALES", "PUBLIC", "ANALYST"}, []string{st.cfg.Warehouse, st.cfg.Database, st.cfg.Schema, st.cfg.Role})
	require.Equal(t, 6, st.maxConns)
	require.Equal(t, "30s", st.cfg.LoginTimeout.String())

	// Key-pair authentication from a key file.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "rsa_key.p8")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	st, err = parse(t, map[string]string{OptionAccount: "xy12345", OptionUser: "MESH", OptionPrivateKey: "file:" + path})
	require.NoError(t, err)
	require.Equal(t, sf.AuthTypeJwt, st.cfg.Authenticator)
	require.True(t, key.Equal(st.cfg.PrivateKey))

	// A DSN, with an option overriding its warehouse.
	st, err = parse(t, map[string]string{OptionDSN: "MESH:pw@xy12345/SALES/PUBLIC?warehouse=WH1", OptionWarehouse: "WH2"})
	require.NoError(t, err)
	require.Equal(t, "WH2", st.cfg.Warehouse)
	require.Equal(t, "SALES", st.cfg.Database)

	bad := []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{OptionUser: "u", OptionPassword: "p"}, "set option account"},
		{map[string]string{OptionAccount: "a", OptionUser: "u"}, "password or private_key"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPassword: "p", OptionPrivateKey: "file:" + path}, "not both"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPrivateKey: "not a key s3cret-Pa55"}, "not a PEM private key"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPrivateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"}, "not supported yet: encrypted private keys"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPassword: "env:MESHGATE_SF_TEST_UNSET"}, "option password cannot be resolved"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPassword: "p", OptionConnectTimeout: "soon"}, "option connect_timeout"},
		{map[string]string{OptionAccount: "a", OptionUser: "u", OptionPassword: "p", OptionMaxConnections: "0"}, "option max_connections"},
		{map[string]string{OptionDSN: "::not a dsn s3cret-Pa55"}, "option dsn is not a valid Snowflake DSN"},
	}
	for _, b := range bad {
		_, err := parse(t, b.opts)
		require.ErrorContains(t, err, b.want)
		require.NotContains(t, err.Error(), "s3cret-Pa55", "an option's value leaked into an error")
	}
}

func TestBindValue(t *testing.T) {
	for _, c := range []struct {
		arg  sqlgen.Arg
		want any
	}{
		{sqlgen.Arg{Type: price, Value: decimal128.FromI64(-1205)}, "-12.05"},
		{sqlgen.Arg{Type: expr.Date, Value: arrow.Date32(0)}, "1970-01-01"},
		{sqlgen.Arg{Type: expr.Timestamp, Value: arrow.Timestamp(1_500_000)}, "1970-01-01 00:00:01.5"},
		{sqlgen.Arg{Type: expr.TimestampTZ, Value: arrow.Timestamp(0)}, "1970-01-01 00:00:00 +00:00"},
		{sqlgen.Arg{Type: expr.Binary, Value: []byte{0, 0xab}}, "00AB"},
		{sqlgen.Arg{Type: expr.String, Value: "x'; --"}, "x'; --"},
		{sqlgen.Arg{Type: expr.Int64, Value: nil}, nil},
	} {
		got, err := bindValue(c.arg)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
}

type bigInt = big.Int

func bigOne() *big.Int { return big.NewInt(1) }
