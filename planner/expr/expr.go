package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// ColumnID names one column of one plan node output, unique within a query. Rules move and
// rewrite nodes without renumbering, so an expression keeps meaning the same column wherever it
// ends up (Trino's symbols).
type ColumnID int32

// Expr is a typed scalar expression. Implementations are immutable values.
type Expr interface {
	// DataType is the Arrow type of the value the expression produces.
	DataType() arrow.DataType
	// String renders the expression for EXPLAIN: SQL-like, deterministic, never a mask secret.
	String() string
	// Children returns the direct sub-expressions, in evaluation order.
	Children() []Expr
	// WithChildren returns a copy with the given children (same count as Children()).
	WithChildren(children []Expr) Expr
}

// ColumnRef reads a column of the input by ID. Name is the user-facing name, for EXPLAIN
// and errors only.
type ColumnRef struct {
	ID   ColumnID
	Name string
	Type arrow.DataType
}

func (c *ColumnRef) DataType() arrow.DataType   { return c.Type }
func (c *ColumnRef) Children() []Expr           { return nil }
func (c *ColumnRef) WithChildren(_ []Expr) Expr { return c }
func (c *ColumnRef) String() string             { return fmt.Sprintf("%s#%d", c.Name, c.ID) }

// Literal is a constant. Value is nil for NULL, otherwise the canonical Go value for Type:
// bool; int64 for every integer width; float64 for float32/64; string for utf8;
// []byte for binary; decimal128.Num for decimal128; arrow.Date32; arrow.Timestamp (the unit
// of Type, microseconds in practice); arrow.MonthDayNanoInterval for intervals.
type Literal struct {
	Type  arrow.DataType
	Value any
}

func (l *Literal) DataType() arrow.DataType   { return l.Type }
func (l *Literal) Children() []Expr           { return nil }
func (l *Literal) WithChildren(_ []Expr) Expr { return l }
func (l *Literal) String() string             { return FormatLiteral(l) }

// IsNull reports whether the literal is SQL NULL.
func (l *Literal) IsNull() bool { return l.Value == nil }

// Param is a statement parameter ($n, 1-based). The binder infers Type from context; the
// planner replaces parameters with literals before execution.
type Param struct {
	Index int
	Type  arrow.DataType
}

func (p *Param) DataType() arrow.DataType   { return p.Type }
func (p *Param) Children() []Expr           { return nil }
func (p *Param) WithChildren(_ []Expr) Expr { return p }
func (p *Param) String() string             { return fmt.Sprintf("$%d", p.Index) }

// Call applies a registered function or operator (see Registry) to its arguments. The
// arguments already have the types the function's signature asks for: the binder inserts
// casts through Resolve.
type Call struct {
	Func string
	Args []Expr
	Type arrow.DataType
}

func (c *Call) DataType() arrow.DataType { return c.Type }
func (c *Call) Children() []Expr         { return c.Args }
func (c *Call) WithChildren(ch []Expr) Expr {
	cp := *c
	cp.Args = ch
	return &cp
}
func (c *Call) String() string {
	if op, ok := infixOperators[c.Func]; ok && len(c.Args) == 2 {
		return "(" + c.Args[0].String() + " " + op + " " + c.Args[1].String() + ")"
	}
	switch c.Func {
	case FnNot:
		return "(NOT " + c.Args[0].String() + ")"
	case FnNeg:
		return "(-" + c.Args[0].String() + ")"
	case FnIsNull:
		return "(" + c.Args[0].String() + " IS NULL)"
	case FnIsNotNull:
		return "(" + c.Args[0].String() + " IS NOT NULL)"
	}
	return c.Func + "(" + joinExprs(c.Args) + ")"
}

// Cast converts Arg to Type with SQL CAST semantics (errors on invalid input).
type Cast struct {
	Arg  Expr
	Type arrow.DataType
}

func (c *Cast) DataType() arrow.DataType { return c.Type }
func (c *Cast) Children() []Expr         { return []Expr{c.Arg} }
func (c *Cast) WithChildren(ch []Expr) Expr {
	return &Cast{Arg: ch[0], Type: c.Type}
}
func (c *Cast) String() string {
	return "CAST(" + c.Arg.String() + " AS " + SQLTypeName(c.Type) + ")"
}

// When is one WHEN … THEN … arm of a searched CASE.
type When struct {
	Cond   Expr
	Result Expr
}

// Case is a searched CASE; a simple CASE is bound as a searched one. A result is evaluated
// only on rows whose condition selected it, so `CASE WHEN x <> 0 THEN 1/x END` never divides by
// zero. Else is nil for ELSE NULL.
type Case struct {
	Whens []When
	Else  Expr
	Type  arrow.DataType
}

func (c *Case) DataType() arrow.DataType { return c.Type }
func (c *Case) Children() []Expr {
	out := make([]Expr, 0, 2*len(c.Whens)+1)
	for _, w := range c.Whens {
		out = append(out, w.Cond, w.Result)
	}
	if c.Else != nil {
		out = append(out, c.Else)
	}
	return out
}
func (c *Case) WithChildren(ch []Expr) Expr {
	cp := &Case{Type: c.Type, Whens: make([]When, len(c.Whens))}
	for i := range c.Whens {
		cp.Whens[i] = When{Cond: ch[2*i], Result: ch[2*i+1]}
	}
	if c.Else != nil {
		cp.Else = ch[len(ch)-1]
	}
	return cp
}
func (c *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range c.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if c.Else != nil {
		b.WriteString(" ELSE " + c.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

// InList is `Arg [NOT] IN (List...)` with SQL three-valued logic: NULL when no element matches
// and Arg or some element is NULL. Every element has Arg's type.
type InList struct {
	Arg     Expr
	List    []Expr
	Negated bool
}

func (e *InList) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }
func (e *InList) Children() []Expr         { return append([]Expr{e.Arg}, e.List...) }
func (e *InList) WithChildren(ch []Expr) Expr {
	return &InList{Arg: ch[0], List: append([]Expr(nil), ch[1:]...), Negated: e.Negated}
}
func (e *InList) String() string {
	not := ""
	if e.Negated {
		not = "NOT "
	}
	return "(" + e.Arg.String() + " " + not + "IN (" + joinExprs(e.List) + "))"
}

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// Transform rewrites e bottom-up: f sees each node after its children were rewritten and
// returns the replacement (or the node itself).
func Transform(e Expr, f func(Expr) Expr) Expr {
	ch := e.Children()
	if len(ch) > 0 {
		changed := false
		nch := make([]Expr, len(ch))
		for i, c := range ch {
			nch[i] = Transform(c, f)
			if nch[i] != c {
				changed = true
			}
		}
		if changed {
			e = e.WithChildren(nch)
		}
	}
	return f(e)
}

// Walk visits e and its descendants pre-order; f returning false skips a node's children.
func Walk(e Expr, f func(Expr) bool) {
	if !f(e) {
		return
	}
	for _, c := range e.Children() {
		Walk(c, f)
	}
}

// Columns returns the IDs of the columns e reads, without duplicates, in first-seen order.
func Columns(e Expr) []ColumnID {
	var out []ColumnID
	seen := map[ColumnID]bool{}
	Walk(e, func(n Expr) bool {
		if c, ok := n.(*ColumnRef); ok && !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c.ID)
		}
		return true
	})
	return out
}

// Conjuncts splits e on AND into its conjuncts.
func Conjuncts(e Expr) []Expr {
	if c, ok := e.(*Call); ok && c.Func == FnAnd {
		var out []Expr
		for _, a := range c.Args {
			out = append(out, Conjuncts(a)...)
		}
		return out
	}
	return []Expr{e}
}

// And joins conjuncts with AND; nil for none.
func And(conjuncts ...Expr) Expr {
	var out Expr
	for _, c := range conjuncts {
		if c == nil {
			continue
		}
		if out == nil {
			out = c
			continue
		}
		out = &Call{Func: FnAnd, Args: []Expr{out, c}, Type: arrow.FixedWidthTypes.Boolean}
	}
	return out
}
