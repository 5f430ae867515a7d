// Package flightbench holds BenchmarkFlightScan: a full lineitem scan read by a Flight SQL
// client through a meshgate node in the same process, against the same table read directly
// (pgx binary for PostgreSQL, database/sql for MariaDB, pqarrow for Parquet), with one split
// and with parallel splits, printing the ratios of one run. It has no non-test code.
package flightbench
