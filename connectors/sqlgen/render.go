package sqlgen

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Arg is one bound argument of a rendered statement.
type Arg struct {
	// Type is the gateway type of the value; the dialect declared the placeholder with it.
	Type arrow.DataType
	// Value is the canonical Go value (see expr.Literal); nil for NULL.
	Value any
	// Param, when positive, says the value is statement parameter $Param, known only at scan
	// time: resolve it with BindArgs.
	Param int
}

// BindArgs returns args with statement parameters replaced by their values from params
// (ScanOptions.Params, 1-based), converted to the declared types.
func BindArgs(args []Arg, params []any) ([]Arg, error) {
	out := make([]Arg, len(args))
	for i, a := range args {
		out[i] = a
		if a.Param <= 0 {
			continue
		}
		if a.Param > len(params) {
			return nil, errs.New(errs.KindInvalidArgument, "the query uses parameter $%d but only %d parameter values were given", a.Param, len(params))
		}
		lit, err := expr.LiteralFromValue(a.Type, params[a.Param-1])
		if err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "parameter $%d", a.Param)
		}
		out[i] = Arg{Type: a.Type, Value: lit.Value}
	}
	return out, nil
}

// SplitBuilder renders a connector's split predicate (a physical or key range) into the base
// level of a query, so its bound values are numbered in text order with the others.
type SplitBuilder struct {
	r     *renderer
	scope map[expr.ColumnID]scopeCol
}

// Bind binds a value and returns its placeholder, typed by the dialect.
func (b *SplitBuilder) Bind(a Arg) string {
	s, ok := b.r.bind(a)
	if !ok {
		b.r.st.fail = true
	}
	return s
}

// BindRaw binds a value and returns its bare placeholder, for values the predicate casts
// itself (PostgreSQL tids: `ctid >= $1::tid`).
func (b *SplitBuilder) BindRaw(a Arg) string {
	b.r.st.args = append(b.r.st.args, a)
	return b.r.d.Placeholder(len(b.r.st.args))
}

// Column returns the reference to the base column with the given source name.
func (b *SplitBuilder) Column(name string) string {
	for _, sc := range b.scope {
		if sc.name == name {
			return sc.ref
		}
	}
	return b.r.d.quote(name)
}

// RenderOptions adjust one rendering.
type RenderOptions struct {
	// Split, when set, renders a predicate ANDed into the WHERE clause of a Splittable
	// query's base level.
	Split func(b *SplitBuilder) string
}

// Render returns the statement's SQL text, with placeholders where values go, and the values.
// The text holds no value, so it is safe to show in EXPLAIN and errors.
func (q *Query) Render(opts RenderOptions) (string, []Arg, error) {
	if opts.Split != nil && !q.Splittable() {
		return "", nil, errs.New(errs.KindInternal, "a split predicate was given for a query that cannot be split")
	}
	r := newRenderer(q.d, nil)
	var b strings.Builder
	if !r.query(&b, q, true, opts.Split) {
		return "", nil, errs.New(errs.KindInternal, "the %s query cannot be rendered although each pushdown step accepted it", q.d.Name)
	}
	return b.String(), r.st.args, nil
}

// SQL renders the statement for EXPLAIN; it holds placeholders, never values.
func (q *Query) SQL() string {
	s, _, err := q.Render(RenderOptions{})
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// renderer renders expressions and levels over one scope. Renderers of nested levels share
// one argument list, appended in text order (MySQL's ? placeholders are positional).
type renderer struct {
	d     *Dialect
	scope map[expr.ColumnID]scopeCol
	st    *renderState
}

type renderState struct {
	args []Arg
	fail bool
}

func newRenderer(d *Dialect, scope map[expr.ColumnID]scopeCol) *renderer {
	return &renderer{d: d, scope: scope, st: &renderState{}}
}

// at renders a nested level with its own scope, sharing the argument list.
func (r *renderer) at(scope map[expr.ColumnID]scopeCol) *renderer {
	return &renderer{d: r.d, scope: scope, st: r.st}
}

func (r *renderer) bind(a Arg) (string, bool) {
	r.st.args = append(r.st.args, a)
	return r.d.BindParam(r.d.Placeholder(len(r.st.args)), a.Type)
}

// bindLimit binds a LIMIT count.
func (r *renderer) bindLimit(n int64) (string, bool) {
	if r.d.LimitLiteral {
		return strconv.FormatInt(n, 10), true
	}
	if r.d.LimitArg == nil {
		return r.bind(Arg{Type: expr.Int64, Value: n})
	}
	r.st.args = append(r.st.args, Arg{Type: expr.Int64, Value: n})
	return r.d.LimitArg(r.d.Placeholder(len(r.st.args))), true
}

// bindPadded binds a text value compared with a blank-padded column, typed as the source's
// padded type.
func (r *renderer) bindPadded(a Arg) string {
	r.st.args = append(r.st.args, a)
	return r.d.PaddedParam(r.d.Placeholder(len(r.st.args)))
}

// query renders one level (and the levels below it) into b.
func (r *renderer) query(b *strings.Builder, q *Query, top bool, split func(*SplitBuilder) string) bool {
	lr := r.at(q.scope)
	b.WriteString("SELECT ")
	for i, o := range q.out {
		if i > 0 {
			b.WriteString(", ")
		}
		var s string
		ok := true
		switch {
		case o.agg != nil:
			s, _, ok = lr.aggregate(o.agg)
		case o.expr != nil:
			s, _, ok = lr.value(o.expr)
		default:
			s = q.scope[o.ref].ref
			if top {
				b.WriteString(s)
				continue
			}
		}
		if !ok {
			return false
		}
		b.WriteString(s + " AS " + r.d.quote(colAlias(o.id)))
	}
	b.WriteString(" FROM ")
	var conds []string
	switch q.from.kind {
	case fromTable:
		for i, p := range q.from.table {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(r.d.quote(p))
		}
	case fromSQL:
		b.WriteString("(" + q.from.sql + ") AS " + r.d.quote(aliasSQL))
	case fromDerived:
		b.WriteByte('(')
		if !lr.query(b, q.from.inner, false, nil) {
			return false
		}
		b.WriteString(") AS " + r.d.quote(aliasDerived))
	case fromJoin:
		cond, ok := lr.join(b, q)
		if !ok {
			return false
		}
		if cond != "" {
			conds = append(conds, cond)
		}
	}
	if split != nil {
		sb := &SplitBuilder{r: lr, scope: q.scope}
		conds = append(conds, split(sb))
	}
	for _, w := range q.where {
		s, _, ok := lr.predicate(w, true)
		if !ok {
			return false
		}
		conds = append(conds, s)
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	if len(q.groups) > 0 {
		b.WriteString(" GROUP BY ")
		for i, id := range q.groups {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q.scope[id].ref)
		}
	}
	if len(q.order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, k := range q.order {
			if i > 0 {
				b.WriteString(", ")
			}
			s, ok := lr.sortKey(k)
			if !ok {
				return false
			}
			b.WriteString(s)
		}
	}
	if q.limit >= 0 {
		s, ok := lr.bindLimit(q.limit)
		if !ok {
			return false
		}
		b.WriteString(" LIMIT " + s)
	}
	return !r.st.fail
}

// join renders the FROM items of a join level and returns the EXISTS condition of a semi or
// anti join ("" otherwise).
func (r *renderer) join(b *strings.Builder, q *Query) (string, bool) {
	f := q.from
	b.WriteByte('(')
	if !r.query(b, f.left, false, nil) {
		return "", false
	}
	b.WriteString(") AS " + r.d.quote(aliasLeft))
	onr := r.at(f.onScope)
	renderOn := func() (string, bool) {
		s, _, ok := onr.predicate(f.on, false)
		return s, ok
	}
	switch f.join {
	case expr.SemiJoin, expr.AntiJoin:
		var sub strings.Builder
		sub.WriteString("EXISTS (SELECT 1 FROM (")
		if !r.query(&sub, f.right, false, nil) {
			return "", false
		}
		sub.WriteString(") AS " + r.d.quote(aliasRight))
		if f.on != nil {
			s, ok := renderOn()
			if !ok {
				return "", false
			}
			sub.WriteString(" WHERE " + s)
		}
		sub.WriteByte(')')
		if f.join == expr.AntiJoin {
			return "(NOT " + sub.String() + ")", true
		}
		return sub.String(), true
	}
	kw := map[expr.JoinKind]string{
		expr.InnerJoin: " INNER JOIN ", expr.LeftJoin: " LEFT JOIN ", expr.RightJoin: " RIGHT JOIN ",
		expr.FullJoin: " FULL JOIN ", expr.CrossJoin: " CROSS JOIN ",
	}[f.join]
	if f.on == nil {
		kw = " CROSS JOIN "
	}
	b.WriteString(kw + "(")
	if !r.query(b, f.right, false, nil) {
		return "", false
	}
	b.WriteString(") AS " + r.d.quote(aliasRight))
	if f.on != nil {
		s, ok := renderOn()
		if !ok {
			return "", false
		}
		b.WriteString(" ON " + s)
	}
	return "", true
}
