package rules

import (
	"math"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// maxReorderRelations bounds the greedy search (quadratic per step) for very wide joins.
const maxReorderRelations = 32

// reorderJoins rebuilds every maximal region of inner and cross joins greedily (GOO): it
// repeatedly joins the two connected sub-plans whose join has the smallest estimated result,
// with the larger input on the left (probe) and the smaller on the right (build). Cross
// products are formed only when no predicate connects what is left. The region's columns are
// restored to their original order with a projection when they moved.
func reorderJoins(c *Context, root logical.Node) (logical.Node, error) {
	return logical.Transform(root, func(n logical.Node) (logical.Node, error) {
		j, ok := n.(*logical.Join)
		if !ok || !isReorderable(j) {
			return n, nil
		}
		var rels []logical.Node
		var preds []expr.Expr
		collectRegion(j, &rels, &preds)
		if len(rels) < 3 || len(rels) > maxReorderRelations {
			return n, nil
		}
		out := greedyJoin(rels, preds)
		return restoreOrder(out, n.Columns()), nil
	})
}

func isReorderable(j *logical.Join) bool {
	return j.Kind == expr.InnerJoin || j.Kind == expr.CrossJoin
}

// collectRegion gathers the leaves and conjuncts of a tree of inner/cross joins. Transform is
// bottom-up, so nested regions were already reordered; their roots are joins too, and are
// flattened again here, which is what makes the region maximal.
func collectRegion(n logical.Node, rels *[]logical.Node, preds *[]expr.Expr) {
	switch x := n.(type) {
	case *logical.Join:
		if isReorderable(x) {
			collectRegion(x.Left, rels, preds)
			collectRegion(x.Right, rels, preds)
			if x.On != nil {
				*preds = append(*preds, expr.Conjuncts(x.On)...)
			}
			return
		}
	case *logical.Project:
		// A projection that only reorders columns (left by an earlier reorder) is transparent.
		if isPermutation(x) {
			if j, ok := x.Input.(*logical.Join); ok && isReorderable(j) {
				collectRegion(j, rels, preds)
				return
			}
		}
	}
	*rels = append(*rels, n)
}

func isPermutation(p *logical.Project) bool {
	if p.IsMask() || len(p.Exprs) != len(p.Input.Columns()) {
		return false
	}
	for _, e := range p.Exprs {
		c, ok := e.Expr.(*expr.ColumnRef)
		if !ok || c.ID != e.ID {
			return false
		}
	}
	return true
}

type joinPart struct {
	node logical.Node
	ids  map[expr.ColumnID]bool
	rows float64
}

func greedyJoin(rels []logical.Node, preds []expr.Expr) logical.Node {
	parts := make([]*joinPart, len(rels))
	for i, r := range rels {
		parts[i] = &joinPart{node: r, ids: logical.IDSet(r.Columns()), rows: EstimateRows(r)}
	}
	used := make([]bool, len(preds))
	for len(parts) > 1 {
		bi, bj, best := -1, -1, math.Inf(1)
		var bestPreds []int
		for i := 0; i < len(parts); i++ {
			for j := i + 1; j < len(parts); j++ {
				connecting := connectingPreds(parts[i], parts[j], preds, used)
				if len(connecting) == 0 {
					continue
				}
				est := estimateJoin(parts[i], parts[j], preds, connecting)
				if est < best {
					bi, bj, best, bestPreds = i, j, est, connecting
				}
			}
		}
		if bi < 0 {
			// Nothing connects the remaining parts: cross the two smallest.
			bi, bj = twoSmallest(parts)
			best = parts[bi].rows * parts[bj].rows
		}
		l, r := parts[bi], parts[bj]
		if l.rows < r.rows {
			l, r = r, l
		}
		var on []expr.Expr
		for _, k := range bestPreds {
			used[k] = true
			on = append(on, preds[k])
		}
		kind := expr.InnerJoin
		if len(on) == 0 {
			kind = expr.CrossJoin
		}
		merged := &joinPart{
			node: &logical.Join{Left: l.node, Right: r.node, Kind: kind, On: expr.And(on...)},
			ids:  union(l.ids, r.ids),
			rows: math.Max(best, 1),
		}
		next := []*joinPart{merged}
		for k, p := range parts {
			if k != bi && k != bj {
				next = append(next, p)
			}
		}
		parts = next
	}
	// Predicates that referenced nothing joinable (constants) or were never placed.
	var rest []expr.Expr
	for k, p := range preds {
		if !used[k] {
			rest = append(rest, p)
		}
	}
	return wrapFilter(parts[0].node, rest)
}

// connectingPreds returns the unused predicates that read both parts and nothing else.
func connectingPreds(a, b *joinPart, preds []expr.Expr, used []bool) []int {
	both := union(a.ids, b.ids)
	var out []int
	for k, p := range preds {
		if used[k] || !expr.ReferencesOnly(p, both) {
			continue
		}
		if expr.ReferencesOnly(p, a.ids) || expr.ReferencesOnly(p, b.ids) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func estimateJoin(a, b *joinPart, preds []expr.Expr, connecting []int) float64 {
	on := make([]expr.Expr, len(connecting))
	for i, k := range connecting {
		on[i] = preds[k]
	}
	return joinEstimate(a.node, b.node, a.rows, b.rows, expr.And(on...))
}

func twoSmallest(parts []*joinPart) (int, int) {
	a, b := -1, -1
	for i, p := range parts {
		switch {
		case a < 0 || p.rows < parts[a].rows:
			a, b = i, a
		case b < 0 || p.rows < parts[b].rows:
			b = i
		}
	}
	if a > b {
		a, b = b, a
	}
	return a, b
}

func union(a, b map[expr.ColumnID]bool) map[expr.ColumnID]bool {
	out := make(map[expr.ColumnID]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// restoreOrder projects n to the given columns when its column order differs.
func restoreOrder(n logical.Node, want []logical.Column) logical.Node {
	if sameColumns(want, n.Columns()) {
		return n
	}
	exprs := make([]expr.NamedExpr, len(want))
	for i, c := range want {
		exprs[i] = expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()}
	}
	return &logical.Project{Input: n, Exprs: exprs}
}
