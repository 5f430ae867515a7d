package flight

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

func TestMetadataCommandsUseReferenceSchemas(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("bob")
	str := func(s string) *string { return &s }
	salesOrders := flightsql.TableRef{Catalog: str("mesh"), DBSchema: str("sales"), Table: "orders"}

	tests := []struct {
		name   string
		info   func() (*flight.FlightInfo, error)
		schema *arrow.Schema
		rows   string
	}{
		{"catalogs", func() (*flight.FlightInfo, error) { return cl.GetCatalogs(ctx) }, schema_ref.Catalogs,
			`{"catalog_name":"mesh"}`},
		{"all schemas bob may see", func() (*flight.FlightInfo, error) { return cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{}) }, schema_ref.DBSchemas,
			`{"catalog_name":"mesh","db_schema_name":"mesh"}
{"catalog_name":"mesh","db_schema_name":"sales"}`},
		{"schema pattern", func() (*flight.FlightInfo, error) {
			return cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{DbSchemaFilterPattern: str("s_l%")})
		}, schema_ref.DBSchemas, `{"catalog_name":"mesh","db_schema_name":"sales"}`},
		{"schemas of another catalog", func() (*flight.FlightInfo, error) {
			return cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{Catalog: str("other")})
		}, schema_ref.DBSchemas, ``},
		{"tables", func() (*flight.FlightInfo, error) { return cl.GetTables(ctx, &flightsql.GetTablesOpts{}) }, schema_ref.Tables,
			`{"catalog_name":"mesh","db_schema_name":"mesh","table_name":"datasets","table_type":"SYSTEM TABLE"}
{"catalog_name":"mesh","db_schema_name":"sales","table_name":"big","table_type":"TABLE"}
{"catalog_name":"mesh","db_schema_name":"sales","table_name":"legacy_orders","table_type":"VIEW"}
{"catalog_name":"mesh","db_schema_name":"sales","table_name":"orders","table_type":"TABLE"}`},
		{"tables by pattern and type", func() (*flight.FlightInfo, error) {
			return cl.GetTables(ctx, &flightsql.GetTablesOpts{DbSchemaFilterPattern: str("sales"), TableNameFilterPattern: str("%orders"), TableTypes: []string{"TABLE"}})
		}, schema_ref.Tables, `{"catalog_name":"mesh","db_schema_name":"sales","table_name":"orders","table_type":"TABLE"}`},
		{"underscore matches one character, escaped it matches itself", func() (*flight.FlightInfo, error) {
			return cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: str(`legacy\_order_`)})
		}, schema_ref.Tables, `{"catalog_name":"mesh","db_schema_name":"sales","table_name":"legacy_orders","table_type":"VIEW"}`},
		{"table types", func() (*flight.FlightInfo, error) { return cl.GetTableTypes(ctx) }, schema_ref.TableTypes,
			`{"table_type":"SYSTEM TABLE"}
{"table_type":"TABLE"}
{"table_type":"VIEW"}`},
		{"primary keys", func() (*flight.FlightInfo, error) { return cl.GetPrimaryKeys(ctx, salesOrders) }, schema_ref.PrimaryKeys,
			`{"catalog_name":"mesh","column_name":"id","db_schema_name":"sales","key_name":null,"key_sequence":1,"table_name":"orders"}`},
		{"primary keys of an invisible table", func() (*flight.FlightInfo, error) {
			return cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "salaries"})
		}, schema_ref.PrimaryKeys, ``},
		{"exported keys", func() (*flight.FlightInfo, error) { return cl.GetExportedKeys(ctx, salesOrders) }, schema_ref.ExportedKeys, ``},
		{"imported keys", func() (*flight.FlightInfo, error) { return cl.GetImportedKeys(ctx, salesOrders) }, schema_ref.ImportedKeys, ``},
		{"cross reference", func() (*flight.FlightInfo, error) { return cl.GetCrossReference(ctx, salesOrders, salesOrders) }, schema_ref.CrossReference, ``},
		{"xdbc type info for bigint", func() (*flight.FlightInfo, error) {
			bigint := int32(-5)
			return cl.GetXdbcTypeInfo(ctx, &bigint)
		}, schema_ref.XdbcTypeInfo,
			`{"auto_increment":false,"case_sensitive":false,"column_size":19,"create_params":null,"data_type":-5,"datetime_subcode":null,"fixed_prec_scale":false,"interval_precision":null,"literal_prefix":null,"literal_suffix":null,"local_type_name":"bigint","maximum_scale":0,"minimum_scale":0,"nullable":1,"num_prec_radix":10,"searchable":2,"sql_data_type":-5,"type_name":"bigint","unsigned_attribute":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := tt.info()
			require.NoError(t, err)
			infoSchema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
			require.NoError(t, err)
			require.True(t, tt.schema.Equal(infoSchema), "FlightInfo schema %s", infoSchema)
			schema, rows := fetch(t, ctx, cl, info)
			require.True(t, tt.schema.Equal(schema), "stream schema %s", schema)
			require.Equal(t, tt.rows, strings.TrimSpace(rows))
		})
	}
}

func TestGetTablesIncludeSchemaCarriesColumnMetadata(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	orders := "orders"
	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &orders, IncludeSchema: true})
	require.NoError(t, err)
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	defer rdr.Release()
	require.True(t, schema_ref.TablesWithIncludedSchema.Equal(rdr.Schema()))
	require.True(t, rdr.Next())
	rec := rdr.RecordBatch()
	require.EqualValues(t, 1, rec.NumRows())
	cols, err := flight.DeserializeSchema(rec.Column(4).(*array.Binary).Value(0), memory.DefaultAllocator)
	require.NoError(t, err)

	tests := []struct {
		column, typeName string
		precision, scale int32
		hasPrecision     bool
		remarks          string
	}{
		{"id", "bigint", 19, 0, true, "order number"},
		{"customer", "varchar", 0, 0, false, ""},
		{"region", "varchar", 0, 0, false, ""},
		{"amount", "numeric", 10, 2, true, ""},
		{"ordered_on", "date", 10, 0, true, ""},
	}
	for _, tt := range tests {
		f, ok := cols.FieldsByName(tt.column)
		require.True(t, ok, tt.column)
		md := flightsql.ColumnMetadata{Data: &f[0].Metadata}
		typeName, _ := md.TypeName()
		require.Equal(t, tt.typeName, typeName, tt.column)
		prec, ok := md.Precision()
		require.Equal(t, tt.hasPrecision, ok, tt.column)
		require.Equal(t, tt.precision, prec, tt.column)
		scale, _ := md.Scale()
		require.Equal(t, tt.scale, scale, tt.column)
		remarks, _ := md.Remarks()
		require.Equal(t, tt.remarks, remarks, tt.column)
		table, _ := md.TableName()
		require.Equal(t, "orders", table)
		readOnly, _ := md.IsReadOnly()
		require.True(t, readOnly)
	}
	require.True(t, arrow.TypeEqual(arrow.BinaryTypes.String, cols.Field(2).Type), "dictionary columns are listed as they arrive")
	require.False(t, cols.Field(0).Nullable)
}

func TestXdbcTypeInfoListsMeshgateTypes(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	info, err := cl.GetXdbcTypeInfo(ctx, nil)
	require.NoError(t, err)
	_, rows := fetch(t, ctx, cl, info)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(rows), "\n") {
		name := line[strings.Index(line, `"type_name":"`)+len(`"type_name":"`):]
		code := line[strings.Index(line, `"data_type":`)+len(`"data_type":`):]
		got = append(got, name[:strings.IndexByte(name, '"')]+"="+code[:strings.IndexByte(code, ',')])
	}
	require.Equal(t, []string{
		"boolean=-7", "tinyint=-6", "bigint=-5", "bytea=-3",
		"numeric=2", "integer=4", "smallint=5", "real=7", "double precision=8",
		"varchar=12", "date=91", "timestamp=93", "timestamp with time zone=93",
	}, got, "ordered by data type code, then name")

	none := int32(1234)
	info, err = cl.GetXdbcTypeInfo(ctx, &none)
	require.NoError(t, err)
	_, rows = fetch(t, ctx, cl, info)
	require.Empty(t, rows)
}

func TestSqlInfoValueTypes(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")

	const (
		str       = 0
		boolean   = 1
		bigint    = 2
		int32bits = 3
		strList   = 4
		intMap    = 5
	)
	want := map[flightsql.SqlInfo]struct {
		code  arrow.UnionTypeCode
		value any
	}{
		flightsql.SqlInfoFlightSqlServerName:                  {str, "meshgate"},
		flightsql.SqlInfoFlightSqlServerVersion:               {str, "dev"},
		flightsql.SqlInfoFlightSqlServerArrowVersion:          {str, arrow.PkgVersion},
		flightsql.SqlInfoFlightSqlServerReadOnly:              {boolean, true},
		flightsql.SqlInfoFlightSqlServerSql:                   {boolean, true},
		flightsql.SqlInfoFlightSqlServerSubstrait:             {boolean, false},
		flightsql.SqlInfoFlightSqlServerTransaction:           {int32bits, int32(0)},
		flightsql.SqlInfoFlightSqlServerCancel:                {boolean, true},
		flightsql.SqlInfoFlightSqlServerStatementTimeout:      {int32bits, int32(30 * 60 * 1000)},
		flightsql.SqlInfoIdentifierQuoteChar:                  {str, `"`},
		flightsql.SqlInfoIdentifierCase:                       {bigint, int64(3)},
		flightsql.SqlInfoQuotedIdentifierCase:                 {bigint, nil},
		flightsql.SqlInfoNullOrdering:                         {int32bits, int32(0)},
		flightsql.SqlInfoKeywords:                             {strList, nil},
		flightsql.SqlInfoNumericFunctions:                     {strList, nil},
		flightsql.SqlInfoStringFunctions:                      {strList, nil},
		flightsql.SqlInfoSystemFunctions:                      {strList, nil},
		flightsql.SqlInfoDateTimeFunctions:                    {strList, nil},
		flightsql.SqlInfoSearchStringEscape:                   {str, `\`},
		flightsql.SqlInfoSupportsConvert:                      {intMap, nil},
		flightsql.SqlInfoSupportedGroupBy:                     {int32bits, int32(3)},
		flightsql.SqlInfoOuterJoinsSupportLevel:               {int32bits, int32(6)},
		flightsql.SqlInfoSchemaTerm:                           {str, "domain"},
		flightsql.SqlInfoCatalogTerm:                          {str, "mesh"},
		flightsql.SqlInfoMaxColumnsInGroupBy:                  {bigint, int64(0)},
		flightsql.SqlInfoMaxStatementLen:                      {bigint, int64(0)},
		flightsql.SqlInfoMaxUsernameLen:                       {bigint, int64(0)},
		flightsql.SqlInfoDefaultTransactionIsolation:          {bigint, int64(0)},
		flightsql.SqlInfoTransactionsSupported:                {boolean, false},
		flightsql.SqlInfoSupportedTransactionsIsolationlevels: {int32bits, int32(1)},
		flightsql.SqlInfoSupportedResultSetTypes:              {int32bits, int32(2)},
		flightsql.SqlInfoSupportedUnions:                      {int32bits, int32(3)},
		flightsql.SqlInfoBatchUpdatesSupported:                {boolean, false},
	}

	info, err := cl.GetSqlInfo(ctx, nil)
	require.NoError(t, err)
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	defer rdr.Release()
	require.True(t, schema_ref.SqlInfo.Equal(rdr.Schema()))
	seen := map[flightsql.SqlInfo]bool{}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		ids := rec.Column(0).(*array.Uint32)
		values := rec.Column(1).(*array.DenseUnion)
		for i := 0; i < ids.Len(); i++ {
			id := flightsql.SqlInfo(ids.Value(i))
			seen[id] = true
			w, ok := want[id]
			if !ok {
				continue
			}
			require.Equal(t, w.code, values.TypeCode(i), "value type of %s", id)
			if w.value == nil {
				continue
			}
			child := values.Field(values.ChildID(i))
			off := int(values.ValueOffset(i))
			var got any
			switch c := child.(type) {
			case *array.String:
				got = c.Value(off)
			case *array.Boolean:
				got = c.Value(off)
			case *array.Int64:
				got = c.Value(off)
			case *array.Int32:
				got = c.Value(off)
			}
			require.Equal(t, w.value, got, "value of %s", id)
		}
	}
	require.NoError(t, rdr.Err())
	for id := range want {
		require.True(t, seen[id], "%s is reported", id)
	}
	require.GreaterOrEqual(t, len(seen), 70, "the full SqlInfo table")

	t.Run("unknown ids are left out", func(t *testing.T) {
		info, err := cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerSubstraitMinVersion})
		require.NoError(t, err)
		_, rows := fetch(t, ctx, cl, info)
		require.Equal(t, 1, strings.Count(rows, "\n"))
		require.Contains(t, rows, "meshgate")
	})
}

func TestAdvertisedLocation(t *testing.T) {
	env := startServer(t, func(o *Options) { o.AdvertiseAddr = "gw1.example.com:32010" })
	cl, ctx := env.sqlClient("alice")
	info, err := cl.Execute(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	require.Equal(t, "grpc+tcp://gw1.example.com:32010", info.Endpoint[0].Location[0].Uri)
	info, err = cl.GetCatalogs(ctx)
	require.NoError(t, err)
	require.Equal(t, "grpc+tcp://gw1.example.com:32010", info.Endpoint[0].Location[0].Uri)

	for _, bad := range []string{"0.0.0.0:32010", "[::]:1", ":32010", "no-port"} {
		_, err := advertisedLocation(bad, false)
		require.Error(t, err, bad)
	}
	loc, err := advertisedLocation("10.0.0.7:443", true)
	require.NoError(t, err)
	require.Equal(t, "grpc+tls://10.0.0.7:443", loc)
}

func TestListActionsAndUnsupportedRPCs(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	stream, err := cl.Client.ListActions(ctx, &flight.Empty{})
	require.NoError(t, err)
	var names []string
	for {
		a, err := stream.Recv()
		if err != nil {
			break
		}
		names = append(names, a.Type)
	}
	require.Contains(t, names, flightsql.CreatePreparedStatementActionType)
	require.NotContains(t, names, flightsql.BeginTransactionActionType)

	lf, err := cl.Client.ListFlights(ctx, &flight.Criteria{})
	require.NoError(t, err)
	_, err = lf.Recv()
	requireCode(t, err, codes.Unimplemented, "not supported yet: ListFlights")
}
