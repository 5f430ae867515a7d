// Package catalog owns the mesh's vocabulary as data: domains, sources, data products with
// their ODCS v3 contracts, and the datasets SQL addresses as domain.dataset (DESIGN.md §1, §3).
// It parses and validates contracts, resolves names (with suggestions for typos), opens
// sources lazily through the connector registry, and serves the mesh.* system tables.
//
// It imports connectors (to open sources) and planner/expr (type names); it must not import
// planner, executor, governance or flight.
package catalog
