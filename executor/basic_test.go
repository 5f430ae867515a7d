package executor

import (
	"context"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

func TestValues(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, &arrow.Decimal128Type{Precision: 10, Scale: 2})
	rows := [][]any{{int64(1), "a", dec(150)}, {nil, nil, nil}, {int64(3), "c", dec(-5)}}
	v, err := NewValues(schema, rows)
	require.NoError(t, err)
	tc := newTC(t)
	require.Equal(t, rows, run(t, tc, v))

	_, err = NewValues(schema, [][]any{{"not an int", "a", dec(1)}})
	require.Error(t, err)

	require.Empty(t, run(t, tc, NewEmptyRelation(schema)))
	one := run(t, tc, NewSingleRow())
	require.Equal(t, [][]any{{}}, one)
}

func TestFilterProject(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	src := newSource(schema,
		[][][]any{{{int64(1), "a"}, {int64(2), "b"}}, {{nil, "n"}, {int64(4), "d"}}},
		[][][]any{{{int64(5), "e"}}, {{int64(7), "g"}, {int64(8), "h"}}},
	)
	tests := []struct {
		name string
		pred func(int64) bool
		want [][]any
	}{
		{"even", func(v int64) bool { return v%2 == 0 }, [][]any{{int64(2), "b"}, {int64(4), "d"}, {int64(8), "h"}}},
		{"none", func(int64) bool { return false }, nil},
		{"all non-null", func(int64) bool { return true }, [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(4), "d"}, {int64(5), "e"}, {int64(7), "g"}, {int64(8), "h"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTC(t)
			f, err := NewFilter(src, int64Pred(0, tt.pred), tt.name)
			require.NoError(t, err)
			p, err := NewProjectColumns(f, []int{1, 0}, []string{"s", "i"})
			require.NoError(t, err)
			got := run(t, tc, p)
			var want [][]any
			for _, r := range tt.want {
				want = append(want, []any{r[1], r[0]})
			}
			require.Equal(t, sorted(want), sorted(got))
		})
	}
}

func TestProjectTypeMismatch(t *testing.T) {
	tc := newTC(t)
	src := newSource(schemaOf(arrow.PrimitiveTypes.Int64), [][][]any{intRows(1, 2)})
	p, err := NewProject(src, schemaOf(arrow.BinaryTypes.String), []Evaluator{ColumnEvaluator(0)}, nil)
	require.NoError(t, err)
	_, err = Collect(context.Background(), tc, p)
	require.ErrorIs(t, err, errs.Internal)
}

func TestLimit(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for i := range 25 {
		rows = append(rows, []any{int64(i)})
	}
	tests := []struct {
		name          string
		offset, fetch int64
		want          []int64
	}{
		{"fetch", 0, 3, []int64{0, 1, 2}},
		{"offset across batches", 9, 3, []int64{9, 10, 11}},
		{"offset only", 22, -1, []int64{22, 23, 24}},
		{"past end", 30, 5, nil},
		{"zero", 0, 0, nil},
		{"exact batch", 0, 10, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTC(t)
			l, err := NewLimit(rowsSource(schema, rows, 1, 4), tt.offset, tt.fetch)
			require.NoError(t, err)
			var want [][]any
			for _, v := range tt.want {
				want = append(want, []any{v})
			}
			require.Equal(t, want, run(t, tc, l))
		})
	}
	_, err := NewLimit(rowsSource(schema, rows, 2, 4), 0, 1)
	require.ErrorIs(t, err, errs.Internal)

	t.Run("local", func(t *testing.T) {
		tc := newTC(t)
		l, err := NewLocalLimit(rowsSource(schema, rows, 3, 2), 3)
		require.NoError(t, err)
		require.Len(t, run(t, tc, l), 9)
	})
	t.Run("stops an endless input", func(t *testing.T) {
		tc := newTC(t)
		src := rowsSource(schema, rows, 4, 3)
		src.endless = true
		l, err := NewLimit(NewCoalesce(src), 5, 100)
		require.NoError(t, err)
		require.Len(t, run(t, tc, l), 100)
	})
}

func TestMaxOneRow(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	for _, tt := range []struct {
		name string
		rows [][]any
		fail bool
	}{{"zero", nil, false}, {"one", intRows(7), false}, {"two", intRows(1, 2), true}} {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTC(t)
			m, err := NewMaxOneRow(rowsSource(schema, tt.rows, 1, 1))
			require.NoError(t, err)
			got, err := Collect(context.Background(), tc, m)
			defer releaseBatches(got)
			if tt.fail {
				require.ErrorContains(t, err, "more than one row returned by a subquery used as an expression")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.rows, rowsOf(got))
		})
	}
}

func TestUnionAllCoalesce(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	a := rowsSource(schema, intRows(1, 2, 3, 4), 2, 1)
	b := rowsSource(schema, intRows(5, 6), 3, 1)
	u, err := NewUnionAll(a, b)
	require.NoError(t, err)
	require.Equal(t, 5, u.Partitions())
	tc := newTC(t)
	require.Equal(t, sorted(intRows(1, 2, 3, 4, 5, 6)), sorted(run(t, tc, NewCoalesce(u))))
	require.Equal(t, intRows(1, 2, 3, 4, 5, 6), run(t, tc, u), "Collect keeps partition order")

	_, err = NewUnionAll(a, rowsSource(schemaOf(arrow.BinaryTypes.String), nil, 1, 1))
	require.ErrorIs(t, err, errs.Internal)
}

func TestCoalesceError(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	src := rowsSource(schema, intRows(1, 2, 3, 4, 5, 6, 7, 8), 4, 1)
	src.endless = true
	src.failPart, src.failAfter = 2, 1
	tc := newTC(t)
	before := runtime.NumGoroutine()
	_, err := Collect(context.Background(), tc, NewCoalesce(src))
	require.ErrorContains(t, err, "source partition 2 failed")
	waitGoroutines(t, before)
}

func TestRepartition(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String)
	var rows [][]any
	for i := range 200 {
		var k any = int64(i % 17)
		if i%23 == 0 {
			k = nil
		}
		rows = append(rows, []any{k, string(rune('a' + i%5))})
	}
	for _, keys := range [][]int{{0}, {0, 1}, {}} {
		for _, m := range []int{1, 3, 8} {
			tc := newTC(t)
			r, err := NewRepartition(rowsSource(schema, rows, 3, 7), keys, m)
			require.NoError(t, err)
			batches, err := Collect(context.Background(), tc, r)
			require.NoError(t, err)
			require.Equal(t, sorted(rows), sorted(rowsOf(batches)))
			releaseBatches(batches)
			if len(keys) == 0 {
				continue
			}
			// Every key lives in exactly one partition.
			owner := map[string]int{}
			for p := range m {
				s, err := r.Execute(context.Background(), tc, p)
				require.NoError(t, err)
				got, err := drain(context.Background(), s)
				require.NoError(t, err)
				for _, row := range rowsOf(got) {
					k := fmtKey(row, keys)
					if o, ok := owner[k]; ok {
						require.Equal(t, o, p, "key %s in two partitions", k)
					}
					owner[k] = p
				}
				releaseBatches(got)
				s.Close()
			}
			tc.finish()
		}
	}
}

func fmtKey(row []any, keys []int) string {
	var s []any
	for _, k := range keys {
		s = append(s, row[k])
	}
	return fmtAny(s)
}

// TestRepartitionSequentialConsumers reads the output partitions one after the other: with
// bounded per-consumer channels this deadlocks; the gate must let producers go on while a
// consumer waits.
func TestRepartitionSequentialConsumers(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	var rows [][]any
	for i := range 500 {
		rows = append(rows, []any{int64(i)})
	}
	tc := newTC(t)
	r, err := NewRepartition(rowsSource(schema, rows, 2, 5), []int{0}, 4)
	require.NoError(t, err)
	var all [][]any
	for p := range 4 {
		s, err := r.Execute(context.Background(), tc, p)
		require.NoError(t, err)
		got, err := drain(context.Background(), s)
		require.NoError(t, err)
		all = append(all, rowsOf(got)...)
		releaseBatches(got)
		s.Close()
	}
	tc.finish()
	require.Equal(t, sorted(rows), sorted(all))
}

// TestRepartitionEarlyClose closes consumers early, one never executed: producers must stop
// and every batch be released.
func TestRepartitionEarlyClose(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	src := rowsSource(schema, intRows(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 3, 2)
	src.endless = true
	before := runtime.NumGoroutine()
	tc := newTC(t)
	r, err := NewRepartition(src, []int{0}, 3)
	require.NoError(t, err)
	s0, err := r.Execute(context.Background(), tc, 0)
	require.NoError(t, err)
	s1, err := r.Execute(context.Background(), tc, 1)
	require.NoError(t, err)
	for range 5 {
		b, err := s0.Next()
		require.NoError(t, err)
		b.Release()
	}
	s0.Close()
	b, err := s1.Next()
	require.NoError(t, err)
	b.Release()
	s1.Close()
	// Partition 2 was never executed: only the end of the execution can stop the producers.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = ctx
	tc.run.shared.Range(func(_, v any) bool {
		if ex, ok := v.(*sharedEntry).value.(*exchange); ok {
			ex.cleanup()
		}
		return true
	})
	tc.finish()
	waitGoroutines(t, before)
}

func TestReaderEarlyRelease(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	src := rowsSource(schema, intRows(1, 2, 3, 4, 5, 6), 3, 1)
	src.endless = true
	before := runtime.NumGoroutine()
	tc := newTC(t)
	rep, err := NewRepartition(src, []int{0}, 4)
	require.NoError(t, err)
	rd, err := Reader(context.Background(), tc, rep)
	require.NoError(t, err)
	for range 10 {
		require.True(t, rd.Next())
		require.NotNil(t, rd.RecordBatch())
	}
	rd.Release()
	require.NoError(t, rd.Err())
	waitGoroutines(t, before)
}

func TestReaderCancel(t *testing.T) {
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	src := rowsSource(schema, intRows(1, 2, 3, 4, 5, 6), 3, 1)
	src.endless = true
	before := runtime.NumGoroutine()
	tc := newTC(t)
	ctx, cancel := context.WithCancel(context.Background())
	rd, err := Reader(ctx, tc, NewCoalesce(src))
	require.NoError(t, err)
	require.True(t, rd.Next())
	cancel()
	for rd.Next() {
	}
	require.ErrorIs(t, rd.Err(), context.Canceled)
	rd.Release()
	waitGoroutines(t, before)
}
