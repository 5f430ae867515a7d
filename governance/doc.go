// Package governance owns principals, identities, policies (access grants, row filters,
// column masks), their evaluation for a principal and a dataset, and the audit log
// (DESIGN.md §4). The planner asks it which policies apply; the executor applies masks as
// vectorized kernels; it never sees query data itself.
//
// It may import catalog (for dataset and column metadata), planner/expr (the shared type
// vocabulary) and internal; it must not import the rest of planner, executor, connectors or
// flight.
package governance
