package meshtest

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
)

// FlightUser and FlightPassword log in to the Flight SQL front door ServeFlight starts; the
// user is Admin.
const (
	FlightUser     = "admin"
	FlightPassword = "meshtest-flight-password"
)

// FlightOptions configure ServeFlight.
type FlightOptions struct {
	// Alloc allocates the server's result conversions. Default: Go allocator.
	Alloc memory.Allocator
}

// ServeFlight starts the Flight SQL front door over the mesh on a free local port, as a node
// does (the planner behind flight.Engine, the catalog behind flight.Metadata), and returns
// its address. It stops when t ends.
func (m *Mesh) ServeFlight(t testing.TB, opts FlightOptions) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(FlightPassword), bcrypt.MinCost)
	require.NoError(t, err)
	ids, err := governance.NewIdentities([]governance.User{{Name: FlightUser, PasswordHash: string(hash), Roles: Admin().Roles}},
		governance.IdentityOptions{})
	require.NoError(t, err)
	fo := flight.DefaultOptions()
	fo.Addr = "127.0.0.1:0"
	fo.Logger = m.logger
	if opts.Alloc != nil {
		fo.Allocator = opts.Alloc
	}
	eng := &engine{m: m}
	srv, err := flight.NewServer(fo, eng, eng, ids)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		cancel()
		<-done
	})
	return srv.Addr()
}

// engine adapts the planner and the catalog to the Flight front door, like the node's
// engine without auditing.
type engine struct{ m *Mesh }

func (e *engine) Prepare(ctx context.Context, req flight.QueryRequest) (flight.Query, error) {
	st, err := e.m.Planner.Prepare(ctx, planner.Request{Principal: req.Principal, SQL: req.SQL, DefaultSchema: req.Session.Schema})
	if err != nil {
		return nil, err
	}
	return &query{st: st, principal: req.Principal}, nil
}

func (e *engine) Tables(_ context.Context, p *governance.Principal) ([]flight.TableInfo, error) {
	var out []flight.TableInfo
	for _, ds := range e.m.Catalog.Datasets() {
		if e.m.policies.Evaluate(p, ds).Denied != nil {
			continue
		}
		out = append(out, flight.TableInfo{
			Schema: ds.Domain, Name: ds.Name, Type: flight.TableTypeTable, Columns: catalog.SchemaOf(ds.Columns),
			PrimaryKey: ds.PrimaryKey(), Description: ds.Description,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Schema+"."+out[i].Name < out[j].Schema+"."+out[j].Name })
	return out, nil
}

type query struct {
	st        *planner.Statement
	principal *governance.Principal
}

func (q *query) Schema() *arrow.Schema { return q.st.Schema() }

func (q *query) ParamSchema() *arrow.Schema {
	types := q.st.ParamTypes()
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		fields[i] = arrow.Field{Name: fmt.Sprintf("$%d", i+1), Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func (q *query) Execute(ctx context.Context, params []any) (array.RecordReader, error) {
	return q.st.Execute(governance.WithPrincipal(ctx, q.principal), params)
}

func (q *query) Warnings() []string { return nil }
