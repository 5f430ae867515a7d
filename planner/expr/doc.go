// Package expr owns the typed scalar expression IR shared by the planner, the connectors and
// the executor: column references by plan-wide ColumnID, literals, parameters, function calls
// by canonical name, casts, CASE, IN lists and governance masks, plus the function registry
// that resolves argument types and result types (PostgreSQL rules, DESIGN.md §3).
//
// One registry decides each function's signature; the executor implements kernels for those
// names and the SQL builder maps them per dialect, so a name means the same thing everywhere.
//
// It imports only arrow; it must not import planner, executor or connectors.
package expr
