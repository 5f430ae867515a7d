package eval

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// Tests of planner/expr/values.go live here: that package's other files belong to the planner.

func TestMakeArrayAndValueAt(t *testing.T) {
	alloc := testutil.CheckedAllocator(t)
	cases := []struct {
		typ arrow.DataType
		v   any
	}{
		{expr.Bool, true}, {expr.Int8, int64(-8)}, {i16, int64(16)}, {i32, int64(32)}, {i64, int64(64)},
		{f32, 1.5}, {f64, 2.25}, {str, "héllo"}, {expr.Binary, []byte{0, 1}}, {expr.Decimal(10, 2), dec(t, "1.25", 10, 2)},
		{expr.Date, date(2024, 1, 2)}, {expr.Timestamp, ts(2024, 1, 2, 3, 4, 5, 6)}, {expr.TimestampTZ, ts(2024, 1, 2, 3, 4, 5, 6)},
		{expr.Interval, iv(1, 2, time.Second)}, {str, nil}, {expr.Null, nil},
	}
	for _, tc := range cases {
		t.Run(expr.SQLTypeName(tc.typ), func(t *testing.T) {
			for _, n := range []int{0, 1, 9} {
				a := expr.MakeArray(alloc, tc.typ, tc.v, n)
				require.Equal(t, n, a.Len())
				require.True(t, arrow.TypeEqual(tc.typ, a.DataType()))
				for i := 0; i < n; i++ {
					require.Equal(t, tc.v, expr.ValueAt(a, i))
				}
				// Round trip through a builder.
				b := array.NewBuilder(alloc, tc.typ)
				for i := 0; i < n; i++ {
					require.NoError(t, expr.AppendValue(b, expr.ValueAt(a, i)))
				}
				back := b.NewArray()
				b.Release()
				require.True(t, array.Equal(a, back))
				back.Release()
				a.Release()
			}
		})
	}
	require.Panics(t, func() { expr.MakeArray(alloc, i32, "x", 1) })
}

func TestAppendValueErrors(t *testing.T) {
	alloc := testutil.CheckedAllocator(t)
	b := array.NewBuilder(alloc, expr.Int8)
	defer b.Release()
	require.ErrorContains(t, expr.AppendValue(b, int64(300)), "out of range")
	require.ErrorContains(t, expr.AppendValue(b, "1"), "cannot be appended")
	d := array.NewBuilder(alloc, expr.Decimal(3, 0))
	defer d.Release()
	require.ErrorContains(t, expr.AppendValue(d, dec(t, "12345", 10, 0)), "does not fit")
}

func TestLiteralFromValue(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 600_000_400, time.FixedZone("x", 3600))
	cases := []struct {
		name string
		typ  arrow.DataType
		in   any
		want any
		err  string
	}{
		{"int to int32", i32, 7, int64(7), ""},
		{"uint8 to bigint", i64, uint8(7), int64(7), ""},
		{"int32 out of range", i32, int64(1) << 40, nil, "out of range"},
		{"integral float to int", i64, 3.0, int64(3), ""},
		{"fractional float to int", i64, 3.5, nil, "cannot be used"},
		{"float32 to double", f64, float32(1.5), 1.5, ""},
		{"int to real", f32, 3, 3.0, ""},
		{"double to real rounds", f32, 0.1, float64(float32(0.1)), ""},
		{"int to decimal", expr.Decimal(10, 2), 12, dec(t, "12", 10, 2), ""},
		{"big.Int to decimal", expr.Decimal(38, 0), new(big.Int).Lsh(big.NewInt(1), 100), dec(t, "1267650600228229401496703205376", 38, 0), ""},
		{"float to decimal", expr.Decimal(10, 2), 1.25, dec(t, "1.25", 10, 2), ""},
		{"decimal overflow", expr.Decimal(3, 2), 100, nil, "numeric field overflow"},
		{"string", str, "x", "x", ""},
		{"bytes to string", str, []byte("x"), "x", ""},
		{"invalid utf8", str, []byte{0xff}, nil, "invalid byte sequence"},
		{"string is not parsed", i32, "12", nil, "cannot be used"},
		{"time to date", expr.Date, when, date(2024, 1, 2), ""},
		{"time to timestamptz is the instant", expr.TimestampTZ, when, ts(2024, 1, 2, 2, 4, 5, 600000), ""},
		{"time to timestamp is the wall clock", expr.Timestamp, when, ts(2024, 1, 2, 3, 4, 5, 600000), ""},
		{"duration to interval", expr.Interval, 90 * time.Minute, iv(0, 0, 90*time.Minute), ""},
		{"nil is NULL", i32, nil, nil, ""},
		{"NaN to decimal", expr.Decimal(10, 2), math.NaN(), nil, "NaN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := expr.LiteralFromValue(tc.typ, tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, l.Value)
			require.NoError(t, expr.ValidateValue(tc.typ, l.Value))
		})
	}
}
