package executor

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
)

type fakeSplit int

func (s fakeSplit) String() string { return fmt.Sprintf("split %d", int(s)) }

// fakeHandle serves split i as rows [i*per, (i+1)*per) of one int64 column.
type fakeHandle struct {
	splits, per int
}

func (h *fakeHandle) Columns() []connectors.Column {
	return []connectors.Column{{ID: expr.ColumnID(1), Name: "x", Type: i64}}
}
func (h *fakeHandle) Stats() connectors.Stats { return connectors.Unknown }
func (h *fakeHandle) Splits(context.Context) ([]connectors.Split, error) {
	out := make([]connectors.Split, h.splits)
	for i := range out {
		out[i] = fakeSplit(i)
	}
	return out, nil
}
func (h *fakeHandle) Explain() string { return "fake" }

func (h *fakeHandle) Scan(ctx context.Context, split connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	i := int(split.(fakeSplit))
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: i64}}, nil)
	var recs []arrow.RecordBatch
	for from := i * h.per; from < (i+1)*h.per; from += opts.BatchRows {
		bld := array.NewInt64Builder(opts.Alloc)
		for v := from; v < min(from+opts.BatchRows, (i+1)*h.per); v++ {
			bld.Append(int64(v))
		}
		arr := bld.NewArray()
		bld.Release()
		recs = append(recs, array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len())))
		arr.Release()
	}
	r, err := array.NewRecordReader(schema, recs)
	releaseBatches(recs)
	return r, err
}

func TestScan(t *testing.T) {
	for _, tt := range []struct{ splits, target, wantParts int }{{0, 4, 1}, {1, 4, 1}, {5, 2, 2}, {3, 8, 3}} {
		t.Run(fmt.Sprint(tt), func(t *testing.T) {
			h := &fakeHandle{splits: tt.splits, per: 10}
			splits, _ := h.Splits(context.Background())
			s, err := NewScan(h, splits, ScanOptions{TargetPartitions: tt.target})
			require.NoError(t, err)
			require.Equal(t, tt.wantParts, s.Partitions())
			tc := newTC(t)
			tc.BatchRows = 4
			tc.Analyze = NewMetrics()
			got := run(t, tc, s)
			require.Len(t, got, tt.splits*10)
			seen := map[int64]bool{}
			for _, r := range got {
				seen[r[0].(int64)] = true
			}
			require.Len(t, seen, tt.splits*10)
			if tt.splits > 0 {
				m := tc.Analyze.Lookup(s)
				require.NotNil(t, m)
				require.Equal(t, int64(tt.splits*10), m.Rows.Load())
			}
		})
	}
	t.Run("counters", func(t *testing.T) {
		h := &fakeHandle{splits: 3, per: 5}
		splits, _ := h.Splits(context.Background())
		s, err := NewScan(h, splits, ScanOptions{})
		require.NoError(t, err)
		tc := newTC(t)
		batches, err := Collect(context.Background(), tc, s)
		require.NoError(t, err)
		releaseBatches(batches)
		c := s.Counters(tc)
		require.Equal(t, int64(15), c.Rows.Load())
		require.Equal(t, int64(3), c.Splits.Load())
		require.GreaterOrEqual(t, c.Bytes.Load(), int64(15*8))
	})
}

// TestCancellationMidStream cancels long-running plans of every blocking operator kind and
// checks that no goroutine or byte is left behind.
func TestCancellationMidStream(t *testing.T) {
	schema := schemaOf(i64, i64)
	endless := func() *source {
		var rows [][]any
		for i := range 100 {
			rows = append(rows, []any{int64(i % 7), int64(i)})
		}
		s := rowsSource(schema, rows, 3, 10)
		s.endless = true
		return s
	}
	plans := map[string]func() Plan{
		"aggregate": func() Plan {
			ex, _ := NewRepartition(endless(), []int{0}, 2)
			h, _ := NewHashAggregate(ex, HashAggregateOptions{GroupKeys: []int{0}, Aggregates: []Aggregate{{Func: "sum", Args: []int{1}}}})
			return h
		},
		"sort": func() Plan {
			s, _ := NewSort(endless(), []SortColumn{{Column: 1}})
			m, _ := NewSortPreservingMerge(s, []SortColumn{{Column: 1}})
			return m
		},
		"topn": func() Plan {
			top, _ := NewTopN(endless(), []SortColumn{{Column: 1}}, 0, 5)
			return top
		},
		"window": func() Plan {
			w, _ := NewWindow(endless(), WindowOptions{Funcs: []WindowFunc{{Func: "row_number"}}})
			return w
		},
		"setop": func() Plan {
			op, _ := NewSetOp(Except, true, endless(), endless())
			return op
		},
	}
	for name, mk := range plans {
		t.Run(name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			tc := newTC(t)
			ctx, cancel := context.WithCancel(context.Background())
			plan := mk()
			done := make(chan error, 1)
			go func() {
				batches, err := Collect(ctx, tc, plan)
				releaseBatches(batches)
				done <- err
			}()
			// Let the plan get going: wait until it allocated something.
			for tc.Budget.Used() == 0 {
				runtime.Gosched()
			}
			cancel()
			require.ErrorIs(t, <-done, context.Canceled)
			waitGoroutines(t, before)
		})
	}
}
