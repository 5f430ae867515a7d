package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// The fuzz test builds random expressions over random columns and checks that evaluating a
// whole batch (plain and sliced) agrees, row by row, with folding the expression after
// substituting each row's values as literals: the array–array, array–scalar and scalar paths
// of every kernel, the lazy constructs and NULL handling must all give the same answer, and
// the batch fails exactly when some row fails.

var fuzzTypes = []arrow.DataType{i32, i64, f64, expr.Decimal(10, 2), str, expr.Date, expr.Bool}

type exprGen struct {
	rng  *rand.Rand
	t    testing.TB
	cols []*expr.ColumnRef
}

func (g *exprGen) col(t arrow.DataType) expr.Expr {
	for _, c := range g.cols {
		if arrow.TypeEqual(c.Type, t) {
			return c
		}
	}
	return g.lit(t)
}

func (g *exprGen) lit(t arrow.DataType) expr.Expr {
	if g.rng.IntN(8) == 0 {
		return expr.NullOf(t)
	}
	return expr.Lit(t, randomValue(g.rng, t))
}

func randomValue(rng *rand.Rand, t arrow.DataType) any {
	switch t.ID() {
	case arrow.INT32:
		return []int64{0, 1, -1, 7, 100, math.MaxInt32, math.MinInt32}[rng.IntN(7)]
	case arrow.INT64:
		return []int64{0, 2, -3, 1 << 40, math.MaxInt64, math.MinInt64}[rng.IntN(6)]
	case arrow.FLOAT64:
		return []float64{0, 1.5, -2.25, 1e300, math.NaN(), math.Inf(1), 3}[rng.IntN(7)]
	case arrow.DECIMAL128:
		return decFromI64([]int64{0, 150, -275, 99999999, 1}[rng.IntN(5)])
	case arrow.STRING:
		return []string{"", "abc", "Straße", "12", "special requests", "a%b", " 7 "}[rng.IntN(7)]
	case arrow.DATE32:
		return arrow.Date32([]int32{0, 10957, -1, 19782, 2932896}[rng.IntN(5)])
	case arrow.BOOL:
		return rng.IntN(2) == 0
	}
	return nil
}

func (g *exprGen) call(fn string, args ...expr.Expr) expr.Expr {
	e, err := expr.ResolveCall(fn, args)
	if err != nil {
		return nil
	}
	return e
}

// gen returns an expression, ideally of type t (the registry may widen it).
func (g *exprGen) gen(t arrow.DataType, depth int) expr.Expr {
	if depth <= 0 || g.rng.IntN(4) == 0 {
		if g.rng.IntN(3) == 0 {
			return g.lit(t)
		}
		return g.col(t)
	}
	d := depth - 1
	var e expr.Expr
	switch t.ID() {
	case arrow.BOOL:
		switch g.rng.IntN(7) {
		case 0:
			ct := fuzzTypes[g.rng.IntN(len(fuzzTypes))]
			e = g.call([]string{"=", "<>", "<", "<=", ">", ">="}[g.rng.IntN(6)], g.gen(ct, d), g.gen(ct, d))
		case 1:
			e = g.call([]string{"and", "or"}[g.rng.IntN(2)], g.gen(t, d), g.gen(t, d))
		case 2:
			e = g.call("not", g.gen(t, d))
		case 3:
			e = g.call([]string{"is_null", "is_not_null"}[g.rng.IntN(2)], g.gen(fuzzTypes[g.rng.IntN(len(fuzzTypes))], d))
		case 4:
			e = g.call([]string{"like", "ilike"}[g.rng.IntN(2)], g.gen(str, d), expr.StringLit([]string{"%b%", "a_c", "S%", "%"}[g.rng.IntN(4)]))
		case 5:
			list := []expr.Expr{g.lit(i32), g.lit(i32), g.gen(i32, d)}
			e = &expr.InList{Arg: g.gen(i32, d), List: list, Negated: g.rng.IntN(2) == 0}
		default:
			e = g.call("is_distinct_from", g.gen(str, d), g.gen(str, d))
		}
	case arrow.INT32, arrow.INT64:
		switch g.rng.IntN(8) {
		case 0, 1:
			e = g.call([]string{"+", "-", "*", "/", "%"}[g.rng.IntN(5)], g.gen(t, d), g.gen(t, d))
		case 2:
			e = g.call("abs", g.gen(t, d))
		case 3:
			e = g.call("length", g.gen(str, d))
		case 4:
			e = &expr.Case{Whens: []expr.When{{Cond: g.gen(expr.Bool, d), Result: g.gen(t, d)}}, Else: g.gen(t, d), Type: t}
		case 5:
			e = g.call("coalesce", g.gen(t, d), g.gen(t, d))
		case 6:
			e = &expr.Cast{Arg: g.gen(str, d), Type: t}
		default:
			e = g.call("-", g.gen(expr.Date, d), g.gen(expr.Date, d))
		}
	case arrow.FLOAT64:
		switch g.rng.IntN(4) {
		case 0:
			e = g.call([]string{"+", "*", "/"}[g.rng.IntN(3)], g.gen(t, d), g.gen(t, d))
		case 1:
			e = g.call("sqrt", g.gen(t, d))
		case 2:
			e = g.call("round", g.gen(t, d), expr.Int32Lit(int64(g.rng.IntN(4)-1)))
		default:
			e = &expr.Cast{Arg: g.gen(expr.Decimal(10, 2), d), Type: t}
		}
	case arrow.DECIMAL128:
		switch g.rng.IntN(4) {
		case 0:
			e = g.call([]string{"+", "-", "*", "/", "%"}[g.rng.IntN(5)], g.gen(t, d), g.gen(i32, d))
		case 1:
			e = &expr.Cast{Arg: g.gen(f64, d), Type: t}
		case 2:
			e = g.call("round", g.gen(t, d), expr.Int32Lit(int64(g.rng.IntN(3))))
		default:
			e = g.call("greatest", g.gen(t, d), g.gen(t, d))
		}
	case arrow.STRING:
		switch g.rng.IntN(7) {
		case 0:
			e = g.call("upper", g.gen(t, d))
		case 1:
			e = g.call("substring", g.gen(t, d), g.gen(i64, d), expr.Int64Lit(int64(g.rng.IntN(4))))
		case 2:
			e = g.call("||", g.gen(t, d), g.gen(t, d))
		case 3:
			e = g.call("concat", g.gen(t, d), g.gen(i32, d))
		case 4:
			e = &expr.Cast{Arg: g.gen(fuzzTypes[g.rng.IntN(len(fuzzTypes))], d), Type: t}
		case 5:
			e = &expr.Mask{Arg: g.gen(t, d), Kind: []expr.MaskKind{expr.MaskRedact, expr.MaskShowLast, expr.MaskHash}[g.rng.IntN(3)], N: 2, Key: []byte("k"), Type: t}
		default:
			e = g.call("split_part", g.gen(t, d), expr.StringLit(" "), g.gen(i64, d))
		}
	case arrow.DATE32:
		switch g.rng.IntN(2) {
		case 0:
			e = g.call("+", g.gen(t, d), g.gen(i32, d))
		default:
			e = g.call("-", g.gen(t, d), expr.Lit(expr.Interval, arrow.MonthDayNanoInterval{Months: int32(g.rng.IntN(13))}))
		}
	}
	if e == nil {
		return g.col(t)
	}
	return e
}

func FuzzExpressions(f *testing.F) {
	for seed := uint64(1); seed <= 60; seed++ {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, seed*7919))
		alloc := testutil.CheckedAllocator(t)
		n := rng.IntN(12)
		g := &exprGen{rng: rng, t: t}
		values := make([][]any, len(fuzzTypes))
		var cols []arrow.Array
		var sliced []arrow.Array
		for k, typ := range fuzzTypes {
			g.cols = append(g.cols, ref(k, typ))
			for r := 0; r < n; r++ {
				var v any
				if rng.IntN(5) > 0 {
					v = randomValue(rng, typ)
				}
				values[k] = append(values[k], v)
			}
			cols = append(cols, column(t, alloc, typ, values[k]...))
			sliced = append(sliced, slicedColumn(t, alloc, typ, randomValue(rng, typ), values[k]...))
		}
		rec := recordOf(cols, n)
		defer rec.Release()
		srec := recordOf(sliced, n)
		defer srec.Release()
		e := g.gen(fuzzTypes[rng.IntN(len(fuzzTypes))], 4)
		if _, err := Compile(e, layoutN(len(fuzzTypes))); err != nil {
			return // a combination the registry allows but the evaluator rejects up front
		}
		got, batchErr := evalExpr(t, alloc, e, rec)
		gotSliced, slicedErr := evalExpr(t, alloc, e, srec)
		require.Equal(t, batchErr == nil, slicedErr == nil, "%s: sliced batch disagrees", e)
		if batchErr == nil {
			require.Equal(t, normalize(got), normalize(gotSliced), "%s: sliced batch disagrees", e)
		}
		anyRowErr := false
		for r := 0; r < n; r++ {
			subst := map[expr.ColumnID]expr.Expr{}
			for k, typ := range fuzzTypes {
				subst[expr.ColumnID(k)] = expr.Lit(typ, values[k][r])
			}
			l, err := FoldConstant(expr.Substitute(e, subst))
			if err != nil {
				anyRowErr = true
				require.Error(t, batchErr, "%s: row %d fails alone (%v) but not in the batch", e, r, err)
				continue
			}
			if batchErr == nil {
				require.Equal(t, normalize([]any{l.Value}), normalize([]any{got[r]}), "%s: row %d", e, r)
			}
		}
		// An empty batch still evaluates constant parts, which fail there as at plan time in
		// PostgreSQL.
		if batchErr != nil && n > 0 {
			require.True(t, anyRowErr, "%s: batch fails (%v) but no row does", e, batchErr)
		}
	})
}
