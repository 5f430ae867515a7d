package bind

import (
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// deferredSubquery is an uncorrelated scalar subquery met after aggregation (select list or
// HAVING of an aggregating query): it joins the aggregated rows once the Aggregate exists.
type deferredSubquery struct {
	plan logical.Node
}

// bindSubqueryConjunct turns a top-level WHERE conjunct that is [NOT] EXISTS, [NOT] IN
// (subquery) or = ANY (subquery) into a semi or anti join on b.cur. It reports false for any
// other conjunct.
func (b *blockBinder) bindSubqueryConjunct(c parse.Expr) (bool, error) {
	switch x := c.(type) {
	case *parse.Exists:
		return true, b.bindExistsJoin(x.Query, expr.SemiJoin)
	case *parse.BoolExpr:
		if x.Op == parse.BoolNot && len(x.Args) == 1 {
			switch inner := x.Args[0].(type) {
			case *parse.Exists:
				return true, b.bindExistsJoin(inner.Query, expr.AntiJoin)
			case *parse.InSubquery:
				if _, ok := inner.Arg.(*parse.RowExpr); ok {
					return false, nil
				}
				return true, b.bindInJoin(inner.Arg, inner.Query, !inner.Not, inner.Pos)
			}
		}
	case *parse.InSubquery:
		if row, ok := x.Arg.(*parse.RowExpr); ok {
			if x.Not {
				return false, nil // a mark join gives NOT IN over rows its NULL semantics
			}
			return true, b.bindRowInJoin(row, x.Query, x.Pos)
		}
		return true, b.bindInJoin(x.Arg, x.Query, x.Not, x.Pos)
	case *parse.Quantified:
		if x.Query != nil && x.Op == "=" && x.Kind == parse.QuantAny {
			return true, b.bindInJoin(x.Arg, x.Query, false, x.Pos)
		}
		if x.Query != nil && x.Op == "<>" && x.Kind == parse.QuantAll {
			return true, b.bindInJoin(x.Arg, x.Query, true, x.Pos)
		}
		// Other comparisons bind as a mark join under a filter.
	}
	return false, nil
}

// isSimpleFilterQuery reports whether q is SELECT … FROM … [WHERE …] with no grouping,
// aggregation, windows, DISTINCT, ORDER BY or LIMIT: its WHERE conjuncts can then be split into
// ones local to the subquery and ones correlated with the outer query.
func isSimpleFilterQuery(q *parse.Select) bool {
	if q.SetOp != nil || q.Values != nil || q.With != nil || len(q.GroupBy) > 0 || q.Having != nil ||
		q.Distinct || len(q.DistinctOn) > 0 || len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil || len(q.From) == 0 {
		return false
	}
	for _, t := range q.Targets {
		if !t.Star && (containsAggregate(t.Expr) || hasWindow(t.Expr)) {
			return false
		}
	}
	return true
}

func hasWindow(e parse.Expr) bool {
	found := false
	walkParse(e, func(n parse.Expr) bool {
		if f, ok := n.(*parse.FuncCall); ok && f.Over != nil {
			found = true
		}
		return !found
	})
	return found
}

// bindCorrelatedFrom binds the FROM and WHERE of a simple subquery in sub, keeping the WHERE
// conjuncts that read outer columns apart: they become the join condition.
func (sub *blockBinder) bindCorrelatedFrom(q *parse.Select) ([]expr.Expr, error) {
	cur, cols, err := sub.bindFromList(q.From)
	if err != nil {
		return nil, err
	}
	sub.cur, sub.scope = cur, &scope{cols: cols, outer: sub.outer}
	if q.Where == nil {
		return nil, nil
	}
	var local, correlated []expr.Expr
	for _, c := range parseConjuncts(q.Where) {
		handled, err := sub.bindSubqueryConjunct(c)
		if err != nil {
			return nil, err
		}
		if handled {
			continue
		}
		e, err := sub.bindExpr(c, clauseWhere)
		if err != nil {
			return nil, err
		}
		if e, err = sub.asBool(e, c.Position(), "WHERE"); err != nil {
			return nil, err
		}
		if expr.ReferencesOnly(e, logical.IDSet(sub.cur.Columns())) {
			local = append(local, e)
		} else {
			correlated = append(correlated, e)
		}
	}
	if len(local) > 0 {
		sub.cur = &logical.Filter{Input: sub.cur, Pred: expr.And(local...)}
	}
	return correlated, nil
}

// bindExistsJoin joins b.cur with an EXISTS subquery as a semi (or, for NOT EXISTS, anti)
// join whose condition is the subquery's correlated conjuncts.
func (b *blockBinder) bindExistsJoin(q *parse.Select, kind expr.JoinKind) error {
	right, on, _, err := b.bindSubqueryRight(q, 0, "EXISTS", q.Pos)
	if err != nil {
		return err
	}
	b.cur = &logical.Join{Left: b.cur, Right: right, Kind: kind, On: expr.And(on...)}
	return nil
}

// bindInJoin joins b.cur with `arg [NOT] IN (subquery)`: a semi join on arg = the subquery's
// column, or for NOT IN a null-aware anti join (NOT IN is never true if the subquery yields a
// NULL).
func (b *blockBinder) bindInJoin(argAST parse.Expr, q *parse.Select, not bool, pos int) error {
	arg, err := b.bindExpr(argAST, clauseWhere)
	if err != nil {
		return err
	}
	sub := b.child()
	var right logical.Node
	var value expr.Expr
	var corr []expr.Expr
	if isSimpleFilterQuery(q) {
		if corr, err = sub.bindCorrelatedFrom(q); err != nil {
			return err
		}
		items, err := sub.expandTargets(q.Targets)
		if err != nil {
			return err
		}
		if len(items) != 1 {
			return b.invalid(pos, "subquery has %d columns; IN needs exactly one", len(items))
		}
		if items[0].col != nil {
			value = items[0].col.Ref()
		} else if value, err = sub.bindExpr(items[0].ast, clauseSelect); err != nil {
			return err
		}
		right = sub.cur
	} else {
		plan, _, err := sub.bindQuery(q)
		if err != nil {
			return err
		}
		if len(sub.correlated) > 0 {
			return b.notSupported(pos, "correlated IN subqueries with grouping, DISTINCT, ORDER BY or LIMIT")
		}
		cols := plan.Columns()
		if len(cols) != 1 {
			return b.invalid(pos, "subquery has %d columns; IN needs exactly one", len(cols))
		}
		right, value = plan, cols[0].Ref()
	}
	if not && len(corr) > 0 {
		return b.notSupported(pos, "correlated NOT IN subqueries; use NOT EXISTS")
	}
	if expr.ReferencesOnly(value, logical.IDSet(right.Columns())) == false {
		return b.notSupported(pos, "IN subqueries whose select list reads outer columns")
	}
	eq, err := b.call(pos, expr.FnEq, arg, value)
	if err != nil {
		return err
	}
	if err := b.checkClosed(right, pos); err != nil {
		return err
	}
	kind := expr.SemiJoin
	if not {
		kind = expr.NullAwareAntiJoin
	}
	b.cur = &logical.Join{Left: b.cur, Right: right, Kind: kind, On: expr.And(append([]expr.Expr{eq}, corr...)...)}
	return nil
}

// bindScalarSubquery binds a subquery used as a value. Uncorrelated: a left join with the
// (at most one row) subquery. Correlated through equalities with an aggregate select list
// (TPC-H Q2, Q17, Q20): a left join with the subquery grouped by its correlated columns.
func (b *blockBinder) bindScalarSubquery(x *parse.ScalarSubquery, cl clause) (expr.Expr, error) {
	switch cl {
	case clauseWhere, clauseSelect, clauseHaving, clauseOrderBy, clausePolicy:
	default:
		return nil, b.notSupported(x.Pos, "subqueries in %s", cl)
	}
	postAggregate := b.aggregating && cl != clauseWhere
	if !postAggregate {
		if v, ok, err := b.bindCorrelatedScalar(x); err != nil || ok {
			return v, err
		}
		if v, ok, err := b.bindCorrelatedSingle(x); err != nil || ok {
			return v, err
		}
	}
	sub := b.child()
	plan, _, err := sub.bindQuery(x.Query)
	if err != nil {
		return nil, err
	}
	if len(sub.correlated) > 0 {
		return nil, b.notSupported(x.Pos, "this correlated subquery; correlated scalar subqueries must be SELECT <aggregate> FROM … WHERE inner = outer …")
	}
	cols := plan.Columns()
	if len(cols) != 1 {
		return nil, b.invalid(x.Pos, "subquery must return only one column, not %d", len(cols))
	}
	if postAggregate {
		b.deferred = append(b.deferred, deferredSubquery{plan: plan})
	} else {
		b.cur = &logical.Join{Left: b.cur, Right: &logical.MaxOneRow{Input: plan}, Kind: expr.LeftJoin}
	}
	return cols[0].Ref(), nil
}

func (b *blockBinder) bindCorrelatedScalar(x *parse.ScalarSubquery) (expr.Expr, bool, error) {
	q := x.Query
	if q.SetOp != nil || q.Values != nil || q.With != nil || len(q.GroupBy) > 0 || q.Having != nil || q.Distinct ||
		len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil || len(q.Targets) != 1 || q.Targets[0].Star ||
		!containsAggregate(q.Targets[0].Expr) || hasWindow(q.Targets[0].Expr) || len(q.From) == 0 {
		return nil, false, nil
	}
	sub := b.child()
	corr, err := sub.bindCorrelatedFrom(q)
	if err != nil {
		return nil, false, err
	}
	if len(corr) == 0 {
		return nil, false, nil
	}
	inner := logical.IDSet(sub.cur.Columns())
	type pair struct{ outer, inner expr.Expr }
	var pairs []pair
	for _, c := range corr {
		call, ok := c.(*expr.Call)
		if !ok || call.Func != expr.FnEq {
			return b.bindCorrelatedAggregate(x, sub, corr)
		}
		l, r := call.Args[0], call.Args[1]
		switch {
		case expr.ReferencesOnly(r, inner) && !expr.ReferencesOnly(l, inner) && noneOf(l, inner):
			pairs = append(pairs, pair{l, r})
		case expr.ReferencesOnly(l, inner) && !expr.ReferencesOnly(r, inner) && noneOf(r, inner):
			pairs = append(pairs, pair{r, l})
		default:
			return b.bindCorrelatedAggregate(x, sub, corr)
		}
	}
	fromIDs := logical.IDSet(sub.cur.Columns())
	correlatedBefore := len(sub.correlated)
	sub.aggregating = true
	val, err := sub.bindExpr(q.Targets[0].Expr, clauseSelect)
	if err != nil {
		return nil, false, err
	}
	if len(sub.correlated) > correlatedBefore || len(sub.windows) > 0 || len(sub.deferred) > 0 {
		return nil, false, b.notSupported(x.Pos, "correlated scalar subqueries reading outer columns outside their WHERE clause")
	}
	groups := make([]expr.Expr, len(pairs))
	for i, p := range pairs {
		groups[i] = p.inner
	}
	var having expr.Expr
	sel := []expr.Expr{val}
	if err := sub.buildAggregate(groups, fromIDs, sel, &having, nil); err != nil {
		return nil, false, err
	}
	val = sel[0]
	aggCols := sub.cur.Columns()
	// Right side: the group keys and the value, plus a marker telling matched rows apart, so
	// that count() over no rows gives 0 rather than NULL (the "count bug").
	exprs := make([]expr.NamedExpr, 0, len(pairs)+2)
	for i := range pairs {
		exprs = append(exprs, expr.NamedExpr{ID: aggCols[i].ID, Name: aggCols[i].Name, Expr: aggCols[i].Ref()})
	}
	valID := b.qb.newID()
	exprs = append(exprs, expr.NamedExpr{ID: valID, Name: "?column?", Expr: val})
	empty, needsMarker := emptyAggregateValue(val, sub.aggs)
	var markerID expr.ColumnID
	if needsMarker {
		markerID = b.qb.newID()
		exprs = append(exprs, expr.NamedExpr{ID: markerID, Name: "?matched?", Expr: expr.BoolLit(true)})
	}
	right := &logical.Project{Input: sub.cur, Exprs: exprs}
	var on []expr.Expr
	for i, p := range pairs {
		eq, err := b.call(x.Pos, expr.FnEq, p.outer, aggCols[i].Ref())
		if err != nil {
			return nil, false, err
		}
		on = append(on, eq)
	}
	if err := b.checkClosed(right, x.Pos); err != nil {
		return nil, false, err
	}
	b.cur = &logical.Join{Left: b.cur, Right: right, Kind: expr.LeftJoin, On: expr.And(on...)}
	ref := &expr.ColumnRef{ID: valID, Name: "?column?", Type: val.DataType()}
	if !needsMarker {
		return ref, true, nil
	}
	unmatched := &expr.Call{Func: expr.FnIsNull, Args: []expr.Expr{&expr.ColumnRef{ID: markerID, Name: "?matched?", Type: expr.Bool}}, Type: expr.Bool}
	return &expr.Case{Whens: []expr.When{{Cond: unmatched, Result: expr.CastTo(empty, val.DataType())}}, Else: ref, Type: val.DataType()}, true, nil
}

func noneOf(e expr.Expr, ids map[expr.ColumnID]bool) bool {
	for _, id := range expr.Columns(e) {
		if ids[id] {
			return false
		}
	}
	return true
}

// emptyAggregateValue returns the value of the subquery's select expression over no rows
// (count is 0, every other aggregate NULL), and whether it differs from NULL so a marker is
// needed to produce it for unmatched outer rows.
func emptyAggregateValue(val expr.Expr, aggs []expr.AggCall) (expr.Expr, bool) {
	empty := map[expr.ColumnID]expr.Expr{}
	hasCount := false
	for _, a := range aggs {
		if a.Func == "count" {
			empty[a.ID] = expr.Int64Lit(0)
			hasCount = true
		} else {
			empty[a.ID] = expr.NullOf(a.Type)
		}
	}
	if c, ok := val.(*expr.ColumnRef); ok && !hasCount {
		// A plain aggregate other than count is NULL over no rows, as the outer join pads.
		if _, isAgg := empty[c.ID]; isAgg {
			return nil, false
		}
	}
	return expr.Substitute(val, empty), true
}

// checkClosed fails if a subquery plan still reads columns from outside itself, i.e. it is
// correlated in a way the decorrelation above did not remove.
func (b *blockBinder) checkClosed(plan logical.Node, pos int) error {
	if free := freeColumns(plan); len(free) > 0 {
		return b.notSupported(pos, "this correlated subquery (it references an outer query inside a nested subquery, a join condition or a derived table)")
	}
	return nil
}

// freeColumns returns columns that expressions in plan read but no node below them produces.
func freeColumns(plan logical.Node) []expr.ColumnID {
	var free []expr.ColumnID
	var visit func(n logical.Node)
	visit = func(n logical.Node) {
		avail := map[expr.ColumnID]bool{}
		for _, c := range n.Children() {
			for id := range logical.IDSet(c.Columns()) {
				avail[id] = true
			}
			visit(c)
		}
		for _, e := range nodeExprs(n) {
			for _, id := range expr.Columns(e) {
				if !avail[id] {
					free = append(free, id)
				}
			}
		}
	}
	visit(plan)
	return free
}

// nodeExprs lists the expressions a node evaluates over its input.
func nodeExprs(n logical.Node) []expr.Expr {
	var out []expr.Expr
	switch x := n.(type) {
	case *logical.Filter:
		out = append(out, x.Pred)
	case *logical.Project:
		for _, e := range x.Exprs {
			out = append(out, e.Expr)
		}
	case *logical.Aggregate:
		for _, g := range x.Groups {
			out = append(out, g.Expr)
		}
		for _, a := range x.Aggs {
			out = append(out, a.Args...)
			if a.Filter != nil {
				out = append(out, a.Filter)
			}
		}
	case *logical.Join:
		if x.On != nil {
			out = append(out, x.On)
		}
	case *logical.Sort:
		for _, k := range x.Keys {
			out = append(out, k.Expr)
		}
	case *logical.Window:
		for _, f := range x.Funcs {
			out = append(out, f.Args...)
			out = append(out, f.PartitionBy...)
			for _, k := range f.OrderBy {
				out = append(out, k.Expr)
			}
		}
	}
	return out
}

// existsQuery returns q reduced to what EXISTS depends on: the select list, ORDER BY and
// DISTINCT do not change whether a row exists, nor does a LIMIT of at least one row without
// OFFSET. empty reports LIMIT 0: no row ever exists.
func existsQuery(q *parse.Select) (out *parse.Select, empty bool) {
	if q.SetOp != nil || q.Values != nil || q.Offset != nil {
		return q, false
	}
	if q.Limit != nil {
		n, ok := q.Limit.(*parse.IntegerLit)
		if !ok || n.Value < 0 {
			return q, false
		}
		empty = n.Value == 0
	}
	for _, t := range q.Targets {
		if !t.Star && (hasWindow(t.Expr) || containsAggregate(t.Expr)) {
			return q, false
		}
	}
	cp := *q
	cp.Limit, cp.OrderBy, cp.Distinct, cp.DistinctOn = nil, nil, false, nil
	cp.Targets = []parse.SelectItem{{Expr: &parse.IntegerLit{Value: 1, Pos: q.Pos}, Pos: q.Pos}}
	return &cp, empty
}

// bindGroupedCorrelated decorrelates SELECT … FROM … WHERE … GROUP BY … [HAVING …] whose
// WHERE correlates with the outer query only through equalities inner = outer: grouping by
// the inner sides as well leaves each outer row's groups unchanged, so the grouped subquery
// joins the outer rows on those equalities. It returns the grouped plan (one row per
// surviving group) and the join condition; ok is false if the query has another shape.
func (b *blockBinder) bindGroupedCorrelated(q *parse.Select) (right logical.Node, on []expr.Expr, ok bool, err error) {
	if q.SetOp != nil || q.Values != nil || q.With != nil || (len(q.GroupBy) == 0 && q.Having == nil) ||
		q.Distinct || len(q.DistinctOn) > 0 || len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil || len(q.From) == 0 {
		return nil, nil, false, nil
	}
	sub := b.child()
	corr, err := sub.bindCorrelatedFrom(q)
	if err != nil || len(corr) == 0 {
		return nil, nil, false, err
	}
	pairs, err := b.correlationPairs(sub, corr, q.Pos)
	if err != nil {
		return nil, nil, false, err
	}
	fromIDs := logical.IDSet(sub.cur.Columns())
	items, err := sub.expandTargets(q.Targets)
	if err != nil {
		return nil, nil, false, err
	}
	sub.aggregating = true
	groups, err := sub.bindGroupBy(q.GroupBy, items)
	if err != nil {
		return nil, nil, false, err
	}
	for _, p := range pairs {
		groups = append(groups, p.inner)
	}
	correlatedBefore := len(sub.correlated)
	var having expr.Expr
	if q.Having != nil {
		h, err := sub.bindExpr(q.Having, clauseHaving)
		if err != nil {
			return nil, nil, false, err
		}
		if having, err = sub.asBool(h, q.Having.Position(), "HAVING"); err != nil {
			return nil, nil, false, err
		}
	}
	if len(sub.correlated) > correlatedBefore || len(sub.windows) > 0 || len(sub.deferred) > 0 {
		return nil, nil, false, nil
	}
	if err := sub.buildAggregate(groups, fromIDs, nil, &having, nil); err != nil {
		return nil, nil, false, err
	}
	agg := sub.cur.(*logical.Aggregate)
	if having != nil {
		sub.cur = &logical.Filter{Input: sub.cur, Pred: having}
	}
	for _, p := range pairs {
		var key *expr.ColumnRef
		for _, g := range agg.Groups {
			if g.Expr.String() == p.inner.String() {
				key = &expr.ColumnRef{ID: g.ID, Name: g.Name, Type: g.Expr.DataType()}
			}
		}
		eq, err := b.call(q.Pos, expr.FnEq, p.outer, key)
		if err != nil {
			return nil, nil, false, err
		}
		on = append(on, eq)
	}
	return sub.cur, on, true, nil
}

type corrPair struct{ outer, inner expr.Expr }

// correlationPairs splits correlated conjuncts `outer = inner` into their sides.
func (b *blockBinder) correlationPairs(sub *blockBinder, corr []expr.Expr, pos int) ([]corrPair, error) {
	inner := logical.IDSet(sub.cur.Columns())
	var pairs []corrPair
	for _, c := range corr {
		call, ok := c.(*expr.Call)
		if !ok || call.Func != expr.FnEq {
			return nil, b.notSupported(pos, "correlated subqueries with GROUP BY whose correlation is not an equality (%s)", c)
		}
		l, r := call.Args[0], call.Args[1]
		switch {
		case expr.ReferencesOnly(r, inner) && !expr.ReferencesOnly(l, inner) && noneOf(l, inner):
			pairs = append(pairs, corrPair{l, r})
		case expr.ReferencesOnly(l, inner) && !expr.ReferencesOnly(r, inner) && noneOf(r, inner):
			pairs = append(pairs, corrPair{r, l})
		default:
			return nil, b.notSupported(pos, "correlated subqueries whose correlation mixes inner and outer columns (%s)", c)
		}
	}
	return pairs, nil
}

// bindSubqueryRight binds the subquery of an EXISTS, IN, ANY or ALL: a query whose WHERE may
// correlate with the outer query. It returns the plan, the correlated conjuncts (the join
// condition) and, when value is set, the single select expression over the plan.
func (b *blockBinder) bindSubqueryRight(q *parse.Select, values int, what string, pos int) (logical.Node, []expr.Expr, []expr.Expr, error) {
	if values == 0 {
		var empty bool
		if q, empty = existsQuery(q); empty {
			right, on, vs, err := b.bindSubqueryRight(q, 0, what, pos)
			if err != nil {
				return nil, nil, nil, err
			}
			return &logical.Filter{Input: right, Pred: expr.BoolLit(false)}, on, vs, nil
		}
		if right, on, ok, err := b.bindGroupedCorrelated(q); err != nil || ok {
			return right, on, nil, err
		}
	}
	wrongWidth := func(n int) error {
		if n > values {
			return b.invalid(pos, "subquery has too many columns")
		}
		return b.invalid(pos, "subquery has too few columns")
	}
	sub := b.child()
	if isSimpleFilterQuery(q) {
		corr, err := sub.bindCorrelatedFrom(q)
		if err != nil {
			return nil, nil, nil, err
		}
		var vs []expr.Expr
		if values > 0 {
			items, err := sub.expandTargets(q.Targets)
			if err != nil {
				return nil, nil, nil, err
			}
			if len(items) != values {
				return nil, nil, nil, wrongWidth(len(items))
			}
			for _, it := range items {
				var v expr.Expr
				if it.col != nil {
					v = it.col.Ref()
				} else if v, err = sub.bindExpr(it.ast, clauseSelect); err != nil {
					return nil, nil, nil, err
				}
				if !expr.ReferencesOnly(v, logical.IDSet(sub.cur.Columns())) {
					return nil, nil, nil, b.notSupported(pos, "%s subqueries whose select list reads outer columns", what)
				}
				vs = append(vs, v)
			}
		}
		if err := b.checkClosed(sub.cur, pos); err != nil {
			return nil, nil, nil, err
		}
		return sub.cur, corr, vs, nil
	}
	plan, _, err := sub.bindQuery(q)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(sub.correlated) > 0 {
		return nil, nil, nil, b.notSupported(pos, "correlated %s subqueries with grouping, DISTINCT, ORDER BY or LIMIT", what)
	}
	if err := b.checkClosed(plan, pos); err != nil {
		return nil, nil, nil, err
	}
	var vs []expr.Expr
	if values > 0 {
		cols := plan.Columns()
		if len(cols) != values {
			return nil, nil, nil, wrongWidth(len(cols))
		}
		for _, c := range cols {
			vs = append(vs, c.Ref())
		}
	}
	return plan, nil, vs, nil
}

// bindMarkSubquery binds EXISTS, IN, ANY or ALL over a subquery used as a value: a mark join
// of b.cur with the decorrelated subquery, whose mark column is the value. op and all describe
// the comparison (IN is = ANY); argAST is nil for EXISTS.
func (b *blockBinder) bindMarkSubquery(argAST parse.Expr, q *parse.Select, op string, all bool, cl clause, pos int) (expr.Expr, error) {
	what := "EXISTS"
	if argAST != nil {
		what = "IN"
		if op != "=" || all {
			what = "ANY/ALL"
		}
	}
	switch cl {
	case clauseWhere, clauseSelect, clauseOrderBy:
	default:
		return nil, b.notSupported(pos, "%s subqueries in %s", what, cl)
	}
	if b.aggregating && cl != clauseWhere {
		return nil, b.notSupported(pos, "%s subqueries in the select list or ORDER BY of an aggregating query", what)
	}
	var args []expr.Expr
	if row, ok := argAST.(*parse.RowExpr); ok {
		if op != "=" || all {
			return nil, b.notSupported(pos, "row constructors with %s %s", op, map[bool]string{true: "ALL", false: "ANY"}[all])
		}
		for _, e := range row.Elems {
			a, err := b.bindExpr(e, cl)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
		}
	} else if argAST != nil {
		a, err := b.bindExpr(argAST, cl)
		if err != nil {
			return nil, err
		}
		args = []expr.Expr{a}
	}
	right, on, values, err := b.bindSubqueryRight(q, len(args), what, pos)
	if err != nil {
		return nil, err
	}
	var cond expr.Expr
	if argAST != nil {
		fn, ok := comparisonFuncs[op]
		if !ok {
			return nil, b.notSupported(pos, "the operator %s with ANY or ALL", op)
		}
		for i := range args {
			c, err := b.call(pos, fn, args[i], values[i])
			if err != nil {
				return nil, err
			}
			if cond == nil {
				cond = c
			} else if cond, err = b.call(pos, expr.FnAnd, cond, c); err != nil {
				return nil, err
			}
		}
		if all {
			// x op ALL (S) is NOT (x NOT op ANY (S)), in three-valued logic.
			if cond, err = b.call(pos, expr.FnNot, cond); err != nil {
				return nil, err
			}
		}
	}
	id := b.qb.newID()
	b.cur = &logical.MarkJoin{Left: b.cur, Right: right, On: expr.And(on...), Cond: cond, MarkID: id, MarkName: "?mark?"}
	var mark expr.Expr = &expr.ColumnRef{ID: id, Name: "?mark?", Type: expr.Bool}
	if all {
		return b.call(pos, expr.FnNot, mark)
	}
	return mark, nil
}

var comparisonFuncs = map[string]string{
	"=": expr.FnEq, "<>": expr.FnNotEq, "!=": expr.FnNotEq, "<": expr.FnLt, "<=": expr.FnLtEq, ">": expr.FnGt, ">=": expr.FnGtEq,
}

// bindQuantifiedArray binds `x op ANY|ALL (ARRAY[e1, …])` as the OR (ANY) or AND (ALL) of
// the comparisons, which has the same three-valued result. An empty ARRAY gives false for
// ANY and true for ALL.
func (b *blockBinder) bindQuantifiedArray(x *parse.Quantified, cl clause) (expr.Expr, error) {
	lit, ok := x.Array.(*parse.ArrayLit)
	if !ok {
		return nil, b.notSupported(x.Pos, "%s %s over an array value; use ARRAY[...] or IN (...)", x.Op, x.Kind)
	}
	fn, ok := comparisonFuncs[x.Op]
	if !ok {
		return nil, b.notSupported(x.Pos, "the operator %s with ANY or ALL", x.Op)
	}
	if len(lit.Elems) == 0 {
		return expr.BoolLit(x.Kind == parse.QuantAll), nil
	}
	arg, err := b.bindExpr(x.Arg, cl)
	if err != nil {
		return nil, err
	}
	parts := make([]expr.Expr, len(lit.Elems))
	for i, e := range lit.Elems {
		v, err := b.bindExpr(e, cl)
		if err != nil {
			return nil, err
		}
		if parts[i], err = b.call(x.Pos, fn, arg, v); err != nil {
			return nil, err
		}
	}
	if x.Kind == parse.QuantAll {
		return expr.And(parts...), nil
	}
	out := parts[0]
	for _, p := range parts[1:] {
		if out, err = b.call(x.Pos, expr.FnOr, out, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bindCorrelatedSingle binds a correlated scalar subquery without aggregation,
// SELECT v FROM … WHERE …, as a LEFT join on its correlated conjuncts that fails when an
// outer row matches more than one row (PostgreSQL's "more than one row returned by a
// subquery used as an expression"). ok is false for other shapes.
func (b *blockBinder) bindCorrelatedSingle(x *parse.ScalarSubquery) (expr.Expr, bool, error) {
	q := x.Query
	if !isSimpleFilterQuery(q) || len(q.Targets) != 1 || q.Targets[0].Star {
		return nil, false, nil
	}
	sub := b.child()
	corr, err := sub.bindCorrelatedFrom(q)
	if err != nil {
		return nil, false, err
	}
	if len(corr) == 0 {
		return nil, false, nil
	}
	correlatedBefore := len(sub.correlated)
	val, err := sub.bindExpr(q.Targets[0].Expr, clauseSelect)
	if err != nil {
		return nil, false, err
	}
	if len(sub.correlated) > correlatedBefore {
		return nil, false, b.notSupported(x.Pos, "correlated scalar subqueries reading outer columns outside their WHERE clause")
	}
	valID := b.qb.newID()
	right := &logical.Project{Input: sub.cur, Exprs: []expr.NamedExpr{{ID: valID, Name: "?column?", Expr: val}}}
	// The condition reads the right side's columns below the projection: keep them.
	keep := []expr.NamedExpr{{ID: valID, Name: "?column?", Expr: val}}
	inner := logical.IDSet(sub.cur.Columns())
	seen := map[expr.ColumnID]bool{}
	for _, c := range corr {
		for _, id := range expr.Columns(c) {
			if inner[id] && !seen[id] {
				seen[id] = true
				for _, col := range sub.cur.Columns() {
					if col.ID == id {
						keep = append(keep, expr.NamedExpr{ID: id, Name: col.Name, Expr: col.Ref()})
					}
				}
			}
		}
	}
	right.Exprs = keep
	if err := b.checkClosed(right, x.Pos); err != nil {
		return nil, false, err
	}
	b.cur = &logical.Join{Left: b.cur, Right: right, Kind: expr.LeftJoin, On: expr.And(corr...), SingleMatch: true}
	return &expr.ColumnRef{ID: valID, Name: "?column?", Type: val.DataType()}, true, nil
}

// bindCorrelatedAggregate binds SELECT <aggregates> FROM … WHERE … whose correlation is not a
// set of equalities (x.hired < e.hired, say): the outer rows are numbered, LEFT joined with
// the subquery's rows on the correlated conjuncts, and grouped back by row number, so each
// outer row aggregates exactly the inner rows it correlates with. count(*) counts a marker
// of the inner side, so an outer row without matches counts 0.
func (b *blockBinder) bindCorrelatedAggregate(x *parse.ScalarSubquery, sub *blockBinder, corr []expr.Expr) (expr.Expr, bool, error) {
	q := x.Query
	outerCols := b.cur.Columns()
	rowID := b.qb.newID()
	numbered := &logical.Window{Input: b.cur, Funcs: []logical.WindowFunc{{ID: rowID, Name: "?row?", Func: "row_number", Type: expr.Int64}}}
	innerCols := sub.cur.Columns()
	markerID := b.qb.newID()
	exprs := make([]expr.NamedExpr, 0, len(innerCols)+1)
	for _, c := range innerCols {
		exprs = append(exprs, expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()})
	}
	exprs = append(exprs, expr.NamedExpr{ID: markerID, Name: "?matched?", Expr: expr.BoolLit(true)})
	right := &logical.Project{Input: sub.cur, Exprs: exprs}
	if err := b.checkClosed(right, x.Pos); err != nil {
		return nil, false, err
	}
	sub.cur = &logical.Join{Left: numbered, Right: right, Kind: expr.LeftJoin, On: expr.And(corr...), SingleMatch: false}
	joinedIDs := logical.IDSet(sub.cur.Columns())
	correlatedBefore := len(sub.correlated)
	sub.aggregating = true
	val, err := sub.bindExpr(q.Targets[0].Expr, clauseSelect)
	if err != nil {
		return nil, false, err
	}
	if len(sub.correlated) > correlatedBefore || len(sub.windows) > 0 || len(sub.deferred) > 0 {
		return nil, false, b.notSupported(x.Pos, "correlated scalar subqueries reading outer columns outside their WHERE clause")
	}
	marker := &expr.ColumnRef{ID: markerID, Name: "?matched?", Type: expr.Bool}
	for i := range sub.aggs {
		if sub.aggs[i].Func == "count" && len(sub.aggs[i].Args) == 0 {
			sub.aggs[i].Args = []expr.Expr{marker}
		}
	}
	groups := []expr.Expr{&expr.ColumnRef{ID: rowID, Name: "?row?", Type: expr.Int64}}
	for _, c := range outerCols {
		groups = append(groups, c.Ref())
	}
	var having expr.Expr
	sel := []expr.Expr{val}
	if err := sub.buildAggregate(groups, joinedIDs, sel, &having, nil); err != nil {
		return nil, false, err
	}
	agg := sub.cur.(*logical.Aggregate)
	// Give the outer columns back their IDs, so the rest of the query reads them unchanged.
	byText := map[string]expr.NamedExpr{}
	for _, g := range agg.Groups {
		byText[g.Expr.String()] = g
	}
	out := make([]expr.NamedExpr, 0, len(outerCols)+1)
	for _, c := range outerCols {
		g := byText[c.Ref().String()]
		out = append(out, expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: &expr.ColumnRef{ID: g.ID, Name: g.Name, Type: c.Type}})
	}
	valID := b.qb.newID()
	out = append(out, expr.NamedExpr{ID: valID, Name: "?column?", Expr: sel[0]})
	b.cur = &logical.Project{Input: agg, Exprs: out}
	return &expr.ColumnRef{ID: valID, Name: "?column?", Type: sel[0].DataType()}, true, nil
}

// bindRowInJoin joins b.cur with `(a, b) IN (SELECT x, y …)` in a top-level WHERE: a semi
// join on a = x AND b = y.
func (b *blockBinder) bindRowInJoin(row *parse.RowExpr, q *parse.Select, pos int) error {
	var args []expr.Expr
	for _, e := range row.Elems {
		a, err := b.bindExpr(e, clauseWhere)
		if err != nil {
			return err
		}
		args = append(args, a)
	}
	right, on, values, err := b.bindSubqueryRight(q, len(args), "IN", pos)
	if err != nil {
		return err
	}
	for i := range args {
		eq, err := b.call(pos, expr.FnEq, args[i], values[i])
		if err != nil {
			return err
		}
		on = append(on, eq)
	}
	b.cur = &logical.Join{Left: b.cur, Right: right, Kind: expr.SemiJoin, On: expr.And(on...)}
	return nil
}
