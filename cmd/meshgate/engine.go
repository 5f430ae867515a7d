package main

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
)

// engine adapts the planner and the catalog to the Flight front door's interfaces.
type engine struct {
	planner  *planner.Planner
	catalog  *catalog.Catalog
	policies *atomic.Pointer[governance.PolicySet]
	// warnings returns what to tell a client reading the given datasets (domain.dataset
	// names): deprecated products, missed freshness SLAs. Nil: none.
	warnings func(datasets []string) []string
}

var (
	_ flight.Engine   = (*engine)(nil)
	_ flight.Metadata = (*engine)(nil)
)

func (e *engine) currentPolicies() bind.Policies { return e.policies.Load() }

func (e *engine) Prepare(ctx context.Context, req flight.QueryRequest) (flight.Query, error) {
	st, err := e.planner.Prepare(ctx, planner.Request{Principal: req.Principal, SQL: req.SQL, DefaultSchema: req.Session.Schema})
	if err != nil {
		return nil, err
	}
	q := &query{st: st}
	if e.warnings != nil {
		var names []string
		for _, u := range st.Access() {
			names = append(names, u.Dataset)
		}
		q.warnings = e.warnings(names)
	}
	return q, nil
}

// query is a prepared statement as the Flight server sees it.
type query struct {
	st       *planner.Statement
	warnings []string
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
	return q.st.Execute(ctx, params)
}

func (q *query) Warnings() []string { return q.warnings }

// Tables lists the datasets and system tables p may read.
func (e *engine) Tables(_ context.Context, p *governance.Principal) ([]flight.TableInfo, error) {
	policies := e.policies.Load()
	var out []flight.TableInfo
	add := func(ds *catalog.Dataset, typ string) {
		if policies.Evaluate(p, ds).Denied != nil {
			return
		}
		out = append(out, flight.TableInfo{
			Schema: ds.Domain, Name: ds.Name, Type: typ, Columns: catalog.SchemaOf(ds.Columns),
			PrimaryKey: ds.PrimaryKey(), Description: ds.Description,
		})
	}
	for _, ds := range e.catalog.Datasets() {
		add(ds, flight.TableTypeTable)
	}
	for _, ds := range e.catalog.SystemTables() {
		add(ds, flight.TableTypeSystemTable)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Schema+"."+out[i].Name < out[j].Schema+"."+out[j].Name
	})
	return out, nil
}
