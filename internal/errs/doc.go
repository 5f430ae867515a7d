// Package errs defines the error kinds every user-visible meshgate error carries.
//
// A kind decides the Flight/gRPC status code and the HTTP status a client sees; the message
// names the object (dataset, source, domain, column, SQL position) and what to do about it.
// Messages never carry secrets or raw values of masked columns: callers build them from
// names, never from data.
//
// It imports nothing from meshgate.
package errs
