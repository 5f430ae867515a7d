// Package bind turns a parsed statement (planner/parse) into a logical plan
// (planner/logical): it resolves domain.dataset names through the catalog, checks access and
// inserts the caller's row filters and masks right above each scan (DESIGN.md §4: before any
// optimization, so no rule can route around them), types every expression with PostgreSQL's
// rules (planner/expr), plans aggregation, windows, set operations and ordering, and
// decorrelates subqueries into semi, anti and outer joins.
//
// It imports parse, expr, logical, catalog, governance and connectors; it must not import
// executor (constant folding is injected) or flight.
package bind
