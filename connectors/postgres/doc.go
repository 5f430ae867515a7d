// Package postgres is the connector for PostgreSQL sources (type "postgres", DESIGN.md §3).
//
// It owns: one connection pool per source (pgxpool) whose size is the source's concurrency
// limit (max_connections), with connections opened on demand and closed after idling, and a
// circuit breaker (connectors/internal/breaker) that fails fast while the server is
// unreachable; describing tables, views and queries from the catalog; mapping PostgreSQL types
// to Arrow and binding a dataset's declared types to them; pushdown of projections, filters,
// limits, top-N, aggregates and joins through sqlgen's PostgreSQL dialect; splitting table
// scans into physical page ranges (ctid, TID range scans of PostgreSQL 14+) or declared
// integer key ranges; and reading results in the binary protocol straight into Arrow builders,
// with one decoder per column chosen per query and no per-row boxing.
//
// Type mapping (source → Arrow): bool → bool; int2/int4/int8 → int16/int32/int64;
// float4/float8 → float32/float64; numeric(p,s) → decimal128(p,s) (p ≤ 38; unconstrained
// numeric → decimal128(38,9), a value with more fractional digits fails naming the column);
// text, varchar, char(n) (trailing blanks trimmed, as PostgreSQL casts it to text), name → utf8; bytea → binary;
// date → date32; timestamp → timestamp[µs]; timestamptz → timestamp[µs, UTC]; interval →
// month_day_nano_interval; uuid → utf8 (canonical form); json, jsonb, enums and arrays → utf8
// (PostgreSQL's text form: arrays are not mapped to Arrow lists yet, so an array reads as its
// literal, e.g. {1,2,NULL}); domains as their base type; anything else → utf8 in text form,
// listed in Describe's warnings. NaN and infinite numerics, infinite dates and timestamps fail
// naming the column.
//
// Splits run as independent autocommit queries, each on its own pooled connection; they are
// not pinned to one snapshot (pg_export_snapshot would need a coordinating transaction held
// open for the whole scan, which the handle's lifecycle does not provide), so rows committed
// while a parallel scan runs may or may not be seen by the splits not yet started.
//
// It imports pgx (pgx, pgconn, pgtype, pgxpool), arrow, connectors, connectors/sqlgen,
// connectors/internal/breaker, planner/expr and internal/errs. It must not import planner,
// executor, catalog, governance or another connector, and never database/sql.
package postgres
