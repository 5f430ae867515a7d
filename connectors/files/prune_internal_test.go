package files

import (
	"math"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/planner/expr"
)

func TestCompareValues(t *testing.T) {
	big1 := new(big.Int).Lsh(big.NewInt(1), 70)
	for _, tc := range []struct {
		name string
		a, b value
		want int
		ok   bool
	}{
		{"ints", numValue(3, 0), numValue(5, 0), -1, true},
		{"scales differ", numValue(150, 2), numValue(15, 1), 0, true},            // 1.50 = 1.5
		{"scales differ, unequal", numValue(-101, 2), numValue(-1, 0), -1, true}, // -1.01 < -1
		{"big vs small", bigNumValue(big1, 0), numValue(math.MaxInt64, 0), 1, true},
		{"floats", value{kind: kindFloat, f: -0.0}, value{kind: kindFloat, f: 0}, 0, true},
		{"NaN is unordered", value{kind: kindFloat, f: math.NaN()}, value{kind: kindFloat, f: 0}, 0, false},
		{"bytes", value{kind: kindBytes, b: []byte("é")}, value{kind: kindBytes, b: []byte("z")}, 1, true},
		{"bools", value{kind: kindBool}, value{kind: kindBool, t: true}, -1, true},
		{"kinds differ", numValue(1, 0), value{kind: kindFloat, f: 1}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := compareValues(tc.a, tc.b)
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

func TestBigEndianDecimals(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{0x00, 0x7b}, "123"},
		{[]byte{0xff, 0x85}, "-123"},
		{[]byte{0x80}, "-128"},
		{[]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff}, "255"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, "-2"},
	} {
		v, ok := bigEndianValue(tc.in, 0)
		require.True(t, ok)
		require.Equal(t, tc.want, v.bigUnscaled().String())
	}
	_, ok := bigEndianValue(nil, 0)
	require.False(t, ok)
}

func TestConvertTimestamp(t *testing.T) {
	for _, tc := range []struct {
		v        int64
		from, to arrow.TimeUnit
		want     int64
		ok       bool
	}{
		{1_999, arrow.Nanosecond, arrow.Microsecond, 1, true},
		{-1, arrow.Nanosecond, arrow.Microsecond, -1, true}, // rounds down, not toward zero
		{-1_000, arrow.Nanosecond, arrow.Microsecond, -1, true},
		{3, arrow.Millisecond, arrow.Microsecond, 3_000, true},
		{-3, arrow.Second, arrow.Microsecond, -3_000_000, true},
		{math.MaxInt64 / 10, arrow.Second, arrow.Microsecond, 0, false},
		{math.MinInt64, arrow.Millisecond, arrow.Microsecond, 0, false},
	} {
		got, ok := convertTimestamp(tc.v, tc.from, tc.to)
		require.Equal(t, tc.ok, ok, "%d %s->%s", tc.v, tc.from, tc.to)
		if ok {
			require.Equal(t, tc.want, got)
		}
	}
}

func TestLikePrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern  string
		escape   rune
		prefix   string
		wildcard bool
		ok       bool
	}{
		{"abc%", '\\', "abc", true, true},
		{"ab_c", '\\', "ab", true, true},
		{"abc", '\\', "abc", false, true},
		{`a\%b%`, '\\', "a%b", true, true},
		{`a!_b`, '!', "a_b", false, true},
		{`a\%`, -1, `a\`, true, true},
		{`abc\`, '\\', "", false, false},
		{"%abc", '\\', "", true, true},
	} {
		prefix, wildcard, ok := likePrefix(tc.pattern, tc.escape)
		require.Equal(t, tc.ok, ok, tc.pattern)
		if ok {
			require.Equal(t, tc.prefix, string(prefix), tc.pattern)
			require.Equal(t, tc.wildcard, wildcard, tc.pattern)
		}
	}
	require.Equal(t, []byte("ac"), successor([]byte("ab")))
	require.Equal(t, []byte("b"), successor([]byte{'a', 0xff}))
	require.Nil(t, successor([]byte{0xff, 0xff}))
}

func TestCompileRecognisesShapes(t *testing.T) {
	cols := func(id expr.ColumnID) (int, arrow.DataType, bool) {
		switch id {
		case 1:
			return 0, expr.Int32, true
		case 2:
			return 1, expr.String, true
		case 3:
			return 2, expr.Bool, true
		}
		return 0, nil, false
	}
	i32 := &expr.ColumnRef{ID: 1, Name: "i", Type: expr.Int32}
	s := &expr.ColumnRef{ID: 2, Name: "s", Type: expr.String}
	flag := &expr.ColumnRef{ID: 3, Name: "f", Type: expr.Bool}
	other := &expr.ColumnRef{ID: 9, Name: "x", Type: expr.Int64}
	cmp := func(fn string, a, b expr.Expr) expr.Expr {
		return &expr.Call{Func: fn, Args: []expr.Expr{a, b}, Type: expr.Bool}
	}
	for _, tc := range []struct {
		name string
		e    expr.Expr
		want predKind
	}{
		{"narrowing cast is not seen through", cmp(expr.FnEq, &expr.Cast{Arg: i32, Type: expr.Int8}, expr.Lit(expr.Int8, int64(1))), predUnknown},
		{"cast to float is seen through", cmp(expr.FnLt, &expr.Cast{Arg: i32, Type: expr.Float64}, expr.FloatLit(1.5)), predCompare},
		{"string cast from integer is not", cmp(expr.FnEq, &expr.Cast{Arg: i32, Type: expr.String}, expr.StringLit("1")), predUnknown},
		{"unknown column", cmp(expr.FnEq, other, expr.Int64Lit(1)), predUnknown},
		{"parameter", cmp(expr.FnEq, i32, &expr.Param{Index: 1, Type: expr.Int32}), predUnknown},
		{"bare boolean column", flag, predCompare},
		{"NOT boolean column", &expr.Call{Func: expr.FnNot, Args: []expr.Expr{flag}, Type: expr.Bool}, predCompare},
		{"FALSE", expr.BoolLit(false), predNever},
		{"TRUE", expr.BoolLit(true), predUnknown},
		{"LIKE with escape argument", &expr.Call{Func: expr.FnLike, Args: []expr.Expr{s, expr.StringLit("a#%%"), expr.StringLit("#")}, Type: expr.Bool}, predAnd},
		{"LIKE with a leading wildcard", cmp(expr.FnLike, s, expr.StringLit("%a")), predUnknown},
		{"ILIKE", cmp(expr.FnILike, s, expr.StringLit("a%")), predUnknown},
		{"NOT IN with NULL", &expr.InList{Arg: i32, List: []expr.Expr{expr.NullOf(expr.Int32)}, Negated: true}, predNever},
		{"decimal literal folded through cast", cmp(expr.FnEq, &expr.Cast{Arg: i32, Type: expr.Decimal(12, 2)},
			&expr.Cast{Arg: expr.Lit(expr.Decimal(5, 2), decimal128.FromI64(150)), Type: expr.Decimal(12, 2)}), predCompare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, compilePred(tc.e, false, cols).kind)
		})
	}
}

func TestLeafPruningIsConservative(t *testing.T) {
	facts := &chunkFacts{rows: 10, nullCount: 0, hasMinMax: true,
		min: value{kind: kindBytes, b: []byte("abc")}, max: value{kind: kindBytes, b: []byte("abc")}}
	ne := &pred{kind: predCompare, op: opNe, lits: []value{{kind: kindBytes, b: []byte("abc")}}}
	require.True(t, ne.leafMayMatch(facts), "string bounds may be truncated: min == max proves nothing")
	facts.exactBounds = true
	require.False(t, ne.leafMayMatch(facts))

	floats := &chunkFacts{rows: 10, nullCount: 0, hasMinMax: true, mayHaveNaN: true,
		min: value{kind: kindFloat, f: 1}, max: value{kind: kindFloat, f: 2}}
	gt := &pred{kind: predCompare, op: opGt, lits: []value{{kind: kindFloat, f: 5}}}
	require.True(t, gt.leafMayMatch(floats), "a NaN may satisfy >")
	lt := &pred{kind: predCompare, op: opLt, lits: []value{{kind: kindFloat, f: 0}}}
	require.False(t, lt.leafMayMatch(floats))
	negatedLt := &pred{kind: predCompare, op: opLt, lits: []value{{kind: kindFloat, f: 0}}, negated: true}
	require.True(t, negatedLt.leafMayMatch(floats), "NOT (x >= 0) holds for NaN under IEEE comparisons")

	unknownNulls := &chunkFacts{rows: 10, nullCount: -1}
	require.True(t, (&pred{kind: predIsNull}).leafMayMatch(unknownNulls))
	require.True(t, (&pred{kind: predIsNotNull}).leafMayMatch(unknownNulls))
}
