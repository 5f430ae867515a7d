// Package store keeps the catalog's state as a set of versioned documents in the node's data
// directory (DESIGN.md §3 Cluster: "catalog and policy state is a set of versioned documents").
//
// A document is (kind, key) → body, with a per-key version counter, a hybrid-logical-clock
// timestamp and the id of the node that wrote it, and a tombstone flag for deletions. Those
// fields are what a replicating cluster needs to resolve conflicts by last-writer-wins
// (Merge); a single node only uses Commit.
//
// Durability: every Commit appends one checksummed record to an append-only log and fsyncs
// it before returning. A record holds every document of the commit, so a multi-document
// change is all or nothing. On open, the log is read up to the last complete record whose
// checksum matches; a torn tail (a crash in the middle of a write) is cut off. The log is
// compacted by writing the live documents to a new file, fsyncing it, renaming it over the
// old one and fsyncing the directory, so a crash at any point leaves the old or the new log.
//
// The package knows nothing about what the documents mean; it must not import the rest of
// meshgate except internal/errs.
package store
