package flight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflightsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
)

// This file runs real clients against the front door wired to the REAL engine: the demo mesh
// (TPC-H SF 0.01 in the sales, customers and supply domains), its policies and the planner,
// the way cmd/meshgate wires them. The in-test double of harness_test.go checks the server's
// own behaviour precisely; these tests check that what the engine really produces (schemas,
// parameter types, masks, metadata from contracts) reaches clients intact.

const compatSF = 0.01

// realEngine adapts the planner and catalog to Engine and Metadata, as cmd/meshgate does.
type realEngine struct {
	planner  *planner.Planner
	catalog  *catalog.Catalog
	policies *atomic.Pointer[governance.PolicySet]
}

var (
	_ Engine   = (*realEngine)(nil)
	_ Metadata = (*realEngine)(nil)
)

func (e *realEngine) Prepare(ctx context.Context, req QueryRequest) (Query, error) {
	st, err := e.planner.Prepare(ctx, planner.Request{Principal: req.Principal, SQL: req.SQL, DefaultSchema: req.Session.Schema})
	if err != nil {
		return nil, err
	}
	return realQuery{st}, nil
}

type realQuery struct{ st *planner.Statement }

func (q realQuery) Schema() *arrow.Schema { return q.st.Schema() }
func (q realQuery) Warnings() []string    { return nil }

func (q realQuery) ParamSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(q.st.ParamTypes()))
	for i, t := range q.st.ParamTypes() {
		fields[i] = arrow.Field{Name: fmt.Sprintf("$%d", i+1), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func (q realQuery) Execute(ctx context.Context, params []any) (array.RecordReader, error) {
	return q.st.Execute(ctx, params)
}

func (e *realEngine) Tables(_ context.Context, p *governance.Principal) ([]TableInfo, error) {
	policies := e.policies.Load()
	var out []TableInfo
	add := func(ds *catalog.Dataset, typ string) {
		if policies.Evaluate(p, ds).Denied == nil {
			out = append(out, TableInfo{Schema: ds.Domain, Name: ds.Name, Type: typ, Columns: catalog.SchemaOf(ds.Columns),
				PrimaryKey: ds.PrimaryKey(), Description: ds.Description})
		}
	}
	for _, ds := range e.catalog.Datasets() {
		add(ds, TableTypeTable)
	}
	for _, ds := range e.catalog.SystemTables() {
		add(ds, TableTypeSystemTable)
	}
	return out, nil
}

// startDemoMesh serves the demo mesh on a free port until the test ends and returns the
// Flight SQL address.
func startDemoMesh(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	_, err := tpch.Generate(context.Background(), tpch.GenerateOptions{SF: compatSF, Dir: dir})
	require.NoError(t, err)
	users, err := demo.Identities()
	require.NoError(t, err)
	ids, err := governance.NewIdentities(users, governance.IdentityOptions{})
	require.NoError(t, err)
	policies, err := demo.Policies()
	require.NoError(t, err)
	var set atomic.Pointer[governance.PolicySet]
	set.Store(governance.NewPolicySet(policies, []byte("compat test mask key")))

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: dir, Logger: quiet})
	t.Cleanup(func() { _ = cat.Close() })
	require.NoError(t, demo.Register(cat, dir))
	eng := &realEngine{catalog: cat, policies: &set, planner: planner.New(planner.Options{
		Catalog: cat, Policies: func() bind.Policies { return set.Load() }, Partitions: 2, Logger: quiet,
	})}

	srv, err := NewServer(Options{Addr: "127.0.0.1:0", Logger: quiet}, eng, eng, ids)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return srv.Addr()
}

func adbcDemoConnection(t *testing.T, addr, user string) adbc.Connection {
	t.Helper()
	db, err := adbcflightsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: "grpc+tcp://" + addr, adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: user,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	cnxn, err := db.Open(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = cnxn.Close() })
	return cnxn
}

// rowsJSON decodes a reader into one map per row (through arrow's JSON encoding, which
// writes nested lists and structs as JSON arrays and objects).
func rowsJSON(t *testing.T, rdr array.RecordReader) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(readerJSON(t, rdr)))
	for dec.More() {
		var row map[string]any
		require.NoError(t, dec.Decode(&row))
		out = append(out, row)
	}
	return out
}

// objectNames flattens a GetObjects result into "catalog", "catalog.schema",
// "catalog.schema.table" and "catalog.schema.table.column" names.
func objectNames(t *testing.T, rdr array.RecordReader) []string {
	t.Helper()
	list := func(v any) []map[string]any {
		items, _ := v.([]any)
		out := make([]map[string]any, 0, len(items))
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	var names []string
	for _, cat := range rowsJSON(t, rdr) {
		c := cat["catalog_name"].(string)
		names = append(names, c)
		for _, sch := range list(cat["catalog_db_schemas"]) {
			s := c + "." + sch["db_schema_name"].(string)
			names = append(names, s)
			for _, tbl := range list(sch["db_schema_tables"]) {
				tn := s + "." + tbl["table_name"].(string)
				names = append(names, tn)
				for _, col := range list(tbl["table_columns"]) {
					names = append(names, tn+"."+col["column_name"].(string))
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestCompatRealEngineADBC(t *testing.T) {
	addr := startDemoMesh(t)
	ctx := context.Background()
	admin := adbcDemoConnection(t, addr, "admin")
	analyst := adbcDemoConnection(t, addr, "analyst")
	str := func(s string) *string { return &s }

	t.Run("GetObjects at every depth", func(t *testing.T) {
		for _, tt := range []struct {
			depth        adbc.ObjectDepth
			want, absent []string
		}{
			{adbc.ObjectDepthCatalogs, []string{"mesh"}, []string{"mesh.sales"}},
			{adbc.ObjectDepthDBSchemas, []string{"mesh.customers", "mesh.mesh", "mesh.sales", "mesh.supply"}, []string{"mesh.sales.orders"}},
			{adbc.ObjectDepthTables, []string{"mesh.sales.orders", "mesh.sales.lineitem", "mesh.customers.customer", "mesh.supply.partsupp", "mesh.mesh.datasets"}, []string{"mesh.sales.orders.o_orderkey"}},
			{adbc.ObjectDepthColumns, []string{"mesh.sales.orders.o_orderkey", "mesh.customers.customer.c_phone", "mesh.supply.part.p_retailprice"}, nil},
			{adbc.ObjectDepthAll, []string{"mesh.customers.customer.c_address"}, nil},
		} {
			rdr, err := admin.GetObjects(ctx, tt.depth, nil, nil, nil, nil, nil)
			require.NoError(t, err)
			names := objectNames(t, rdr)
			require.Subset(t, names, tt.want, "depth %d", tt.depth)
			for _, n := range tt.absent {
				require.NotContains(t, names, n, "depth %d", tt.depth)
			}
		}
	})

	t.Run("GetObjects with patterns", func(t *testing.T) {
		// Column name patterns are matched by the client (ADBC and JDBC alike), without escapes.
		rdr, err := admin.GetObjects(ctx, adbc.ObjectDepthColumns, str("mesh"), str("cust%"), str("c_st_mer"), str("c_%"), []string{"TABLE"})
		require.NoError(t, err)
		names := objectNames(t, rdr)
		require.Equal(t, []string{"mesh", "mesh.customers", "mesh.customers.customer",
			"mesh.customers.customer.c_acctbal", "mesh.customers.customer.c_address", "mesh.customers.customer.c_comment",
			"mesh.customers.customer.c_custkey", "mesh.customers.customer.c_mktsegment", "mesh.customers.customer.c_name",
			"mesh.customers.customer.c_nationkey", "mesh.customers.customer.c_phone"}, names)
	})

	t.Run("GetObjects column details come from the contract", func(t *testing.T) {
		rdr, err := admin.GetObjects(ctx, adbc.ObjectDepthColumns, nil, str("sales"), str("orders"), str("o_totalprice"), nil)
		require.NoError(t, err)
		rows := rowsJSON(t, rdr)
		col := rows[0]["catalog_db_schemas"].([]any)[0].(map[string]any)["db_schema_tables"].([]any)[0].(map[string]any)["table_columns"].([]any)[0].(map[string]any)
		require.Equal(t, "numeric", col["xdbc_type_name"])
		require.EqualValues(t, 3, col["xdbc_data_type"], "java.sql.Types.DECIMAL")
		require.EqualValues(t, 4, col["ordinal_position"])
	})

	t.Run("GetTableSchema", func(t *testing.T) {
		schema, err := admin.GetTableSchema(ctx, str("mesh"), str("customers"), "customer")
		require.NoError(t, err)
		require.Equal(t, []string{"c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment"}, fieldNames(schema))
		bal, _ := schema.FieldsByName("c_acctbal")
		require.True(t, arrow.TypeEqual(&arrow.Decimal128Type{Precision: 15, Scale: 2}, bal[0].Type), "%s", bal[0].Type)
		md := flightsql.ColumnMetadata{Data: &bal[0].Metadata}
		remarks, _ := md.Remarks()
		require.Equal(t, "Account balance.", remarks)
		precision, _ := md.Precision()
		require.EqualValues(t, 15, precision)

		_, err = admin.GetTableSchema(ctx, nil, str("customers"), "customers")
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr), "%v", err)
		require.Equal(t, adbc.StatusNotFound, aerr.Code)
	})

	t.Run("Execute with bound parameters of every kind", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "cust", Type: arrow.PrimitiveTypes.Int64},
			{Name: "since", Type: arrow.FixedWidthTypes.Date32},
			{Name: "min_price", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
			{Name: "priority", Type: arrow.BinaryTypes.String},
		}, nil)
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(370)
		b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)))
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(1000000)) // 10000.00
		b.Field(3).(*array.StringBuilder).Append("1-URGENT")
		params := b.NewRecordBatch()
		defer params.Release()

		const where = "o_custkey = %s AND o_orderdate >= %s AND o_totalprice > %s AND o_orderpriority <> %s"
		bound := queryStrings(t, admin, "SELECT o_orderkey FROM sales.orders WHERE "+fmt.Sprintf(where, "?", "?", "?", "?")+" ORDER BY 1", params)
		literal := queryStrings(t, admin, "SELECT o_orderkey FROM sales.orders WHERE "+
			fmt.Sprintf(where, "370", "DATE '1995-01-01'", "10000.00", "'1-URGENT'")+" ORDER BY 1")
		require.NotEmpty(t, literal)
		require.Equal(t, literal, bound)
	})

	t.Run("masks apply to prepared statements", func(t *testing.T) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil))
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(6) // FRANCE, in EUROPE
		params := b.NewRecordBatch()
		defer params.Release()
		const q = "SELECT c_phone, c_address FROM customers.customer WHERE c_nationkey = ? ORDER BY c_custkey"
		masked := queryStrings(t, analyst, q, params)
		raw := queryStrings(t, admin, q, params)
		require.NotEmpty(t, masked)
		require.Equal(t, len(raw), len(masked))
		for i := range masked {
			phone := strings.Split(raw[i], "|")[0]
			require.Equal(t, "00-000-000-"+phone[len(phone)-4:], strings.Split(masked[i], "|")[0])
			require.Regexp(t, `^[xX0 ,.]*$`, strings.Split(masked[i], "|")[1])
		}
	})

	t.Run("ingest is refused with a clear error", func(t *testing.T) {
		// ADBC's driver refuses ingestion itself; arrow-go's client reaches the server.
		stmt, err := admin.NewStatement()
		require.NoError(t, err)
		defer stmt.Close()
		err = stmt.SetOption(adbc.OptionKeyIngestTargetTable, "orders_copy")
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr), "%v", err)
		require.Equal(t, adbc.StatusNotImplemented, aerr.Code)

		cl := flightSQLClient(t, addr, "admin")
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil))
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(1)
		rec := b.NewRecordBatch()
		defer rec.Release()
		rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
		require.NoError(t, err)
		defer rdr.Release()
		_, err = cl.client.ExecuteIngest(cl.ctx, rdr, &flightsql.ExecuteIngestOpts{
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionCreate},
			Table:                  "orders_copy",
		})
		requireCode(t, err, codes.Unimplemented, "bulk ingestion is refused: load data into the domain's source")
	})

	t.Run("GetInfo and GetTableTypes", func(t *testing.T) {
		rdr, err := admin.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName, adbc.InfoVendorArrowVersion, adbc.InfoVendorSql, adbc.InfoVendorSubstrait})
		require.NoError(t, err)
		got := readerJSON(t, rdr)
		require.Contains(t, got, `"meshgate"`)
		require.Contains(t, got, arrow.PkgVersion)

		rdr, err = admin.GetTableTypes(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"SYSTEM TABLE", "TABLE", "VIEW"}, queryColumn(t, rdr))
	})

	t.Run("analyst sees only what policies allow", func(t *testing.T) {
		rdr, err := analyst.GetObjects(ctx, adbc.ObjectDepthTables, nil, str("mesh"), nil, nil, nil)
		require.NoError(t, err)
		names := objectNames(t, rdr)
		require.NotContains(t, names, "mesh.mesh.audit", "mesh.audit needs the governance role")
	})
}

// TestCompatRealEnginePreparedStatementHints checks what the Flight SQL JDBC driver relies
// on when it prepares a statement, at the protocol level.
func TestCompatRealEnginePreparedStatementHints(t *testing.T) {
	addr := startDemoMesh(t)
	cl := flightSQLClient(t, addr, "admin")

	prep, err := cl.client.Prepare(cl.ctx, "SELECT CAST(? AS timestamptz) AS ts, CAST(? AS bigint) + 1 AS n")
	require.NoError(t, err)
	defer prep.Close(cl.ctx)
	isUpdate, ok := prep.IsUpdate()
	require.True(t, ok, "the server says whether the statement is an update")
	require.False(t, isUpdate)
	require.Equal(t, []string{"ts", "n"}, fieldNames(prep.DatasetSchema()))
	require.True(t, arrow.TypeEqual(&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, prep.ParameterSchema().Field(0).Type),
		"JDBC binds java.sql.Timestamp milliseconds as they are, got %s", prep.ParameterSchema().Field(0).Type)

	// A client binding the announced types gets its instant back, in microseconds.
	instant := time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	b := array.NewRecordBuilder(memory.DefaultAllocator, prep.ParameterSchema())
	defer b.Release()
	b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(instant.UnixMilli()))
	b.Field(1).(*array.Int64Builder).Append(41)
	params := b.NewRecordBatch()
	defer params.Release()
	prep.SetParameters(params)
	info, err := prep.Execute(cl.ctx)
	require.NoError(t, err)
	rdr, err := cl.client.DoGet(cl.ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	defer rdr.Release()
	require.True(t, rdr.Next())
	rec := rdr.RecordBatch()
	ts := rec.Column(0).(*array.Timestamp)
	require.True(t, arrow.TypeEqual(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, ts.DataType()), "results keep microseconds: %s", ts.DataType())
	require.Equal(t, instant, ts.Value(0).ToTime(arrow.Microsecond))
	require.Equal(t, "42", rec.Column(1).ValueStr(0))
}

// TestCompatRealEngineMetadataCommands reads what JDBC's DatabaseMetaData and ODBC ask for.
func TestCompatRealEngineMetadataCommands(t *testing.T) {
	addr := startDemoMesh(t)
	cl := flightSQLClient(t, addr, "admin")

	info, err := cl.client.GetXdbcTypeInfo(cl.ctx, nil)
	require.NoError(t, err)
	rdr, err := cl.client.DoGet(cl.ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	require.Subset(t, queryColumn(t, rdr), []string{"bigint", "boolean", "date", "numeric", "timestamp with time zone", "varchar"})

	customers, customer := "customers", "customer"
	info, err = cl.client.GetPrimaryKeys(cl.ctx, flightsql.TableRef{DBSchema: &customers, Table: customer})
	require.NoError(t, err)
	rdr, err = cl.client.DoGet(cl.ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	keys := rowsJSON(t, rdr)
	require.Len(t, keys, 1)
	require.Equal(t, "c_custkey", keys[0]["column_name"])

	info, err = cl.client.GetSqlInfo(cl.ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoIdentifierQuoteChar, flightsql.SqlInfoMaxColumnNameLen})
	require.NoError(t, err)
	rdr, err = cl.client.DoGet(cl.ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	defer rdr.Release()
	require.True(t, rdr.Next())
	require.EqualValues(t, 3, rdr.RecordBatch().NumRows())
}

type sqlClient struct {
	client *flightsql.Client
	ctx    context.Context
}

func flightSQLClient(t *testing.T, addr, user string) sqlClient {
	t.Helper()
	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), user, user)
	require.NoError(t, err)
	return sqlClient{client: cl, ctx: ctx}
}

// queryStrings runs sql (prepared and bound when params are given) and returns each row as
// its values joined with "|".
func queryStrings(t *testing.T, cnxn adbc.Connection, sql string, params ...arrow.RecordBatch) []string {
	t.Helper()
	ctx := context.Background()
	stmt, err := cnxn.NewStatement()
	require.NoError(t, err)
	defer stmt.Close()
	require.NoError(t, stmt.SetSqlQuery(sql))
	if len(params) > 0 {
		require.NoError(t, stmt.Prepare(ctx))
		require.NoError(t, stmt.Bind(ctx, params[0]))
	}
	rdr, _, err := stmt.ExecuteQuery(ctx)
	require.NoError(t, err, sql)
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]string, rec.NumCols())
			for c := range vals {
				vals[c] = rec.Column(c).ValueStr(i)
			}
			out = append(out, strings.Join(vals, "|"))
		}
	}
	require.NoError(t, rdr.Err())
	return out
}

// queryColumn reads the first column of every row as strings.
func queryColumn(t *testing.T, rdr array.RecordReader) []string {
	t.Helper()
	defer rdr.Release()
	var out []string
	for rdr.Next() {
		col := rdr.RecordBatch().Column(0)
		for i := 0; i < col.Len(); i++ {
			out = append(out, col.ValueStr(i))
		}
	}
	require.NoError(t, rdr.Err())
	return out
}
