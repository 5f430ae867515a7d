// Package physical builds the executor plan for an optimized logical plan: it resolves column
// IDs to positions, compiles expressions (executor/eval), projects computed keys so operators
// work on plain columns, chooses aggregation modes (partial/final across a hash exchange),
// join strategies and build sides from estimates, and merges sorted partitions. It also
// renders EXPLAIN and EXPLAIN ANALYZE from the plan it built.
//
// It imports executor, executor/eval, planner/logical, planner/expr, planner/rules (for
// estimates) and connectors; it must not import catalog, governance or flight.
package physical
