// Package sqlgen is the SQL builder every SQL source shares (DESIGN.md §3): a small immutable
// relational query model that the pushdown steps of a table handle build up (base relation,
// projection, WHERE conjuncts, GROUP BY with aggregates, ORDER BY with LIMIT, joins of two
// queries of one source), and its rendering to SQL text plus bound arguments for one Dialect.
//
// Two rules hold for every rendered statement:
//   - identifiers are always quoted by the dialect, embedded quote characters doubled;
//   - values (literals, statement parameters, LIMIT counts) are always bound as arguments,
//     never spliced into the SQL text. The only numbers in the text are constants of the SQL
//     shape that the builder itself needs (the 2 and the power of ten of the exact average).
//
// An expression is pushed only if the dialect computes it exactly like the gateway: same
// result, same NULL semantics, same errors. What a source computes exactly on a column depends
// on its type and collation, so each base column carries Caps that the connector derives from
// the source's catalog; the builder answers Exact, Inexact (the source returns a superset,
// e.g. equality under a case-insensitive collation) or Unsupported per conjunct, and refuses
// aggregates, sorts and joins that it cannot render exactly. Governance masks (expr.Mask) are
// never rendered.
//
// It imports arrow and planner/expr (and connectors for FilterSupport); it must not import
// planner, executor, catalog, governance, any database driver or any connector.
package sqlgen
