// Package plannertest builds planners over the demo mesh for the planner's end-to-end tests
// (the TPC-H oracle, the SQL script runner, fuzzing) and renders query results as
// PostgreSQL's text output, so meshgate's answers can be compared with PostgreSQL's.
//
// It is imported by _test.go files only. It may import anything the planner does plus
// bench/tpch, examples/demo and the files connector; nothing imports it outside tests.
package plannertest
