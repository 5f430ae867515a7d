package executor

import (
	"sync"
)

// runState is the per-execution bookkeeping of a TaskContext. Plans are immutable and may run
// several times, so operators whose partitions cooperate (a repartition's producers and
// consumers, the build side a hash join shares among its probe partitions) keep that state
// here, keyed by plan node, instead of inside the node.
//
// Contract: one driver (Collect or Reader) runs on a TaskContext at a time, and a plan node
// with shared state appears once in a plan tree. The driver calls finish at the end, which
// waits for every goroutine the execution started and releases whatever shared state no
// stream released, so nothing outlives the query even when partitions were never executed.
type runState struct {
	shared     sync.Map // sharedKey → *sharedEntry
	goroutines sync.WaitGroup

	mu       sync.Mutex
	cleanups []func()

	// counters outlive finish so EXPLAIN ANALYZE can read them after the run.
	counters sync.Map // Plan → *ScanCounters
}

type sharedKey struct {
	node Plan
	tag  string
}

type sharedEntry struct {
	once  sync.Once
	value any
}

// sharedState returns the execution-wide state of node (tag distinguishes several states of
// one node), creating it with init exactly once.
func sharedState[T any](tc *TaskContext, node Plan, tag string, init func() T) T {
	v, _ := tc.run.shared.LoadOrStore(sharedKey{node: node, tag: tag}, &sharedEntry{})
	e := v.(*sharedEntry)
	e.once.Do(func() { e.value = init() })
	return e.value.(T)
}

// goroutine runs f in a goroutine that finish waits for.
func (tc *TaskContext) goroutine(f func()) {
	tc.run.goroutines.Add(1)
	go func() {
		defer tc.run.goroutines.Done()
		f()
	}()
}

// onFinish registers a cleanup that finish runs after every goroutine has exited. Cleanups
// must be idempotent with the normal release path of the state they guard.
func (tc *TaskContext) onFinish(f func()) {
	tc.run.mu.Lock()
	tc.run.cleanups = append(tc.run.cleanups, f)
	tc.run.mu.Unlock()
}

// finish ends an execution: it waits for the goroutines operators started (their contexts
// must already be cancelled or their streams closed), runs the registered cleanups in reverse
// order and forgets all shared state so the context can run another plan.
func (tc *TaskContext) finish() {
	tc.run.goroutines.Wait()
	tc.run.mu.Lock()
	cleanups := tc.run.cleanups
	tc.run.cleanups = nil
	tc.run.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	tc.run.shared.Clear()
}

// batchRows returns the target rows per batch, defaulting when unset.
func (tc *TaskContext) batchRows() int {
	if tc.BatchRows > 0 {
		return tc.BatchRows
	}
	return DefaultBatchRows
}

// checkMemory fails with ResourceExhausted naming op when the query is over its budget.
func (tc *TaskContext) checkMemory(op string) error {
	return tc.Budget.Check(op)
}
