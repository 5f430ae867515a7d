// Package meshtest runs connectors the way a node does, for the connectors' own tests and
// benchmarks: a catalog over a connector registry, the planner over it (Prepare, Build,
// Execute, EXPLAIN and EXPLAIN ANALYZE), products registered from ODCS contracts, and
// optionally a Flight SQL front door on a free port (the remote meshgate a flightsql source
// reads from).
//
// It must only be imported from _test.go files. Unlike the connectors it serves, it imports
// catalog, planner, governance and flight; it must not import a connector, so each test
// chooses the registry it runs with.
package meshtest
