package executor

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/testutil"
)

// newTC returns a task context over a checked allocator (zero leaks asserted at cleanup).
func newTC(t testing.TB) *TaskContext {
	t.Helper()
	return NewTaskContext(testutil.CheckedAllocator(t), 0)
}

func schemaOf(types ...arrow.DataType) *arrow.Schema {
	fields := make([]arrow.Field, len(types))
	for i, dt := range types {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: dt, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// source is a test plan whose partitions hold literal batches, built from tc.Alloc at each
// execution.
type source struct {
	schema *arrow.Schema
	parts  [][][][]any // partition → batch → row → value
	// failAfter makes partition failPart return an error after that many batches.
	failPart, failAfter int
	// endless makes every partition repeat its batches forever (for cancellation tests).
	endless bool
}

func newSource(schema *arrow.Schema, parts ...[][][]any) *source {
	if len(parts) == 0 {
		parts = [][][][]any{nil}
	}
	return &source{schema: schema, parts: parts, failPart: -1}
}

// rowsSource splits rows over n partitions in batches of batchRows.
func rowsSource(schema *arrow.Schema, rows [][]any, partitions, batchRows int) *source {
	parts := make([][][][]any, partitions)
	per := (len(rows) + partitions - 1) / max(partitions, 1)
	for p := range partitions {
		lo, hi := min(p*per, len(rows)), min((p+1)*per, len(rows))
		for b := lo; b < hi; b += batchRows {
			parts[p] = append(parts[p], rows[b:min(b+batchRows, hi)])
		}
	}
	return newSource(schema, parts...)
}

func (s *source) Schema() *arrow.Schema      { return s.schema }
func (s *source) Partitions() int            { return len(s.parts) }
func (s *source) Children() []Plan           { return nil }
func (s *source) Describe() (string, string) { return "TestSource", "" }

func (s *source) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	i := 0
	return &funcStream{next: func() (arrow.RecordBatch, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p == s.failPart && i == s.failAfter {
			return nil, fmt.Errorf("source partition %d failed", p)
		}
		batches := s.parts[p]
		if i >= len(batches) {
			if !s.endless || len(batches) == 0 {
				return nil, EOF
			}
			i = 0
		}
		rows := batches[i]
		i++
		v := &Values{schema: s.schema, rows: rows}
		b, err := v.build(tc.Alloc, 0, len(rows))
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			return nil, EOF
		}
		return b, nil
	}}, nil
}

// value returns row i of arr as a canonical Go value (as in expr.Literal).
func value(arr arrow.Array, i int) any {
	if arr.IsNull(i) || arr.DataType().ID() == arrow.NULL {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Decimal128:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.MonthDayNanoInterval:
		return a.Value(i)
	case *array.List:
		start, end := a.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, value(a.ListValues(), int(j)))
		}
		return out
	}
	panic("value: unsupported " + arr.DataType().String())
}

func rowsOf(batches []arrow.RecordBatch) [][]any {
	var out [][]any
	for _, b := range batches {
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]any, b.NumCols())
			for c := range row {
				row[c] = value(b.Column(c), r)
			}
			out = append(out, row)
		}
	}
	return out
}

// run collects a plan's rows and releases its batches.
func run(t testing.TB, tc *TaskContext, plan Plan) [][]any {
	t.Helper()
	batches, err := Collect(context.Background(), tc, plan)
	require.NoError(t, err)
	defer releaseBatches(batches)
	for _, b := range batches {
		require.True(t, b.Schema().Equal(plan.Schema()) || sameTypes(b.Schema(), plan.Schema()), "batch schema %s differs from plan schema %s", b.Schema(), plan.Schema())
		require.NotZero(t, b.NumRows(), "streams must not return empty batches")
	}
	return rowsOf(batches)
}

// sorted orders rows by their printed form, for order-insensitive comparisons.
func sorted(rows [][]any) [][]any {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func dec(v int64) decimal128.Num { return decimal128.FromI64(v) }

// waitGoroutines fails unless the goroutine count drops to at most want before a deadline.
// It polls (yielding the processor) instead of sleeping.
func waitGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:n])
		}
		runtime.Gosched()
	}
}

// evalFunc adapts a function to Evaluator.
type evalFunc func(alloc memory.Allocator, b arrow.RecordBatch) (arrow.Array, error)

func (f evalFunc) Eval(alloc memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	return f(alloc, b)
}

// int64Pred builds a predicate over an int64 column (NULL input gives NULL).
func int64Pred(col int, f func(int64) bool) Predicate {
	return evalFunc(func(alloc memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
		in := b.Column(col).(*array.Int64)
		bld := array.NewBooleanBuilder(alloc)
		defer bld.Release()
		for i := 0; i < in.Len(); i++ {
			if in.IsNull(i) {
				bld.AppendNull()
			} else {
				bld.Append(f(in.Value(i)))
			}
		}
		return bld.NewArray(), nil
	})
}

func intRows(vals ...any) [][]any {
	out := make([][]any, len(vals))
	for i, v := range vals {
		if x, ok := v.(int); ok {
			v = int64(x)
		}
		out[i] = []any{v}
	}
	return out
}

var nan = math.NaN()

func fmtAny(v any) string { return fmt.Sprintf("%#v", v) }

// countingPlan counts partition executions of the wrapped plan.
type countingPlan struct {
	Plan
	executions atomic.Int64
}

func (c *countingPlan) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	c.executions.Add(1)
	return c.Plan.Execute(ctx, tc, p)
}
