package rules

import (
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// pushDownFilters moves every filter conjunct as close to the leaves as it can go, merges
// conjuncts over an inner join into its condition, and pushes single-side join conditions into
// the join's inputs.
func pushDownFilters(c *Context, root logical.Node) (logical.Node, error) {
	return pushFilters(root, nil), nil
}

// pushFilters returns a plan equivalent to Filter(preds, n) with preds pushed down.
func pushFilters(n logical.Node, preds []expr.Expr) logical.Node {
	switch x := n.(type) {
	case *logical.Filter:
		if x.IsBarrier() {
			// Only leakproof predicates may run before a row filter: anything else could
			// fail or signal on a row the filter hides (DESIGN.md §4).
			var below, above []expr.Expr
			for _, p := range preds {
				if expr.IsLeakproof(p) {
					below = append(below, p)
				} else {
					above = append(above, p)
				}
			}
			in := pushFilters(x.Input, below)
			return wrapFilter(&logical.Filter{Input: in, Pred: x.Pred, Policies: x.Policies}, above)
		}
		return pushFilters(x.Input, append(expr.Conjuncts(x.Pred), preds...))
	case *logical.Project:
		subst := make(map[expr.ColumnID]expr.Expr, len(x.Exprs))
		for _, e := range x.Exprs {
			subst[e.ID] = e.Expr
		}
		below := make([]expr.Expr, len(preds))
		for i, p := range preds {
			below[i] = expr.Substitute(p, subst)
		}
		return &logical.Project{Input: pushFilters(x.Input, below), Exprs: x.Exprs, Policies: x.Policies}
	case *logical.Join:
		return pushIntoJoin(x, preds)
	case *logical.Aggregate:
		if len(x.Groups) == 0 {
			// A global aggregate returns one row even on empty input: filtering below it
			// is not the same as filtering its row.
			return wrapFilter(stopPush(x), preds)
		}
		groups := map[expr.ColumnID]bool{}
		subst := map[expr.ColumnID]expr.Expr{}
		for _, g := range x.Groups {
			groups[g.ID] = true
			subst[g.ID] = g.Expr
		}
		var below, above []expr.Expr
		for _, p := range preds {
			if expr.ReferencesOnly(p, groups) {
				below = append(below, expr.Substitute(p, subst))
			} else {
				above = append(above, p)
			}
		}
		return wrapFilter(&logical.Aggregate{Input: pushFilters(x.Input, below), Groups: x.Groups, Aggs: x.Aggs}, above)
	case *logical.MarkJoin:
		// Conjuncts over the left side run before the join; the mark stays above. Conjuncts of
		// the condition that read only the right side filter it first.
		left := logical.IDSet(x.Left.Columns())
		var below, above []expr.Expr
		for _, p := range preds {
			if expr.ReferencesOnly(p, left) {
				below = append(below, p)
			} else {
				above = append(above, p)
			}
		}
		right := logical.IDSet(x.Right.Columns())
		var toRight, keepOn []expr.Expr
		var onConjuncts []expr.Expr
		if x.On != nil {
			onConjuncts = expr.Conjuncts(x.On)
		}
		for _, c := range onConjuncts {
			if len(expr.Columns(c)) > 0 && expr.ReferencesOnly(c, right) {
				toRight = append(toRight, c)
			} else {
				keepOn = append(keepOn, c)
			}
		}
		cp := *x
		cp.Left, cp.Right, cp.On = pushFilters(x.Left, below), pushFilters(x.Right, toRight), expr.And(keepOn...)
		return wrapFilter(&cp, above)
	case *logical.Sort:
		return &logical.Sort{Input: pushFilters(x.Input, preds), Keys: x.Keys}
	case *logical.Window:
		common := windowPartitionColumns(x)
		var below, above []expr.Expr
		for _, p := range preds {
			if len(common) > 0 && expr.ReferencesOnly(p, common) {
				below = append(below, p)
			} else {
				above = append(above, p)
			}
		}
		return wrapFilter(&logical.Window{Input: pushFilters(x.Input, below), Funcs: x.Funcs}, above)
	case *logical.SetOp:
		inputs := make([]logical.Node, len(x.Inputs))
		for i, in := range x.Inputs {
			subst := map[expr.ColumnID]expr.Expr{}
			for j, col := range in.Columns() {
				subst[x.Cols[j].ID] = col.Ref()
			}
			below := make([]expr.Expr, len(preds))
			for k, p := range preds {
				below[k] = expr.Substitute(p, subst)
			}
			inputs[i] = pushFilters(in, below)
		}
		return &logical.SetOp{Kind: x.Kind, All: x.All, Inputs: inputs, Cols: x.Cols}
	}
	return wrapFilter(stopPush(n), preds)
}

// stopPush keeps n where it is but still pushes filters inside its children.
func stopPush(n logical.Node) logical.Node {
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	nch := make([]logical.Node, len(ch))
	for i, c := range ch {
		nch[i] = pushFilters(c, nil)
	}
	return n.WithChildren(nch)
}

// windowPartitionColumns returns the columns every window function partitions by: a filter
// on them removes whole partitions, so it can run before the window.
func windowPartitionColumns(w *logical.Window) map[expr.ColumnID]bool {
	var common map[expr.ColumnID]bool
	for i, f := range w.Funcs {
		ids := map[expr.ColumnID]bool{}
		for _, p := range f.PartitionBy {
			if c, ok := p.(*expr.ColumnRef); ok {
				ids[c.ID] = true
			}
		}
		if i == 0 {
			common = ids
			continue
		}
		for id := range common {
			if !ids[id] {
				delete(common, id)
			}
		}
	}
	return common
}

func pushIntoJoin(j *logical.Join, preds []expr.Expr) logical.Node {
	if j.SingleMatch {
		return pushIntoSingleMatch(j, preds)
	}
	kind := j.Kind
	leftIDs := logical.IDSet(j.Left.Columns())
	rightIDs := logical.IDSet(j.Right.Columns())

	// A filter that rejects NULLs of an outer join's nullable side removes the rows that side
	// pads: a LEFT or RIGHT join becomes inner; a FULL join keeps only the other side's
	// padded rows, so rejecting the right side's NULLs leaves a RIGHT join and vice versa.
	for _, p := range preds {
		switch {
		case kind == expr.LeftJoin && rejectsNulls(p, rightIDs):
			kind = expr.InnerJoin
		case kind == expr.RightJoin && rejectsNulls(p, leftIDs):
			kind = expr.InnerJoin
		case kind == expr.FullJoin && rejectsNulls(p, rightIDs):
			kind = expr.RightJoin
		case kind == expr.FullJoin && rejectsNulls(p, leftIDs):
			kind = expr.LeftJoin
		}
	}

	inner := kind == expr.InnerJoin || kind == expr.CrossJoin
	var toLeft, toRight, on, above []expr.Expr
	for _, p := range preds {
		onlyLeft, onlyRight := expr.ReferencesOnly(p, leftIDs), expr.ReferencesOnly(p, rightIDs)
		switch {
		case onlyLeft && (inner || kind == expr.LeftJoin || kind == expr.SemiJoin || kind == expr.AntiJoin || kind == expr.NullAwareAntiJoin):
			toLeft = append(toLeft, p)
		case onlyRight && (inner || kind == expr.RightJoin):
			toRight = append(toRight, p)
		case inner:
			on = append(on, p)
		default:
			above = append(above, p)
		}
	}
	var keepOn []expr.Expr
	if j.On != nil {
		for _, p := range expr.Conjuncts(j.On) {
			onlyLeft, onlyRight := expr.ReferencesOnly(p, leftIDs), expr.ReferencesOnly(p, rightIDs)
			switch {
			case onlyLeft && (inner || kind == expr.RightJoin || kind == expr.SemiJoin):
				toLeft = append(toLeft, p)
			case onlyRight && (inner || kind == expr.LeftJoin || kind == expr.SemiJoin || kind == expr.AntiJoin || kind == expr.NullAwareAntiJoin):
				toRight = append(toRight, p)
			default:
				keepOn = append(keepOn, p)
			}
		}
	}
	keepOn = append(keepOn, on...)
	if kind == expr.CrossJoin && len(keepOn) > 0 {
		kind = expr.InnerJoin
	}
	out := &logical.Join{Left: pushFilters(j.Left, toLeft), Right: pushFilters(j.Right, toRight), Kind: kind, On: expr.And(keepOn...)}
	return wrapFilter(out, above)
}

// strictFuncs return NULL (so a filter drops the row) when any argument is NULL.
var strictFuncs = map[string]bool{
	expr.FnEq: true, expr.FnNotEq: true, expr.FnLt: true, expr.FnLtEq: true, expr.FnGt: true, expr.FnGtEq: true,
	expr.FnLike: true, expr.FnILike: true, expr.FnAdd: true, expr.FnSub: true, expr.FnMul: true, expr.FnDiv: true,
	"starts_with": true, "substring": true, "lower": true, "upper": true, "extract": true,
}

// rejectsNulls reports whether predicate p is never true when all columns in ids are NULL.
func rejectsNulls(p expr.Expr, ids map[expr.ColumnID]bool) bool {
	switch x := p.(type) {
	case *expr.Call:
		switch x.Func {
		case expr.FnAnd:
			return rejectsNulls(x.Args[0], ids) || rejectsNulls(x.Args[1], ids)
		case expr.FnOr:
			return rejectsNulls(x.Args[0], ids) && rejectsNulls(x.Args[1], ids)
		case expr.FnIsNotNull:
			return strictOn(x.Args[0], ids)
		}
		if strictFuncs[x.Func] {
			for _, a := range x.Args {
				if strictOn(a, ids) {
					return true
				}
			}
		}
	case *expr.InList:
		return strictOn(x.Arg, ids)
	}
	return false
}

// strictOn reports whether e is NULL whenever the columns in ids are NULL.
func strictOn(e expr.Expr, ids map[expr.ColumnID]bool) bool {
	switch x := e.(type) {
	case *expr.ColumnRef:
		return ids[x.ID]
	case *expr.Cast:
		return strictOn(x.Arg, ids)
	case *expr.Call:
		if strictFuncs[x.Func] {
			for _, a := range x.Args {
				if strictOn(a, ids) {
					return true
				}
			}
		}
	}
	return false
}

// pushIntoSingleMatch pushes filters around a scalar subquery's LEFT join without changing
// its kind or condition (which would change which rows count as matches): conjuncts over the
// left side go below it, the rest stay above; conditions over the right side alone filter
// the right input.
func pushIntoSingleMatch(j *logical.Join, preds []expr.Expr) logical.Node {
	leftIDs := logical.IDSet(j.Left.Columns())
	rightIDs := logical.IDSet(j.Right.Columns())
	var toLeft, above []expr.Expr
	for _, p := range preds {
		if expr.ReferencesOnly(p, leftIDs) {
			toLeft = append(toLeft, p)
		} else {
			above = append(above, p)
		}
	}
	var toRight, keepOn []expr.Expr
	if j.On != nil {
		for _, c := range expr.Conjuncts(j.On) {
			if len(expr.Columns(c)) > 0 && expr.ReferencesOnly(c, rightIDs) {
				toRight = append(toRight, c)
			} else {
				keepOn = append(keepOn, c)
			}
		}
	}
	out := &logical.Join{Left: pushFilters(j.Left, toLeft), Right: pushFilters(j.Right, toRight), Kind: j.Kind, On: expr.And(keepOn...), SingleMatch: true}
	return wrapFilter(out, above)
}
