package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/executor"
	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner"
)

// engine adapts the planner and the catalog to the Flight front door's interfaces, and
// records one audit record per query.
type engine struct {
	planner  *planner.Planner
	catalog  *catalog.Catalog
	policies *atomic.Pointer[governance.PolicySet]
	// warnings returns what to tell a client reading the given datasets (domain.dataset or domain.dataset@vN
	// names): deprecated products, missed freshness SLAs. Nil: none.
	warnings func(datasets []string) []string
	// audit records queries; nil disables auditing (tests only).
	audit governance.Auditor
	// auditFailClosed fails a query whose audit record cannot be written (no unaudited
	// access). Default true.
	auditFailClosed bool
	logger          *slog.Logger
}

var (
	_ flight.Engine   = (*engine)(nil)
	_ flight.Metadata = (*engine)(nil)
)

func (e *engine) Prepare(ctx context.Context, req flight.QueryRequest) (flight.Query, error) {
	st, err := e.planner.Prepare(ctx, planner.Request{Principal: req.Principal, SQL: req.SQL, DefaultSchema: req.Session.Schema})
	if err != nil {
		// A query refused at planning (denied, unknown dataset, bad SQL) is audited too.
		if aerr := e.record(ctx, e.baseRecord(req, nil), time.Now(), 0, 0, err); aerr != nil && e.auditFailClosed {
			return nil, aerr
		}
		return nil, err
	}
	q := &query{e: e, st: st, req: req}
	if e.warnings != nil {
		var names []string
		for _, u := range st.Access() {
			// A pinned version (domain."dataset@v1") warns about that version.
			names = append(names, u.Refs...)
		}
		q.warnings = e.warnings(names)
	}
	return q, nil
}

// query is a prepared statement as the Flight server sees it.
type query struct {
	e        *engine
	st       *planner.Statement
	req      flight.QueryRequest
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

func (q *query) Warnings() []string { return q.warnings }

func (q *query) Execute(ctx context.Context, params []any) (array.RecordReader, error) {
	start := time.Now()
	// System tables (mesh.policies, mesh.audit) answer according to the caller.
	ctx = governance.WithPrincipal(ctx, q.req.Principal)
	rec := q.e.baseRecord(q.req, q.st)
	rdr, err := q.st.Execute(ctx, params)
	if err != nil {
		err = q.redact(err)
		if aerr := q.e.record(ctx, rec, start, 0, 0, err); aerr != nil && q.e.auditFailClosed {
			return nil, aerr
		}
		return nil, err
	}
	return &auditedReader{RecordReader: rdr, q: q, ctx: ctx, rec: rec, start: start}, nil
}

// redact hides the message of a run-time error of a query that reads governed data: the
// message could describe values the caller may only see masked, or rows a row filter hides.
// The error class stays, and the audit log keeps the class for stewards.
func (q *query) redact(err error) error {
	kind := errs.KindOf(err)
	switch kind {
	case errs.KindCanceled, errs.KindDeadlineExceeded, errs.KindUnauthenticated, errs.KindPermissionDenied, errs.KindNotFound, errs.KindNotSupported:
		return err
	}
	for _, u := range q.st.Access() {
		if len(u.Policies) > 0 {
			q.e.logger.Info("error withheld from client", "query_id", q.req.Session.QueryID, "kind", kind.String())
			return errs.New(kind, "%s error while reading governed data; details are withheld from the client (query id %s)", kind, q.req.Session.QueryID)
		}
	}
	return err
}

// baseRecord fills what is known about a query before it runs.
func (e *engine) baseRecord(req flight.QueryRequest, st *planner.Statement) governance.AuditRecord {
	p := req.Principal
	rec := governance.AuditRecord{
		Kind: governance.AuditQuery, Principal: p.User, Impersonator: p.Impersonator,
		ClientAddr: req.Session.ClientAddr, Application: req.Session.Application, QueryID: req.Session.QueryID,
		SQL: req.SQL, SQLHash: governance.SQLHash(req.SQL),
	}
	if st == nil {
		return rec
	}
	for _, c := range st.Columns() {
		rec.Datasets = append(rec.Datasets, governance.AuditDataset{Name: c.Dataset, Projected: c.Projected, PredicateOnly: c.PredicateOnly})
	}
	for _, u := range st.Access() {
		rec.Policies = append(rec.Policies, u.Policies...)
	}
	return rec
}

func (e *engine) record(ctx context.Context, rec governance.AuditRecord, start time.Time, rows, bytes int64, err error) error {
	if e.audit == nil {
		return nil
	}
	rec.Rows, rec.Bytes = rows, bytes
	rec.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	rec.Decision = governance.DecisionAllowed
	if err != nil {
		rec.Decision = governance.DecisionError
		if k := errs.KindOf(err); k == errs.KindPermissionDenied || k == errs.KindUnauthenticated {
			rec.Decision = governance.DecisionDenied
		}
		rec.ErrorClass = errs.KindOf(err).String()
	}
	if aerr := e.audit.Record(context.WithoutCancel(ctx), rec); aerr != nil {
		e.logger.Error("audit record lost", "query_id", rec.QueryID, "err", aerr)
		return errs.Wrap(errs.KindUnavailable, aerr, "the query could not be audited")
	}
	return nil
}

// auditedReader counts what a query returns and writes its audit record when the stream
// ends. If the record cannot be written and auditing fails closed, the stream ends with an
// error instead of success.
type auditedReader struct {
	array.RecordReader
	q     *query
	ctx   context.Context
	rec   governance.AuditRecord
	start time.Time
	rows  int64
	bytes int64
	done  bool
	err   error
}

func (r *auditedReader) Next() bool {
	if r.done {
		return false
	}
	if r.RecordReader.Next() {
		b := r.RecordReader.RecordBatch()
		r.rows += b.NumRows()
		r.bytes += executor.BatchBytes(b)
		return true
	}
	r.finish(r.RecordReader.Err())
	return false
}

func (r *auditedReader) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.RecordReader.Err()
}

func (r *auditedReader) finish(err error) {
	if r.done {
		return
	}
	r.done = true
	if err != nil {
		err = r.q.redact(err)
		r.err = err
	} else if r.ctx.Err() != nil {
		err = r.ctx.Err()
	}
	if aerr := r.q.e.record(r.ctx, r.rec, r.start, r.rows, r.bytes, err); aerr != nil && r.q.e.auditFailClosed && r.err == nil {
		r.err = aerr
	}
}

func (r *auditedReader) Release() {
	// A client that stops reading early still leaves a record.
	r.finish(nil)
	r.RecordReader.Release()
}

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
