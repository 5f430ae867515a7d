package eval

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func call(t testing.TB, fn string, args ...expr.Expr) expr.Expr {
	t.Helper()
	c, err := expr.ResolveCall(fn, args)
	require.NoError(t, err)
	return c
}

func lit(t testing.TB, typ arrow.DataType, v any) *expr.Literal {
	t.Helper()
	l, err := expr.LiteralFromValue(typ, v)
	require.NoError(t, err)
	return l
}

// exprCase evaluates one expression over columns c0, c1 … (plain and sliced).
type exprCase struct {
	name  string
	types []arrow.DataType
	cols  [][]any // column values
	build func(t testing.TB) expr.Expr
	want  []any
	err   string
}

func runExprCases(t *testing.T, cases []exprCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc := testutil.CheckedAllocator(t)
			e := tc.build(t)
			for _, sliced := range []bool{false, true} {
				var arrs []arrow.Array
				n := 0
				for k, typ := range tc.types {
					n = len(tc.cols[k])
					if sliced {
						arrs = append(arrs, slicedColumn(t, alloc, typ, tc.cols[k][0], tc.cols[k]...))
					} else {
						arrs = append(arrs, column(t, alloc, typ, tc.cols[k]...))
					}
				}
				rec := recordOf(arrs, n)
				got, err := evalExpr(t, alloc, e, rec)
				rec.Release()
				if tc.err != "" {
					require.ErrorContains(t, err, tc.err)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, normalize(tc.want), normalize(got), "sliced=%v", sliced)
			}
		})
	}
}

func TestCase(t *testing.T) {
	x := ref(0, i32)
	zero := lit(t, i32, int64(0))
	ten := lit(t, i32, int64(10))
	xs := [][]any{{int64(0), int64(2), nil, int64(5), int64(0), int64(-1), int64(10), int64(3), int64(4)}}
	runExprCases(t, []exprCase{
		{name: "result only on selected rows", types: []arrow.DataType{i32}, cols: xs,
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: call(t, "<>", x, zero), Result: call(t, "/", ten, x)}}, Else: lit(t, i32, int64(-1)), Type: i32}
			},
			want: i64s(int64(-1), int64(5), int64(-1), int64(2), int64(-1), int64(-10), int64(1), int64(3), int64(2))},
		{name: "conditions only on unmatched rows", types: []arrow.DataType{i32}, cols: xs,
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{
					{Cond: call(t, "=", x, zero), Result: lit(t, str, "zero")},
					{Cond: call(t, ">", call(t, "/", ten, x), lit(t, i32, int64(2))), Result: lit(t, str, "small")},
				}, Type: str}
			},
			want: i64s("zero", "small", nil, nil, "zero", nil, nil, "small", nil)},
		{name: "error in a taken arm", types: []arrow.DataType{i32}, cols: [][]any{{int64(1), int64(0)}},
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: call(t, ">=", x, zero), Result: call(t, "/", ten, x)}}, Type: i32}
			},
			err: "division by zero"},
		{name: "constant arms", types: []arrow.DataType{i32}, cols: xs,
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: call(t, ">", x, lit(t, i32, int64(3))), Result: lit(t, i64, int64(1))}}, Else: lit(t, i64, int64(0)), Type: i64}
			},
			want: i64s(int64(0), int64(0), int64(0), int64(1), int64(0), int64(0), int64(1), int64(0), int64(1))},
		{name: "column arms", types: []arrow.DataType{i32, str}, cols: [][]any{{int64(1), int64(-1), nil}, {"a", "b", "c"}},
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: call(t, ">", x, zero), Result: ref(1, str)}}, Else: lit(t, str, "neg"), Type: str}
			},
			want: i64s("a", "neg", "neg")},
		{name: "every row matches first arm", types: []arrow.DataType{i32}, cols: [][]any{{int64(1), int64(2)}},
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: call(t, ">", x, zero), Result: x}}, Type: i32}
			},
			want: i64s(int64(1), int64(2))},
		{name: "constant false arm dropped", types: []arrow.DataType{i32}, cols: [][]any{{int64(1)}},
			build: func(t testing.TB) expr.Expr {
				return &expr.Case{Whens: []expr.When{{Cond: expr.BoolLit(false), Result: call(t, "/", ten, zero)}}, Else: x, Type: i32}
			},
			want: i64s(int64(1))},
	})
}

func TestLazyLogicAndCoalesce(t *testing.T) {
	x := ref(0, i32)
	zero := lit(t, i32, int64(0))
	ten := lit(t, i32, int64(10))
	one := lit(t, i32, int64(1))
	runExprCases(t, []exprCase{
		{name: "and skips rows decided false", types: []arrow.DataType{i32}, cols: [][]any{{int64(0), int64(5), int64(20), nil}},
			build: func(t testing.TB) expr.Expr {
				return call(t, "and", call(t, "<>", x, zero), call(t, ">", call(t, "/", ten, x), one))
			},
			want: i64s(false, true, false, nil)},
		{name: "or skips rows decided true", types: []arrow.DataType{i32}, cols: [][]any{{int64(0), int64(5), int64(20), nil}},
			build: func(t testing.TB) expr.Expr {
				return call(t, "or", call(t, "=", x, zero), call(t, ">", call(t, "/", ten, x), one))
			},
			want: i64s(true, true, false, nil)},
		{name: "coalesce evaluates later arguments on NULL rows only", types: []arrow.DataType{i32, i32},
			cols: [][]any{{int64(1), nil, nil}, {int64(0), int64(2), nil}},
			build: func(t testing.TB) expr.Expr {
				return call(t, "coalesce", x, call(t, "/", ten, ref(1, i32)), lit(t, i32, int64(-1)))
			},
			want: i64s(int64(1), int64(5), int64(-1))},
		{name: "coalesce without NULLs", types: []arrow.DataType{i32}, cols: [][]any{{int64(1), int64(2)}},
			build: func(t testing.TB) expr.Expr { return call(t, "coalesce", x, zero) },
			want:  i64s(int64(1), int64(2))},
		{name: "and with constant", types: []arrow.DataType{expr.Bool}, cols: [][]any{{true, false, nil}},
			build: func(t testing.TB) expr.Expr { return call(t, "and", ref(0, expr.Bool), expr.NullOf(expr.Bool)) },
			want:  i64s(nil, false, nil)},
	})
}

func TestInList(t *testing.T) {
	x := ref(0, i32)
	in := func(negated bool, elems ...expr.Expr) func(testing.TB) expr.Expr {
		return func(testing.TB) expr.Expr { return &expr.InList{Arg: x, List: elems, Negated: negated} }
	}
	ints := func(vs ...int64) []expr.Expr {
		out := make([]expr.Expr, len(vs))
		for i, v := range vs {
			out[i] = lit(t, i32, v)
		}
		return out
	}
	many := ints(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23)
	xs := [][]any{{int64(1), int64(2), nil, int64(21), int64(22), int64(3), int64(4), int64(5), int64(6)}}
	runExprCases(t, []exprCase{
		{name: "small", types: []arrow.DataType{i32}, cols: xs, build: in(false, ints(1, 3)...),
			want: i64s(true, false, nil, false, false, true, false, false, false)},
		{name: "with NULL element", types: []arrow.DataType{i32}, cols: xs, build: in(false, append(ints(1), expr.NullOf(i32))...),
			want: i64s(true, nil, nil, nil, nil, nil, nil, nil, nil)},
		{name: "NOT IN with NULL element", types: []arrow.DataType{i32}, cols: xs, build: in(true, append(ints(1), expr.NullOf(i32))...),
			want: i64s(false, nil, nil, nil, nil, nil, nil, nil, nil)},
		{name: "large hashed", types: []arrow.DataType{i32}, cols: xs, build: in(false, many...),
			want: i64s(true, false, nil, true, false, true, false, true, false)},
		{name: "large NOT IN", types: []arrow.DataType{i32}, cols: xs, build: in(true, many...),
			want: i64s(false, true, nil, false, true, false, true, false, true)},
		{name: "column elements", types: []arrow.DataType{i32, i32}, cols: [][]any{{int64(1), int64(2), int64(3)}, {int64(1), nil, int64(9)}},
			build: in(false, ref(1, i32), lit(t, i32, int64(9))), want: i64s(true, nil, false)},
		{name: "strings", types: []arrow.DataType{str}, cols: [][]any{{"MAIL", "SHIP", "AIR", nil}},
			build: func(t testing.TB) expr.Expr {
				return &expr.InList{Arg: ref(0, str), List: []expr.Expr{lit(t, str, "MAIL"), lit(t, str, "SHIP")}}
			},
			want: i64s(true, true, false, nil)},
		{name: "floats NaN", types: []arrow.DataType{f64}, cols: [][]any{{math.NaN(), 0.0, 1.5}},
			build: func(t testing.TB) expr.Expr {
				return &expr.InList{Arg: ref(0, f64), List: []expr.Expr{lit(t, f64, math.NaN()), lit(t, f64, math.Copysign(0, -1))}}
			},
			want: i64s(true, true, false)},
		{name: "decimals", types: []arrow.DataType{expr.Decimal(10, 2)}, cols: [][]any{{dec(t, "1.50", 10, 2), dec(t, "2", 10, 2)}},
			build: func(t testing.TB) expr.Expr {
				return &expr.InList{Arg: ref(0, expr.Decimal(10, 2)), List: []expr.Expr{lit(t, expr.Decimal(10, 2), dec(t, "1.5", 10, 2))}}
			},
			want: i64s(true, false)},
		{name: "dates", types: []arrow.DataType{expr.Date}, cols: [][]any{{date(2024, 1, 1), date(2024, 1, 2)}},
			build: func(t testing.TB) expr.Expr {
				return &expr.InList{Arg: ref(0, expr.Date), List: []expr.Expr{lit(t, expr.Date, date(2024, 1, 2))}}
			},
			want: i64s(false, true)},
	})
}

func TestFilter(t *testing.T) {
	alloc := testutil.CheckedAllocator(t)
	n := []any{int64(1), int64(2), int64(3), int64(4), int64(5)}
	full := recordOf([]arrow.Array{column(t, alloc, i32, n...), column(t, alloc, str, "a", "b", "c", "d", "e")}, 5)
	defer full.Release()
	batch := full.NewSlice(1, 5) // offset 1: rows 2..5
	defer batch.Release()
	cases := []struct {
		name string
		pred []any
		want []any
	}{
		{"mixed with NULL", []any{true, nil, false, true}, []any{int64(2), int64(5)}},
		{"all", []any{true, true, true, true}, []any{int64(2), int64(3), int64(4), int64(5)}},
		{"none", []any{false, nil, false, nil}, []any{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pred := column(t, alloc, expr.Bool, tc.pred...)
			defer pred.Release()
			out, err := Filter(alloc, batch, pred)
			require.NoError(t, err)
			defer out.Release()
			require.Equal(t, tc.want, values(out.Column(0)))
			require.Equal(t, len(tc.want), out.Column(1).Len())
		})
	}
	pred := column(t, alloc, expr.Bool, true)
	defer pred.Release()
	_, err := Filter(alloc, batch, pred)
	require.Error(t, err)
	require.Equal(t, errs.KindInternal, errs.KindOf(err))
}

func TestFoldConstantAndIsConstant(t *testing.T) {
	d := call(t, "-", lit(t, expr.Date, date(1998, 12, 1)), lit(t, expr.Interval, iv(0, 90, 0)))
	l, err := FoldConstant(d)
	require.NoError(t, err)
	require.Equal(t, date(1998, 9, 2), l.Value)
	require.True(t, arrow.TypeEqual(expr.Date, l.Type))

	l, err = FoldConstant(&expr.Cast{Arg: expr.StringLit("12"), Type: i32})
	require.NoError(t, err)
	require.Equal(t, int64(12), l.Value)

	_, err = FoldConstant(&expr.Cast{Arg: expr.StringLit("twelve"), Type: i32})
	require.ErrorContains(t, err, "invalid input syntax for type integer")
	require.NotContains(t, err.Error(), "twelve")

	l, err = FoldConstant(call(t, "||", expr.StringLit("a"), expr.NullOf(str)))
	require.NoError(t, err)
	require.Nil(t, l.Value)

	require.True(t, IsConstant(d))
	require.False(t, IsConstant(call(t, "+", ref(0, i32), lit(t, i32, int64(1)))))
	require.False(t, IsConstant(&expr.Param{Index: 1, Type: i32}))
	_, err = FoldConstant(ref(0, i32))
	require.Error(t, err)
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile(&expr.Param{Index: 2, Type: i32}, Layout{})
	require.ErrorContains(t, err, "$2")
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))

	_, err = Compile(ref(7, i32), Layout{})
	require.Equal(t, errs.KindInternal, errs.KindOf(err))

	_, err = Compile(&expr.Call{Func: "length", Args: []expr.Expr{ref(0, str)}, Type: i64}, layoutN(1))
	require.ErrorContains(t, err, "returns bigint but its signature returns integer")

	_, err = Compile(&expr.Call{Func: "no_such_fn", Type: i32}, Layout{})
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))

	_, err = Compile(expr.Lit(i32, "not an int"), Layout{})
	require.Equal(t, errs.KindInternal, errs.KindOf(err))

	// A batch whose column type differs from the plan's.
	alloc := testutil.CheckedAllocator(t)
	ev, err := Compile(ref(0, i64), layoutN(1))
	require.NoError(t, err)
	rec := recordOf([]arrow.Array{column(t, alloc, i32, int64(1))}, 1)
	defer rec.Release()
	_, err = ev.Eval(alloc, rec)
	require.Equal(t, errs.KindInternal, errs.KindOf(err))
}

// TestColumnPassThrough checks a bare column is returned without copying and results are
// owned by the caller.
func TestColumnPassThrough(t *testing.T) {
	alloc := testutil.CheckedAllocator(t)
	col := column(t, alloc, i32, int64(1), int64(2))
	rec := recordOf([]arrow.Array{col}, 2)
	defer rec.Release()
	ev, err := Compile(ref(0, i32), layoutN(1))
	require.NoError(t, err)
	out, err := ev.Eval(alloc, rec)
	require.NoError(t, err)
	require.Same(t, rec.Column(0).Data(), out.Data())
	out.Release()
	// A literal result is materialised to the batch length.
	ev, err = Compile(lit(t, str, "k"), layoutN(1))
	require.NoError(t, err)
	out, err = ev.Eval(alloc, rec)
	require.NoError(t, err)
	defer out.Release()
	require.Equal(t, []string{"k", "k"}, []string{out.(*array.String).Value(0), out.(*array.String).Value(1)})
}

// TestConcurrentEval shares one Evaluator between goroutines, as partitions do.
func TestConcurrentEval(t *testing.T) {
	alloc := testutil.CheckedAllocator(t)
	x := ref(0, str)
	e := &expr.Case{Whens: []expr.When{{Cond: call(t, "like", x, expr.StringLit("a%")), Result: call(t, "upper", x)}},
		Else: &expr.Mask{Arg: x, Kind: expr.MaskShowLast, N: 1, Type: str}, Type: str}
	ev, err := Compile(e, layoutN(1))
	require.NoError(t, err)
	rec := recordOf([]arrow.Array{column(t, alloc, str, "abc", "xyz", nil, "ab")}, 4)
	defer rec.Release()
	done := make(chan []any)
	for g := 0; g < 4; g++ {
		go func() {
			out, err := ev.Eval(alloc, rec)
			if err != nil {
				done <- nil
				return
			}
			done <- values(out)
			out.Release()
		}()
	}
	for g := 0; g < 4; g++ {
		require.Equal(t, []any{"ABC", "xxz", nil, "AB"}, <-done)
	}
}
