package flight

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflightsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// adbcConnect opens an ADBC Flight SQL connection the way Python and R users do.
func adbcConnect(t *testing.T, env *testEnv, user, password string, extra map[string]string) (adbc.Connection, error) {
	t.Helper()
	opts := map[string]string{
		adbc.OptionKeyURI:      "grpc+tcp://" + env.srv.Addr(),
		adbc.OptionKeyUsername: user,
		adbc.OptionKeyPassword: password,
	}
	for k, v := range extra {
		opts[k] = v
	}
	db, err := adbcflightsql.NewDriver(memory.DefaultAllocator).NewDatabase(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	cnxn, err := db.Open(context.Background())
	if err == nil {
		t.Cleanup(func() { _ = cnxn.Close() })
	}
	return cnxn, err
}

func readerJSON(t *testing.T, rdr array.RecordReader) string {
	t.Helper()
	defer rdr.Release()
	var out strings.Builder
	for rdr.Next() {
		require.NoError(t, array.RecordToJSON(rdr.RecordBatch(), &out))
	}
	require.NoError(t, rdr.Err())
	return out.String()
}

func TestADBCDriver(t *testing.T) {
	env := startServer(t, nil)
	ctx := context.Background()

	t.Run("wrong password", func(t *testing.T) {
		_, err := adbcConnect(t, env, "alice", "wrong", nil)
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr), "%v", err)
		require.Equal(t, adbc.StatusUnauthenticated, aerr.Code)
		require.Contains(t, aerr.Msg, "invalid user name or password")
	})

	cnxn, err := adbcConnect(t, env, "alice", "secret", nil)
	require.NoError(t, err)

	t.Run("execute a query", func(t *testing.T) {
		stmt, err := cnxn.NewStatement()
		require.NoError(t, err)
		defer stmt.Close()
		require.NoError(t, stmt.SetSqlQuery("SELECT * FROM sales.orders"))
		rdr, n, err := stmt.ExecuteQuery(ctx)
		require.NoError(t, err)
		require.EqualValues(t, -1, n)
		require.Equal(t, ordersJSON, readerJSON(t, rdr))
	})

	t.Run("prepared statement with a bound parameter", func(t *testing.T) {
		stmt, err := cnxn.NewStatement()
		require.NoError(t, err)
		defer stmt.Close()
		require.NoError(t, stmt.SetSqlQuery(sqlOrdersByID))
		require.NoError(t, stmt.Prepare(ctx))
		params, err := stmt.GetParameterSchema()
		require.NoError(t, err)
		require.Equal(t, "$1", params.Field(0).Name)

		b := array.NewInt64Builder(memory.DefaultAllocator)
		b.Append(3)
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(params, []arrow.Array{col}, 1)
		col.Release()
		require.NoError(t, stmt.Bind(ctx, rec))
		rdr, _, err := stmt.ExecuteQuery(ctx)
		require.NoError(t, err)
		require.Equal(t, strings.Split(ordersJSON, "\n")[2]+"\n", readerJSON(t, rdr))
	})

	t.Run("GetObjects at every depth", func(t *testing.T) {
		tests := []struct {
			depth    adbc.ObjectDepth
			contains []string
			absent   []string
		}{
			{adbc.ObjectDepthCatalogs, []string{`"catalog_name":"mesh"`}, []string{`"db_schema_name"`}},
			{adbc.ObjectDepthDBSchemas, []string{`"db_schema_name":"sales"`, `"db_schema_name":"hr"`}, []string{`"table_name"`}},
			{adbc.ObjectDepthTables, []string{`"table_name":"orders"`, `"table_type":"TABLE"`, `"table_name":"salaries"`}, []string{`"column_name"`}},
			// ADBC's Go driver (1.8) takes only names and the type name from the Flight SQL
			// column metadata; precision, scale and remarks are checked with arrow-go's client
			// in TestGetTablesIncludeSchemaCarriesColumnMetadata.
			{adbc.ObjectDepthAll, []string{`"column_name":"amount"`, `"xdbc_type_name":"numeric"`, `"xdbc_scope_table":"orders"`, `"ordinal_position":4`}, nil},
		}
		for _, tt := range tests {
			rdr, err := cnxn.GetObjects(ctx, tt.depth, nil, nil, nil, nil, nil)
			require.NoError(t, err)
			got := readerJSON(t, rdr)
			for _, want := range tt.contains {
				require.Contains(t, got, want, "depth %d", tt.depth)
			}
			for _, unwanted := range tt.absent {
				require.NotContains(t, strings.ReplaceAll(got, unwanted+":null", ""), unwanted, "depth %d", tt.depth)
			}
		}
	})

	t.Run("GetTableSchema", func(t *testing.T) {
		sales := "sales"
		schema, err := cnxn.GetTableSchema(ctx, nil, &sales, "orders")
		require.NoError(t, err)
		require.Equal(t, []string{"id", "customer", "region", "amount", "ordered_on", "note"}, fieldNames(schema))
		_, err = cnxn.GetTableSchema(ctx, nil, &sales, "missing")
		require.Error(t, err)
	})

	t.Run("GetInfo", func(t *testing.T) {
		rdr, err := cnxn.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName, adbc.InfoVendorVersion, adbc.InfoVendorArrowVersion, adbc.InfoVendorSubstrait})
		require.NoError(t, err)
		got := readerJSON(t, rdr)
		require.Contains(t, got, `"meshgate"`)
		require.Contains(t, got, `"dev"`)
		require.Contains(t, got, arrow.PkgVersion)
	})

	t.Run("ingest is refused", func(t *testing.T) {
		// ADBC's Go Flight SQL driver (1.8) refuses ingestion before calling the server;
		// the server's own refusal is checked with arrow-go's client in
		// TestUpdatesAndIngestAreRefused.
		stmt, err := cnxn.NewStatement()
		require.NoError(t, err)
		defer stmt.Close()
		err = stmt.SetOption(adbc.OptionKeyIngestTargetTable, "orders_copy")
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr))
		require.Equal(t, adbc.StatusNotImplemented, aerr.Code)
	})

	t.Run("updates are refused", func(t *testing.T) {
		stmt, err := cnxn.NewStatement()
		require.NoError(t, err)
		defer stmt.Close()
		require.NoError(t, stmt.SetSqlQuery("DELETE FROM sales.orders"))
		_, err = stmt.ExecuteUpdate(ctx)
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr))
		require.Equal(t, adbc.StatusNotImplemented, aerr.Code)
		require.Contains(t, aerr.Msg, "meshgate serves read-only queries")
	})
}

func TestADBCSessionSchema(t *testing.T) {
	env := startServer(t, nil)
	ctx := context.Background()
	cnxn, err := adbcConnect(t, env, "bob", "hunter2", map[string]string{adbcflightsql.OptionCookieMiddleware: adbc.OptionValueEnabled})
	require.NoError(t, err)
	getter := cnxn.(adbc.GetSetOptions)

	catalog, err := getter.GetOption(adbc.OptionKeyCurrentCatalog)
	require.NoError(t, err)
	require.Equal(t, "mesh", catalog)
	require.NoError(t, getter.SetOption(adbc.OptionKeyCurrentDbSchema, "sales"))
	schema, err := getter.GetOption(adbc.OptionKeyCurrentDbSchema)
	require.NoError(t, err)
	require.Equal(t, "sales", schema)

	stmt, err := cnxn.NewStatement()
	require.NoError(t, err)
	defer stmt.Close()
	require.NoError(t, stmt.SetSqlQuery("SELECT * FROM orders"))
	rdr, _, err := stmt.ExecuteQuery(ctx)
	require.NoError(t, err)
	require.Equal(t, ordersJSON, readerJSON(t, rdr))
	require.Equal(t, "sales", env.engine.lastRequest().Session.Schema)

	err = getter.SetOption(adbc.OptionKeyCurrentDbSchema, "hr")
	require.Error(t, err, "bob cannot see the hr domain")
}

func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}
