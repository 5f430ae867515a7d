// Package pushdowntest is the end-to-end pushdown suite of the connectors: a small shop
// (customer, orders, lineitem) is created in a real source, registered as the datasets of
// domain "shop" from an ODCS contract, and queried through the planner (Prepare, Build,
// Execute) as a node runs it. Each case asserts the result, against the same SQL over a
// Parquet copy of the data that the gateway computes itself (domain "ref"), and the EXPLAIN
// text with the exact SQL sent to the source and its split count, in the golden file
// testdata/planner.golden of the calling package (rewrite it with -update).
//
// RunHostile feeds hostile identifiers and values through the planner; RunIsolation checks
// failure isolation (a hanging source fails as Unavailable within its connect timeout,
// naming its domain and source, while other domains' queries run; its breaker opens; a
// planted password never reaches an error, EXPLAIN or the logs) and reports schema drift by
// dataset and column; RunSelective shows a selective aggregate moving under 1 KB.
//
// It must only be imported from _test.go files. It imports the files connector for the
// reference copy, connectors/internal/meshtest for the node, catalog, planner/expr and
// testify; a connector's test supplies the connector under test through Harness.
package pushdowntest
