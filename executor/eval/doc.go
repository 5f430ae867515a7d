// Package eval compiles scalar expressions of the planner's IR (planner/expr) into vectorized
// evaluators over Arrow record batches, and filters batches by a predicate. It owns every
// scalar kernel the function registry names (arithmetic with PostgreSQL's overflow and
// division rules, exact decimal128 arithmetic, comparisons, three-valued logic, LIKE, string,
// math and date/time functions, to_char, casts with PostgreSQL's input and output formats),
// lazy CASE/AND/OR/COALESCE, IN lists, governance mask kernels, and constant folding for the
// binder.
//
// Design: Compile validates every call against the registry once and picks a kernel per
// argument type; evaluation works on whole arrays, with array–scalar kernels so literals are
// never materialised to a column. Errors name the function, cast or column, never a value,
// because a value may be a masked or secret one (DESIGN.md §4).
//
// It imports planner/expr, arrow and internal/errs only; it must not import the executor,
// planner, connectors, catalog or governance packages.
package eval
