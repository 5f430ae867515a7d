package executor

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Plan is a physical operator. A plan is immutable and can be executed several times; each
// Execute call starts one partition of its output.
type Plan interface {
	Schema() *arrow.Schema
	// Partitions is the number of output partitions; Execute accepts 0..Partitions()-1.
	Partitions() int
	Children() []Plan
	// Execute starts partition p and returns its stream. It does no I/O before the stream's
	// first Next.
	Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error)
	// Describe names the operator and its arguments for EXPLAIN ("HashJoin", "INNER on a=b").
	Describe() (name, detail string)
}

// Stream yields the record batches of one partition.
type Stream interface {
	// Next returns the next non-empty batch, owned by the caller, or (nil, io.EOF) at the end.
	Next() (arrow.RecordBatch, error)
	// Close releases the stream's resources; it is safe to call more than once and after an
	// error. It does not release batches already returned.
	Close()
}

// EOF is returned by Stream.Next at the end of a stream.
var EOF = io.EOF

// TaskContext carries per-query execution state shared by all partitions.
type TaskContext struct {
	// Alloc allocates every buffer the query creates; it is wrapped by the Budget so the
	// query fails with ResourceExhausted instead of taking the node down.
	Alloc memory.Allocator
	// Budget tracks the query's memory.
	Budget *Budget
	// BatchRows is the target number of rows per batch.
	BatchRows int
	// Analyze records per-operator metrics for EXPLAIN ANALYZE when not nil.
	Analyze *Metrics

	// run holds the state that the partitions of one execution share (exchanges, join build
	// sides) and the goroutines they start; see shared.go.
	run runState
}

// DefaultBatchRows is the default number of rows per batch.
const DefaultBatchRows = 64 * 1024

// NewTaskContext returns a context with a budget of maxMemory bytes (<= 0: unlimited) over
// the base allocator.
func NewTaskContext(base memory.Allocator, maxMemory int64) *TaskContext {
	b := NewBudget(base, maxMemory)
	return &TaskContext{Alloc: b, Budget: b, BatchRows: DefaultBatchRows}
}

// Run starts partition p of plan, instrumenting it when the task is being analyzed.
// Operators start their children through Run, never through Execute directly.
func (tc *TaskContext) Run(ctx context.Context, plan Plan, p int) (Stream, error) {
	s, err := plan.Execute(ctx, tc, p)
	if err != nil || tc.Analyze == nil {
		return s, err
	}
	return tc.Analyze.instrument(plan, s), nil
}
