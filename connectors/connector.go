package connectors

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/planner/expr"
)

// SourceConfig is everything a Factory needs to open one registered source.
type SourceConfig struct {
	Domain string
	Name   string
	Type   string
	// Options are the source's options as registered. Values may be secret references
	// (env:NAME, file:/path); resolve them with Secrets, never log them.
	Options map[string]string
	// Secrets resolves an option value that may be a secret reference.
	Secrets func(value string) (string, error)
	// DataDir is the node's data directory, for sources with relative file paths.
	DataDir string
}

// Option returns the option value with secret references resolved, or def when unset.
func (c SourceConfig) Option(key, def string) (string, error) {
	v, ok := c.Options[key]
	if !ok || v == "" {
		return def, nil
	}
	if c.Secrets == nil {
		return v, nil
	}
	return c.Secrets(v)
}

// Factory opens sources of one type.
type Factory interface {
	Type() string
	Open(ctx context.Context, cfg SourceConfig) (Source, error)
}

// Registry maps source types to factories. It is built at wiring time; nothing registers
// itself globally.
type Registry map[string]Factory

// Lookup returns the factory for a source type, or an error listing the known types.
func (r Registry) Lookup(typ string) (Factory, error) {
	if f, ok := r[typ]; ok {
		return f, nil
	}
	known := make([]string, 0, len(r))
	for k := range r {
		known = append(known, k)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("unknown source type %q; known types: %v", typ, known)
}

// Object is what a dataset is bound to inside its source.
type Object struct {
	// Table is a table or view name, optionally schema-qualified ("public.orders"), for SQL
	// sources; a path or glob for files; a table name for flightsql.
	Table string
	// Query is a SQL query used instead of Table for SQL sources.
	Query string
	// Format is parquet, csv or arrow for files; empty otherwise.
	Format string
	// Options are per-object settings (csv delimiter, header, split key, ...).
	Options map[string]string
}

func (o Object) String() string {
	if o.Query != "" {
		return "(" + o.Query + ")"
	}
	return o.Table
}

// Column is one column of a table handle: the plan-wide ID the planner gave it and the name
// and type it has in the source.
type Column struct {
	ID   expr.ColumnID
	Name string
	Type arrow.DataType
}

// Source is an open connection to one registered source. Implementations are safe for
// concurrent use.
type Source interface {
	// Describe returns the columns of an object as the source reports them, mapped to Arrow
	// types. Unknown source types map to utf8 and are listed in warnings.
	Describe(ctx context.Context, obj Object) (schema *arrow.Schema, warnings []string, err error)
	// OpenTable returns a handle that reads cols of obj. No data is read yet.
	OpenTable(ctx context.Context, obj Object, cols []Column) (TableHandle, error)
	// Ping checks that the source is reachable with its credentials.
	Ping(ctx context.Context) error
	Close() error
}

// Stats are planning estimates. Negative values mean unknown.
type Stats struct {
	Rows  float64
	Bytes float64
}

// Unknown is the Stats value for a handle with no estimate.
var Unknown = Stats{Rows: -1, Bytes: -1}

// Split is one independently readable part of a handle's data.
type Split interface {
	// String describes the split for EXPLAIN ("file orders-0.parquet row groups 0-3").
	String() string
}

// ScanOptions are passed to every Scan.
type ScanOptions struct {
	// Alloc allocates every buffer of the returned batches; the query's budget tracks it.
	Alloc memory.Allocator
	// BatchRows is the preferred number of rows per batch (default 64Ki).
	BatchRows int
	// Params are the values of the bind parameters of any pushed expression with
	// expr.Param nodes (1-based, Params[0] is $1).
	Params []any
}

// TableHandle is an immutable description of what to read from a source. Pushdown produces
// new handles; a handle is never changed in place.
type TableHandle interface {
	// Columns are the output columns in the order Scan produces them.
	Columns() []Column
	Stats() Stats
	// Splits lists the parts of the data to read in parallel.
	Splits(ctx context.Context) ([]Split, error)
	// Scan returns a lazy reader for one split: no I/O happens before the first Next, and the
	// reader stops with ctx's error once ctx is cancelled. The caller releases it.
	Scan(ctx context.Context, split Split, opts ScanOptions) (array.RecordReader, error)
	// Explain describes the handle for EXPLAIN: for SQL sources, the exact SQL sent.
	Explain() string
}

// FilterSupport is a source's answer for one pushed conjunct (DataFusion's
// TableProviderFilterPushDown).
type FilterSupport int

const (
	// Unsupported: the source ignores the conjunct; the gateway evaluates it.
	Unsupported FilterSupport = iota
	// Inexact: the source uses it to skip data but may return rows that fail it; the
	// gateway evaluates it again.
	Inexact
	// Exact: the source returns only rows that satisfy it; the gateway drops it.
	Exact
)

func (s FilterSupport) String() string {
	return [...]string{"unsupported", "inexact", "exact"}[s]
}

// FilterPushdown is implemented by handles that can filter at the source.
type FilterPushdown interface {
	// ApplyFilter offers conjuncts (over the handle's column IDs). It returns the new handle
	// and one FilterSupport per conjunct, or a nil handle if nothing changed.
	ApplyFilter(conjuncts []expr.Expr) (TableHandle, []FilterSupport)
}

// ProjectionPushdown is implemented by handles that can read fewer columns.
type ProjectionPushdown interface {
	// ApplyProjection keeps only the given columns, in that order; nil if no change.
	ApplyProjection(ids []expr.ColumnID) TableHandle
}

// LimitPushdown is implemented by handles that can stop after n rows. The planner offers a
// limit only when every filter on the handle is Exact.
type LimitPushdown interface {
	ApplyLimit(n int64) TableHandle
}

// TopNPushdown is implemented by handles that can return the first n rows in an order.
type TopNPushdown interface {
	ApplyTopN(keys []expr.SortKey, n int64) TableHandle
}

// AggregatePushdown is implemented by handles that can group and aggregate. It is all or
// nothing: the handle computes every group key and every aggregate, or returns nil. The new
// handle's columns are the group keys then the aggregates, with the IDs given.
type AggregatePushdown interface {
	ApplyAggregate(groups []expr.NamedExpr, aggs []expr.AggCall) TableHandle
}

// JoinPushdown is implemented by handles that can join with another handle of the same
// source. on is over both handles' column IDs. The new handle's columns are the left's then
// (for kinds that output them) the right's.
type JoinPushdown interface {
	ApplyJoin(right TableHandle, kind expr.JoinKind, on expr.Expr) TableHandle
}

// SameSource is implemented by handles that can tell whether another handle reads the same
// source, which is the precondition for ApplyJoin.
type SameSource interface {
	SameSource(other TableHandle) bool
}
