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
				return true, b.bindInJoin(inner.Arg, inner.Query, !inner.Not, inner.Pos)
			}
		}
	case *parse.InSubquery:
		return true, b.bindInJoin(x.Arg, x.Query, x.Not, x.Pos)
	case *parse.Quantified:
		if x.Query != nil && x.Op == "=" && x.Kind == parse.QuantAny {
			return true, b.bindInJoin(x.Arg, x.Query, false, x.Pos)
		}
		if x.Query != nil && x.Op == "<>" && x.Kind == parse.QuantAll {
			return true, b.bindInJoin(x.Arg, x.Query, true, x.Pos)
		}
		return false, b.notSupported(x.Pos, "%s %s (...)", x.Op, x.Kind)
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
	sub := b.child()
	var right logical.Node
	var on []expr.Expr
	if isSimpleFilterQuery(q) {
		corr, err := sub.bindCorrelatedFrom(q)
		if err != nil {
			return err
		}
		right, on = sub.cur, corr
	} else {
		plan, _, err := sub.bindQuery(q)
		if err != nil {
			return err
		}
		if len(sub.correlated) > 0 {
			return b.notSupported(q.Pos, "correlated EXISTS subqueries with grouping, DISTINCT, ORDER BY or LIMIT")
		}
		right = plan
	}
	if err := b.checkClosed(right, q.Pos); err != nil {
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
			return nil, false, b.notSupported(x.Pos, "correlated scalar subqueries whose correlation is not an equality (%s)", c)
		}
		l, r := call.Args[0], call.Args[1]
		switch {
		case expr.ReferencesOnly(r, inner) && !expr.ReferencesOnly(l, inner) && noneOf(l, inner):
			pairs = append(pairs, pair{l, r})
		case expr.ReferencesOnly(l, inner) && !expr.ReferencesOnly(r, inner) && noneOf(r, inner):
			pairs = append(pairs, pair{r, l})
		default:
			return nil, false, b.notSupported(x.Pos, "correlated scalar subqueries whose correlation mixes inner and outer columns (%s)", c)
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
	if !hasCount {
		return nil, false
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
