// Package tpch generates TPC-H data for meshgate's demo mesh and benchmarks, holds the 22
// TPC-H queries, and loads the same data into PostgreSQL to check meshgate's answers.
//
// The generator follows clause 4.2 of the TPC-H v3 specification (cardinalities, key
// formulas, value domains, the comment grammar with the reference generator's word weights) but
// is not byte-compatible with dbgen: it draws its own deterministic random streams, one per
// table and block of rows, so the same scale factor always yields identical data whatever the
// parallelism. Tables map to mesh domains: sales (orders, lineitem), customers (customer,
// nation, region) and supply (part, supplier, partsupp); SQL addresses them as
// "sales.lineitem".
//
// Generate writes Parquet files Dir/<domain>/<table>/part-NNNNN.parquet plus a manifest and
// reuses them when asked again for the same scale factor. Query returns query text with the
// spec's validation parameters, written against the mesh names in PostgreSQL-compatible SQL.
// LoadPostgres creates a database with schemas named like the domains, so the very same query
// text runs on PostgreSQL and on meshgate.
//
// This package owns test and benchmark data only. It imports internal/errs and third-party
// libraries (Arrow, Parquet, pgx); it must not import planner, executor, connectors, flight or
// any other meshgate package, so every one of those can use it in tests.
package tpch
