// Package connectors defines the contract between the planner and the systems where domains
// keep their data (DESIGN.md §3): a Factory opens a Source for a registered source; a Source
// opens a TableHandle for a dataset; pushdown is negotiated step by step through the optional
// Apply* interfaces, each returning a new handle or nil for "no change"; a handle is read as
// Splits, each scanned lazily into Arrow record batches.
//
// Each source type lives in its own sub-package (postgres, mysql, snowflake, files,
// flightsql); SQL sources share sqlgen; conntest is the conformance suite all of them pass.
// This package imports only arrow and planner/expr; it must not import planner, executor,
// catalog or governance.
package connectors
