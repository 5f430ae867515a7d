package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// demoEngine serves demo.types (every rendered type) and a few canned statements; it is
// the in-test stand-in for the planner and executor behind a real flight server.
type demoEngine struct {
	rec arrow.RecordBatch
}

func (e *demoEngine) Tables(context.Context, *governance.Principal) ([]flight.TableInfo, error) {
	return []flight.TableInfo{{Schema: "demo", Name: "types", Type: flight.TableTypeTable, Columns: typesSchema}}, nil
}

func (e *demoEngine) Prepare(_ context.Context, req flight.QueryRequest) (flight.Query, error) {
	switch strings.Join(strings.Fields(req.SQL), " ") {
	case "SELECT * FROM demo.types":
		return &demoQuery{rec: e.rec}, nil
	case "SELECT * FROM demo.old":
		return &demoQuery{rec: e.rec, warnings: []string{"data product demo.old is deprecated"}}, nil
	case "SELECT $1":
		return &demoQuery{echo: true}, nil
	}
	return nil, errs.New(errs.KindInvalidArgument, "syntax error at or near %q", strings.Fields(req.SQL + " end")[0])
}

type demoQuery struct {
	rec      arrow.RecordBatch
	warnings []string
	echo     bool
}

var echoSchema = arrow.NewSchema([]arrow.Field{{Name: "value", Type: arrow.BinaryTypes.String}}, nil)

func (q *demoQuery) Schema() *arrow.Schema {
	if q.echo {
		return echoSchema
	}
	return q.rec.Schema()
}

func (q *demoQuery) ParamSchema() *arrow.Schema {
	if q.echo {
		return arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.Null, Nullable: true}}, nil)
	}
	return arrow.NewSchema(nil, nil)
}

func (q *demoQuery) Warnings() []string { return q.warnings }

func (q *demoQuery) Execute(_ context.Context, params []any) (array.RecordReader, error) {
	if q.echo {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		defer b.Release()
		b.Append(fmt.Sprintf("%T %v", params[0], params[0]))
		col := b.NewArray()
		defer col.Release()
		rec := array.NewRecordBatch(echoSchema, []arrow.Array{col}, 1)
		defer rec.Release()
		return array.NewRecordReader(echoSchema, []arrow.RecordBatch{rec})
	}
	return array.NewRecordReader(q.rec.Schema(), []arrow.RecordBatch{q.rec})
}

// startDemoServer runs a real meshgate Flight SQL server with user alice/secret.
func startDemoServer(t *testing.T) string {
	t.Helper()
	rec := typesRecord(t, memory.DefaultAllocator)
	t.Cleanup(rec.Release)
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	require.NoError(t, err)
	ids, err := governance.NewIdentities([]governance.User{{Name: "alice", PasswordHash: string(hash)}}, governance.IdentityOptions{})
	require.NoError(t, err)
	engine := &demoEngine{rec: rec}
	srv, err := flight.NewServer(flight.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, engine, engine, ids)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, <-served)
	})
	return srv.Addr()
}

func dialAlice(t *testing.T, addr string) *Client {
	t.Helper()
	cl, err := Dial(context.Background(), Options{Addr: addr, User: "alice", Password: "secret"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func TestDialAndQuery(t *testing.T) {
	addr := startDemoServer(t)
	ctx := context.Background()

	_, err := Dial(ctx, Options{Addr: addr, User: "alice", Password: "wrong"})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
	require.Equal(t, "login failed: invalid user name or password", FriendlyError(err))

	cl := dialAlice(t, addr)
	res, err := cl.Query(ctx, "SELECT * FROM demo.old")
	require.NoError(t, err)
	require.Equal(t, "price", res.Schema().Field(2).Name)
	require.Len(t, res.QueryID(), 16)
	var rows int64
	for res.Next() {
		rows += res.RecordBatch().NumRows()
	}
	require.NoError(t, res.Err())
	res.Close()
	require.EqualValues(t, 4, rows)
	require.Equal(t, []string{"data product demo.old is deprecated"}, res.Warnings())

	tests := []struct {
		param any
		want  string
	}{
		{42, "int64 42"},
		{"text", "string text"},
		{2.5, "float64 2.5"},
		{true, "bool true"},
		{[]byte{1, 2}, "[]uint8 [1 2]"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "arrow.Timestamp 1704164645000000"},
		{nil, "<nil> <nil>"},
	}
	for _, tt := range tests {
		res, err := cl.Query(ctx, "SELECT $1", tt.param)
		require.NoError(t, err)
		require.True(t, res.Next())
		require.Equal(t, tt.want, res.RecordBatch().Column(0).(*array.String).Value(0))
		res.Close()
	}
	_, err = cl.Query(ctx, "SELECT $1", struct{}{})
	require.ErrorContains(t, err, "parameter $1: unsupported Go type struct {}")

	_, err = cl.Query(ctx, "SELEC 1")
	require.Equal(t, `error: syntax error at or near "SELEC"`, FriendlyError(err))
}

func TestRunShellScript(t *testing.T) {
	addr := startDemoServer(t)
	cl := dialAlice(t, addr)
	script := `-- a comment with a ; in it
SELECT *
  FROM demo.types;  SELECT * FROM demo.old
`
	var out, errOut bytes.Buffer
	err := RunShell(context.Background(), ShellOptions{Client: cl, Format: FormatCSV, In: strings.NewReader(script), Out: &out, Err: &errOut})
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("testdata", "types.csv.golden"))
	require.NoError(t, err)
	require.Equal(t, string(want)+string(want), out.String(), "the last statement may omit its semicolon")
	require.Equal(t, "WARNING: data product demo.old is deprecated\n", errOut.String(), "no timing outside the table format")

	t.Run("a failing statement stops the script with an error", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := RunShell(context.Background(), ShellOptions{Client: cl, Format: FormatJSON,
			In: strings.NewReader("SELEC 1;\nSELECT * FROM demo.types;"), Out: &out, Err: &errOut})
		var failed *StatementError
		require.ErrorAs(t, err, &failed)
		require.Equal(t, "SELEC 1", failed.SQL)
		require.Equal(t, "error: syntax error at or near \"SELEC\"\n", errOut.String())
		require.Empty(t, out.String(), "nothing after the failure runs")
	})

	t.Run("table format reports rows and time", func(t *testing.T) {
		var out, errOut bytes.Buffer
		require.NoError(t, RunShell(context.Background(), ShellOptions{Client: cl, In: strings.NewReader("SELECT * FROM demo.types;\nquit\nSELECT 1;"), Out: &out, Err: &errOut}))
		want, err := os.ReadFile(filepath.Join("testdata", "types.table.golden"))
		require.NoError(t, err)
		require.Equal(t, string(want), out.String())
		require.Regexp(t, `^Time: \d+\.\d{3} ms\n$`, errOut.String())
	})
}

func TestRunShellInteractive(t *testing.T) {
	addr := startDemoServer(t)
	cl := dialAlice(t, addr)
	history := filepath.Join(t.TempDir(), "history")
	input := "SELEC 1;\nSELECT *\nFROM demo.types\n;\n\\q\nSELECT 'never';\n"
	var out, errOut bytes.Buffer
	err := RunShell(context.Background(), ShellOptions{Client: cl, Format: FormatJSON, In: strings.NewReader(input),
		Out: &out, Err: &errOut, Interactive: true, HistoryFile: history})
	require.NoError(t, err, "errors are reported and the session goes on")
	require.Contains(t, errOut.String(), `error: syntax error at or near "SELEC"`)
	require.Contains(t, out.String(), promptContinue, "a continued statement gets the continuation prompt")
	want, err := os.ReadFile(filepath.Join("testdata", "types.json.golden"))
	require.NoError(t, err)
	require.Contains(t, out.String(), string(want))
	require.NotContains(t, out.String(), "never")

	saved, err := os.ReadFile(history)
	require.NoError(t, err)
	require.Equal(t, "SELEC 1;\nSELECT *\nFROM demo.types\n;\n\\q\n", string(saved))
	h := loadHistory(history)
	require.Equal(t, `\q`, h.At(0))
	require.Equal(t, "SELEC 1;", h.At(h.Len()-1))
}

func TestFriendlyError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{status.Error(codes.PermissionDenied, "user bob may not read dataset hr.salaries"), "permission denied: user bob may not read dataset hr.salaries"},
		{status.Error(codes.Unimplemented, "not supported yet: ListFlights"), "not supported yet: ListFlights"},
		{status.Error(codes.Unavailable, "connection refused"), "server unavailable: connection refused (is the meshgate server running and reachable?)"},
		{status.Error(codes.Internal, "internal error (query id 1)"), "server error: internal error (query id 1)"},
		{status.Error(codes.DataLoss, "x"), "dataloss: x"},
		{context.Canceled, "canceled"},
		{fmt.Errorf("plain"), "error: plain"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, FriendlyError(tt.err))
	}
}
