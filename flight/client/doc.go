// Package client is a small Flight SQL client for meshgate and the interactive SQL shell of
// `meshgate sql`: it dials with Basic credentials, runs queries (with parameters through
// prepared statements), streams Arrow record batches, surfaces the server's warnings, and
// renders results as aligned tables, CSV or JSON Lines.
//
// It talks to the server only through the Flight SQL protocol, so it works against any
// meshgate node (and most other Flight SQL servers). It imports arrow-go's Flight SQL client,
// gRPC and golang.org/x/term; it must not import the server package flight or anything
// behind it (planner, executor, catalog, governance).
package client
