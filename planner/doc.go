// Package planner turns SQL text into a running query (DESIGN.md §3): parse (planner/parse),
// bind with governance (planner/bind), optimize (planner/rules), build the physical plan
// (planner/physical) and run it (executor). It also answers EXPLAIN [ANALYZE] and the session
// statements BI tools send (SET, SHOW, BEGIN/COMMIT).
//
// Planning is pure: Prepare has no side effects, so a query can be planned on one node and
// run on another from its SQL and parameters alone.
//
// It may import executor's public API, catalog and governance; it must not import flight.
package planner
