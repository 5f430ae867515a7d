// Package tpchtest is the TPC-H oracle: it runs the 22 TPC-H queries through meshgate over the
// demo mesh and through PostgreSQL over the same generated data, and requires equal answers.
// It holds tests only.
package tpchtest
