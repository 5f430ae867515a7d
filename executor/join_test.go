package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// lessPred is a residual "col a < col b" over int64 columns of the joined batch; NULL if
// either is NULL.
func lessPred(a, b int) Predicate {
	return evalFunc(func(alloc memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
		x, y := batch.Column(a).(*array.Int64), batch.Column(b).(*array.Int64)
		bld := array.NewBooleanBuilder(alloc)
		defer bld.Release()
		for i := 0; i < x.Len(); i++ {
			if x.IsNull(i) || y.IsNull(i) {
				bld.AppendNull()
			} else {
				bld.Append(x.Value(i) < y.Value(i))
			}
		}
		return bld.NewArray(), nil
	})
}

// refJoin is a nested-loop reference: keys pair left column lk with right column rk (NULL
// never matches), residual "left[la] < right[ra]" when la >= 0.
func refJoin(kind expr.JoinKind, left, right [][]any, lk, rk int, la, ra int, equi bool) [][]any {
	nl, nr := 0, 0
	if len(left) > 0 {
		nl = len(left[0])
	}
	if len(right) > 0 {
		nr = len(right[0])
	}
	nr = max(nr, 2)
	nl = max(nl, 2)
	match := func(l, r []any) bool {
		if equi && (l[lk] == nil || r[rk] == nil || l[lk] != r[rk]) {
			return false
		}
		if la >= 0 {
			a, b := l[la], r[ra]
			if a == nil || b == nil || a.(int64) >= b.(int64) {
				return false
			}
		}
		return true
	}
	nulls := func(n int) []any { return make([]any, n) }
	var out [][]any
	rightMatched := make([]bool, len(right))
	for _, l := range left {
		found := false
		for j, r := range right {
			if match(l, r) {
				found = true
				rightMatched[j] = true
				if kind.OutputsRight() {
					out = append(out, append(append([]any{}, l...), r...))
				}
			}
		}
		switch kind {
		case expr.LeftJoin, expr.FullJoin:
			if !found {
				out = append(out, append(append([]any{}, l...), nulls(nr)...))
			}
		case expr.SemiJoin:
			if found {
				out = append(out, l)
			}
		case expr.AntiJoin:
			if !found {
				out = append(out, l)
			}
		case expr.NullAwareAntiJoin:
			rightNull := false
			for _, r := range right {
				rightNull = rightNull || r[rk] == nil
			}
			switch {
			case len(right) == 0:
				out = append(out, l)
			case rightNull, l[lk] == nil, found:
			default:
				out = append(out, l)
			}
		}
	}
	if kind == expr.RightJoin || kind == expr.FullJoin {
		for j, r := range right {
			if !rightMatched[j] {
				out = append(out, append(nulls(nl), r...))
			}
		}
	}
	return out
}

func randomJoinRows(rng *rand.Rand, n, keys int) [][]any {
	var rows [][]any
	for range n {
		var k any = int64(rng.IntN(keys))
		if rng.IntN(8) == 0 {
			k = nil
		}
		var v any = int64(rng.IntN(100))
		if rng.IntN(10) == 0 {
			v = nil
		}
		rows = append(rows, []any{k, v})
	}
	return rows
}

func TestHashJoinKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	schema := schemaOf(i64, i64)
	kinds := []expr.JoinKind{expr.InnerJoin, expr.LeftJoin, expr.RightJoin, expr.FullJoin, expr.SemiJoin, expr.AntiJoin, expr.NullAwareAntiJoin}
	type dataset struct {
		name        string
		left, right [][]any
	}
	data := []dataset{
		{"random", randomJoinRows(rng, 120, 15), randomJoinRows(rng, 60, 15)},
		{"empty build", randomJoinRows(rng, 20, 5), nil},
		{"empty probe", nil, randomJoinRows(rng, 20, 5)},
		{"no null build keys", randomJoinRows(rng, 50, 10), [][]any{{int64(1), int64(5)}, {int64(1), int64(50)}, {int64(2), nil}}},
	}
	for _, kind := range kinds {
		for _, d := range data {
			for _, residual := range []bool{false, true} {
				if residual && kind == expr.NullAwareAntiJoin {
					continue
				}
				name := fmt.Sprintf("%s/%s/residual=%v", kind, d.name, residual)
				t.Run(name, func(t *testing.T) {
					for _, parts := range [][2]int{{1, 1}, {3, 2}} {
						tc := newTC(t)
						tc.BatchRows = 7 // force pair chunking and several output batches
						opts := HashJoinOptions{Kind: kind, Keys: []JoinKey{{0, 0}}}
						la, ra := -1, -1
						if residual {
							opts.Residual, opts.ResidualText = lessPred(1, 3), "l.v < r.v"
							la, ra = 1, 1
						}
						j, err := NewHashJoin(rowsSource(schema, d.left, parts[0], 5), rowsSource(schema, d.right, parts[1], 4), opts)
						require.NoError(t, err)
						want := refJoin(kind, d.left, d.right, 0, 0, la, ra, true)
						require.Equal(t, sorted(want), sorted(run(t, tc, j)))
					}
				})
			}
		}
	}
}

func TestHashJoinMultiKeyTypes(t *testing.T) {
	ls := schemaOf(str, d152, i64)
	rs := schemaOf(d152, str, i64)
	left := [][]any{{"a", dec(1), int64(1)}, {"a", dec(2), int64(2)}, {nil, dec(1), int64(3)}, {"b", nil, int64(4)}, {"a", dec(1), int64(5)}}
	right := [][]any{{dec(1), "a", int64(10)}, {dec(1), "a", int64(11)}, {dec(1), nil, int64(12)}, {nil, "b", int64(13)}}
	tc := newTC(t)
	j, err := NewHashJoin(rowsSource(ls, left, 2, 2), rowsSource(rs, right, 2, 1), HashJoinOptions{Kind: expr.InnerJoin, Keys: []JoinKey{{0, 1}, {1, 0}}})
	require.NoError(t, err)
	got := run(t, tc, j)
	require.Equal(t, sorted([][]any{
		{"a", dec(1), int64(1), dec(1), "a", int64(10)}, {"a", dec(1), int64(1), dec(1), "a", int64(11)},
		{"a", dec(1), int64(5), dec(1), "a", int64(10)}, {"a", dec(1), int64(5), dec(1), "a", int64(11)},
	}), sorted(got))

	_, err = NewHashJoin(rowsSource(ls, nil, 1, 1), rowsSource(rs, nil, 1, 1), HashJoinOptions{Kind: expr.InnerJoin, Keys: []JoinKey{{0, 0}}})
	require.ErrorIs(t, err, errs.Internal, "key types must match")
}

func TestHashJoinBuildOnce(t *testing.T) {
	schema := schemaOf(i64, i64)
	rows := randomJoinRows(rand.New(rand.NewPCG(1, 1)), 40, 5)
	counting := &countingPlan{Plan: rowsSource(schema, rows, 3, 4)}
	tc := newTC(t)
	j, err := NewHashJoin(rowsSource(schema, rows, 8, 3), counting, HashJoinOptions{Kind: expr.InnerJoin, Keys: []JoinKey{{0, 0}}})
	require.NoError(t, err)
	run(t, tc, j)
	require.Equal(t, int64(3), counting.executions.Load(), "each build partition runs exactly once for 8 probe partitions")
}

func TestHashJoinBuildError(t *testing.T) {
	schema := schemaOf(i64, i64)
	build := rowsSource(schema, randomJoinRows(rand.New(rand.NewPCG(1, 1)), 40, 5), 3, 4)
	build.failPart, build.failAfter = 1, 1
	tc := newTC(t)
	j, err := NewHashJoin(rowsSource(schema, randomJoinRows(rand.New(rand.NewPCG(2, 1)), 40, 5), 4, 3), build, HashJoinOptions{Kind: expr.FullJoin, Keys: []JoinKey{{0, 0}}})
	require.NoError(t, err)
	before := runtime.NumGoroutine()
	_, err = Collect(context.Background(), tc, j)
	require.ErrorContains(t, err, "source partition 1 failed")
	waitGoroutines(t, before)
}

func TestHashJoinBudget(t *testing.T) {
	schema := schemaOf(i64, i64)
	rows := randomJoinRows(rand.New(rand.NewPCG(1, 1)), 20000, 5000)
	tc := newTC(t)
	tc.Budget = NewBudget(tc.Alloc, 100*1024)
	tc.Alloc = tc.Budget
	j, err := NewHashJoin(rowsSource(schema, rows[:10], 1, 5), rowsSource(schema, rows, 2, 1000), HashJoinOptions{Kind: expr.InnerJoin, Keys: []JoinKey{{0, 0}}})
	require.NoError(t, err)
	_, err = Collect(context.Background(), tc, j)
	require.ErrorIs(t, err, errs.ResourceExhausted)
	require.ErrorContains(t, err, "HashJoin (build side)")
}

func TestNestedLoopJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	schema := schemaOf(i64, i64)
	left, right := randomJoinRows(rng, 40, 5), randomJoinRows(rng, 15, 5)
	for _, kind := range []expr.JoinKind{expr.CrossJoin, expr.InnerJoin, expr.LeftJoin, expr.RightJoin, expr.FullJoin, expr.SemiJoin, expr.AntiJoin} {
		for _, withOn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/on=%v", kind, withOn), func(t *testing.T) {
				tc := newTC(t)
				tc.BatchRows = 11
				opts := NestedLoopJoinOptions{Kind: kind}
				la, ra := -1, -1
				if withOn {
					opts.On, opts.OnText = lessPred(1, 3), "l.v < r.v"
					la, ra = 1, 1
				}
				j, err := NewNestedLoopJoin(rowsSource(schema, left, 2, 6), rowsSource(schema, right, 2, 4), opts)
				require.NoError(t, err)
				refKind := kind
				if kind == expr.CrossJoin {
					refKind = expr.InnerJoin
				}
				require.Equal(t, sorted(refJoin(refKind, left, right, 0, 0, la, ra, false)), sorted(run(t, tc, j)))
			})
		}
	}
	_, err := NewNestedLoopJoin(rowsSource(schema, nil, 1, 1), rowsSource(schema, nil, 1, 1), NestedLoopJoinOptions{Kind: expr.NullAwareAntiJoin})
	require.ErrorIs(t, err, errs.NotSupported)
}

func TestJoinCancellation(t *testing.T) {
	schema := schemaOf(i64, i64)
	probe := rowsSource(schema, randomJoinRows(rand.New(rand.NewPCG(5, 1)), 100, 5), 3, 10)
	probe.endless = true
	before := runtime.NumGoroutine()
	tc := newTC(t)
	j, err := NewHashJoin(probe, rowsSource(schema, randomJoinRows(rand.New(rand.NewPCG(6, 1)), 30, 5), 2, 5), HashJoinOptions{Kind: expr.FullJoin, Keys: []JoinKey{{0, 0}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	rd, err := Reader(ctx, tc, j)
	require.NoError(t, err)
	for range 20 {
		require.True(t, rd.Next())
	}
	cancel()
	for rd.Next() {
	}
	require.ErrorIs(t, rd.Err(), context.Canceled)
	rd.Release()
	waitGoroutines(t, before)
}
