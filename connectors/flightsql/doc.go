// Package flightsql is the connector for remote Arrow Flight SQL services (type "flightsql",
// DESIGN.md §3): another meshgate, Dremio, or any Flight SQL server.
//
// It owns: one gRPC connection per source (the arrow-go flightsql client) with Basic
// handshake or bearer-token authentication and a circuit breaker
// (connectors/internal/breaker) that fails fast while the server is unreachable; schema
// discovery with GetTables(include_schema) for tables ("domain.dataset" on a meshgate) and
// prepared statements for registered queries; pushdown of projections, filters, limits,
// top-N, aggregates and joins as SQL text in a PostgreSQL-style dialect (the gateway's own
// SQL, since the remote may be another meshgate), with every value sent as a bound
// parameter of a prepared statement, never in the SQL text; and reading results in
// parallel: one split per endpoint of the remote's FlightInfo when the statement has no
// parameter known only at scan time and its result is unordered, or one split per range of
// a declared integer key (split_column, splits), each its own remote statement.
//
// Type mapping (remote Arrow type → gateway type): bool, int8/16/32/64, float32/64,
// decimal128, utf8, binary, date32, timestamp[µs] and month_day_nano_interval as they are;
// uint8/16/32 → int16/32/64; large_utf8 and utf8_view → utf8; large_binary, binary_view and
// fixed_size_binary → binary; date64 → date32; timestamps of other units → timestamp[µs]
// (with time zone → timestamp[µs, UTC]); dictionary-encoded strings → utf8; anything else →
// utf8 in Arrow's text form, listed in Describe's warnings, and never pushed down.
//
// Text columns are assumed to compare, order and match LIKE bytewise, as meshgate does;
// for a remote whose collation differs, set the source option text_pushdown=false, and
// predicates, ordering and grouping on text are left to the gateway.
//
// It imports arrow-go (flight, flightsql, compute, ipc), grpc, connectors,
// connectors/sqlgen, connectors/internal/breaker, planner/expr and internal/errs. It must
// not import planner, executor, catalog, governance, flight (meshgate's server) or another
// connector.
package flightsql
