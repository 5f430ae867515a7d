package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
)

// Column is one output column of a node.
type Column struct {
	ID       expr.ColumnID
	Name     string
	Type     arrow.DataType
	Nullable bool
}

// Ref returns a column reference expression for c.
func (c Column) Ref() *expr.ColumnRef { return &expr.ColumnRef{ID: c.ID, Name: c.Name, Type: c.Type} }

// Node is a logical plan node. Nodes are immutable; rules return new nodes.
type Node interface {
	// Columns are the node's output columns, in order.
	Columns() []Column
	Children() []Node
	// WithChildren returns a copy of the node over new children (same count).
	WithChildren(children []Node) Node
	// Describe is the one-line EXPLAIN text of the node, without its children.
	Describe() string
}

// Scan reads a dataset through a connector table handle. After pushdown the handle may also
// filter, aggregate, sort or join at the source; Pushed records what it absorbed for EXPLAIN.
type Scan struct {
	Dataset string // domain.dataset as the user named it
	Source  string // domain/source
	Handle  connectors.TableHandle
	Cols    []Column
	// Pushed lists, for EXPLAIN, what pushdown handed to the source ("filter: …").
	Pushed []string
	// Governed is set when the dataset has row filters or masks: EXPLAIN shows it, and a
	// join merges a governed scan with another handle only on a leakproof condition.
	Governed bool
}

func (s *Scan) Columns() []Column          { return s.Cols }
func (s *Scan) Children() []Node           { return nil }
func (s *Scan) WithChildren(_ []Node) Node { return s }
func (s *Scan) Describe() string {
	names := make([]string, len(s.Cols))
	for i, c := range s.Cols {
		names[i] = fmt.Sprintf("%s#%d", c.Name, c.ID)
	}
	d := fmt.Sprintf("Scan %s [%s]", s.Dataset, strings.Join(names, ", "))
	for _, p := range s.Pushed {
		d += "; " + p
	}
	return d
}

// Filter keeps the rows where Pred is true.
type Filter struct {
	Input Node
	Pred  expr.Expr
	// Policies is non-empty for a governance row filter: the filter is then a barrier that
	// only leakproof predicates may be pushed below (DESIGN.md §4).
	Policies []string
}

func (f *Filter) Columns() []Column { return f.Input.Columns() }
func (f *Filter) Children() []Node  { return []Node{f.Input} }
func (f *Filter) WithChildren(ch []Node) Node {
	cp := *f
	cp.Input = ch[0]
	return &cp
}
func (f *Filter) Describe() string {
	if len(f.Policies) > 0 {
		return fmt.Sprintf("RowFilter %s [policies: %s]", f.Pred, strings.Join(f.Policies, ", "))
	}
	return "Filter " + f.Pred.String()
}

// IsBarrier reports whether f is a governance row filter.
func (f *Filter) IsBarrier() bool { return len(f.Policies) > 0 }

// Project computes its output columns from its input.
type Project struct {
	Input Node
	Exprs []expr.NamedExpr
	// Policies is non-empty for a governance mask projection.
	Policies []string
}

func (p *Project) Columns() []Column {
	out := make([]Column, len(p.Exprs))
	for i, e := range p.Exprs {
		out[i] = Column{ID: e.ID, Name: e.Name, Type: e.Expr.DataType(), Nullable: true}
	}
	return out
}
func (p *Project) Children() []Node { return []Node{p.Input} }
func (p *Project) WithChildren(ch []Node) Node {
	cp := *p
	cp.Input = ch[0]
	return &cp
}
func (p *Project) Describe() string {
	parts := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		parts[i] = namedString(e)
	}
	if len(p.Policies) > 0 {
		return fmt.Sprintf("Mask [%s] [policies: %s]", strings.Join(parts, ", "), strings.Join(p.Policies, ", "))
	}
	return "Project [" + strings.Join(parts, ", ") + "]"
}

func namedString(e expr.NamedExpr) string {
	if c, ok := e.Expr.(*expr.ColumnRef); ok && c.ID == e.ID {
		return c.String()
	}
	return fmt.Sprintf("%s AS %s#%d", e.Expr, e.Name, e.ID)
}

// IsMask reports whether p is a governance mask projection.
func (p *Project) IsMask() bool { return len(p.Policies) > 0 }

// Aggregate groups its input by Groups and computes Aggs. Output: groups then aggregates.
// With no groups it produces exactly one row.
type Aggregate struct {
	Input  Node
	Groups []expr.NamedExpr
	Aggs   []expr.AggCall
}

func (a *Aggregate) Columns() []Column {
	out := make([]Column, 0, len(a.Groups)+len(a.Aggs))
	for _, g := range a.Groups {
		out = append(out, Column{ID: g.ID, Name: g.Name, Type: g.Expr.DataType(), Nullable: true})
	}
	for _, c := range a.Aggs {
		out = append(out, Column{ID: c.ID, Name: c.Func, Type: c.Type, Nullable: true})
	}
	return out
}
func (a *Aggregate) Children() []Node { return []Node{a.Input} }
func (a *Aggregate) WithChildren(ch []Node) Node {
	cp := *a
	cp.Input = ch[0]
	return &cp
}
func (a *Aggregate) Describe() string {
	gs := make([]string, len(a.Groups))
	for i, g := range a.Groups {
		gs[i] = namedString(g)
	}
	as := make([]string, len(a.Aggs))
	for i, c := range a.Aggs {
		as[i] = fmt.Sprintf("%s AS #%d", c, c.ID)
	}
	return fmt.Sprintf("Aggregate groups=[%s] aggs=[%s]", strings.Join(gs, ", "), strings.Join(as, ", "))
}

// Join combines Left and Right. Output: left columns then, unless the kind is semi/anti, the
// right columns.
type Join struct {
	Left, Right Node
	Kind        expr.JoinKind
	On          expr.Expr // nil for a cross join
	// SingleMatch (a LEFT join decorrelating a scalar subquery) fails the query when a left
	// row matches more than one right row: "more than one row returned by a subquery". Rules
	// keep such a join a LEFT join in place.
	SingleMatch bool
}

func (j *Join) Columns() []Column {
	l := j.Left.Columns()
	if !j.Kind.OutputsRight() {
		return l
	}
	out := append(append([]Column(nil), l...), j.Right.Columns()...)
	return out
}
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }
func (j *Join) WithChildren(ch []Node) Node {
	cp := *j
	cp.Left, cp.Right = ch[0], ch[1]
	return &cp
}
func (j *Join) Describe() string {
	d := j.Kind.String() + " Join"
	if j.SingleMatch {
		d += " (single match)"
	}
	if j.On == nil {
		return d
	}
	return fmt.Sprintf("%s on %s", d, j.On)
}

// MarkJoin outputs every row of Left once, followed by a boolean mark column (MarkID): true
// if Cond is true for some pair of the row with a Right row satisfying On, else NULL if Cond
// is NULL for some such pair, else false. A nil On accepts every pair; a nil Cond makes the
// mark whether any pair satisfies On. EXISTS, IN, ANY and ALL subqueries used as values
// (select list, CASE, under OR or NOT) bind to it; for IN, Cond is the equality, whose NULLs
// give IN's three-valued result.
type MarkJoin struct {
	Left, Right Node
	On          expr.Expr
	Cond        expr.Expr
	MarkID      expr.ColumnID
	MarkName    string
}

func (j *MarkJoin) Columns() []Column {
	return append(append([]Column(nil), j.Left.Columns()...), Column{ID: j.MarkID, Name: j.MarkName, Type: expr.Bool, Nullable: true})
}
func (j *MarkJoin) Children() []Node { return []Node{j.Left, j.Right} }
func (j *MarkJoin) WithChildren(ch []Node) Node {
	cp := *j
	cp.Left, cp.Right = ch[0], ch[1]
	return &cp
}
func (j *MarkJoin) Describe() string {
	d := fmt.Sprintf("Mark Join #%d", j.MarkID)
	if j.On != nil {
		d += " on " + j.On.String()
	}
	if j.Cond != nil {
		d += " mark " + j.Cond.String()
	}
	return d
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []expr.SortKey
}

func (s *Sort) Columns() []Column { return s.Input.Columns() }
func (s *Sort) Children() []Node  { return []Node{s.Input} }
func (s *Sort) WithChildren(ch []Node) Node {
	cp := *s
	cp.Input = ch[0]
	return &cp
}
func (s *Sort) Describe() string { return "Sort [" + sortKeys(s.Keys) + "]" }

func sortKeys(keys []expr.SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

// TopN is Sort followed by Limit, executed with a bounded heap.
type TopN struct {
	Input  Node
	Keys   []expr.SortKey
	Count  int64
	Offset int64
}

func (t *TopN) Columns() []Column { return t.Input.Columns() }
func (t *TopN) Children() []Node  { return []Node{t.Input} }
func (t *TopN) WithChildren(ch []Node) Node {
	cp := *t
	cp.Input = ch[0]
	return &cp
}
func (t *TopN) Describe() string {
	d := fmt.Sprintf("TopN %d [%s]", t.Count, sortKeys(t.Keys))
	if t.Offset > 0 {
		d += fmt.Sprintf(" offset %d", t.Offset)
	}
	return d
}

// Limit skips Offset rows and returns at most Count rows (Count < 0: no limit).
type Limit struct {
	Input  Node
	Count  int64
	Offset int64
}

func (l *Limit) Columns() []Column { return l.Input.Columns() }
func (l *Limit) Children() []Node  { return []Node{l.Input} }
func (l *Limit) WithChildren(ch []Node) Node {
	cp := *l
	cp.Input = ch[0]
	return &cp
}
func (l *Limit) Describe() string {
	d := "Limit"
	if l.Count >= 0 {
		d += fmt.Sprintf(" %d", l.Count)
	}
	if l.Offset > 0 {
		d += fmt.Sprintf(" offset %d", l.Offset)
	}
	return d
}

// SetOpKind is the kind of a set operation.
type SetOpKind int

const (
	Union SetOpKind = iota
	Intersect
	Except
)

func (k SetOpKind) String() string { return [...]string{"Union", "Intersect", "Except"}[k] }

// SetOp combines inputs with matching column types positionally into new output columns.
type SetOp struct {
	Kind   SetOpKind
	All    bool
	Inputs []Node
	Cols   []Column
}

func (s *SetOp) Columns() []Column { return s.Cols }
func (s *SetOp) Children() []Node  { return s.Inputs }
func (s *SetOp) WithChildren(ch []Node) Node {
	cp := *s
	cp.Inputs = ch
	return &cp
}
func (s *SetOp) Describe() string {
	d := s.Kind.String()
	if s.All {
		d += " All"
	}
	return d
}

// Values is a constant relation.
type Values struct {
	Cols []Column
	Rows [][]expr.Expr
}

func (v *Values) Columns() []Column          { return v.Cols }
func (v *Values) Children() []Node           { return nil }
func (v *Values) WithChildren(_ []Node) Node { return v }
func (v *Values) Describe() string           { return fmt.Sprintf("Values %d rows", len(v.Rows)) }

// FrameBound is one end of a window frame.
type FrameBound struct {
	Kind   BoundKind
	Offset expr.Expr // for Preceding/Following
}

// BoundKind is the kind of a window frame bound.
type BoundKind int

const (
	UnboundedPreceding BoundKind = iota
	Preceding
	CurrentRow
	Following
	UnboundedFollowing
)

// Frame is a window frame. Rows selects ROWS mode, else RANGE.
type Frame struct {
	Rows       bool
	Start, End FrameBound
}

func (f *Frame) String() string {
	mode := "RANGE"
	if f.Rows {
		mode = "ROWS"
	}
	b := func(fb FrameBound) string {
		switch fb.Kind {
		case UnboundedPreceding:
			return "UNBOUNDED PRECEDING"
		case Preceding:
			return fb.Offset.String() + " PRECEDING"
		case CurrentRow:
			return "CURRENT ROW"
		case Following:
			return fb.Offset.String() + " FOLLOWING"
		}
		return "UNBOUNDED FOLLOWING"
	}
	return fmt.Sprintf("%s BETWEEN %s AND %s", mode, b(f.Start), b(f.End))
}

// WindowFunc is one window function computed by a Window node.
type WindowFunc struct {
	ID          expr.ColumnID
	Name        string
	Func        string
	Args        []expr.Expr
	PartitionBy []expr.Expr
	OrderBy     []expr.SortKey
	Frame       *Frame // nil: the SQL default frame
	Type        arrow.DataType
}

func (w WindowFunc) String() string {
	s := w.Func + "(" + joinExprs(w.Args) + ") OVER ("
	var parts []string
	if len(w.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+joinExprs(w.PartitionBy))
	}
	if len(w.OrderBy) > 0 {
		parts = append(parts, "ORDER BY "+sortKeys(w.OrderBy))
	}
	if w.Frame != nil {
		parts = append(parts, w.Frame.String())
	}
	return s + strings.Join(parts, " ") + ")"
}

func joinExprs(es []expr.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// Window appends window function results to its input's columns.
type Window struct {
	Input Node
	Funcs []WindowFunc
}

func (w *Window) Columns() []Column {
	out := append([]Column(nil), w.Input.Columns()...)
	for _, f := range w.Funcs {
		out = append(out, Column{ID: f.ID, Name: f.Name, Type: f.Type, Nullable: true})
	}
	return out
}
func (w *Window) Children() []Node { return []Node{w.Input} }
func (w *Window) WithChildren(ch []Node) Node {
	cp := *w
	cp.Input = ch[0]
	return &cp
}
func (w *Window) Describe() string {
	parts := make([]string, len(w.Funcs))
	for i, f := range w.Funcs {
		parts[i] = fmt.Sprintf("%s AS #%d", f, f.ID)
	}
	return "Window [" + strings.Join(parts, ", ") + "]"
}

// MaxOneRow passes its input through and fails if it has more than one row (scalar
// subqueries).
type MaxOneRow struct{ Input Node }

func (m *MaxOneRow) Columns() []Column           { return m.Input.Columns() }
func (m *MaxOneRow) Children() []Node            { return []Node{m.Input} }
func (m *MaxOneRow) WithChildren(ch []Node) Node { return &MaxOneRow{Input: ch[0]} }
func (m *MaxOneRow) Describe() string            { return "MaxOneRow" }

// Format renders a plan tree as indented EXPLAIN text.
func Format(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.Describe())
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// Transform rewrites a plan bottom-up: f sees each node after its children were rewritten.
func Transform(n Node, f func(Node) (Node, error)) (Node, error) {
	ch := n.Children()
	if len(ch) > 0 {
		nch := make([]Node, len(ch))
		changed := false
		for i, c := range ch {
			nc, err := Transform(c, f)
			if err != nil {
				return nil, err
			}
			nch[i] = nc
			changed = changed || nc != c
		}
		if changed {
			n = n.WithChildren(nch)
		}
	}
	return f(n)
}

// IDSet returns the set of column IDs of cols.
func IDSet(cols []Column) map[expr.ColumnID]bool {
	out := make(map[expr.ColumnID]bool, len(cols))
	for _, c := range cols {
		out[c.ID] = true
	}
	return out
}

// IDs allocates column IDs for one query. Binding and rules share one allocator so every
// column of a query has its own ID.
type IDs struct{ next expr.ColumnID }

// New returns a fresh column ID.
func (a *IDs) New() expr.ColumnID {
	a.next++
	return a.next
}
