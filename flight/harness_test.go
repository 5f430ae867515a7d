package flight

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
)

// This file holds the in-test Engine and Metadata: a handful of in-memory tables and a few
// canned statements, enough to drive the server through real Flight SQL clients. The real
// planner and executor are exercised by the end-to-end tests in the wiring package.

const (
	// sqlBlocking runs until its context ends (cancellation and shutdown tests).
	sqlBlocking = "SELECT * FROM pg_sleep_forever"
	// sqlBoom fails at execution with an unclassified (internal) error.
	sqlBoom = "SELECT boom()"
	// sqlOrdersByID takes one bigint parameter.
	sqlOrdersByID = "SELECT * FROM sales.orders WHERE id = $1"
	// sqlEcho returns its one untyped parameter.
	sqlEcho = "SELECT $1"
)

var selectFrom = regexp.MustCompile(`(?i)^SELECT \* FROM ([a-z_.]+)$`)

type fakeEngine struct {
	mem    memory.Allocator
	tables []*fakeTable

	mu       sync.Mutex
	requests []QueryRequest
	params   [][]any
	started  chan string // receives the query id of each blocking query that started
}

type fakeTable struct {
	info     TableInfo
	batches  []arrow.RecordBatch
	warnings []string
	// visibleTo, when set, is the only user who may see and read the table.
	visibleTo string
}

var _ Engine = (*fakeEngine)(nil)
var _ Metadata = (*fakeEngine)(nil)

func (e *fakeEngine) Tables(_ context.Context, p *governance.Principal) ([]TableInfo, error) {
	var out []TableInfo
	for _, t := range e.tables {
		if t.visibleTo == "" || t.visibleTo == p.User {
			out = append(out, t.info)
		}
	}
	return out, nil
}

func (e *fakeEngine) lookup(name string, req QueryRequest) (*fakeTable, error) {
	parts := strings.Split(name, ".")
	if len(parts) == 3 && parts[0] == "mesh" {
		parts = parts[1:]
	}
	if len(parts) == 1 {
		if req.Session.Schema == "" {
			return nil, errs.New(errs.KindNotFound, "dataset %q not found: qualify it with its domain or set a default schema", name)
		}
		parts = []string{req.Session.Schema, parts[0]}
	}
	for _, t := range e.tables {
		if t.info.Schema == parts[0] && t.info.Name == parts[1] {
			if t.visibleTo != "" && t.visibleTo != req.Principal.User {
				return nil, errs.New(errs.KindPermissionDenied, "user %s may not read dataset %s.%s", req.Principal.User, parts[0], parts[1])
			}
			return t, nil
		}
	}
	return nil, errs.New(errs.KindNotFound, "dataset %q not found", name)
}

func (e *fakeEngine) Prepare(_ context.Context, req QueryRequest) (Query, error) {
	e.mu.Lock()
	e.requests = append(e.requests, req)
	e.mu.Unlock()
	switch req.SQL {
	case sqlBlocking:
		return &fakeQuery{engine: e, schema: ordersSchema, blocking: true, queryID: req.Session.QueryID}, nil
	case sqlBoom:
		return &fakeQuery{engine: e, schema: ordersSchema, execErr: fmt.Errorf("boom: connector crashed reading row 42")}, nil
	case sqlOrdersByID:
		t, _ := e.lookup("sales.orders", req)
		return &fakeQuery{engine: e, table: t, schema: t.info.Columns, filterID: true,
			params: arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)}, nil
	case sqlEcho:
		return &fakeQuery{engine: e, echo: true,
			schema: arrow.NewSchema([]arrow.Field{{Name: "?column?", Type: arrow.BinaryTypes.String, Nullable: true}}, nil),
			params: arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.Null, Nullable: true}}, nil)}, nil
	}
	m := selectFrom.FindStringSubmatch(strings.TrimSpace(req.SQL))
	if m == nil {
		return nil, errs.New(errs.KindInvalidArgument, "syntax error at or near %q", strings.Fields(req.SQL + " end")[0])
	}
	t, err := e.lookup(m[1], req)
	if err != nil {
		return nil, err
	}
	return &fakeQuery{engine: e, table: t, schema: t.info.Columns}, nil
}

func (e *fakeEngine) lastRequest() QueryRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[len(e.requests)-1]
}

func (e *fakeEngine) lastParams() []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.params[len(e.params)-1]
}

type fakeQuery struct {
	engine   *fakeEngine
	table    *fakeTable
	schema   *arrow.Schema
	params   *arrow.Schema
	blocking bool
	filterID bool
	echo     bool
	execErr  error
	queryID  string
}

func (q *fakeQuery) Schema() *arrow.Schema { return q.schema }

func (q *fakeQuery) ParamSchema() *arrow.Schema {
	if q.params == nil {
		return arrow.NewSchema(nil, nil)
	}
	return q.params
}

func (q *fakeQuery) Warnings() []string {
	if q.table == nil {
		return nil
	}
	return q.table.warnings
}

func (q *fakeQuery) Execute(ctx context.Context, params []any) (array.RecordReader, error) {
	q.engine.mu.Lock()
	q.engine.params = append(q.engine.params, params)
	q.engine.mu.Unlock()
	switch {
	case q.execErr != nil:
		return nil, q.execErr
	case q.blocking:
		q.engine.started <- q.queryID
		return &blockingReader{ctx: ctx, schema: q.schema}, nil
	case q.echo:
		b := array.NewStringBuilder(q.engine.mem)
		defer b.Release()
		if params[0] == nil {
			b.AppendNull()
		} else {
			b.Append(fmt.Sprintf("%T:%v", params[0], params[0]))
		}
		col := b.NewArray()
		defer col.Release()
		rec := array.NewRecordBatch(q.schema, []arrow.Array{col}, 1)
		defer rec.Release()
		return array.NewRecordReader(q.schema, []arrow.RecordBatch{rec})
	case q.filterID:
		want, _ := params[0].(int64)
		var out []arrow.RecordBatch
		for _, b := range q.table.batches {
			ids := b.Column(0).(*array.Int64)
			for i := 0; i < ids.Len(); i++ {
				if ids.Value(i) == want {
					out = append(out, b.NewSlice(int64(i), int64(i+1)))
				}
			}
		}
		defer func() {
			for _, r := range out {
				r.Release()
			}
		}()
		return array.NewRecordReader(q.schema, out)
	}
	return array.NewRecordReader(q.schema, q.table.batches)
}

// blockingReader produces nothing until its context ends, like a scan of a source that
// never answers.
type blockingReader struct {
	ctx    context.Context
	schema *arrow.Schema
	err    error
}

func (r *blockingReader) Retain()                        {}
func (r *blockingReader) Release()                       {}
func (r *blockingReader) Schema() *arrow.Schema          { return r.schema }
func (r *blockingReader) RecordBatch() arrow.RecordBatch { return nil }
func (r *blockingReader) Record() arrow.RecordBatch      { return nil }
func (r *blockingReader) Err() error                     { return r.err }

func (r *blockingReader) Next() bool {
	<-r.ctx.Done()
	r.err = r.ctx.Err()
	return false
}

var ordersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{ColumnDescriptionKey}, []string{"order number"})},
	{Name: "customer", Type: arrow.BinaryTypes.StringView, Nullable: true},
	{Name: "region", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "ordered_on", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "note", Type: arrow.BinaryTypes.LargeString, Nullable: true},
}, nil)

// Row values of sales.orders, as the client must see them.
var ordersRows = []struct {
	id       int64
	customer string
	region   string
	cents    int64
	date     string
	note     *string
}{
	{1, "alice", "EU", 1050, "2024-01-31", ptr("first")},
	{2, "bob", "US", 99, "2024-02-29", nil},
	{3, "carol", "EU", 123456, "2024-03-01", ptr("big")},
}

func ptr[T any](v T) *T { return &v }

func buildOrders(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ordersSchema)
	defer b.Release()
	for _, r := range ordersRows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		b.Field(1).(*array.StringViewBuilder).Append(r.customer)
		require.NoError(t, b.Field(2).(*array.BinaryDictionaryBuilder).AppendString(r.region))
		b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(r.cents))
		d, err := time.Parse("2006-01-02", r.date)
		require.NoError(t, err)
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32FromTime(d))
		if r.note == nil {
			b.Field(5).(*array.LargeStringBuilder).AppendNull()
		} else {
			b.Field(5).(*array.LargeStringBuilder).Append(*r.note)
		}
	}
	return b.NewRecordBatch()
}

var bigSchema = arrow.NewSchema([]arrow.Field{
	{Name: "n", Type: arrow.PrimitiveTypes.Int64},
	{Name: "payload", Type: arrow.BinaryTypes.String},
}, nil)

const bigRows = 200_000

// buildBig is one ~20 MiB batch: 200k rows of 100-byte strings.
func buildBig(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, bigSchema)
	defer b.Release()
	payload := strings.Repeat("x", 100)
	for i := 0; i < bigRows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(payload)
	}
	return b.NewRecordBatch()
}

func newFakeEngine(t *testing.T, mem memory.Allocator) *fakeEngine {
	orders := buildOrders(t, mem)
	t.Cleanup(orders.Release)
	salaries := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{}, 0)
	e := &fakeEngine{mem: mem, started: make(chan string, 4)}
	e.tables = []*fakeTable{
		{info: TableInfo{Schema: "sales", Name: "orders", Type: TableTypeTable, Columns: ordersSchema, PrimaryKey: []string{"id"}, Description: "orders"}, batches: []arrow.RecordBatch{orders}},
		{info: TableInfo{Schema: "sales", Name: "legacy_orders", Type: TableTypeView, Columns: ordersSchema}, batches: []arrow.RecordBatch{orders},
			warnings: []string{"data product sales.legacy_orders is deprecated; use sales.orders", "data is 3 days stale"}},
		{info: TableInfo{Schema: "sales", Name: "big", Type: TableTypeTable, Columns: bigSchema}},
		{info: TableInfo{Schema: "hr", Name: "salaries", Type: TableTypeTable, Columns: salaries.Schema(), PrimaryKey: []string{"name"}}, visibleTo: "alice"},
		{info: TableInfo{Catalog: "mesh", Schema: "mesh", Name: "datasets", Type: TableTypeSystemTable, Columns: arrow.NewSchema([]arrow.Field{{Name: "name", Type: arrow.BinaryTypes.String}}, nil)}},
	}
	return e
}

// withBig adds the 20 MiB table's data; only the tests that need it pay for it.
func (e *fakeEngine) withBig(t *testing.T) {
	big := buildBig(e.mem)
	t.Cleanup(big.Release)
	for _, tb := range e.tables {
		if tb.info.Name == "big" {
			tb.batches = []arrow.RecordBatch{big}
		}
	}
}

// testClock is a settable clock for ticket and statement expiry.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testEnv struct {
	t      *testing.T
	srv    *Server
	engine *fakeEngine
	ids    *governance.Identities
	mem    *memory.CheckedAllocator
	clock  *testClock
	logs   *syncBuffer
	reg    *prometheus.Registry
	served chan error
}

var testUsers = map[string]string{"alice": "secret", "bob": "hunter2"}

func newTestIdentities(t testing.TB) *governance.Identities {
	var users []governance.User
	for name, pw := range testUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		require.NoError(t, err)
		users = append(users, governance.User{Name: name, PasswordHash: string(h), Roles: []string{"analyst"}})
	}
	ids, err := governance.NewIdentities(users, governance.IdentityOptions{SigningKey: []byte("test signing key, 32 bytes long!")})
	require.NoError(t, err)
	return ids
}

// startServer runs a server on a free port; mutate adjusts its options.
func startServer(t *testing.T, mutate func(*Options)) *testEnv {
	t.Helper()
	mem := testutil.CheckedAllocator(t)
	env := &testEnv{
		t: t, mem: mem, engine: newFakeEngine(t, mem), ids: newTestIdentities(t),
		clock: &testClock{now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)},
		logs:  &syncBuffer{}, reg: prometheus.NewRegistry(), served: make(chan error, 1),
	}
	opts := Options{
		Addr:       "127.0.0.1:0",
		Allocator:  mem,
		Logger:     slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: env.reg,
		Now:        env.clock.Now,
	}
	if mutate != nil {
		mutate(&opts)
	}
	srv, err := NewServer(opts, env.engine, env.engine, env.ids)
	require.NoError(t, err)
	env.srv = srv
	go func() { env.served <- srv.Serve(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, <-env.served)
	})
	return env
}

// sqlClient is an authenticated arrow-go Flight SQL client and the context carrying its
// bearer token.
func (e *testEnv) sqlClient(user string, mw ...flight.ClientMiddleware) (*flightsql.Client, context.Context) {
	e.t.Helper()
	cl, err := flightsql.NewClient(e.srv.Addr(), nil, mw, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = cl.Close() })
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), user, testUsers[user])
	require.NoError(e.t, err)
	return cl, ctx
}

// fetch redeems every endpoint of info and returns the rows as JSON lines.
func fetch(t *testing.T, ctx context.Context, cl *flightsql.Client, info *flight.FlightInfo) (*arrow.Schema, string) {
	t.Helper()
	var out strings.Builder
	var schema *arrow.Schema
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		require.NoError(t, err)
		schema = rdr.Schema()
		for rdr.Next() {
			require.NoError(t, array.RecordToJSON(rdr.RecordBatch(), &out))
		}
		err = rdr.Err()
		rdr.Release()
		require.NoError(t, err)
	}
	return schema, out.String()
}

// fetchErr redeems the first endpoint and returns the stream's error.
func fetchErr(ctx context.Context, cl *flightsql.Client, ticket *flight.Ticket) error {
	rdr, err := cl.DoGet(ctx, ticket)
	if err != nil {
		return err
	}
	defer rdr.Release()
	for rdr.Next() {
	}
	return rdr.Err()
}

func drain(r io.Reader) string {
	b, _ := io.ReadAll(r)
	return string(b)
}
