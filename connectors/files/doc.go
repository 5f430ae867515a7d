// Package files is the connector for data kept as files on the gateway node's local file
// system: Parquet, CSV and Arrow IPC, addressed by a file, a directory (its files of the
// format, recursively, skipping hidden _ and . entries) or a glob (`*`, `?`, `[...]` per
// path segment, `**` for any number of directories) under the source's root.
//
// It owns, for those formats: resolving an object's files without escaping the root,
// describing their columns as Arrow types, binding the planner's columns to file columns with
// safe widening casts, splitting a scan (Parquet: runs of row groups; CSV and IPC: one split
// per file), pruning Parquet row groups with footer statistics and dictionary pages
// (filters are answered Inexact: the gateway re-checks every row), and streaming record
// batches whose every buffer comes from the scan's allocator.
//
// It imports arrow-go (parquet, pqarrow, ipc, compute), connectors, planner/expr and
// internal/errs. It must not import planner, executor, catalog, governance or any other
// connector.
package files
