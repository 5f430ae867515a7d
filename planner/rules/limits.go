package rules

import (
	"github.com/meshgate/meshgate/planner/logical"
)

// sortLimitToTopN turns Limit(Sort) into TopN, looking through projections between them.
func sortLimitToTopN(c *Context, root logical.Node) (logical.Node, error) {
	return logical.Transform(root, func(n logical.Node) (logical.Node, error) {
		l, ok := n.(*logical.Limit)
		if !ok || l.Count < 0 {
			return n, nil
		}
		switch in := l.Input.(type) {
		case *logical.Sort:
			return &logical.TopN{Input: in.Input, Keys: in.Keys, Count: l.Count, Offset: l.Offset}, nil
		case *logical.Project:
			if s, ok := in.Input.(*logical.Sort); ok {
				top := &logical.TopN{Input: s.Input, Keys: s.Keys, Count: l.Count, Offset: l.Offset}
				return &logical.Project{Input: top, Exprs: in.Exprs, Policies: in.Policies}, nil
			}
		}
		return n, nil
	})
}

// pushDownLimits moves limits below projections and copies them into the inputs of UNION ALL
// (each input needs at most offset+count rows), so sources can stop early.
func pushDownLimits(c *Context, root logical.Node) (logical.Node, error) {
	return logical.Transform(root, func(n logical.Node) (logical.Node, error) {
		l, ok := n.(*logical.Limit)
		if !ok || l.Count < 0 {
			return n, nil
		}
		switch in := l.Input.(type) {
		case *logical.Project:
			return &logical.Project{Input: &logical.Limit{Input: in.Input, Count: l.Count, Offset: l.Offset}, Exprs: in.Exprs, Policies: in.Policies}, nil
		case *logical.SetOp:
			if in.Kind != logical.Union || !in.All {
				return n, nil
			}
			inputs := make([]logical.Node, len(in.Inputs))
			changed := false
			for i, x := range in.Inputs {
				if inner, ok := x.(*logical.Limit); ok && inner.Offset == 0 && inner.Count >= 0 && inner.Count <= l.Count+l.Offset {
					inputs[i] = x
					continue
				}
				inputs[i] = &logical.Limit{Input: x, Count: l.Count + l.Offset}
				changed = true
			}
			if !changed {
				return n, nil
			}
			return &logical.Limit{Input: &logical.SetOp{Kind: in.Kind, All: in.All, Inputs: inputs, Cols: in.Cols}, Count: l.Count, Offset: l.Offset}, nil
		}
		return n, nil
	})
}
