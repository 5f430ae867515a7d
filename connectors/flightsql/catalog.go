package flightsql

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// objectName names an object in messages.
func objectName(obj connectors.Object) string {
	if obj.Query != "" {
		return "the dataset's query"
	}
	return obj.Table
}

// remoteSchema returns the object's columns as the server reports them: a table's from
// GetTables(include_schema), a query's from a prepared statement's dataset schema.
func (s *source) remoteSchema(ctx context.Context, obj connectors.Object) (*arrow.Schema, error) {
	if obj.Query != "" {
		var schema *arrow.Schema
		err := s.call(ctx, "describing the dataset's query", func(ctx context.Context) error {
			prep, err := s.client.Prepare(ctx, obj.Query)
			if err != nil {
				return err
			}
			schema = prep.DatasetSchema()
			return prep.Close(ctx)
		})
		if err != nil {
			return nil, err
		}
		if schema == nil {
			return nil, errs.NotSupportedf("source %s: the server returned no result schema for the dataset's query; register a table instead", s.name)
		}
		return schema, nil
	}
	parts, err := sqlgen.ParseTableName(obj.Table)
	if err != nil {
		return nil, err
	}
	if len(parts) > 3 {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: table %s has more than three parts; write [catalog.]schema.table", s.name, obj.Table)
	}
	opts := &flightsql.GetTablesOpts{IncludeSchema: true}
	name := parts[len(parts)-1]
	var schemaName, catalogName *string
	// Patterns are LIKE patterns: the name matches itself and maybe more (an underscore
	// matches any character); the exact match is picked from the answer.
	opts.TableNameFilterPattern = &name
	if len(parts) >= 2 {
		schemaName = &parts[len(parts)-2]
		opts.DbSchemaFilterPattern = schemaName
	}
	if len(parts) == 3 {
		catalogName = &parts[0]
		opts.Catalog = catalogName
	}
	var found *arrow.Schema
	matches := 0
	err = s.call(ctx, "listing tables", func(ctx context.Context) error {
		info, err := s.client.GetTables(ctx, opts)
		if err != nil {
			return err
		}
		return s.readAll(ctx, info, func(rec arrow.RecordBatch) error {
			col := func(n string) arrow.Array {
				idx := rec.Schema().FieldIndices(n)
				if len(idx) == 0 {
					return nil
				}
				return rec.Column(idx[0])
			}
			cat, sch, tbl, raw := col("catalog_name"), col("db_schema_name"), col("table_name"), col("table_schema")
			if tbl == nil || raw == nil {
				return errs.New(errs.KindInternal, "source %s: the server's GetTables answer has no table_name or table_schema column", s.name)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				if str(tbl, i) != name || (schemaName != nil && str(sch, i) != *schemaName) || (catalogName != nil && str(cat, i) != *catalogName) {
					continue
				}
				matches++
				b, ok := raw.(*array.Binary)
				if !ok || b.IsNull(i) {
					return errs.NotSupportedf("source %s: the server lists table %s without its schema", s.name, obj.Table)
				}
				sc, err := flight.DeserializeSchema(b.Value(i), memory.DefaultAllocator)
				if err != nil {
					return errs.Wrap(errs.KindInternal, err, "source %s: the schema of table %s cannot be read", s.name, obj.Table)
				}
				found = sc
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	switch {
	case matches == 0:
		return nil, errs.New(errs.KindNotFound, "source %s: table %s does not exist on the server (or the source's user cannot see it)", s.name, obj.Table)
	case matches > 1:
		return nil, errs.New(errs.KindInvalidArgument, "source %s: %d tables on the server are named %s; qualify it as [catalog.]schema.table", s.name, matches, obj.Table)
	}
	return found, nil
}

func str(a arrow.Array, i int) string {
	if a == nil || a.IsNull(i) {
		return ""
	}
	switch x := a.(type) {
	case *array.String:
		return x.Value(i)
	case *array.LargeString:
		return x.Value(i)
	}
	return a.ValueStr(i)
}

// Describe returns the object's columns mapped to gateway types. Types without a mapping are
// read as text and listed in the warnings.
func (s *source) Describe(ctx context.Context, obj connectors.Object) (*arrow.Schema, []string, error) {
	remote, err := s.remoteSchema(ctx, obj)
	if err != nil {
		return nil, nil, err
	}
	fields := make([]arrow.Field, remote.NumFields())
	var warnings []string
	for i, f := range remote.Fields() {
		t, ok := gatewayType(f.Type)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("column %s of %s has type %s, which has no gateway mapping: it is read as text", f.Name, objectName(obj), f.Type))
		}
		fields[i] = arrow.Field{Name: f.Name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), warnings, nil
}

// gatewayType maps a remote Arrow type to the gateway's; ok is false for types read as
// text.
func gatewayType(t arrow.DataType) (arrow.DataType, bool) {
	switch t.ID() {
	case arrow.BOOL:
		return expr.Bool, true
	case arrow.INT8:
		return expr.Int8, true
	case arrow.INT16, arrow.UINT8:
		return expr.Int16, true
	case arrow.INT32, arrow.UINT16:
		return expr.Int32, true
	case arrow.INT64, arrow.UINT32:
		return expr.Int64, true
	case arrow.FLOAT32:
		return expr.Float32, true
	case arrow.FLOAT64:
		return expr.Float64, true
	case arrow.DECIMAL128:
		return t, true
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return expr.String, true
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return expr.Binary, true
	case arrow.DATE32, arrow.DATE64:
		return expr.Date, true
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return expr.TimestampTZ, true
		}
		return expr.Timestamp, true
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return expr.Interval, true
	case arrow.DICTIONARY:
		if vt, ok := gatewayType(t.(*arrow.DictionaryType).ValueType); ok && arrow.TypeEqual(vt, expr.String) {
			return expr.String, true
		}
	}
	return expr.String, false
}

// conversion is how a remote column becomes the handle's column.
type conversion int

const (
	convSame   conversion = iota // the remote type is the declared type
	convCast                     // a lossless Arrow cast (widening, other string or time encodings)
	convFormat                   // read as text in Arrow's text form
)

// conversionFor says how values of remote type from are read as declared type to; ok is false
// when they cannot be read losslessly.
func conversionFor(from, to arrow.DataType) (conversion, bool) {
	if arrow.TypeEqual(from, to) {
		return convSame, true
	}
	mapped, known := gatewayType(from)
	if !known || from.ID() == arrow.DICTIONARY {
		return convFormat, to.ID() == arrow.STRING
	}
	if arrow.TypeEqual(mapped, to) {
		return convCast, true
	}
	// Widening: integers to wider integers or decimals, decimals to more digits, dates to
	// timestamps are exact.
	switch {
	case expr.IsInteger(mapped) && expr.IsInteger(to):
		return convCast, intWidth(mapped) <= intWidth(to)
	case expr.IsInteger(mapped) && expr.IsDecimal(to):
		p, s, _ := expr.DecimalOf(to)
		return convCast, p-s >= intDigits(mapped)
	case expr.IsDecimal(mapped) && expr.IsDecimal(to):
		p1, s1, _ := expr.DecimalOf(mapped)
		p2, s2, _ := expr.DecimalOf(to)
		return convCast, s2 >= s1 && p2-s2 >= p1-s1
	case mapped.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return convCast, true
	}
	return convCast, false
}

func intWidth(t arrow.DataType) int { return t.(arrow.FixedWidthDataType).BitWidth() }

func intDigits(t arrow.DataType) int32 {
	switch t.ID() {
	case arrow.INT8:
		return 3
	case arrow.INT16:
		return 5
	case arrow.INT32:
		return 10
	}
	return 19
}

// caps are what the server computes on a column exactly like the gateway: everything for
// mapped types (text only with text_pushdown), nothing for columns read as text.
func (s *source) caps(remote arrow.DataType, declared arrow.DataType) sqlgen.Caps {
	mapped, known := gatewayType(remote)
	if !known || remote.ID() == arrow.DICTIONARY && !s.textPushdown {
		return sqlgen.CapNone
	}
	if expr.IsString(mapped) && !s.textPushdown {
		return sqlgen.CapNone
	}
	if !arrow.TypeEqual(mapped, declared) && !expr.IsNumeric(declared) {
		return sqlgen.CapNone
	}
	return sqlgen.CapAll
}

// OpenTable binds cols by name to the object's remote columns and checks that each can be
// read as its declared type. Nothing is read yet beyond the schema.
func (s *source) OpenTable(ctx context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	remote, err := s.remoteSchema(ctx, obj)
	if err != nil {
		return nil, err
	}
	gcols := make([]sqlgen.Column, len(cols))
	for i, c := range cols {
		f, err := findField(remote, c.Name, obj)
		if err != nil {
			return nil, err
		}
		if _, ok := conversionFor(f.Type, c.Type); !ok {
			return nil, errs.New(errs.KindInvalidArgument, "column %s of %s (source %s): its type %s cannot be read as %s; declare a type it maps to",
				c.Name, objectName(obj), s.name, f.Type, expr.SQLTypeName(c.Type))
		}
		mapped, _ := gatewayType(f.Type)
		gcols[i] = sqlgen.Column{ID: c.ID, Name: f.Name, Type: c.Type, Caps: s.caps(f.Type, c.Type),
			Widen: !arrow.TypeEqual(mapped, c.Type) && expr.IsNumeric(c.Type)}
	}
	return newHandle(s, obj, gcols, remote)
}

// findField matches a declared column by exact name, then ignoring case when that is unique.
func findField(schema *arrow.Schema, name string, obj connectors.Object) (arrow.Field, error) {
	if idx := schema.FieldIndices(name); len(idx) == 1 {
		return schema.Field(idx[0]), nil
	}
	var hit []arrow.Field
	names := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		names[i] = f.Name
		if strings.EqualFold(f.Name, name) {
			hit = append(hit, f)
		}
	}
	if len(hit) == 1 {
		return hit[0], nil
	}
	return arrow.Field{}, errs.New(errs.KindNotFound, "column %s does not exist in %s; its columns are %s", name, objectName(obj), strings.Join(names, ", "))
}
