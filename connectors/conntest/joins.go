package conntest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

var lineColumns = []ColumnSpec{{"order_id", expr.Int64}, {"qty", expr.Int32}, {"note", expr.String}}

func lineRows() [][]any {
	return [][]any{
		{int64(1), int64(5), "x"}, {int64(1), int64(6), "y"}, {int64(3), int64(7), "z"},
		{int64(42), int64(8), "w"}, {nil, int64(9), "n"},
	}
}

// join pushes joins of two tables of the source and compares with a nested-loop join in Go.
func (s *suite) join(t *testing.T) {
	if s.caps.PruneOnly {
		t.Skip("a pruning connector pushes no join")
	}
	mem := testutil.CheckedAllocator(t)
	lines := s.h.CreateTable(t, TableSpec{Name: "lines", Columns: lineColumns, Rows: lineRows()})
	left := openAll(t, s.src, s.typed, typedColumns).(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{cID + 1, cI32 + 1})
	require.NotNil(t, left)
	rh, err := s.src.OpenTable(context.Background(), lines, connCols(lineColumns, 201))
	require.NoError(t, err)
	require.True(t, left.(connectors.SameSource).SameSource(rh))
	on := boolCall(expr.FnEq, &expr.ColumnRef{ID: cID + 1, Name: "id", Type: expr.Int64}, &expr.ColumnRef{ID: 201, Name: "order_id", Type: expr.Int64})

	lrows := project(typedRows(), cID, cI32)
	rrows := lineRows()
	match := func(l, r []any) bool { return r[0] != nil && l[0].(int64) == r[0].(int64) }
	nulls := func(n int) []any { return make([]any, n) }
	type tc struct {
		kind expr.JoinKind
		want func() [][]any
		ok   bool
	}
	for _, c := range []tc{
		{expr.InnerJoin, func() (out [][]any) {
			for _, l := range lrows {
				for _, r := range rrows {
					if match(l, r) {
						out = append(out, append(append([]any{}, l...), r...))
					}
				}
			}
			return out
		}, true},
		{expr.LeftJoin, func() (out [][]any) {
			for _, l := range lrows {
				found := false
				for _, r := range rrows {
					if match(l, r) {
						found = true
						out = append(out, append(append([]any{}, l...), r...))
					}
				}
				if !found {
					out = append(out, append(append([]any{}, l...), nulls(3)...))
				}
			}
			return out
		}, true},
		{expr.FullJoin, func() (out [][]any) {
			for _, l := range lrows {
				found := false
				for _, r := range rrows {
					if match(l, r) {
						found = true
						out = append(out, append(append([]any{}, l...), r...))
					}
				}
				if !found {
					out = append(out, append(append([]any{}, l...), nulls(3)...))
				}
			}
			for _, r := range rrows {
				found := false
				for _, l := range lrows {
					found = found || match(l, r)
				}
				if !found {
					out = append(out, append(nulls(2), r...))
				}
			}
			return out
		}, s.caps.FullJoin},
		{expr.SemiJoin, func() (out [][]any) {
			for _, l := range lrows {
				for _, r := range rrows {
					if match(l, r) {
						out = append(out, l)
						break
					}
				}
			}
			return out
		}, true},
		{expr.AntiJoin, func() (out [][]any) {
			for _, l := range lrows {
				found := false
				for _, r := range rrows {
					found = found || match(l, r)
				}
				if !found {
					out = append(out, l)
				}
			}
			return out
		}, true},
		{expr.NullAwareAntiJoin, nil, false},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			jh := left.(connectors.JoinPushdown).ApplyJoin(rh, c.kind, on)
			if !c.ok {
				require.Nil(t, jh)
				return
			}
			require.NotNil(t, jh)
			wantCols := 2
			if c.kind.OutputsRight() {
				wantCols = 5
			}
			require.Len(t, jh.Columns(), wantCols)
			requireSameRows(t, c.want(), readAll(t, jh, mem), jh.Explain())
		})
	}
}

// splits checks that splits partition the rows: every split read, unioned, equals one read of
// the whole table, for key ranges (with NULL keys) and physical ranges, with and without a
// filter.
func (s *suite) splits(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	cols := []ColumnSpec{{"k", expr.Int64}, {"id", expr.Int64}, {"txt", expr.String}}
	rows := make([][]any, 3000)
	for i := range rows {
		var k any = int64(i*7 - 5000)
		if i%100 == 0 {
			k = nil
		}
		rows[i] = []any{k, int64(i), fmt.Sprintf("row %d", i)}
	}
	type tc struct {
		name    string
		options map[string]string
		want    int
	}
	cases := []tc{
		{"key ranges", map[string]string{"split_column": "k", "splits": "4"}, 4},
		{"one split", map[string]string{"splits": "1"}, 1},
	}
	if s.caps.PhysicalSplits {
		cases = append(cases, tc{"physical ranges", map[string]string{"splits": "3"}, 3})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			obj := s.h.CreateTable(t, TableSpec{Name: "splits", Columns: cols, Rows: rows, Options: c.options})
			h := openAll(t, s.src, obj, cols)
			splits := mustSplits(t, h)
			require.Len(t, splits, c.want)
			var union [][]any
			for _, sp := range splits {
				union = append(union, readSplit(t, h, sp, mem, 0)...)
			}
			requireSameRows(t, rows, union)
			// Filtered: the split predicate and the filter combine.
			fh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{boolCall(expr.FnLt, ref(cols, 1), expr.Int64Lit(1500))})
			require.NotNil(t, fh)
			union = nil
			for _, sp := range mustSplits(t, fh) {
				union = append(union, readSplit(t, fh, sp, mem, 0)...)
			}
			keep := func(r []any) bool { return r[1].(int64) < 1500 }
			if s.caps.PruneOnly {
				// Pruned row groups are gone; the rest comes back whole.
				require.Subset(t, keys(rows), keys(union))
				union = where(union, keep)
			}
			requireSameRows(t, where(rows, keep), union)
			if s.caps.PruneOnly {
				return
			}
			// An aggregate is never split: partial results would be wrong.
			ah := h.(connectors.AggregatePushdown).ApplyAggregate(nil, []expr.AggCall{{ID: 100, Func: "count", Type: expr.Int64}})
			require.Len(t, mustSplits(t, ah), 1)
			require.Equal(t, [][]any{{int64(len(rows))}}, readAll(t, ah, mem))
		})
	}
}

// pushedSQL records the SQL of every pushdown kind in testdata/pushdown.golden.
func (s *suite) pushedSQL(t *testing.T) {
	h := openAll(t, s.src, s.typed, typedColumns)
	lines := s.h.CreateTable(t, TableSpec{Name: "lines", Columns: lineColumns, Rows: lineRows()})
	rh, err := s.src.OpenTable(context.Background(), lines, connCols(lineColumns, 201))
	require.NoError(t, err)
	c := func(i int) expr.Expr { return col(i, nil) }
	filtered, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		boolCall(expr.FnGt, c(cI64), expr.Int64Lit(5)),
		boolCall(expr.FnEq, c(cTxt), expr.StringLit("alpha")),
		&expr.InList{Arg: c(cDay), List: []expr.Expr{expr.DateLit(day(2024, 2, 29))}},
	})
	steps := []struct {
		name string
		h    connectors.TableHandle
	}{
		{"scan", h},
		{"filter", filtered},
		{"projection", h.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{cTxt + 1, cID + 1})},
		{"limit", h.(connectors.LimitPushdown).ApplyLimit(10)},
	}
	if !s.caps.PruneOnly {
		steps = append(steps, []struct {
			name string
			h    connectors.TableHandle
		}{
			{"topN", h.(connectors.TopNPushdown).ApplyTopN([]expr.SortKey{{Expr: c(cD18), Desc: true}, {Expr: c(cID)}}, 5)},
			{"aggregate", h.(connectors.AggregatePushdown).ApplyAggregate([]expr.NamedExpr{{ID: 100, Name: "i16", Expr: c(cI16)}},
				[]expr.AggCall{{ID: 101, Func: "count", Type: expr.Int64}, {ID: 102, Func: "avg", Args: []expr.Expr{c(cD18)}, Type: expr.Decimal(38, 6)}})},
			{"join", h.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{cID + 1}).(connectors.JoinPushdown).ApplyJoin(rh, expr.InnerJoin,
				boolCall(expr.FnEq, c(cID), &expr.ColumnRef{ID: 201, Name: "order_id", Type: expr.Int64}))},
		}...)
	}
	var b strings.Builder
	for _, st := range steps {
		require.NotNil(t, st.h, st.name)
		explain := strings.ReplaceAll(st.h.Explain(), s.typed.Table, "<typed>")
		explain = strings.ReplaceAll(explain, lines.Table, "<lines>")
		fmt.Fprintf(&b, "-- %s\n%s\n\n", st.name, unique.ReplaceAllString(explain, "<table>"))
	}
	golden(t, "pushdown.golden", b.String())
}

// unique matches the suffix harnesses add to table names.
var unique = regexp.MustCompile(`_[0-9a-f]{8}\b`)
