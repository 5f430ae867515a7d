package flight

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
)

const ordersJSON = `{"amount":"10.5","customer":"alice","id":1,"note":"first","ordered_on":"2024-01-31","region":"EU"}
{"amount":"0.99","customer":"bob","id":2,"note":null,"ordered_on":"2024-02-29","region":"US"}
{"amount":"1234.56","customer":"carol","id":3,"note":"big","ordered_on":"2024-03-01","region":"EU"}
`

func requireCode(t *testing.T, err error, code codes.Code, msgContains string) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a gRPC status: %v", err)
	require.Equal(t, code, st.Code(), "message: %s", st.Message())
	require.Contains(t, st.Message(), msgContains)
}

func rawClient(t *testing.T, addr string) flight.Client {
	t.Helper()
	cl, err := flight.NewClientWithMiddleware(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func TestAuthentication(t *testing.T) {
	env := startServer(t, nil)
	cl := rawClient(t, env.srv.Addr())
	ctx := context.Background()

	t.Run("handshake returns the bearer token in headers and payload", func(t *testing.T) {
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:secret"))
		stream, err := cl.Handshake(metadata.AppendToOutgoingContext(ctx, "authorization", basic))
		require.NoError(t, err)
		require.NoError(t, stream.CloseSend())
		hdr, err := stream.Header()
		require.NoError(t, err)
		resp, err := stream.Recv()
		require.NoError(t, err)
		require.Len(t, hdr.Get("authorization"), 1)
		require.Equal(t, "Bearer "+string(resp.Payload), hdr.Get("authorization")[0])
		p, err := env.ids.VerifyToken(string(resp.Payload))
		require.NoError(t, err)
		require.Equal(t, "alice", p.User)
	})

	t.Run("wrong password", func(t *testing.T) {
		_, err := cl.AuthenticateBasicToken(ctx, "alice", "wrong")
		requireCode(t, err, codes.Unauthenticated, "invalid user name or password")
		_, err = cl.AuthenticateBasicToken(ctx, "mallory", "secret")
		requireCode(t, err, codes.Unauthenticated, "invalid user name or password")
	})

	t.Run("legacy BasicAuth payload", func(t *testing.T) {
		stream, err := cl.Handshake(ctx)
		require.NoError(t, err)
		payload, err := proto.Marshal(&flight.BasicAuth{Username: "bob", Password: "hunter2"})
		require.NoError(t, err)
		require.NoError(t, stream.Send(&flight.HandshakeRequest{Payload: payload}))
		require.NoError(t, stream.CloseSend())
		resp, err := stream.Recv()
		require.NoError(t, err)
		p, err := env.ids.VerifyToken(string(resp.Payload))
		require.NoError(t, err)
		require.Equal(t, "bob", p.User)
	})

	t.Run("calls without credentials are refused", func(t *testing.T) {
		sql := flightsql.Client{Client: cl}
		_, err := sql.GetCatalogs(ctx)
		requireCode(t, err, codes.Unauthenticated, "authentication required")
		_, err = sql.GetCatalogs(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer forged"))
		requireCode(t, err, codes.Unauthenticated, "bearer token")
		_, err = sql.GetCatalogs(metadata.AppendToOutgoingContext(ctx, "authorization", "Digest abc"))
		requireCode(t, err, codes.Unauthenticated, "unsupported authorization scheme")
	})

	t.Run("Basic credentials on a call without handshake", func(t *testing.T) {
		sql := flightsql.Client{Client: cl}
		basic := "Basic " + base64.RawStdEncoding.EncodeToString([]byte("bob:hunter2"))
		var hdr metadata.MD
		info, err := sql.Execute(metadata.AppendToOutgoingContext(ctx, "authorization", basic), "SELECT * FROM sales.orders", grpc.Header(&hdr))
		require.NoError(t, err)
		require.NotEmpty(t, info.Endpoint)
		require.True(t, strings.HasPrefix(hdr.Get("authorization")[0], "Bearer "), "a bearer token is handed back")

		_, err = sql.Execute(metadata.AppendToOutgoingContext(ctx, "authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:nope"))), "SELECT 1")
		requireCode(t, err, codes.Unauthenticated, "invalid user name or password")
	})

	require.GreaterOrEqual(t, metricValue(t, env.srv.metrics.handshakeFailures), 5.0)
}

func TestStatementQuery(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")

	var hdr metadata.MD
	info, err := cl.Execute(ctx, "SELECT * FROM sales.orders", grpc.Header(&hdr))
	require.NoError(t, err)
	require.EqualValues(t, -1, info.TotalRecords)
	require.EqualValues(t, -1, info.TotalBytes)
	require.True(t, info.Ordered)
	require.Len(t, info.Endpoint, 1)
	require.Empty(t, info.Endpoint[0].Location, "no location means: this server")
	require.NotNil(t, info.Endpoint[0].ExpirationTime)
	require.Len(t, hdr.Get(queryIDHeader), 1)

	infoSchema, err := flight.DeserializeSchema(info.Schema, memory.DefaultAllocator)
	require.NoError(t, err)
	schema, rows := fetch(t, ctx, cl, info)
	require.True(t, infoSchema.Equal(schema), "FlightInfo schema %s, stream schema %s", infoSchema, schema)
	require.Equal(t, ordersJSON, rows)

	// JDBC cannot read views or dictionaries: they arrive plain.
	for name, want := range map[string]arrow.DataType{
		"customer": arrow.BinaryTypes.String, // string_view
		"region":   arrow.BinaryTypes.String, // dictionary<int8, utf8>
		"note":     arrow.BinaryTypes.String, // large_string
		"amount":   &arrow.Decimal128Type{Precision: 10, Scale: 2},
	} {
		f, ok := schema.FieldsByName(name)
		require.True(t, ok)
		require.True(t, arrow.TypeEqual(want, f[0].Type), "%s: %s", name, f[0].Type)
	}
	require.Equal(t, "alice", env.engine.lastRequest().Principal.User)
	require.Equal(t, "mesh", env.engine.lastRequest().Session.Catalog)
	require.NotEmpty(t, env.engine.lastRequest().Session.ClientAddr)

	t.Run("schema only", func(t *testing.T) {
		res, err := cl.GetExecuteSchema(ctx, "SELECT * FROM sales.orders")
		require.NoError(t, err)
		s, err := flight.DeserializeSchema(res.Schema, memory.DefaultAllocator)
		require.NoError(t, err)
		require.True(t, s.Equal(infoSchema))
	})

	t.Run("poll returns a complete FlightInfo", func(t *testing.T) {
		poll, err := cl.ExecutePoll(ctx, "SELECT * FROM sales.orders", nil)
		require.NoError(t, err)
		require.Nil(t, poll.FlightDescriptor)
		require.EqualValues(t, 1, poll.GetProgress())
		_, rows := fetch(t, ctx, cl, poll.Info)
		require.Equal(t, ordersJSON, rows)
	})
}

func TestWarningsTravelAsHeaders(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	want := []string{"data product sales.legacy_orders is deprecated; use sales.orders", "data is 3 days stale"}

	var infoHdr metadata.MD
	info, err := cl.Execute(ctx, "SELECT * FROM sales.legacy_orders", grpc.Header(&infoHdr))
	require.NoError(t, err)
	require.Equal(t, want, infoHdr.Get(warningHeader))

	stream, err := cl.Client.DoGet(ctx, info.Endpoint[0].Ticket)
	require.NoError(t, err)
	getHdr, err := stream.Header()
	require.NoError(t, err)
	require.Equal(t, want, getHdr.Get(warningHeader))
	for {
		if _, err := stream.Recv(); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
}

func TestEngineErrorsMapToStatuses(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("bob")

	_, err := cl.Execute(ctx, "SELEC 1")
	requireCode(t, err, codes.InvalidArgument, `syntax error at or near "SELEC"`)

	_, err = cl.Execute(ctx, "SELECT * FROM hr.salaries")
	requireCode(t, err, codes.PermissionDenied, "may not read dataset hr.salaries")

	_, err = cl.Execute(ctx, "SELECT * FROM sales.nope")
	requireCode(t, err, codes.NotFound, `dataset "sales.nope" not found`)

	info, err := cl.Execute(ctx, sqlBoom)
	require.NoError(t, err)
	err = fetchErr(ctx, cl, info.Endpoint[0].Ticket)
	requireCode(t, err, codes.Internal, "internal error (query id ")
	require.NotContains(t, err.Error(), "connector crashed", "internal details stay in the log")
	require.Contains(t, env.logs.String(), "connector crashed reading row 42")

	_, err = cl.Execute(ctx, sqlOrdersByID)
	requireCode(t, err, codes.InvalidArgument, "prepare it and bind values")
}

func TestUpdatesAndIngestAreRefused(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")

	_, err := cl.ExecuteUpdate(ctx, "DELETE FROM sales.orders")
	requireCode(t, err, codes.Unimplemented, "meshgate serves read-only queries")

	prep, err := cl.Prepare(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	_, err = prep.ExecuteUpdate(ctx)
	requireCode(t, err, codes.Unimplemented, "meshgate serves read-only queries")
	require.NoError(t, prep.Close(ctx))

	rec := buildOrders(t, memory.DefaultAllocator)
	defer rec.Release()
	rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	require.NoError(t, err)
	defer rdr.Release()
	_, err = cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{
		TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionCreate},
		Table:                  "orders_copy",
	})
	requireCode(t, err, codes.Unimplemented, "bulk ingestion is refused")

	_, err = cl.BeginTransaction(ctx)
	requireCode(t, err, codes.Unimplemented, "not supported yet: transactions")

	_, err = cl.ExecuteSubstrait(ctx, flightsql.SubstraitPlan{Plan: []byte{1}, Version: "0.1"})
	requireCode(t, err, codes.Unimplemented, "not supported yet: Substrait")
}

func TestPreparedStatements(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")

	prep, err := cl.Prepare(ctx, sqlOrdersByID)
	require.NoError(t, err)
	require.Equal(t, "id", prep.DatasetSchema().Field(0).Name)
	require.True(t, arrow.TypeEqual(arrow.BinaryTypes.String, prep.DatasetSchema().Field(2).Type), "dataset schema is plain")
	require.Equal(t, 1, prep.ParameterSchema().NumFields())
	require.Equal(t, "$1", prep.ParameterSchema().Field(0).Name)
	handle := prep.Handle()

	_, err = prep.Execute(ctx)
	requireCode(t, err, codes.InvalidArgument, "bind values before executing")

	bind := func(values ...int32) arrow.RecordBatch {
		b := array.NewInt32Builder(memory.DefaultAllocator)
		defer b.Release()
		b.AppendValues(values, nil)
		col := b.NewArray()
		defer col.Release()
		return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "p", Type: arrow.PrimitiveTypes.Int32}}, nil), []arrow.Array{col}, int64(len(values)))
	}

	for _, id := range []int32{2, 3} {
		rec := bind(id)
		prep.SetParameters(rec)
		rec.Release()
		info, err := prep.Execute(ctx)
		require.NoError(t, err)
		require.Equal(t, handle, prep.Handle(), "binding keeps the handle")
		_, rows := fetch(t, ctx, cl, info)
		require.Equal(t, strings.Split(ordersJSON, "\n")[id-1]+"\n", rows)
		require.Equal(t, []any{int64(id)}, env.engine.lastParams(), "int32 binding coerced to the bigint parameter")
	}

	t.Run("several rows at once", func(t *testing.T) {
		rec := bind(1, 2)
		defer rec.Release()
		prep.SetParameters(rec)
		_, err := prep.Execute(ctx)
		requireCode(t, err, codes.Unimplemented, "not supported yet: binding 2 parameter rows")
	})

	t.Run("another user cannot use the handle", func(t *testing.T) {
		bobCl, bobCtx := env.sqlClient("bob")
		stolen := flightsql.NewPreparedStatement(bobCl, handle)
		_, err := stolen.Execute(bobCtx)
		requireCode(t, err, codes.NotFound, "prepared statement not found")
	})

	t.Run("a prepared command redeemed directly as a ticket", func(t *testing.T) {
		rec := bind(1)
		prep.SetParameters(rec)
		rec.Release()
		_, err := prep.Execute(ctx)
		require.NoError(t, err)
		wrapped, err := anypb.New(&pb.CommandPreparedStatementQuery{PreparedStatementHandle: handle})
		require.NoError(t, err)
		raw, err := proto.Marshal(wrapped)
		require.NoError(t, err)
		_, rows := fetch(t, ctx, cl, &flight.FlightInfo{Endpoint: []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: raw}}}})
		require.Equal(t, strings.Split(ordersJSON, "\n")[0]+"\n", rows)
	})

	require.NoError(t, prep.Close(ctx))
	_, err = flightsql.NewPreparedStatement(cl, handle).Execute(ctx)
	requireCode(t, err, codes.NotFound, "prepared statement not found")
}

func TestPreparedStatementIdleExpiryAndLimit(t *testing.T) {
	env := startServer(t, func(o *Options) {
		o.PreparedStatementIdleTTL = time.Minute
		o.MaxPreparedStatementsPerUser = 2
	})
	cl, ctx := env.sqlClient("alice")
	first, err := cl.Prepare(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	_, err = cl.Prepare(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	_, err = cl.Prepare(ctx, "SELECT * FROM sales.orders")
	requireCode(t, err, codes.ResourceExhausted, "close statements you no longer use")

	env.clock.Advance(2 * time.Minute)
	_, err = first.Execute(ctx)
	requireCode(t, err, codes.NotFound, "idle longer than 1m0s")
	_, err = cl.Prepare(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err, "idle statements no longer count against the limit")
}

func TestParameterCoercionEndToEnd(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	prep, err := cl.Prepare(ctx, sqlEcho)
	require.NoError(t, err)
	defer prep.Close(ctx)
	require.True(t, arrow.TypeEqual(arrow.Null, prep.ParameterSchema().Field(0).Type))

	b := array.NewStringBuilder(memory.DefaultAllocator)
	b.Append("s3cr3t-value")
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{col}, 1)
	col.Release()
	prep.SetParameters(rec)
	rec.Release()
	info, err := prep.Execute(ctx)
	require.NoError(t, err)
	_, rows := fetch(t, ctx, cl, info)
	require.Equal(t, `{"?column?":"string:s3cr3t-value"}`+"\n", rows)
	require.NotContains(t, env.logs.String(), "s3cr3t-value", "parameter values never reach the log")
}

func TestQueryLogAndMetrics(t *testing.T) {
	env := startServer(t, nil)
	cl, ctx := env.sqlClient("alice")
	info, err := cl.Execute(ctx, "SELECT * FROM sales.orders")
	require.NoError(t, err)
	fetch(t, ctx, cl, info)
	_, err = cl.Execute(ctx, "SELEC")
	require.Error(t, err)

	logs := env.logs.String()
	require.Regexp(t, `msg=query query_id=[0-9a-f]{16} user=alice duration=\S+ rows=3 bytes=\d+ outcome=ok sql_sha256=[0-9a-f]{16}`, logs)
	require.Regexp(t, `msg=query query_id=[0-9a-f]{16} user=alice .* outcome=invalid_argument .*error="syntax error`, logs)
	require.Equal(t, 1.0, metricValue(t, env.srv.metrics.queries.WithLabelValues("ok")))
	require.Equal(t, 1.0, metricValue(t, env.srv.metrics.queries.WithLabelValues("invalid_argument")))
	require.Equal(t, 3.0, metricValue(t, env.srv.metrics.rows))
	require.Greater(t, metricValue(t, env.srv.metrics.bytes), 0.0)
	require.Equal(t, 0.0, metricValue(t, env.srv.metrics.active))
	families, err := env.reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 5, "every collector is registered")
}

func metricValue(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	require.NoError(t, (<-ch).Write(&m))
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("unsupported metric %v", &m)
	return 0
}
