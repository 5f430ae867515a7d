// Package conntest is the conformance suite every connector runs against a real instance of
// its source (DESIGN.md §3): schema discovery, the round trip of every mapped type with NULLs
// and extremes, empty tables, wide rows and large values, every pushdown kind (checking both
// the result, against the same operation computed in Go over unpushed data, and what was
// pushed), NULL semantics of pushed predicates, splits that add up to the table exactly once,
// cancellation that gives the connection back and leaks no Arrow memory, and hostile
// identifiers and values.
//
// A connector's test implements Harness (create a table with given columns and rows in the
// real source) and calls Run. Connectors that only prune (files) declare PruneOnly: their
// filters are checked as supersets and the SQL-only kinds (top-N, aggregate, join) skipped. Pushed SQL per pushdown kind is compared with the golden file
// testdata/pushdown.golden of the calling package; run the tests with -update to rewrite it.
//
// It must only be imported from _test.go files. It imports arrow, testify, connectors,
// planner/expr, internal/errs and internal/testutil; it must not import a connector.
package conntest
