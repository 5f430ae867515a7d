package conntest

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
)

// Harness connects the suite to one connector and a real instance of its source.
type Harness interface {
	// Name is the connector's source type ("postgres").
	Name() string
	// Source returns the source under test, opened once per Run. Its connection pool should
	// be small (2 connections) so a leaked connection shows.
	Source(t *testing.T) connectors.Source
	// CreateTable creates a table named after spec.Name (made unique by the harness) with
	// the given columns and rows, and drops it when t ends. It returns the object naming it
	// (with spec.Options as its options).
	CreateTable(t *testing.T, spec TableSpec) connectors.Object
	// Capabilities say which pushdowns the connector must accept on the suite's tables.
	Capabilities() Capabilities
}

// TableSpec is a table to create.
type TableSpec struct {
	Name    string
	Columns []ColumnSpec
	// Rows hold canonical values (see expr.Literal), nil for NULL, one per column.
	Rows [][]any
	// Options become the object's options (split_column, splits). A harness whose source
	// has no such options (files) reads "splits" as the number of parts to write the table
	// in (row groups or files), so the suite's split checks apply to it too.
	Options map[string]string
}

// ColumnSpec is one column: its name and the gateway type the harness maps to a source type.
type ColumnSpec struct {
	Name string
	Type arrow.DataType
}

// Capabilities are what a connector pushes on the suite's tables beyond what every SQL
// connector pushes (comparisons of numbers, dates and timestamps, IS NULL, IN, projection,
// limits, top-N on numbers, count/sum/avg/min/max grouped by integers, inner, left, semi and
// anti joins on integer keys).
type Capabilities struct {
	// TextEquality is the answer for = and IN on the suite's text columns: Exact, or
	// Inexact where the source's collation ignores case or trailing spaces.
	TextEquality connectors.FilterSupport
	// TextOrder: <, >, ORDER BY, min and max on text are pushed.
	TextOrder bool
	// TextLike: LIKE on text is pushed.
	TextLike bool
	// BoolCompare: = on boolean columns is pushed.
	BoolCompare bool
	// FullJoin: FULL JOIN is pushed.
	FullJoin bool
	// PhysicalSplits: a table is split (into "splits" parts) without a split_column.
	PhysicalSplits bool
	// PruneOnly marks a connector that filters only to skip data (files): every filter it
	// accepts is Inexact and it may decline any, so the suite checks that what it returns is
	// a superset of the matching rows; it pushes projections and limits but no top-N,
	// aggregate or join; its Explain is not SQL and may show the pushed predicates with
	// their literals (as the planner's EXPLAIN does).
	PruneOnly bool
}

// PoolStats is implemented by sources that can report their connection pool, so the suite
// can check that scans give connections back.
type PoolStats interface {
	PoolStats() (total, acquired, idle int)
}
