package main

import "net/http"

// mountCatalog mounts the catalog's self-serve HTTP API on the node's mux.
func mountCatalog(n *node, mux *http.ServeMux) error { return nil }

// catalogCommands are the catalog CLI subcommands (register, source, products, describe, check).
func catalogCommands() map[string]command { return map[string]command{} }
