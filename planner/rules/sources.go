package rules

import (
	"strings"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// pushIntoSources negotiates work with the connectors, bottom-up, so the largest subtree a
// single source can compute becomes one remote request: filters (per conjunct
// exact/inexact/unsupported), joins of two scans of the same source, aggregates, top-N and
// limits. A step a connector declines leaves the plan unchanged (Trino's apply* contract).
func pushIntoSources(c *Context, root logical.Node) (logical.Node, error) {
	return logical.Transform(root, func(n logical.Node) (logical.Node, error) {
		switch x := n.(type) {
		case *logical.Filter:
			return pushFilterIntoScan(x), nil
		case *logical.Join:
			return pushJoinIntoScan(x), nil
		case *logical.Aggregate:
			return pushAggregateIntoScan(x), nil
		case *logical.TopN:
			if s, substs, ok := scanBelow(x.Input); ok {
				keys := make([]expr.SortKey, len(x.Keys))
				for i, k := range x.Keys {
					keys[i] = expr.SortKey{Expr: translate(k.Expr, substs), Desc: k.Desc, NullsFirst: k.NullsFirst}
				}
				if tp, ok := s.Handle.(connectors.TopNPushdown); ok && !keysMasked(keys) {
					if h := tp.ApplyTopN(keys, x.Count+x.Offset); h != nil {
						return x.WithChildren([]logical.Node{replaceScan(x.Input, withHandle(s, h, "topN: "+sortKeyList(x.Keys)))}), nil
					}
				}
			}
		case *logical.Limit:
			if x.Count < 0 {
				return n, nil
			}
			if s, _, ok := scanBelow(x.Input); ok {
				if lp, ok := s.Handle.(connectors.LimitPushdown); ok {
					if h := lp.ApplyLimit(x.Count + x.Offset); h != nil {
						return x.WithChildren([]logical.Node{replaceScan(x.Input, withHandle(s, h, "limit"))}), nil
					}
				}
			}
		}
		return n, nil
	})
}

// scanBelow finds the scan under n looking through projections (other than masks) and
// row-filter barriers already fully pushed into the source: work placed above such nodes sees
// the rows the source returns. It also returns the substitutions that translate expressions
// over n's columns into expressions over the scan's columns.
func scanBelow(n logical.Node) (*logical.Scan, []map[expr.ColumnID]expr.Expr, bool) {
	var substs []map[expr.ColumnID]expr.Expr
	for {
		switch x := n.(type) {
		case *logical.Scan:
			return x, substs, true
		case *logical.Filter:
			if !x.IsBarrier() || !isTrue(x.Pred) {
				return nil, nil, false
			}
			n = x.Input
		case *logical.Project:
			if x.IsMask() {
				return nil, nil, false
			}
			m := make(map[expr.ColumnID]expr.Expr, len(x.Exprs))
			for _, e := range x.Exprs {
				m[e.ID] = e.Expr
			}
			substs = append(substs, m)
			n = x.Input
		default:
			return nil, nil, false
		}
	}
}

// translate rewrites e, over the columns of the node scanBelow started from, into an
// expression over the scan's columns.
func translate(e expr.Expr, substs []map[expr.ColumnID]expr.Expr) expr.Expr {
	for _, m := range substs {
		e = expr.Substitute(e, m)
	}
	return e
}

// replaceScan swaps the scan found by scanBelow under n for s.
func replaceScan(n logical.Node, s *logical.Scan) logical.Node {
	if _, ok := n.(*logical.Scan); ok {
		return s
	}
	return n.WithChildren([]logical.Node{replaceScan(n.Children()[0], s)})
}

func withHandle(s *logical.Scan, h connectors.TableHandle, pushed string) *logical.Scan {
	cp := *s
	cp.Handle = h
	cp.Pushed = append(append([]string(nil), s.Pushed...), pushed)
	return &cp
}

func isTrue(e expr.Expr) bool {
	l, ok := e.(*expr.Literal)
	if !ok {
		return false
	}
	b, ok := l.Value.(bool)
	return ok && b
}

func keysMasked(keys []expr.SortKey) bool {
	for _, k := range keys {
		if expr.HasMask(k.Expr) {
			return true
		}
	}
	return false
}

func sortKeyList(keys []expr.SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

func pushFilterIntoScan(f *logical.Filter) logical.Node {
	s, ok := f.Input.(*logical.Scan)
	if !ok {
		return f
	}
	fp, ok := s.Handle.(connectors.FilterPushdown)
	if !ok {
		return f
	}
	var offered, kept []expr.Expr
	for _, p := range expr.Conjuncts(f.Pred) {
		// A masked value is never offered as a predicate on the raw column (DESIGN.md §4).
		if expr.HasMask(p) || isTrue(p) {
			kept = append(kept, p)
			continue
		}
		offered = append(offered, p)
	}
	if len(offered) == 0 {
		return f
	}
	h, support := fp.ApplyFilter(offered)
	if h == nil {
		return f
	}
	var exact, inexact []string
	for i, p := range offered {
		switch support[i] {
		case connectors.Exact:
			exact = append(exact, p.String())
		case connectors.Inexact:
			inexact = append(inexact, p.String())
			kept = append(kept, p)
		default:
			kept = append(kept, p)
		}
	}
	if len(exact)+len(inexact) == 0 {
		return f
	}
	var notes []string
	if len(exact) > 0 {
		notes = append(notes, "filter exact: "+strings.Join(exact, " AND "))
	}
	if len(inexact) > 0 {
		notes = append(notes, "filter inexact: "+strings.Join(inexact, " AND "))
	}
	ns := withHandle(s, h, strings.Join(notes, "; "))
	if f.IsBarrier() {
		pred := expr.And(kept...)
		if pred == nil {
			// The row filter now runs inside the source; the barrier stays so that no
			// non-leakproof predicate is later merged into the source's WHERE clause.
			pred = expr.BoolLit(true)
		}
		return &logical.Filter{Input: ns, Pred: pred, Policies: f.Policies}
	}
	return wrapFilter(ns, kept)
}

func pushJoinIntoScan(j *logical.Join) logical.Node {
	if j.SingleMatch {
		return j
	}
	l, okL := j.Left.(*logical.Scan)
	r, okR := j.Right.(*logical.Scan)
	if !okL || !okR {
		return j
	}
	// A governed scan is a join input here only when its governance lies in the join itself
	// (a row filter's subquery, decorrelated into a semi join below the barrier) or was pruned
	// away (no masked column used). The source may evaluate the join condition before the
	// row filter in its WHERE clause, so only a condition that can neither fail nor leak is
	// handed over.
	if (l.Governed || r.Governed) && j.On != nil && !expr.IsLeakproof(j.On) {
		return j
	}
	same, ok := l.Handle.(connectors.SameSource)
	if !ok || !same.SameSource(r.Handle) {
		return j
	}
	jp, ok := l.Handle.(connectors.JoinPushdown)
	if !ok {
		return j
	}
	h := jp.ApplyJoin(r.Handle, j.Kind, j.On)
	if h == nil {
		return j
	}
	return &logical.Scan{
		Dataset: l.Dataset + " ⋈ " + r.Dataset,
		Source:  l.Source,
		Handle:  h,
		Cols:    j.Columns(),
		Pushed:  append(append(append([]string(nil), l.Pushed...), r.Pushed...), "join: "+j.Describe()),
	}
}

func pushAggregateIntoScan(a *logical.Aggregate) logical.Node {
	s, substs, ok := scanBelow(a.Input)
	if !ok {
		return a
	}
	ap, ok := s.Handle.(connectors.AggregatePushdown)
	if !ok {
		return a
	}
	groups := make([]expr.NamedExpr, len(a.Groups))
	for i, g := range a.Groups {
		groups[i] = expr.NamedExpr{ID: g.ID, Name: g.Name, Expr: translate(g.Expr, substs)}
		if expr.HasMask(groups[i].Expr) {
			return a
		}
	}
	aggs := make([]expr.AggCall, len(a.Aggs))
	for i, c := range a.Aggs {
		cp := c
		cp.Args = make([]expr.Expr, len(c.Args))
		for k, arg := range c.Args {
			cp.Args[k] = translate(arg, substs)
			if expr.HasMask(cp.Args[k]) {
				return a
			}
		}
		if c.Filter != nil {
			cp.Filter = translate(c.Filter, substs)
			if expr.HasMask(cp.Filter) {
				return a
			}
		}
		cp.OrderBy = nil
		for _, k := range c.OrderBy {
			cp.OrderBy = append(cp.OrderBy, expr.SortKey{Expr: translate(k.Expr, substs), Desc: k.Desc, NullsFirst: k.NullsFirst})
		}
		aggs[i] = cp
	}
	h := ap.ApplyAggregate(groups, aggs)
	if h == nil {
		return a
	}
	ns := withHandle(s, h, "aggregate: "+a.Describe())
	ns.Cols = a.Columns()
	return ns
}
