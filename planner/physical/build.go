package physical

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/executor"
	"github.com/meshgate/meshgate/executor/eval"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/rules"
)

// Options configure Build.
type Options struct {
	// Partitions is the parallelism of scans and exchanges. Default GOMAXPROCS.
	Partitions int
	// Names are the result column names the client sees; the root is renamed to them.
	Names []string
}

// Plan is an executable plan with what EXPLAIN shows beyond the operators themselves.
type Plan struct {
	Root executor.Plan
	// notes are extra EXPLAIN lines per operator: the SQL sent to a source, split counts,
	// governance policies.
	notes map[executor.Plan][]string
}

// Build turns an optimized logical plan into an executor plan. It lists the splits of every
// scan (a metadata call to each source) but reads no data.
func Build(ctx context.Context, root logical.Node, opts Options) (*Plan, error) {
	if opts.Partitions <= 0 {
		opts.Partitions = runtime.GOMAXPROCS(0)
	}
	b := &builder{ctx: ctx, opts: opts, notes: map[executor.Plan][]string{}}
	p, err := b.build(root)
	if err != nil {
		return nil, err
	}
	if len(opts.Names) == len(root.Columns()) && !namesMatch(p.Schema(), opts.Names) {
		cols := make([]int, len(opts.Names))
		for i := range cols {
			cols[i] = i
		}
		if p, err = executor.NewProjectColumns(p, cols, opts.Names); err != nil {
			return nil, err
		}
	}
	return &Plan{Root: p, notes: b.notes}, nil
}

func namesMatch(s *arrow.Schema, names []string) bool {
	for i, n := range names {
		if s.Field(i).Name != n {
			return false
		}
	}
	return true
}

type builder struct {
	ctx   context.Context
	opts  Options
	notes map[executor.Plan][]string
}

func (b *builder) note(p executor.Plan, lines ...string) {
	b.notes[p] = append(b.notes[p], lines...)
}

// layout maps the columns of a logical node to positions of its physical plan's output: the
// physical plan of a node always produces the node's columns in the node's order.
func layout(cols []logical.Column) eval.Layout {
	l := make(eval.Layout, len(cols))
	for i, c := range cols {
		l[c.ID] = i
	}
	return l
}

func schemaOf(cols []logical.Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func (b *builder) build(n logical.Node) (executor.Plan, error) {
	switch x := n.(type) {
	case *logical.Scan:
		return b.scan(x)
	case *logical.Filter:
		return b.filter(x)
	case *logical.Project:
		return b.project(x)
	case *logical.Aggregate:
		return b.aggregate(x)
	case *logical.Join:
		return b.join(x)
	case *logical.MarkJoin:
		return b.markJoin(x)
	case *logical.Sort:
		return b.sort(x)
	case *logical.TopN:
		return b.topN(x)
	case *logical.Limit:
		return b.limit(x)
	case *logical.SetOp:
		return b.setOp(x)
	case *logical.Values:
		return b.values(x)
	case *logical.Window:
		return b.window(x)
	case *logical.MaxOneRow:
		in, err := b.build(x.Input)
		if err != nil {
			return nil, err
		}
		return executor.NewMaxOneRow(single(in))
	}
	return nil, errs.New(errs.KindInternal, "no physical operator for %T", n)
}

// single coalesces a multi-partition plan into one partition.
func single(p executor.Plan) executor.Plan {
	if p.Partitions() == 1 {
		return p
	}
	return executor.NewCoalesce(p)
}

func (b *builder) scan(s *logical.Scan) (executor.Plan, error) {
	splits, err := s.Handle.Splits(b.ctx)
	if err != nil {
		return nil, err
	}
	p, err := executor.NewScan(s.Handle, splits, executor.ScanOptions{TargetPartitions: b.opts.Partitions})
	if err != nil {
		return nil, err
	}
	b.note(p, "dataset "+s.Dataset+" from source "+s.Source)
	for _, pushed := range s.Pushed {
		b.note(p, "pushed "+pushed)
	}
	// The handle's columns are the scan's, in the same order, unless pushdown produced them
	// in another order: project them back.
	hcols := s.Handle.Columns()
	pos := make(map[expr.ColumnID]int, len(hcols))
	for i, c := range hcols {
		pos[c.ID] = i
	}
	cols := make([]int, len(s.Cols))
	inOrder := len(hcols) == len(s.Cols)
	for i, c := range s.Cols {
		j, ok := pos[c.ID]
		if !ok {
			return nil, errs.New(errs.KindInternal, "scan of %s lost column %s", s.Dataset, c.Name)
		}
		cols[i] = j
		inOrder = inOrder && j == i
	}
	if inOrder {
		return p, nil
	}
	names := make([]string, len(s.Cols))
	for i, c := range s.Cols {
		names[i] = c.Name
	}
	return executor.NewProjectColumns(p, cols, names)
}

func (b *builder) filter(f *logical.Filter) (executor.Plan, error) {
	in, err := b.build(f.Input)
	if err != nil {
		return nil, err
	}
	if lit, ok := f.Pred.(*expr.Literal); ok && lit.Value == true {
		// A row filter already evaluated below (pushed into the source, or a semi join for
		// a policy with a subquery): nothing left to evaluate here.
		if len(f.Policies) > 0 {
			b.note(in, "row filter evaluated below: "+strings.Join(f.Policies, ", "))
		}
		return in, nil
	}
	pred, err := eval.Compile(f.Pred, layout(f.Input.Columns()))
	if err != nil {
		return nil, err
	}
	p, err := executor.NewFilter(in, pred, f.Pred.String())
	if err != nil {
		return nil, err
	}
	if len(f.Policies) > 0 {
		b.note(p, "row filter policies: "+strings.Join(f.Policies, ", "))
	}
	return p, nil
}

func (b *builder) project(pr *logical.Project) (executor.Plan, error) {
	in, err := b.build(pr.Input)
	if err != nil {
		return nil, err
	}
	p, err := b.projectExprs(in, pr.Input.Columns(), pr.Exprs)
	if err != nil {
		return nil, err
	}
	if len(pr.Policies) > 0 {
		b.note(p, "mask policies: "+strings.Join(pr.Policies, ", "))
	}
	return p, nil
}

// projectExprs evaluates named expressions over in, whose columns are inCols.
func (b *builder) projectExprs(in executor.Plan, inCols []logical.Column, exprs []expr.NamedExpr) (executor.Plan, error) {
	lay := layout(inCols)
	names := make([]string, len(exprs))
	cols := make([]int, len(exprs))
	plain := true
	for i, e := range exprs {
		names[i] = e.Name
		c, ok := e.Expr.(*expr.ColumnRef)
		if !ok {
			plain = false
			continue
		}
		pos, ok := lay[c.ID]
		if !ok {
			return nil, errs.New(errs.KindInternal, "column %s is not available to the projection", c)
		}
		cols[i] = pos
	}
	if plain {
		return executor.NewProjectColumns(in, cols, names)
	}
	evals := make([]executor.Evaluator, len(exprs))
	texts := make([]string, len(exprs))
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		ev, err := eval.Compile(e.Expr, lay)
		if err != nil {
			return nil, err
		}
		evals[i] = ev
		texts[i] = e.Expr.String()
		fields[i] = arrow.Field{Name: e.Name, Type: e.Expr.DataType(), Nullable: true}
	}
	return executor.NewProject(in, arrow.NewSchema(fields, nil), evals, texts)
}

// withColumns returns in extended by computed columns (expressions over inCols), and the
// positions of those expressions in the result: plain column references map to their
// existing position, other expressions are appended.
func (b *builder) withColumns(in executor.Plan, inCols []logical.Column, es []expr.Expr) (executor.Plan, []int, error) {
	lay := layout(inCols)
	pos := make([]int, len(es))
	var extra []expr.NamedExpr
	seen := map[string]int{}
	for i, e := range es {
		if c, ok := e.(*expr.ColumnRef); ok {
			if p, ok := lay[c.ID]; ok {
				pos[i] = p
				continue
			}
		}
		key := e.String()
		if p, ok := seen[key]; ok {
			pos[i] = p
			continue
		}
		pos[i] = len(inCols) + len(extra)
		seen[key] = pos[i]
		extra = append(extra, expr.NamedExpr{Name: fmt.Sprintf("_key%d", len(extra)), Expr: e})
	}
	if len(extra) == 0 {
		return in, pos, nil
	}
	all := make([]expr.NamedExpr, 0, len(inCols)+len(extra))
	for _, c := range inCols {
		all = append(all, expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()})
	}
	all = append(all, extra...)
	p, err := b.projectExprs(in, inCols, all)
	return p, pos, err
}

// dropTo projects p (which has at least n leading columns of cols) back to exactly cols.
func dropTo(p executor.Plan, cols []logical.Column) (executor.Plan, error) {
	if p.Schema().NumFields() == len(cols) {
		return p, nil
	}
	idx := make([]int, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		idx[i] = i
		names[i] = c.Name
	}
	return executor.NewProjectColumns(p, idx, names)
}

func (b *builder) aggregate(a *logical.Aggregate) (executor.Plan, error) {
	in, err := b.build(a.Input)
	if err != nil {
		return nil, err
	}
	inCols := a.Input.Columns()
	// Every group key, argument, FILTER condition and ORDER BY key becomes a plain column.
	var es []expr.Expr
	for _, g := range a.Groups {
		es = append(es, g.Expr)
	}
	for _, c := range a.Aggs {
		es = append(es, c.Args...)
		if c.Filter != nil {
			es = append(es, c.Filter)
		}
		for _, k := range c.OrderBy {
			es = append(es, k.Expr)
		}
	}
	ext, pos, err := b.withColumns(in, inCols, es)
	if err != nil {
		return nil, err
	}
	next := 0
	take := func() int { next++; return pos[next-1] }
	keys := make([]int, len(a.Groups))
	for i := range a.Groups {
		keys[i] = take()
	}
	aggs := make([]executor.Aggregate, len(a.Aggs))
	ordered := false
	for i, c := range a.Aggs {
		spec := executor.Aggregate{Func: c.Func, Distinct: c.Distinct, Name: c.String()}
		for range c.Args {
			spec.Args = append(spec.Args, take())
		}
		if c.Filter != nil {
			spec.Filter, spec.HasFilter = take(), true
		}
		for _, k := range c.OrderBy {
			spec.OrderBy = append(spec.OrderBy, executor.SortColumn{Column: take(), Desc: k.Desc, NullsFirst: k.NullsFirst})
		}
		ordered = ordered || c.Distinct || len(c.OrderBy) > 0
		aggs[i] = spec
	}
	var p executor.Plan
	switch {
	case ext.Partitions() == 1:
		p, err = executor.NewHashAggregate(ext, executor.HashAggregateOptions{GroupKeys: keys, Aggregates: aggs})
	case ordered:
		// DISTINCT and ordered aggregates see every row of a group in one partition.
		var input executor.Plan = executor.NewCoalesce(ext)
		if len(keys) > 0 {
			if input, err = executor.NewRepartition(ext, keys, b.opts.Partitions); err != nil {
				return nil, err
			}
		}
		p, err = executor.NewHashAggregate(input, executor.HashAggregateOptions{GroupKeys: keys, Aggregates: aggs})
	default:
		partial, err := executor.NewHashAggregate(ext, executor.HashAggregateOptions{Mode: executor.AggregatePartial, GroupKeys: keys, Aggregates: aggs})
		if err != nil {
			return nil, err
		}
		var exchange executor.Plan = executor.NewCoalesce(partial)
		if len(keys) > 0 {
			k := make([]int, len(keys))
			for i := range k {
				k[i] = i
			}
			if exchange, err = executor.NewRepartition(partial, k, b.opts.Partitions); err != nil {
				return nil, err
			}
		}
		p, err = executor.NewFinalAggregate(partial, exchange)
	}
	if err != nil {
		return nil, err
	}
	return rename(p, a.Columns())
}

// rename gives p's columns the logical columns' names (EXPLAIN and results read them).
func rename(p executor.Plan, cols []logical.Column) (executor.Plan, error) {
	s := p.Schema()
	same := s.NumFields() == len(cols)
	for i := 0; same && i < len(cols); i++ {
		same = s.Field(i).Name == cols[i].Name
	}
	if same {
		return p, nil
	}
	idx := make([]int, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		idx[i], names[i] = i, c.Name
	}
	return executor.NewProjectColumns(p, idx, names)
}

// sortColumns adds key columns to in and returns the executor sort keys.
func (b *builder) sortColumns(in executor.Plan, inCols []logical.Column, keys []expr.SortKey) (executor.Plan, []executor.SortColumn, error) {
	es := make([]expr.Expr, len(keys))
	for i, k := range keys {
		es[i] = k.Expr
	}
	ext, pos, err := b.withColumns(in, inCols, es)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]executor.SortColumn, len(keys))
	for i, k := range keys {
		cols[i] = executor.SortColumn{Column: pos[i], Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return ext, cols, nil
}

func (b *builder) sort(s *logical.Sort) (executor.Plan, error) {
	in, err := b.build(s.Input)
	if err != nil {
		return nil, err
	}
	ext, keys, err := b.sortColumns(in, s.Input.Columns(), s.Keys)
	if err != nil {
		return nil, err
	}
	var p executor.Plan
	if p, err = executor.NewSort(ext, keys); err != nil {
		return nil, err
	}
	if p.Partitions() > 1 {
		if p, err = executor.NewSortPreservingMerge(p, keys); err != nil {
			return nil, err
		}
	}
	return dropTo(p, s.Columns())
}

func (b *builder) topN(t *logical.TopN) (executor.Plan, error) {
	in, err := b.build(t.Input)
	if err != nil {
		return nil, err
	}
	ext, keys, err := b.sortColumns(in, t.Input.Columns(), t.Keys)
	if err != nil {
		return nil, err
	}
	p, err := executor.NewTopN(ext, keys, t.Offset, t.Count)
	if err != nil {
		return nil, err
	}
	return dropTo(p, t.Columns())
}

func (b *builder) limit(l *logical.Limit) (executor.Plan, error) {
	in, err := b.build(l.Input)
	if err != nil {
		return nil, err
	}
	fetch := l.Count
	if in.Partitions() > 1 {
		if fetch >= 0 {
			// Each partition needs at most offset+count rows.
			if in, err = executor.NewLocalLimit(in, fetch+l.Offset); err != nil {
				return nil, err
			}
		}
		in = executor.NewCoalesce(in)
	}
	return executor.NewLimit(in, l.Offset, fetch)
}

func (b *builder) values(v *logical.Values) (executor.Plan, error) {
	if len(v.Cols) == 0 {
		if len(v.Rows) == 1 {
			return executor.NewSingleRow(), nil
		}
		return executor.NewEmptyRelation(arrow.NewSchema(nil, nil)), nil
	}
	rows := make([][]any, len(v.Rows))
	for i, r := range v.Rows {
		rows[i] = make([]any, len(r))
		for j, e := range r {
			lit, ok := e.(*expr.Literal)
			if !ok {
				var err error
				if lit, err = eval.FoldConstant(e); err != nil {
					return nil, err
				}
			}
			rows[i][j] = lit.Value
		}
	}
	if len(rows) == 0 {
		return executor.NewEmptyRelation(schemaOf(v.Cols)), nil
	}
	return executor.NewValues(schemaOf(v.Cols), rows)
}

func (b *builder) setOp(s *logical.SetOp) (executor.Plan, error) {
	inputs := make([]executor.Plan, len(s.Inputs))
	for i, in := range s.Inputs {
		p, err := b.build(in)
		if err != nil {
			return nil, err
		}
		if inputs[i], err = rename(p, s.Cols); err != nil {
			return nil, err
		}
	}
	switch s.Kind {
	case logical.Union:
		if s.All {
			return executor.NewUnionAll(inputs...)
		}
		return executor.NewUnion(inputs...)
	}
	return b.intersectExcept(s, inputs)
}

// estimate is the planner's row estimate for a logical node.
func estimate(n logical.Node) float64 { return rules.EstimateRows(n) }
