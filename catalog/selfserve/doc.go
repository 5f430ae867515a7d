// Package selfserve is how domains change the catalog themselves (DESIGN.md §3): it
// authorizes every change (a domain's owners or mesh admins), validates contracts against
// the ODCS schema, the global and domain rules and the live source, persists the accepted
// state as versioned documents (catalog/store) and applies it to the in-memory catalog, audits
// every change, runs quality checks (on demand and by schedule) and produces the warnings
// queries carry (deprecated products, missed freshness SLAs).
//
// It imports catalog, catalog/store and governance; it must not import planner, executor or
// flight: quality SQL runs through a QueryFunc the node provides.
package selfserve
