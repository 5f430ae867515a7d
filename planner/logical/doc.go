// Package logical owns the logical plan: immutable relational nodes (Scan, Filter, Project,
// Aggregate, Join, Sort, TopN, Limit, SetOp, Values, Window, MaxOneRow) whose columns are
// named by plan-wide expr.ColumnIDs, so rules can move and rebuild nodes without renumbering.
//
// Governance appears in the plan as ordinary nodes with a mark: a row-filter Filter is a
// barrier (only leakproof predicates may move below it) and a mask Project carries the policies
// it applies (DESIGN.md §4). Rules read those marks; nothing else is special.
//
// It imports planner/expr and connectors (a Scan holds a table handle); it must not import
// executor, catalog or governance.
package logical
