package planner

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/executor"
	"github.com/meshgate/meshgate/executor/eval"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/bind"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
	"github.com/meshgate/meshgate/planner/physical"
	"github.com/meshgate/meshgate/planner/rules"
)

// Options configure a Planner.
type Options struct {
	// Catalog resolves datasets. Required.
	Catalog bind.Catalog
	// Policies returns the current policy set (it changes when policies are applied).
	// Required.
	Policies func() bind.Policies
	// CatalogName is the mesh's catalog name. Default "mesh".
	CatalogName string
	// MaxMemory is each query's memory budget in bytes (config query.max_memory). Default
	// 2 GiB; <= 0 after defaults means unlimited.
	MaxMemory int64
	// Timeout bounds each query's run time (config query.timeout). Default 0: none.
	Timeout time.Duration
	// Partitions is the parallelism of scans and exchanges. Default GOMAXPROCS.
	Partitions int
	// Alloc is the base allocator. Default memory.NewGoAllocator().
	Alloc memory.Allocator
	// Logger receives planning diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// DefaultMaxMemory is the default per-query memory budget.
const DefaultMaxMemory = 2 << 30

// Planner plans and runs SQL. It is safe for concurrent use.
type Planner struct{ opts Options }

// New returns a planner with defaults filled in.
func New(opts Options) *Planner {
	if opts.CatalogName == "" {
		opts.CatalogName = "mesh"
	}
	if opts.MaxMemory == 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	if opts.Partitions <= 0 {
		opts.Partitions = runtime.GOMAXPROCS(0)
	}
	if opts.Alloc == nil {
		opts.Alloc = memory.NewGoAllocator()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Planner{opts: opts}
}

// Request is one statement to plan.
type Request struct {
	Principal *governance.Principal
	SQL       string
	// DefaultSchema resolves one-part dataset names.
	DefaultSchema string
}

// statementKind tells queries from the statements the planner answers itself.
type statementKind int

const (
	kindQuery statementKind = iota
	kindExplain
	kindSession // SET, SHOW, BEGIN/COMMIT/ROLLBACK
)

// Statement is a prepared statement: its result and parameter schemas are known; Execute
// binds parameter values and runs it.
type Statement struct {
	p      *Planner
	req    Request
	parsed *parse.Parsed
	kind   statementKind

	query      *parse.Select // the query, or the query EXPLAIN explains
	analyze    bool
	schema     *arrow.Schema
	paramTypes []arrow.DataType
	access     []bind.DatasetUse
	columns    []ColumnUse
	session    *sessionAnswer
}

// Prepare parses and binds a statement. It reads no data.
func (p *Planner) Prepare(ctx context.Context, req Request) (*Statement, error) {
	parsed, err := parse.Parse(req.SQL)
	if err != nil {
		return nil, err
	}
	st := &Statement{p: p, req: req, parsed: parsed}
	switch s := parsed.Stmt.(type) {
	case *parse.Select:
		st.kind, st.query = kindQuery, s
		res, err := p.bind(ctx, st, nil, &logical.IDs{})
		if err != nil {
			return nil, err
		}
		st.schema = resultSchema(res)
		st.paramTypes = res.ParamTypes
		st.access = res.Access
		st.columns = lineage(res.Plan)
	case *parse.Explain:
		st.kind, st.query, st.analyze = kindExplain, s.Query, s.Analyze
		res, err := p.bind(ctx, st, nil, &logical.IDs{})
		if err != nil {
			return nil, err
		}
		st.schema = explainSchema
		st.paramTypes = res.ParamTypes
		st.access = res.Access
		st.columns = lineage(res.Plan)
	default:
		ans, err := p.answerSession(parsed.Stmt, req)
		if err != nil {
			return nil, err
		}
		st.kind, st.session, st.schema = kindSession, ans, ans.schema()
	}
	return st, nil
}

func (p *Planner) bind(ctx context.Context, st *Statement, params []any, ids *logical.IDs) (*bind.Result, error) {
	return bind.Query(ctx, st.parsed, st.query, bind.Options{
		Catalog: p.opts.Catalog, Policies: p.opts.Policies(), Principal: st.req.Principal,
		DefaultSchema: st.req.DefaultSchema, CatalogName: p.opts.CatalogName,
		Now: time.Now(), Fold: eval.FoldConstant, Params: params, IDs: ids,
	})
}

func resultSchema(res *bind.Result) *arrow.Schema {
	cols := res.Plan.Columns()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: res.Names[i], Type: c.Type, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

var explainSchema = arrow.NewSchema([]arrow.Field{{Name: "QUERY PLAN", Type: arrow.BinaryTypes.String}}, nil)

// Schema is the result schema.
func (s *Statement) Schema() *arrow.Schema { return s.schema }

// ParamTypes are the inferred types of $1..$n.
func (s *Statement) ParamTypes() []arrow.DataType { return s.paramTypes }

// Access lists the datasets the statement reads and the policies applied, for audit.
func (s *Statement) Access() []bind.DatasetUse { return s.access }

// Columns says, per dataset read, which columns reach the result and which are only used to
// filter, join, group or sort (audit).
func (s *Statement) Columns() []ColumnUse { return s.columns }

// IsQuery reports whether the statement reads data (a query or EXPLAIN ANALYZE).
func (s *Statement) IsQuery() bool {
	return s.kind == kindQuery || (s.kind == kindExplain && s.analyze)
}

// Plan is an executable query: the physical plan and what EXPLAIN shows of it.
type Plan struct {
	Physical *physical.Plan
	Logical  logical.Node
	Schema   *arrow.Schema
}

// Build binds the statement with parameter values, optimizes it and builds the physical plan.
func (s *Statement) Build(ctx context.Context, params []any) (*Plan, error) {
	if s.kind == kindSession {
		return nil, errs.New(errs.KindInternal, "session statements have no plan")
	}
	if len(params) < len(s.paramTypes) {
		return nil, errs.New(errs.KindInvalidArgument, "the statement takes %d parameter(s) but %d were bound", len(s.paramTypes), len(params))
	}
	ids := &logical.IDs{}
	res, err := s.p.bind(ctx, s, params, ids)
	if err != nil {
		return nil, err
	}
	plan := res.Plan
	if len(res.ParamTypes) > 0 {
		if plan, err = bind.SubstituteParams(plan, params, eval.FoldConstant); err != nil {
			return nil, err
		}
	}
	plan, err = rules.Optimize(&rules.Context{IDs: ids, Fold: eval.FoldConstant}, plan)
	if err != nil {
		return nil, err
	}
	phys, err := physical.Build(ctx, plan, physical.Options{Partitions: s.p.opts.Partitions, Names: res.Names})
	if err != nil {
		return nil, err
	}
	return &Plan{Physical: phys, Logical: plan, Schema: resultSchema(res)}, nil
}

// Execution is a running query: its result reader and, once the reader is done, what it
// cost.
type Execution struct {
	Reader array.RecordReader
	tc     *executor.TaskContext
	cancel context.CancelFunc
}

// PeakMemory is the most memory the query held at once, in bytes.
func (e *Execution) PeakMemory() int64 { return e.tc.Budget.Peak() }

// Execute runs the statement with parameter values and returns its result stream. The caller
// releases the reader; releasing it early or cancelling ctx stops the query.
func (s *Statement) Execute(ctx context.Context, params []any) (array.RecordReader, error) {
	ex, err := s.Start(ctx, params)
	if err != nil {
		return nil, err
	}
	return ex.Reader, nil
}

// Start is Execute with access to the execution's statistics.
func (s *Statement) Start(ctx context.Context, params []any) (*Execution, error) {
	if s.kind == kindSession {
		rdr, err := s.session.reader(s.p.opts.Alloc)
		if err != nil {
			return nil, err
		}
		return &Execution{Reader: rdr, tc: executor.NewTaskContext(s.p.opts.Alloc, 0), cancel: func() {}}, nil
	}
	plan, err := s.Build(ctx, params)
	if err != nil {
		return nil, err
	}
	tc := executor.NewTaskContext(s.p.opts.Alloc, s.p.opts.MaxMemory)
	runCtx, cancel := context.WithCancel(ctx)
	if s.p.opts.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, s.p.opts.Timeout)
	}
	if s.kind == kindExplain {
		defer cancel()
		text, err := s.explain(runCtx, plan, tc)
		if err != nil {
			return nil, err
		}
		rdr, err := textReader(s.p.opts.Alloc, explainSchema, text)
		if err != nil {
			return nil, err
		}
		return &Execution{Reader: rdr, tc: tc, cancel: func() {}}, nil
	}
	rdr, err := executor.Reader(runCtx, tc, plan.Physical.Root)
	if err != nil {
		cancel()
		return nil, err
	}
	return &Execution{Reader: &cancelOnRelease{RecordReader: rdr, cancel: cancel}, tc: tc, cancel: cancel}, nil
}

// cancelOnRelease stops the query's goroutines and its timeout when the client is done.
type cancelOnRelease struct {
	array.RecordReader
	cancel   context.CancelFunc
	released bool
}

func (r *cancelOnRelease) Release() {
	r.RecordReader.Release()
	if !r.released {
		r.released = true
		r.cancel()
	}
}

func (s *Statement) explain(ctx context.Context, plan *Plan, tc *executor.TaskContext) ([]string, error) {
	if !s.analyze {
		return plan.Physical.Explain(nil), nil
	}
	tc.Analyze = executor.NewMetrics()
	start := time.Now()
	batches, err := executor.Collect(ctx, tc, plan.Physical.Root)
	if err != nil {
		return nil, err
	}
	rows := int64(0)
	for _, b := range batches {
		rows += b.NumRows()
		b.Release()
	}
	lines := plan.Physical.Explain(tc.Analyze)
	lines = append(lines, fmt.Sprintf("Execution: %d rows in %s, peak memory %s", rows, time.Since(start).Round(time.Microsecond), executor.FormatBytes(tc.Budget.Peak())))
	return lines, nil
}

// textReader returns a one-column reader of text lines.
func textReader(alloc memory.Allocator, schema *arrow.Schema, lines []string) (array.RecordReader, error) {
	b := array.NewStringBuilder(alloc)
	defer b.Release()
	for _, l := range lines {
		b.Append(l)
	}
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return array.NewRecordReader(schema, []arrow.RecordBatch{rec})
}

// ExplainText plans sql and returns its EXPLAIN text (for tests and tools).
func (p *Planner) ExplainText(ctx context.Context, req Request) (string, error) {
	st, err := p.Prepare(ctx, req)
	if err != nil {
		return "", err
	}
	plan, err := st.Build(ctx, nil)
	if err != nil {
		return "", err
	}
	return strings.Join(plan.Physical.Explain(nil), "\n"), nil
}
