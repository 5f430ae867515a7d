package conntest

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func call(fn string, t arrow.DataType, args ...expr.Expr) *expr.Call {
	return &expr.Call{Func: fn, Args: args, Type: t}
}

func boolCall(fn string, args ...expr.Expr) *expr.Call { return call(fn, expr.Bool, args...) }

// col returns the typed table's column i as the binder would compare it with a literal of
// type lit: small integers and float32 widened by a cast.
func col(i int, lit arrow.DataType) expr.Expr {
	c := ref(typedColumns, i)
	if lit != nil && !arrow.TypeEqual(c.Type, lit) {
		return &expr.Cast{Arg: c, Type: lit}
	}
	return c
}

// filterCase is one predicate, the Go function the gateway would compute for it, and the
// support the connector must answer.
type filterCase struct {
	name string
	pred expr.Expr
	keep func(r []any) bool
	want connectors.FilterSupport
}

// runFilter pushes one conjunct and checks the answer and the rows: an Exact filter returns
// exactly the matching rows; an Inexact one a superset, which the gateway filters again.
func (s *suite) runFilter(t *testing.T, h connectors.TableHandle, rows [][]any, fc filterCase) {
	t.Helper()
	mem := testutil.CheckedAllocator(t)
	fh, support := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{fc.pred})
	require.Len(t, support, 1)
	want := where(rows, fc.keep)
	switch {
	case expr.HasMask(fc.pred):
		require.Equalf(t, connectors.Unsupported, support[0], "%s: a masked value is never pushed", fc.name)
	case s.caps.PruneOnly:
		require.NotEqualf(t, connectors.Exact, support[0], "%s: a pruning connector answers Inexact or Unsupported", fc.name)
	default:
		require.Equalf(t, fc.want, support[0], "%s: %s", fc.name, fc.pred)
	}
	if fh == nil {
		require.Equal(t, connectors.Unsupported, support[0], fc.name)
		return
	}
	if !s.caps.PruneOnly {
		require.Contains(t, fh.Explain(), "WHERE", fc.name)
	}
	got := readAll(t, fh, mem)
	if support[0] == connectors.Inexact {
		require.Subset(t, keys(got), keys(want), "%s: an inexact filter may only add rows", fc.name)
		got = where(got, fc.keep)
	}
	requireSameRows(t, want, got, "%s: %s\n%s", fc.name, fc.pred, fh.Explain())
}

func keys(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = key(r)
	}
	return out
}

type comparison struct {
	fn string
	ok func(c int) bool
}

var comparisons = []comparison{
	{expr.FnEq, func(c int) bool { return c == 0 }},
	{expr.FnNotEq, func(c int) bool { return c != 0 }},
	{expr.FnLt, func(c int) bool { return c < 0 }},
	{expr.FnLtEq, func(c int) bool { return c <= 0 }},
	{expr.FnGt, func(c int) bool { return c > 0 }},
	{expr.FnGtEq, func(c int) bool { return c >= 0 }},
}

// filters checks each comparison operator on every type against a literal.
func (s *suite) filters(t *testing.T) {
	h := openAll(t, s.src, s.typed, typedColumns)
	rows := typedRows()
	lits := []struct {
		col int
		lit *expr.Literal
	}{
		{cI16, expr.Int32Lit(10)},
		{cI32, expr.Int32Lit(100)},
		{cI64, expr.Int64Lit(100)},
		{cF32, expr.FloatLit(1.5)},
		{cF64, expr.FloatLit(2.25)},
		{cD18, expr.Lit(dec18, dec("12.34", 4))},
		{cD38, expr.Lit(dec38, dec("1.5", 10))},
		{cDay, expr.DateLit(day(2024, 2, 29))},
		{cTS, expr.Lit(expr.Timestamp, ts(2000, 1, 1, 0, 0, 0, 0))},
		{cTSTZ, expr.Lit(expr.TimestampTZ, ts(2024, 2, 29, 12, 34, 56, 123456))},
		{cTxt, expr.StringLit("alpha")},
		{cBin, expr.Lit(expr.Binary, []byte{1, 2, 3})},
		{cFlag, expr.BoolLit(true)},
	}
	for _, l := range lits {
		for _, cmp := range comparisons {
			i, lit, cmp := l.col, l.lit, cmp
			want := connectors.Exact
			switch i {
			case cTxt:
				switch {
				case cmp.fn == expr.FnEq:
					want = s.caps.TextEquality
				case cmp.fn == expr.FnNotEq && s.caps.TextEquality != connectors.Exact:
					want = connectors.Unsupported
				case cmp.fn != expr.FnEq && cmp.fn != expr.FnNotEq && !s.caps.TextOrder:
					want = connectors.Unsupported
				}
			case cFlag:
				if !s.caps.BoolCompare {
					want = connectors.Unsupported
				}
			}
			fc := filterCase{
				name: fmt.Sprintf("%s %s %s", typedColumns[i].Name, cmp.fn, lit),
				pred: boolCall(cmp.fn, col(i, lit.Type), lit),
				keep: func(r []any) bool { return r[i] != nil && cmp.ok(compare(r[i], lit.Value)) },
				want: want,
			}
			t.Run(fc.name, func(t *testing.T) { s.runFilter(t, h, rows, fc) })
		}
	}
	likeWant := connectors.Unsupported
	if s.caps.TextLike {
		likeWant = connectors.Exact
	}
	i64, i32, d18 := col(cI64, nil), col(cI32, nil), col(cD18, nil)
	for _, fc := range []filterCase{
		{"LIKE prefix", boolCall(expr.FnLike, col(cTxt, nil), expr.StringLit("al%")),
			func(r []any) bool { return r[cTxt] != nil && strings.HasPrefix(r[cTxt].(string), "al") }, likeWant},
		{"LIKE underscore", boolCall(expr.FnLike, col(cTxt, nil), expr.StringLit("_lpha")),
			func(r []any) bool {
				return r[cTxt] != nil && len(r[cTxt].(string)) == 5 && strings.HasSuffix(r[cTxt].(string), "lpha")
			}, likeWant},
		{"LIKE multibyte underscore", boolCall(expr.FnLike, col(cTxt, nil), expr.StringLit("_moji%")),
			func(r []any) bool { return r[cTxt] != nil && strings.HasPrefix(r[cTxt].(string), "émoji") }, likeWant},
		{"LIKE escape", boolCall(expr.FnLike, col(cTxt, nil), expr.StringLit("a!%%"), expr.StringLit("!")),
			func(r []any) bool { return r[cTxt] != nil && strings.HasPrefix(r[cTxt].(string), "a%") }, likeWant},
		{"decimal arithmetic", boolCall(expr.FnGt, call(expr.FnAdd, expr.Decimal(19, 4), d18, d18), expr.Lit(expr.Decimal(19, 4), dec("20", 4))),
			func(r []any) bool {
				return r[cD18] != nil && r[cD18].(decimal128.Num).Add(r[cD18].(decimal128.Num)).Greater(dec("20", 4))
			}, connectors.Exact},
		{"CASE", boolCall(expr.FnEq, &expr.Case{Whens: []expr.When{{Cond: boolCall(expr.FnGt, i64, expr.Int64Lit(0)), Result: expr.Int32Lit(1)}},
			Else: expr.Int32Lit(0), Type: expr.Int32}, expr.Int32Lit(1)),
			func(r []any) bool { return r[cI64] != nil && r[cI64].(int64) > 0 }, connectors.Exact},
		{"COALESCE", boolCall(expr.FnEq, call("coalesce", expr.Int32, i32, expr.Int32Lit(0)), expr.Int32Lit(0)),
			func(r []any) bool { return r[cI32] == nil || r[cI32].(int64) == 0 }, connectors.Exact},
		{"masked value never pushed", boolCall(expr.FnEq, &expr.Mask{Arg: i64, Kind: expr.MaskNull, Type: expr.Int64}, expr.Int64Lit(1)),
			func(r []any) bool { return false }, connectors.Unsupported},
	} {
		t.Run(fc.name, func(t *testing.T) { s.runFilter(t, h, rows, fc) })
	}
}

// nullSemantics checks three-valued logic of pushed predicates.
func (s *suite) nullSemantics(t *testing.T) {
	h := openAll(t, s.src, s.typed, typedColumns)
	rows := typedRows()
	i64, i32 := col(cI64, nil), col(cI32, nil)
	is := func(r []any, i int, v int64) bool { return r[i] != nil && r[i].(int64) == v }
	for _, fc := range []filterCase{
		{"x <> 5 excludes NULL", boolCall(expr.FnNotEq, i64, expr.Int64Lit(5)),
			func(r []any) bool { return r[cI64] != nil && r[cI64].(int64) != 5 }, connectors.Exact},
		{"NOT (x = 100) excludes NULL", boolCall(expr.FnNot, boolCall(expr.FnEq, i64, expr.Int64Lit(100))),
			func(r []any) bool { return r[cI64] != nil && r[cI64].(int64) != 100 }, connectors.Exact},
		{"IS DISTINCT FROM keeps NULL", boolCall(expr.FnIsDistinctFrom, i64, expr.Int64Lit(100)),
			func(r []any) bool { return !is(r, cI64, 100) }, connectors.Exact},
		{"IS NOT DISTINCT FROM NULL", boolCall(expr.FnIsNotDistinctFrom, i64, expr.NullOf(expr.Int64)),
			func(r []any) bool { return r[cI64] == nil }, connectors.Exact},
		{"IS NULL", boolCall(expr.FnIsNull, col(cTxt, nil)), func(r []any) bool { return r[cTxt] == nil }, connectors.Exact},
		{"IS NOT NULL", boolCall(expr.FnIsNotNull, col(cBin, nil)), func(r []any) bool { return r[cBin] != nil }, connectors.Exact},
		{"IN", &expr.InList{Arg: i64, List: []expr.Expr{expr.Int64Lit(100), expr.Int64Lit(5)}},
			func(r []any) bool { return is(r, cI64, 100) || is(r, cI64, 5) }, connectors.Exact},
		{"IN with NULL", &expr.InList{Arg: i64, List: []expr.Expr{expr.Int64Lit(100), expr.NullOf(expr.Int64)}},
			func(r []any) bool { return is(r, cI64, 100) }, connectors.Exact},
		{"NOT IN with NULL is never true", &expr.InList{Arg: i64, List: []expr.Expr{expr.Int64Lit(100), expr.NullOf(expr.Int64)}, Negated: true},
			func(r []any) bool { return false }, connectors.Exact},
		{"NOT IN", &expr.InList{Arg: i64, List: []expr.Expr{expr.Int64Lit(100), expr.Int64Lit(5)}, Negated: true},
			func(r []any) bool { return r[cI64] != nil && !is(r, cI64, 100) && !is(r, cI64, 5) }, connectors.Exact},
		{"OR with NULL operand", boolCall(expr.FnOr, boolCall(expr.FnEq, i64, expr.Int64Lit(100)), boolCall(expr.FnEq, i32, expr.Int32Lit(100))),
			func(r []any) bool { return is(r, cI64, 100) || is(r, cI32, 100) }, connectors.Exact},
		{"NOT of OR with NULL operand", boolCall(expr.FnNot, boolCall(expr.FnOr, boolCall(expr.FnEq, i64, expr.Int64Lit(100)), boolCall(expr.FnEq, i32, expr.Int32Lit(100)))),
			func(r []any) bool {
				return r[cI64] != nil && r[cI32] != nil && !is(r, cI64, 100) && !is(r, cI32, 100)
			}, connectors.Exact},
	} {
		t.Run(fc.name, func(t *testing.T) { s.runFilter(t, h, rows, fc) })
	}
}

func (s *suite) limit(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	h := openAll(t, s.src, s.typed, typedColumns)
	l := h.(connectors.LimitPushdown).ApplyLimit(3)
	require.NotNil(t, l)
	require.Contains(t, strings.ToUpper(l.Explain()), "LIMIT")
	got := readAll(t, l, mem)
	require.LessOrEqual(t, len(got), 3*len(mustSplits(t, l)), "a limit applies per split at most")
	require.Subset(t, keys(typedRows()), keys(got))
	single := readSplit(t, l, mustSplits(t, l)[0], mem, 0)
	require.LessOrEqual(t, len(single), 3)
	z := h.(connectors.LimitPushdown).ApplyLimit(0)
	require.NotNil(t, z)
	require.Empty(t, readAll(t, z, mem))
}

func mustSplits(t *testing.T, h connectors.TableHandle) []connectors.Split {
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	return splits
}

// sortRows orders rows by keys the gateway's way: NULLs larger than every value unless
// nullsFirst, per key.
func sortRows(rows [][]any, keys []expr.SortKey, idx []int) [][]any {
	out := append([][]any(nil), rows...)
	sort.SliceStable(out, func(a, b int) bool {
		for k, key := range keys {
			x, y := out[a][idx[k]], out[b][idx[k]]
			switch {
			case x == nil && y == nil:
				continue
			case x == nil || y == nil:
				// NULL against a value: placed by NullsFirst whatever the direction.
				return (x == nil) == key.NullsFirst
			}
			c := compare(x, y)
			if key.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	return out
}

func (s *suite) topN(t *testing.T) {
	if s.caps.PruneOnly {
		t.Skip("a pruning connector pushes no top-N")
	}
	mem := testutil.CheckedAllocator(t)
	h := openAll(t, s.src, s.typed, typedColumns)
	type tc struct {
		name string
		keys []expr.SortKey
		idx  []int
		want bool
	}
	for _, c := range []tc{
		{"int desc nulls first, id", []expr.SortKey{{Expr: col(cI64, nil), Desc: true, NullsFirst: true}, {Expr: col(cID, nil)}}, []int{cI64, cID}, true},
		{"date asc nulls last", []expr.SortKey{{Expr: col(cDay, nil)}, {Expr: col(cID, nil), Desc: true}}, []int{cDay, cID}, true},
		{"decimal desc nulls last", []expr.SortKey{{Expr: col(cD38, nil), Desc: true}, {Expr: col(cID, nil)}}, []int{cD38, cID}, true},
		{"timestamp asc nulls first", []expr.SortKey{{Expr: col(cTS, nil), NullsFirst: true}, {Expr: col(cID, nil)}}, []int{cTS, cID}, true},
		{"text", []expr.SortKey{{Expr: col(cTxt, nil)}, {Expr: col(cID, nil)}}, []int{cTxt, cID}, s.caps.TextOrder},
	} {
		t.Run(c.name, func(t *testing.T) {
			th := h.(connectors.TopNPushdown).ApplyTopN(c.keys, 4)
			if !c.want {
				require.Nil(t, th)
				return
			}
			require.NotNil(t, th)
			require.Contains(t, th.Explain(), "ORDER BY")
			require.Contains(t, th.Explain(), "LIMIT")
			splits := mustSplits(t, th)
			require.Len(t, splits, 1)
			got := readSplit(t, th, splits[0], mem, 0)
			want := sortRows(typedRows(), c.keys, c.idx)[:4]
			require.Equal(t, keys(want), keys(got), th.Explain())
		})
	}
}

// aggregate pushes grouped aggregates and compares with Go's results.
func (s *suite) aggregate(t *testing.T) {
	if s.caps.PruneOnly {
		t.Skip("a pruning connector pushes no aggregate")
	}
	mem := testutil.CheckedAllocator(t)
	h := openAll(t, s.src, s.typed, typedColumns)
	rows := typedRows()
	c := func(i int) expr.Expr { return col(i, nil) }
	i32gt0 := boolCall(expr.FnGt, c(cI32), expr.Int32Lit(0))
	groups := []expr.NamedExpr{{ID: 100, Name: "i16", Expr: c(cI16)}}
	aggs := []expr.AggCall{
		{ID: 101, Func: "count", Type: expr.Int64},
		{ID: 102, Func: "count", Args: []expr.Expr{c(cTxt)}, Type: expr.Int64},
		{ID: 103, Func: "count", Args: []expr.Expr{c(cI32)}, Distinct: true, Type: expr.Int64},
		{ID: 104, Func: "sum", Args: []expr.Expr{c(cI32)}, Type: expr.Int64},
		{ID: 105, Func: "sum", Args: []expr.Expr{c(cI64)}, Type: expr.Decimal(38, 0)},
		{ID: 106, Func: "sum", Args: []expr.Expr{c(cD38)}, Type: expr.Decimal(38, 10)},
		{ID: 107, Func: "avg", Args: []expr.Expr{c(cD18)}, Type: expr.Decimal(38, 6)},
		{ID: 108, Func: "avg", Args: []expr.Expr{c(cD38)}, Type: expr.Decimal(38, 10)},
		{ID: 109, Func: "avg", Args: []expr.Expr{c(cF64)}, Type: expr.Float64},
		{ID: 110, Func: "min", Args: []expr.Expr{c(cI64)}, Type: expr.Int64},
		{ID: 111, Func: "max", Args: []expr.Expr{c(cDay)}, Type: expr.Date},
		{ID: 112, Func: "min", Args: []expr.Expr{c(cTS)}, Type: expr.Timestamp},
		{ID: 113, Func: "max", Args: []expr.Expr{c(cD18)}, Type: dec18},
		{ID: 114, Func: "count", Filter: i32gt0, Type: expr.Int64},
		{ID: 115, Func: "sum", Args: []expr.Expr{c(cD18)}, Filter: i32gt0, Type: expr.Decimal(38, 4)},
	}
	ah := h.(connectors.AggregatePushdown).ApplyAggregate(groups, aggs)
	require.NotNil(t, ah, "count, sum, avg, min and max grouped by an integer must be pushed")
	require.Contains(t, ah.Explain(), "GROUP BY")
	ids := []expr.ColumnID{100}
	for _, a := range aggs {
		ids = append(ids, a.ID)
	}
	for i, col := range ah.Columns() {
		require.Equal(t, ids[i], col.ID)
	}
	got := readAll(t, ah, mem)

	byGroup := map[string][][]any{}
	var order []string
	for _, r := range rows {
		k := key([]any{r[cI16]})
		if _, ok := byGroup[k]; !ok {
			order = append(order, k)
		}
		byGroup[k] = append(byGroup[k], r)
	}
	var want [][]any
	for _, k := range order {
		g := byGroup[k]
		filtered := where(g, func(r []any) bool { return r[cI32] != nil && r[cI32].(int64) > 0 })
		want = append(want, []any{g[0][cI16],
			int64(len(g)), countNonNull(g, cTxt), countDistinct(g, cI32),
			sumInt(g, cI32, false), sumInt(g, cI64, true), sumDec(g, cD38), avgDec(g, cD18, 4, 6), avgDec(g, cD38, 10, 10),
			avgFloat(g, cF64), minMax(g, cI64, -1), minMax(g, cDay, 1), minMax(g, cTS, -1), minMax(g, cD18, 1),
			int64(len(filtered)), sumDec(filtered, cD18),
		})
	}
	// Floating-point sums depend on the order of addition: compare them within a relative
	// tolerance, everything else exactly.
	require.Len(t, got, len(want))
	floatCol := 9
	sortByKey := func(rs [][]any) {
		sort.Slice(rs, func(a, b int) bool { return key(rs[a][:1]) < key(rs[b][:1]) })
	}
	sortByKey(want)
	sortByKey(got)
	for i := range want {
		wf, gf := want[i][floatCol], got[i][floatCol]
		switch {
		case wf == nil:
			require.Nil(t, gf)
		case wf.(float64) == 0:
			require.Zero(t, gf)
		default:
			require.InEpsilon(t, wf.(float64), gf.(float64), 1e-12)
		}
		want[i][floatCol], got[i][floatCol] = nil, nil
	}
	require.Equal(t, keys(want), keys(got), ah.Explain())

	// Without GROUP BY, one row even over no rows.
	filtered, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{boolCall(expr.FnGt, c(cID), expr.Int64Lit(1000))})
	total := filtered.(connectors.AggregatePushdown).ApplyAggregate(nil, []expr.AggCall{
		{ID: 101, Func: "count", Type: expr.Int64},
		{ID: 102, Func: "sum", Args: []expr.Expr{c(cI32)}, Type: expr.Int64}})
	require.NotNil(t, total)
	require.Equal(t, [][]any{{int64(0), nil}}, readAll(t, total, mem))

	// All or nothing: one aggregate the source cannot compute refuses the whole step.
	require.Nil(t, h.(connectors.AggregatePushdown).ApplyAggregate(groups, append(aggs[:1:1],
		expr.AggCall{ID: 120, Func: "string_agg", Args: []expr.Expr{c(cTxt), expr.StringLit(",")}, Type: expr.String})))
	if !s.caps.TextOrder {
		require.Nil(t, h.(connectors.AggregatePushdown).ApplyAggregate(nil, []expr.AggCall{{ID: 120, Func: "max", Args: []expr.Expr{c(cTxt)}, Type: expr.String}}))
	}
}

func countNonNull(rows [][]any, i int) int64 {
	return int64(len(where(rows, func(r []any) bool { return r[i] != nil })))
}

func countDistinct(rows [][]any, i int) int64 {
	seen := map[string]bool{}
	for _, r := range rows {
		if r[i] != nil {
			seen[key(r[i:i+1])] = true
		}
	}
	return int64(len(seen))
}

func sumInt(rows [][]any, i int, asDecimal bool) any {
	sum := new(big.Int)
	n := 0
	for _, r := range rows {
		if r[i] != nil {
			sum.Add(sum, big.NewInt(r[i].(int64)))
			n++
		}
	}
	switch {
	case n == 0:
		return nil
	case asDecimal:
		return decimal128.FromBigInt(sum)
	}
	return sum.Int64()
}

func sumDec(rows [][]any, i int) any {
	sum := new(big.Int)
	n := 0
	for _, r := range rows {
		if r[i] != nil {
			sum.Add(sum, r[i].(decimal128.Num).BigInt())
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return decimal128.FromBigInt(sum)
}

// avgDec is the gateway's exact average: the sum scaled to outScale, divided by the count,
// rounded half away from zero.
func avgDec(rows [][]any, i int, scale, outScale int32) any {
	sum := new(big.Int)
	n := int64(0)
	for _, r := range rows {
		if r[i] != nil {
			sum.Add(sum, r[i].(decimal128.Num).BigInt())
			n++
		}
	}
	if n == 0 {
		return nil
	}
	sum.Mul(sum, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(outScale-scale)), nil))
	q, rem := new(big.Int).QuoRem(sum, big.NewInt(n), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(big.NewInt(n)) >= 0 {
		q.Add(q, big.NewInt(int64(sum.Sign())))
	}
	return decimal128.FromBigInt(q)
}

func avgFloat(rows [][]any, i int) any {
	sum, n := 0.0, 0
	for _, r := range rows {
		if r[i] != nil {
			sum += r[i].(float64)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if math.IsInf(sum, 0) {
		return sum
	}
	return sum / float64(n)
}

func minMax(rows [][]any, i int, sign int) any {
	var best any
	for _, r := range rows {
		if r[i] != nil && (best == nil || compare(r[i], best)*sign > 0) {
			best = r[i]
		}
	}
	return best
}
