// Package flight is meshgate's front door: an Arrow Flight SQL server (DESIGN.md §3 "Flight
// front door") that authenticates callers, turns Flight SQL commands into calls on a small
// Engine and Metadata interface, and streams the results back as Arrow IPC.
//
// It owns:
//   - the gRPC server, TLS, Basic/Bearer authentication (interceptors and Handshake);
//   - self-contained signed tickets, so any node can redeem a ticket another node issued;
//   - prepared statements (handles stored on the node that created them, per principal);
//   - every Flight SQL metadata command with the reference schemas, SqlInfo, XdbcTypeInfo;
//   - session options (catalog, schema) carried in a signed cookie;
//   - cancellation of running queries, graceful shutdown;
//   - result shaping for JDBC (no dictionary or view encodings, messages bounded in size,
//     compression only on request), metrics and one log line per query;
//   - the raw pyarrow.flight fallback: a command descriptor or ticket holding plain SQL text.
//
// Headers and cookies beyond Flight SQL:
//   - x-meshgate-warning (response, GetFlightInfo and DoGet): one engine warning per value;
//   - x-meshgate-query-id (response): the id the query is logged, audited and cancelled by;
//   - x-meshgate-compression (request, DoGet): "lz4" or "zstd" to compress result bodies;
//   - x-meshgate-catalog, x-meshgate-schema (request): session choices for clients without a
//     cookie jar; x-meshgate-application (request): the client program, for audit;
//   - meshgate_session (cookie): the signed session options set with SetSessionOptions.
//
// The Engine, Query and Metadata interfaces are defined here, by their consumer; the planner,
// executor and catalog implement them in the wiring code. This package must not import
// planner, executor, catalog, connectors or cluster. It imports governance only for
// principals and identities, and internal for errors and the version.
package flight
