// Package breaker is the per-source circuit breaker the network connectors share (DESIGN.md
// §3, failure isolation): after a number of consecutive failed connection attempts a source
// fails fast, without touching the network, until a cool-down has passed; then exactly one
// probe is let through.
//
// It lives under connectors/internal so that only connectors import it. It imports
// internal/errs only.
package breaker
