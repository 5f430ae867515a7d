package flight

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"

	"github.com/meshgate/meshgate/internal/errs"
)

// Metadata commands answer from Metadata.Tables for the caller. Their tickets are the
// commands themselves, so, like query tickets, any node can answer them. Every result is one
// batch with the exact reference schema (ADBC compares schemas and reads only the first
// batch of some answers).

func (s *sqlServer) metaInfo(desc *flight.FlightDescriptor, schema *arrow.Schema) (*flight.FlightInfo, error) {
	return s.srv.flightInfo(desc, schema, &flight.Ticket{Ticket: desc.GetCmd()}, time.Time{}), nil
}

func oneBatch(rec arrow.RecordBatch) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: rec}
	close(ch)
	return rec.Schema(), ch, nil
}

// visibleTables lists the caller's tables with the catalog filled in.
func (s *sqlServer) visibleTables(ctx context.Context) ([]TableInfo, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	tables, err := s.srv.meta.Tables(ctx, p)
	if err != nil {
		return nil, toStatus(s.srv.log, err, "")
	}
	for i := range tables {
		if tables[i].Catalog == "" {
			tables[i].Catalog = s.srv.opts.Catalog
		}
	}
	return tables, nil
}

func (s *sqlServer) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.Catalogs)
}

func (s *sqlServer) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.srv.mem, schema_ref.Catalogs)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append(s.srv.opts.Catalog)
	return oneBatch(b.NewRecordBatch())
}

func (s *sqlServer) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.DBSchemas)
}

func (s *sqlServer) DoGetDBSchemas(ctx context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	tables, err := s.visibleTables(ctx)
	if err != nil {
		return nil, nil, err
	}
	schemaLike, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	type key struct{ catalog, schema string }
	var keys []key
	for _, t := range tables {
		k := key{t.Catalog, t.Schema}
		if catalogMatches(cmd.GetCatalog(), t.Catalog) && schemaLike(t.Schema) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.catalog, b.catalog), cmp.Compare(a.schema, b.schema))
	})
	b := array.NewRecordBuilder(s.srv.mem, schema_ref.DBSchemas)
	defer b.Release()
	for _, k := range keys {
		b.Field(0).(*array.StringBuilder).Append(k.catalog)
		b.Field(1).(*array.StringBuilder).Append(k.schema)
	}
	return oneBatch(b.NewRecordBatch())
}

func (s *sqlServer) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return s.metaInfo(desc, schema_ref.TablesWithIncludedSchema)
	}
	return s.metaInfo(desc, schema_ref.Tables)
}

func (s *sqlServer) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	tables, err := s.visibleTables(ctx)
	if err != nil {
		return nil, nil, err
	}
	schemaLike, err := likePattern(cmd.GetDBSchemaFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	tableLike, err := likePattern(cmd.GetTableNameFilterPattern())
	if err != nil {
		return nil, nil, err
	}
	types := cmd.GetTableTypes()
	tables = slices.DeleteFunc(tables, func(t TableInfo) bool {
		typeOK := len(types) == 0 || slices.ContainsFunc(types, func(want string) bool { return strings.EqualFold(want, t.Type) })
		return !(catalogMatches(cmd.GetCatalog(), t.Catalog) && schemaLike(t.Schema) && tableLike(t.Name) && typeOK)
	})
	slices.SortFunc(tables, func(a, b TableInfo) int {
		return cmp.Or(cmp.Compare(a.Catalog, b.Catalog), cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type))
	})

	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	b := array.NewRecordBuilder(s.srv.mem, schema)
	defer b.Release()
	for _, t := range tables {
		b.Field(0).(*array.StringBuilder).Append(t.Catalog)
		b.Field(1).(*array.StringBuilder).Append(t.Schema)
		b.Field(2).(*array.StringBuilder).Append(t.Name)
		b.Field(3).(*array.StringBuilder).Append(t.Type)
		if cmd.GetIncludeSchema() {
			b.Field(4).(*array.BinaryBuilder).Append(flight.SerializeSchema(columnsWithMetadata(t), s.srv.mem))
		}
	}
	return oneBatch(b.NewRecordBatch())
}

// columnsWithMetadata is a table's schema as clients receive it, each field annotated with
// the Flight SQL column metadata JDBC and ADBC read (type name, precision, scale, remarks).
func columnsWithMetadata(t TableInfo) *arrow.Schema {
	if t.Columns == nil {
		return arrow.NewSchema(nil, nil)
	}
	fields := plainSchema(t.Columns).Fields()
	for i := range fields {
		fields[i] = withColumnMetadata(fields[i], func(b *flightsql.ColumnMetadataBuilder) {
			b.CatalogName(t.Catalog).SchemaName(t.Schema).TableName(t.Name)
		})
	}
	return arrow.NewSchema(fields, nil)
}

// resultSchema is the schema of a query's results as FlightInfo, GetSchema, prepared
// statements and the DoGet stream announce it: plain encodings, each field annotated with its
// SQL type name, precision and scale. The JDBC driver builds ResultSetMetaData from these
// annotations only (getPrecision and getScale are 0 without them, and BI tools size decimal
// columns by them).
func resultSchema(s *arrow.Schema) *arrow.Schema {
	plain := plainSchema(s)
	fields := plain.Fields()
	for i := range fields {
		fields[i] = withColumnMetadata(fields[i], nil)
	}
	md := plain.Metadata()
	return arrow.NewSchema(fields, &md)
}

// withColumnMetadata adds the Flight SQL column metadata to f; keys f already has win. more
// sets the table's names when the column belongs to one.
func withColumnMetadata(f arrow.Field, more func(*flightsql.ColumnMetadataBuilder)) arrow.Field {
	b := flightsql.NewColumnMetadataBuilder()
	if more != nil {
		more(b)
	}
	b.TypeName(baseTypeName(f.Type))
	if prec, scale, ok := precisionScale(f.Type); ok {
		b.Precision(prec).Scale(scale)
	}
	b.IsAutoIncrement(false).IsCaseSensitive(isText(f.Type)).IsReadOnly(true).IsSearchable(true)
	if remarks, ok := f.Metadata.GetValue(ColumnDescriptionKey); ok && remarks != "" {
		b.Remarks(remarks)
	}
	keys, values := slices.Clone(f.Metadata.Keys()), slices.Clone(f.Metadata.Values())
	md := b.Metadata()
	for i, k := range md.Keys() {
		if f.Metadata.FindKey(k) < 0 {
			keys, values = append(keys, k), append(values, md.Values()[i])
		}
	}
	f.Metadata = arrow.NewMetadata(keys, values)
	return f
}

// baseTypeName is the SQL type name without modifiers, as JDBC's TYPE_NAME expects.
func baseTypeName(t arrow.DataType) string {
	switch t.(type) {
	case *arrow.Decimal128Type, *arrow.Decimal256Type:
		return "numeric"
	}
	return sqlTypeName(t)
}

func isText(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING || t.ID() == arrow.STRING_VIEW
}

// precisionScale follows JDBC's COLUMN_SIZE and DECIMAL_DIGITS: digits for numbers, characters
// for dates and timestamps. Text and binary are unbounded and have none.
func precisionScale(t arrow.DataType) (precision, scale int32, ok bool) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return 1, 0, true
	case *arrow.Int8Type, *arrow.Uint8Type:
		return 3, 0, true
	case *arrow.Int16Type, *arrow.Uint16Type:
		return 5, 0, true
	case *arrow.Int32Type, *arrow.Uint32Type:
		return 10, 0, true
	case *arrow.Int64Type, *arrow.Uint64Type:
		return 19, 0, true
	case *arrow.Float32Type:
		return 7, 0, false
	case *arrow.Float64Type:
		return 15, 0, false
	case *arrow.Decimal128Type:
		return t.Precision, t.Scale, true
	case *arrow.Date32Type, *arrow.Date64Type:
		return 10, 0, true
	case *arrow.TimestampType:
		digits := map[arrow.TimeUnit]int32{arrow.Second: 0, arrow.Millisecond: 3, arrow.Microsecond: 6, arrow.Nanosecond: 9}[t.Unit]
		size := 19 + digits
		if digits > 0 {
			size++ // the decimal point
		}
		if t.TimeZone != "" {
			size += 6 // +HH:MM
		}
		return size, digits, true
	}
	return 0, 0, false
}

func (s *sqlServer) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.TableTypes)
}

func (s *sqlServer) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.srv.mem, schema_ref.TableTypes)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{TableTypeSystemTable, TableTypeTable, TableTypeView}, nil)
	return oneBatch(b.NewRecordBatch())
}

func (s *sqlServer) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.PrimaryKeys)
}

func (s *sqlServer) DoGetPrimaryKeys(ctx context.Context, ref flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	tables, err := s.visibleTables(ctx)
	if err != nil {
		return nil, nil, err
	}
	tables = slices.DeleteFunc(tables, func(t TableInfo) bool {
		return t.Name != ref.Table || !catalogMatches(ref.Catalog, t.Catalog) || (ref.DBSchema != nil && *ref.DBSchema != t.Schema)
	})
	slices.SortFunc(tables, func(a, b TableInfo) int {
		return cmp.Or(cmp.Compare(a.Catalog, b.Catalog), cmp.Compare(a.Schema, b.Schema))
	})
	b := array.NewRecordBuilder(s.srv.mem, schema_ref.PrimaryKeys)
	defer b.Release()
	for _, t := range tables {
		for i, col := range t.PrimaryKey {
			b.Field(0).(*array.StringBuilder).Append(t.Catalog)
			b.Field(1).(*array.StringBuilder).Append(t.Schema)
			b.Field(2).(*array.StringBuilder).Append(t.Name)
			b.Field(3).(*array.StringBuilder).Append(col)
			b.Field(4).(*array.Int32Builder).Append(int32(i + 1))
			b.Field(5).(*array.StringBuilder).AppendNull()
		}
	}
	return oneBatch(b.NewRecordBatch())
}

// Data products declare no foreign keys, so the key relationship commands answer with empty
// results in their reference schemas.

func (s *sqlServer) GetFlightInfoExportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.ExportedKeys)
}

func (s *sqlServer) DoGetExportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyResult(schema_ref.ExportedKeys)
}

func (s *sqlServer) GetFlightInfoImportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.ImportedKeys)
}

func (s *sqlServer) DoGetImportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyResult(schema_ref.ImportedKeys)
}

func (s *sqlServer) GetFlightInfoCrossReference(_ context.Context, _ flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.CrossReference)
}

func (s *sqlServer) DoGetCrossReference(context.Context, flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return s.emptyResult(schema_ref.CrossReference)
}

func (s *sqlServer) emptyResult(schema *arrow.Schema) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.srv.mem, schema)
	defer b.Release()
	return oneBatch(b.NewRecordBatch())
}

// catalogMatches applies a Flight SQL catalog filter: nil matches all, "" matches tables
// without a catalog (meshgate has none), anything else matches exactly.
func catalogMatches(filter *string, catalog string) bool {
	return filter == nil || *filter == catalog
}

// likePattern compiles a Flight SQL filter pattern: % matches any run of characters, _ one
// character, and a backslash escapes the next character. A nil pattern matches everything.
func likePattern(pattern *string) (func(string) bool, error) {
	if pattern == nil {
		return func(string) bool { return true }, nil
	}
	var re strings.Builder
	re.WriteString(`(?s)^`)
	escaped := false
	for _, r := range *pattern {
		switch {
		case escaped:
			re.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%':
			re.WriteString(`.*`)
		case r == '_':
			re.WriteString(`.`)
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		re.WriteString(regexp.QuoteMeta(`\`))
	}
	re.WriteString(`$`)
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "invalid filter pattern")
	}
	return compiled.MatchString, nil
}
