package sqlgen

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Query is an immutable relational query over one source: one SELECT level over a base
// relation, a derived table (an earlier level) or a join of two queries. Pushdown steps return
// a new Query (nil when the step cannot be rendered exactly) and never change the receiver, so
// a table handle can hold one and hand out new handles.
//
// A step that cannot be added to the current level without changing its meaning (a filter
// after a LIMIT or an aggregation, an aggregation after a TopN) wraps the level as a derived
// table first, so every step is always expressible.
type Query struct {
	d    *Dialect
	from fromClause
	// scope are the columns expressions at this level may read, by plan-wide ID.
	scope map[expr.ColumnID]scopeCol
	out   []output
	where []expr.Expr
	// grouped is set by Aggregate: out are then group keys (refs) and aggregates.
	grouped bool
	groups  []expr.ColumnID
	order   []expr.SortKey
	limit   int64 // -1: none
}

type fromKind int

const (
	fromTable fromKind = iota
	fromSQL
	fromDerived
	fromJoin
)

type fromClause struct {
	kind        fromKind
	table       []string // fromTable: name parts
	sql         string   // fromSQL: the user's query
	inner       *Query   // fromDerived
	left, right *Query   // fromJoin
	join        expr.JoinKind
	on          expr.Expr
	onScope     map[expr.ColumnID]scopeCol // fromJoin: both sides' columns
}

// Aliases of derived tables. Each FROM clause holds at most two, and aliases of nested levels
// live in their own query scope, so fixed names never collide.
const (
	aliasSQL     = "q"
	aliasDerived = "t"
	aliasLeft    = "l"
	aliasRight   = "r"
)

// scopeCol is a column visible at one level.
type scopeCol struct {
	ref   string // rendered reference: "name" or "t"."c12"
	name  string // source column name (base levels), for split predicates
	typ   arrow.DataType
	caps  Caps
	widen bool
	padTo int
}

// output is one column of a level's SELECT list.
type output struct {
	id   expr.ColumnID
	name string
	typ  arrow.DataType
	// ref is the scope column output as is; agg is set instead for aggregates and expr for
	// computed columns of a pre-aggregation level.
	ref   expr.ColumnID
	agg   *expr.AggCall
	expr  expr.Expr
	caps  Caps
	widen bool
	padTo int
}

// Table returns the query reading cols of a table or view of the source. name is the
// configured name ("schema.table", see ParseTableName).
func Table(d *Dialect, name string, cols []Column) (*Query, error) {
	parts, err := ParseTableName(name)
	if err != nil {
		return nil, err
	}
	q := &Query{d: d, from: fromClause{kind: fromTable, table: parts}, limit: -1}
	q.setBase(cols, "")
	return q, nil
}

// SubQuery returns the query reading cols of a SQL query the domain registered as a dataset.
// The query text is the domain's own SQL and is used as written, as a derived table; a
// trailing semicolon is dropped.
func SubQuery(d *Dialect, sql string, cols []Column) (*Query, error) {
	sql = strings.TrimSpace(sql)
	for strings.HasSuffix(sql, ";") {
		sql = strings.TrimSpace(strings.TrimSuffix(sql, ";"))
	}
	if sql == "" {
		return nil, errs.New(errs.KindInvalidArgument, "the dataset's SQL query is empty")
	}
	q := &Query{d: d, from: fromClause{kind: fromSQL, sql: sql}, limit: -1}
	q.setBase(cols, d.quote(aliasSQL)+".")
	return q, nil
}

func (q *Query) setBase(cols []Column, qualifier string) {
	q.scope = make(map[expr.ColumnID]scopeCol, len(cols))
	q.out = make([]output, len(cols))
	for i, c := range cols {
		q.scope[c.ID] = scopeCol{ref: qualifier + q.d.quote(c.Name), name: c.Name, typ: c.Type, caps: c.Caps, widen: c.Widen, padTo: c.PadTo}
		q.out[i] = output{id: c.ID, name: c.Name, typ: c.Type, ref: c.ID, caps: c.Caps, widen: c.Widen, padTo: c.PadTo}
	}
}

// Columns are the query's output columns, in SELECT order.
func (q *Query) Columns() []connectors.Column {
	out := make([]connectors.Column, len(q.out))
	for i, o := range q.out {
		out[i] = connectors.Column{ID: o.id, Name: o.name, Type: o.typ}
	}
	return out
}

// Splittable reports whether the query is one level reading its base relation without
// aggregation, so a split predicate on the base (a key or physical range) partitions its rows.
// A LIMIT or TopN is then applied per split; the gateway keeps them above the scan.
func (q *Query) Splittable() bool {
	return !q.grouped && (q.from.kind == fromTable || q.from.kind == fromSQL)
}

// Unfiltered reports whether the query reads every row of its base relation (no WHERE,
// aggregation, join or limit), so the relation's statistics describe it.
func (q *Query) Unfiltered() bool {
	return q.Splittable() && len(q.where) == 0 && q.limit < 0
}

// RowLimit returns the query's LIMIT, or -1.
func (q *Query) RowLimit() int64 { return q.limit }

func (q *Query) clone() *Query {
	c := *q
	c.out = append([]output(nil), q.out...)
	c.where = append([]expr.Expr(nil), q.where...)
	c.order = append([]expr.SortKey(nil), q.order...)
	c.groups = append([]expr.ColumnID(nil), q.groups...)
	return &c
}

// closed reports whether a WHERE, GROUP BY or ORDER BY added now would run before this
// level's grouping or limit instead of after it.
func (q *Query) closed() bool { return q.grouped || q.limit >= 0 || len(q.order) > 0 }

// wrap returns a level that reads q as the derived table "t", with q's outputs as its scope
// and its outputs.
func (q *Query) wrap() *Query {
	w := &Query{d: q.d, from: fromClause{kind: fromDerived, inner: q}, limit: -1}
	w.scope = make(map[expr.ColumnID]scopeCol, len(q.out))
	w.out = make([]output, len(q.out))
	for i, o := range q.out {
		w.scope[o.id] = scopeCol{ref: q.d.quote(aliasDerived) + "." + q.d.quote(colAlias(o.id)), name: o.name, typ: o.typ, caps: o.caps, widen: o.widen, padTo: o.padTo}
		w.out[i] = outputOf(o)
	}
	return w
}

// outputOf is o as a plain column of the level above.
func outputOf(o output) output {
	return output{id: o.id, name: o.name, typ: o.typ, ref: o.id, caps: o.caps, widen: o.widen, padTo: o.padTo}
}

func colAlias(id expr.ColumnID) string { return "c" + strconv.Itoa(int(id)) }

func (q *Query) hasOutput(id expr.ColumnID) bool {
	for _, o := range q.out {
		if o.id == id {
			return true
		}
	}
	return false
}

// Filter offers conjuncts over the query's columns. It returns the new query and one answer
// per conjunct: Exact (rendered into WHERE, the source guarantees it), Inexact (rendered, the
// source returns a superset) or Unsupported. The query is nil when no conjunct was accepted.
func (q *Query) Filter(conjuncts []expr.Expr) (*Query, []connectors.FilterSupport) {
	support := make([]connectors.FilterSupport, len(conjuncts))
	base := q
	if q.closed() {
		base = q.wrap()
	}
	var accepted []expr.Expr
	for i, c := range conjuncts {
		if !expr.ReferencesOnly(c, base.scopeIDs()) || expr.HasMask(c) {
			continue
		}
		r := newRenderer(base.d, base.scope)
		if _, exact, ok := r.predicate(c, true); ok {
			accepted = append(accepted, c)
			support[i] = connectors.Inexact
			if exact {
				support[i] = connectors.Exact
			}
		}
	}
	if len(accepted) == 0 {
		return nil, support
	}
	n := base
	if n == q {
		n = q.clone()
	}
	n.where = append(n.where, accepted...)
	return n, support
}

func (q *Query) scopeIDs() map[expr.ColumnID]bool {
	ids := make(map[expr.ColumnID]bool, len(q.scope))
	for id := range q.scope {
		ids[id] = true
	}
	return ids
}

// Project keeps only the given output columns, in that order; nil if one is not an output.
func (q *Query) Project(ids []expr.ColumnID) *Query {
	if len(ids) == 0 {
		return nil
	}
	byID := make(map[expr.ColumnID]output, len(q.out))
	for _, o := range q.out {
		byID[o.id] = o
	}
	n := q.clone()
	n.out = n.out[:0:0]
	for _, id := range ids {
		o, ok := byID[id]
		if !ok {
			return nil
		}
		n.out = append(n.out, o)
	}
	return n
}

// Limit returns the query stopping after n rows; nil if the dialect cannot bind a limit.
func (q *Query) Limit(n int64) *Query {
	if n < 0 || !q.d.LimitParam {
		return nil
	}
	c := q.clone()
	if c.limit < 0 || n < c.limit {
		c.limit = n
	}
	return c
}

// TopN returns the query ordered by keys (over its output columns) and stopping after n rows;
// nil if a key cannot be ordered exactly like the gateway orders it.
func (q *Query) TopN(keys []expr.SortKey, n int64) *Query {
	if n < 0 || len(keys) == 0 || !q.d.LimitParam {
		return nil
	}
	base := q
	if q.closed() {
		base = q.wrap()
	}
	for _, k := range keys {
		if !expr.ReferencesOnly(k.Expr, base.scopeIDs()) || expr.HasMask(k.Expr) {
			return nil
		}
		r := newRenderer(base.d, base.scope)
		if _, ok := r.sortKey(k); !ok {
			return nil
		}
	}
	c := base
	if c == q {
		c = q.clone()
	}
	c.order = append([]expr.SortKey(nil), keys...)
	c.limit = n
	return c
}

// Aggregate returns the query grouping by groups and computing aggs; its columns are the
// group keys then the aggregates, with the IDs given. It is all or nothing: nil if any key or
// aggregate cannot be computed exactly like the gateway, with the gateway's result type.
func (q *Query) Aggregate(groups []expr.NamedExpr, aggs []expr.AggCall) *Query {
	base := q
	if q.closed() {
		base = q.wrap()
	}
	// Computed group keys are computed one level down, so GROUP BY names plain columns and
	// no bound value is rendered twice.
	var computed []expr.NamedExpr
	for _, g := range groups {
		if !expr.ReferencesOnly(g.Expr, base.scopeIDs()) || expr.HasMask(g.Expr) {
			return nil
		}
		if _, ok := g.Expr.(*expr.ColumnRef); !ok {
			computed = append(computed, g)
		}
	}
	if len(computed) > 0 {
		inner := base.clone()
		for _, g := range computed {
			if inner.hasOutput(g.ID) {
				return nil
			}
			r := newRenderer(inner.d, inner.scope)
			_, caps, ok := r.value(g.Expr)
			if !ok || !caps.groups() {
				return nil
			}
			inner.out = append(inner.out, output{id: g.ID, name: g.Name, typ: g.Expr.DataType(), expr: g.Expr, caps: caps})
		}
		base = inner.wrap()
	}
	n := &Query{d: base.d, from: base.from, scope: base.scope, where: base.where, grouped: true, limit: -1}
	for _, g := range groups {
		id := g.ID
		if ref, ok := g.Expr.(*expr.ColumnRef); ok {
			id = ref.ID
		}
		sc, ok := n.scope[id]
		if !ok || !sc.caps.groups() {
			return nil
		}
		n.groups = append(n.groups, id)
		n.out = append(n.out, output{id: g.ID, name: g.Name, typ: sc.typ, ref: id, caps: sc.caps, widen: sc.widen, padTo: sc.padTo})
	}
	for i := range aggs {
		a := aggs[i]
		for _, e := range append(append([]expr.Expr(nil), a.Args...), a.Filter) {
			if e != nil && (!expr.ReferencesOnly(e, n.scopeIDs()) || expr.HasMask(e)) {
				return nil
			}
		}
		r := newRenderer(n.d, n.scope)
		_, caps, ok := r.aggregate(&a)
		if !ok {
			return nil
		}
		n.out = append(n.out, output{id: a.ID, name: a.String(), typ: a.Type, agg: &a, caps: caps})
	}
	return n
}

// Join returns the join of q (left) and right, two queries of the same source, on a
// condition over both queries' columns. Its columns are q's then, for kinds that output them,
// right's. nil if the kind or the condition cannot be rendered exactly.
func (q *Query) Join(right *Query, kind expr.JoinKind, on expr.Expr) *Query {
	if right == nil || right.d != q.d {
		return nil
	}
	switch kind {
	case expr.InnerJoin, expr.LeftJoin, expr.RightJoin, expr.CrossJoin, expr.SemiJoin, expr.AntiJoin:
	case expr.FullJoin:
		if !q.d.FullJoin {
			return nil
		}
	default:
		// NOT IN's null-aware anti join needs the right side's NULL keys examined as a whole.
		return nil
	}
	n := &Query{d: q.d, from: fromClause{kind: fromJoin, left: q, right: right, join: kind, on: on}, limit: -1}
	// The condition sees both sides; the level's own scope only what it outputs (the right
	// side of a semi or anti join lives inside EXISTS).
	onScope := make(map[expr.ColumnID]scopeCol, len(q.out)+len(right.out))
	n.scope = make(map[expr.ColumnID]scopeCol, len(q.out)+len(right.out))
	add := func(side *Query, alias string, output bool) bool {
		for _, o := range side.out {
			if _, dup := onScope[o.id]; dup {
				return false
			}
			sc := scopeCol{ref: q.d.quote(alias) + "." + q.d.quote(colAlias(o.id)), name: o.name, typ: o.typ, caps: o.caps, widen: o.widen, padTo: o.padTo}
			onScope[o.id] = sc
			if output {
				n.scope[o.id] = sc
				n.out = append(n.out, outputOf(o))
			}
		}
		return true
	}
	if !add(q, aliasLeft, true) || !add(right, aliasRight, kind.OutputsRight()) {
		return nil
	}
	n.from.onScope = onScope
	if on != nil {
		ids := make(map[expr.ColumnID]bool, len(onScope))
		for id := range onScope {
			ids[id] = true
		}
		if expr.HasMask(on) || !expr.ReferencesOnly(on, ids) {
			return nil
		}
		if _, _, ok := newRenderer(q.d, onScope).predicate(on, false); !ok {
			return nil
		}
	} else if kind != expr.CrossJoin && kind != expr.InnerJoin {
		return nil
	}
	return n
}
