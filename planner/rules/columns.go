package rules

import (
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// pruneColumns removes columns no ancestor reads: projection entries, aggregates, window
// functions, set-operation columns of UNION ALL, and the columns sources read (through
// ApplyProjection).
func pruneColumns(c *Context, root logical.Node) (logical.Node, error) {
	return prune(root, logical.IDSet(root.Columns())), nil
}

func addColumns(req map[expr.ColumnID]bool, es ...expr.Expr) {
	for _, e := range es {
		if e == nil {
			continue
		}
		for _, id := range expr.Columns(e) {
			req[id] = true
		}
	}
}

func copySet(m map[expr.ColumnID]bool) map[expr.ColumnID]bool {
	out := make(map[expr.ColumnID]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// prune returns n keeping at least the required columns (and possibly more).
func prune(n logical.Node, required map[expr.ColumnID]bool) logical.Node {
	switch x := n.(type) {
	case *logical.Scan:
		return pruneScan(x, required)
	case *logical.Project:
		var keep []expr.NamedExpr
		for _, e := range x.Exprs {
			if required[e.ID] {
				keep = append(keep, e)
			}
		}
		if len(keep) == 0 && len(x.Exprs) > 0 {
			// Something above still needs the row count (count(*)): keep one column.
			keep = x.Exprs[:1]
		}
		req := map[expr.ColumnID]bool{}
		for _, e := range keep {
			addColumns(req, e.Expr)
		}
		return &logical.Project{Input: prune(x.Input, req), Exprs: keep, Policies: x.Policies}
	case *logical.Filter:
		req := copySet(required)
		addColumns(req, x.Pred)
		return &logical.Filter{Input: prune(x.Input, req), Pred: x.Pred, Policies: x.Policies}
	case *logical.Aggregate:
		var aggs []expr.AggCall
		for _, a := range x.Aggs {
			if required[a.ID] {
				aggs = append(aggs, a)
			}
		}
		if len(aggs) == 0 && len(x.Groups) == 0 && len(x.Aggs) > 0 {
			// A global aggregate must keep one column to carry its single row.
			aggs = x.Aggs[:1]
		}
		req := map[expr.ColumnID]bool{}
		for _, g := range x.Groups {
			addColumns(req, g.Expr)
		}
		for _, a := range aggs {
			addColumns(req, a.Args...)
			addColumns(req, a.Filter)
			for _, k := range a.OrderBy {
				addColumns(req, k.Expr)
			}
		}
		return &logical.Aggregate{Input: prune(x.Input, req), Groups: x.Groups, Aggs: aggs}
	case *logical.Join:
		req := copySet(required)
		addColumns(req, x.On)
		return &logical.Join{Left: prune(x.Left, req), Right: prune(x.Right, req), Kind: x.Kind, On: x.On, SingleMatch: x.SingleMatch}
	case *logical.MarkJoin:
		req := copySet(required)
		addColumns(req, x.On, x.Cond)
		cp := *x
		cp.Left, cp.Right = prune(x.Left, req), prune(x.Right, req)
		return &cp
	case *logical.Sort:
		req := copySet(required)
		for _, k := range x.Keys {
			addColumns(req, k.Expr)
		}
		return &logical.Sort{Input: prune(x.Input, req), Keys: x.Keys}
	case *logical.TopN:
		req := copySet(required)
		for _, k := range x.Keys {
			addColumns(req, k.Expr)
		}
		return &logical.TopN{Input: prune(x.Input, req), Keys: x.Keys, Count: x.Count, Offset: x.Offset}
	case *logical.Window:
		var funcs []logical.WindowFunc
		req := copySet(required)
		for _, f := range x.Funcs {
			if !required[f.ID] {
				continue
			}
			funcs = append(funcs, f)
			addColumns(req, f.Args...)
			addColumns(req, f.PartitionBy...)
			for _, k := range f.OrderBy {
				addColumns(req, k.Expr)
			}
		}
		in := prune(x.Input, req)
		if len(funcs) == 0 {
			return in
		}
		return &logical.Window{Input: in, Funcs: funcs}
	case *logical.SetOp:
		return pruneSetOp(x, required)
	case *logical.Values:
		return x
	}
	// Limit, MaxOneRow and anything else: pass the requirement through.
	ch := n.Children()
	nch := make([]logical.Node, len(ch))
	for i, c := range ch {
		nch[i] = prune(c, required)
	}
	if len(ch) == 0 {
		return n
	}
	return n.WithChildren(nch)
}

func pruneScan(s *logical.Scan, required map[expr.ColumnID]bool) logical.Node {
	var keep []expr.ColumnID
	for _, c := range s.Cols {
		if required[c.ID] {
			keep = append(keep, c.ID)
		}
	}
	if len(keep) == len(s.Cols) {
		return s
	}
	if len(keep) == 0 && len(s.Cols) > 0 {
		keep = []expr.ColumnID{s.Cols[0].ID}
	}
	pp, ok := s.Handle.(connectors.ProjectionPushdown)
	if !ok {
		return s
	}
	h := pp.ApplyProjection(keep)
	if h == nil {
		return s
	}
	cols := make([]logical.Column, 0, len(keep))
	for _, id := range keep {
		for _, c := range s.Cols {
			if c.ID == id {
				cols = append(cols, c)
			}
		}
	}
	cp := *s
	cp.Handle, cp.Cols = h, cols
	return &cp
}

// pruneSetOp drops UNION ALL columns nobody reads, from every input at the same position.
// Distinct set operations compare whole rows, so they keep every column.
func pruneSetOp(s *logical.SetOp, required map[expr.ColumnID]bool) logical.Node {
	keepPos := make([]int, 0, len(s.Cols))
	for i, c := range s.Cols {
		if required[c.ID] || !(s.Kind == logical.Union && s.All) {
			keepPos = append(keepPos, i)
		}
	}
	if len(keepPos) == 0 && len(s.Cols) > 0 {
		keepPos = []int{0}
	}
	inputs := make([]logical.Node, len(s.Inputs))
	for i, in := range s.Inputs {
		inCols := in.Columns()
		req := map[expr.ColumnID]bool{}
		exprs := make([]expr.NamedExpr, len(keepPos))
		for k, pos := range keepPos {
			req[inCols[pos].ID] = true
			exprs[k] = expr.NamedExpr{ID: inCols[pos].ID, Name: inCols[pos].Name, Expr: inCols[pos].Ref()}
		}
		pruned := prune(in, req)
		if len(keepPos) < len(inCols) || !sameColumns(pruned.Columns(), inCols) {
			pruned = &logical.Project{Input: pruned, Exprs: exprs}
		}
		inputs[i] = pruned
	}
	cols := make([]logical.Column, len(keepPos))
	for k, pos := range keepPos {
		cols[k] = s.Cols[pos]
	}
	return &logical.SetOp{Kind: s.Kind, All: s.All, Inputs: inputs, Cols: cols}
}
