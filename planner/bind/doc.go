// Package bind turns a parsed statement (planner/parse) into a logical plan
// (planner/logical): it resolves domain.dataset names through the catalog, checks access and
// inserts the caller's row filters and masks right above each scan (DESIGN.md §4: before any
// optimization, so no rule can route around them), types every expression with PostgreSQL's
// rules (planner/expr), plans aggregation, windows, set operations and ordering, and
// decorrelates subqueries into joins, never running them per row: [NOT] EXISTS and IN in a
// top-level WHERE become semi and (null-aware) anti joins; EXISTS, IN, ANY and ALL used as
// values become mark joins (logical.MarkJoin); scalar subqueries become LEFT joins with the
// subquery grouped by its correlated columns, LEFT joins that fail on a second match, or, for
// aggregates under a correlation that is not an equality, a LEFT join of the numbered outer
// rows regrouped by row number.
//
// It imports parse, expr, logical, catalog, governance and connectors; it must not import
// executor (constant folding is injected) or flight.
package bind
