package flight

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/governance"
)

// Engine plans and runs SQL for a principal. The server calls Prepare once when a client asks
// for a FlightInfo (to learn the schema and warnings) and again when a ticket is redeemed,
// possibly on another node, so Prepare must not have side effects a client could observe.
type Engine interface {
	// Prepare parses and plans sql without running it. Errors carry an errs kind: bad SQL is
	// KindInvalidArgument, an unknown dataset KindNotFound, a denied one KindPermissionDenied.
	Prepare(ctx context.Context, req QueryRequest) (Query, error)
}

// QueryRequest is what the engine needs to plan one statement.
type QueryRequest struct {
	Principal *governance.Principal
	SQL       string
	Session   Session
}

// Session is the client state a statement runs in.
type Session struct {
	// Catalog is the catalog the client selected: Options.Catalog (the mesh) unless the client
	// set the "catalog" session option.
	Catalog string
	// Schema is the default schema (domain) that resolves unqualified dataset names; empty
	// means unqualified names are resolved by the engine's own rules (or rejected).
	Schema string
	// ClientAddr is the caller's network address as the server saw it.
	ClientAddr string
	// Application names the client program: the x-meshgate-application header, or the gRPC
	// user agent.
	Application string
	// QueryID identifies this execution in logs, metrics, audit and cancellation. It is the
	// same id on the GetFlightInfo that planned the query and the DoGet that runs it.
	QueryID string
}

// Query is a planned statement.
type Query interface {
	// Schema is the result schema. It is never empty for a SELECT: the JDBC driver treats a
	// dataset schema without fields as an update count.
	Schema() *arrow.Schema
	// ParamSchema has one field per $n parameter, named "$1", "$2", ... in order, with the
	// inferred type or arrow.Null when the type is unknown. It has no fields when the
	// statement takes no parameters.
	ParamSchema() *arrow.Schema
	// Execute runs the query with parameter values, one per ParamSchema field, as canonical Go
	// values (the planner's literal forms): int64, float64, string, []byte, bool,
	// decimal128.Num, arrow.Date32, arrow.Timestamp (microseconds), arrow.MonthDayNanoInterval
	// or nil for NULL. The reader stops when ctx is cancelled; the caller releases it.
	Execute(ctx context.Context, params []any) (array.RecordReader, error)
	// Warnings are shown to the client (deprecated product, stale data); may be empty.
	Warnings() []string
}

// Metadata lists what a principal may see, for the Flight SQL metadata commands.
type Metadata interface {
	// Tables returns every table, view and system table the principal may read.
	Tables(ctx context.Context, p *governance.Principal) ([]TableInfo, error)
}

// Table types reported by GetTables and GetTableTypes.
const (
	TableTypeTable       = "TABLE"
	TableTypeView        = "VIEW"
	TableTypeSystemTable = "SYSTEM TABLE"
)

// ColumnDescriptionKey is the field metadata key under which a column's description from the
// product contract travels in TableInfo.Columns; it becomes the column's REMARKS.
const ColumnDescriptionKey = "meshgate.description"

// TableInfo describes one queryable dataset.
type TableInfo struct {
	// Catalog is the catalog name; empty means Options.Catalog.
	Catalog string
	// Schema is the domain.
	Schema string
	// Name is the dataset name.
	Name string
	// Type is TableTypeTable, TableTypeView or TableTypeSystemTable.
	Type string
	// Columns is the dataset's schema as queries return it. A field's description from the
	// contract is in its metadata under ColumnDescriptionKey.
	Columns *arrow.Schema
	// PrimaryKey lists the key columns in key order; empty when the dataset has none.
	PrimaryKey []string
	// Description is the dataset description from the contract.
	Description string
}
