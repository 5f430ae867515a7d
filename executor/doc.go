// Package executor runs physical plans: vectorized operators over arrow.RecordBatch streams,
// one goroutine per partition (DataFusion's ExecutionPlan model). It owns scan, filter,
// project (masks included, as kernels from executor/eval), hash join, hash aggregate, sort and
// top-N, window, limit, union and set operations, exchanges (hash repartition and merge), the
// per-query memory budget and cancellation.
//
// Ownership: a batch returned by Stream.Next belongs to the caller, who releases it; a batch
// handed to another goroutine is retained first and released by its consumer. Tests run every
// operator with memory.NewCheckedAllocator and assert zero bytes leaked, also on error and
// cancellation paths.
//
// It imports planner/expr (the expression IR) and connectors (to scan handles); it must not
// import planner, catalog, governance or flight.
package executor
