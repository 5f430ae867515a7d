package rules

import (
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// foldConstants evaluates constant sub-expressions once at plan time, simplifies AND/OR/NOT
// with constant operands, drops filters that are always true and replaces filters that are
// never true by an empty relation. A constant that fails to evaluate (1/0) is left for run
// time, where it fails only if a row actually reaches it.
func foldConstants(c *Context, root logical.Node) (logical.Node, error) {
	return logical.Transform(root, func(n logical.Node) (logical.Node, error) {
		switch x := n.(type) {
		case *logical.Filter:
			pred := c.foldExpr(x.Pred)
			if isTrue(pred) && !x.IsBarrier() {
				return x.Input, nil
			}
			if isFalseOrNull(pred) {
				return &logical.Values{Cols: x.Columns()}, nil
			}
			return &logical.Filter{Input: x.Input, Pred: pred, Policies: x.Policies}, nil
		case *logical.Project:
			exprs := make([]expr.NamedExpr, len(x.Exprs))
			for i, e := range x.Exprs {
				exprs[i] = expr.NamedExpr{ID: e.ID, Name: e.Name, Expr: c.foldExpr(e.Expr)}
			}
			return &logical.Project{Input: x.Input, Exprs: exprs, Policies: x.Policies}, nil
		case *logical.Join:
			if x.On == nil {
				return n, nil
			}
			on := c.foldExpr(x.On)
			if isTrue(on) && (x.Kind == expr.InnerJoin || x.Kind == expr.CrossJoin) {
				return &logical.Join{Left: x.Left, Right: x.Right, Kind: expr.CrossJoin}, nil
			}
			return &logical.Join{Left: x.Left, Right: x.Right, Kind: x.Kind, On: on, SingleMatch: x.SingleMatch}, nil
		}
		return n, nil
	})
}

func isFalseOrNull(e expr.Expr) bool {
	l, ok := e.(*expr.Literal)
	if !ok {
		return false
	}
	if l.Value == nil {
		return true
	}
	b, ok := l.Value.(bool)
	return ok && !b
}

func (c *Context) foldExpr(e expr.Expr) expr.Expr {
	return expr.Transform(e, func(n expr.Expr) expr.Expr {
		if call, ok := n.(*expr.Call); ok {
			if s := simplifyLogic(call); s != nil {
				return s
			}
			if call.Func == expr.FnOr {
				if s := factorDisjunction(call); s != nil {
					return s
				}
			}
		}
		switch n.(type) {
		case *expr.Literal, *expr.ColumnRef, *expr.Param:
			return n
		}
		if c.Fold == nil || !expr.IsConstant(n) {
			return n
		}
		lit, err := c.Fold(n)
		if err != nil {
			return n
		}
		return lit
	})
}

// simplifyLogic applies the identities of three-valued logic with one constant operand:
// true AND x = x, false AND x = false, true OR x = true, false OR x = x, NOT constant.
func simplifyLogic(c *expr.Call) expr.Expr {
	switch c.Func {
	case expr.FnAnd, expr.FnOr:
		a, b := c.Args[0], c.Args[1]
		for _, pair := range [][2]expr.Expr{{a, b}, {b, a}} {
			l, ok := pair[0].(*expr.Literal)
			if !ok || l.Value == nil {
				continue
			}
			v := l.Value.(bool)
			if c.Func == expr.FnAnd {
				if v {
					return pair[1]
				}
				return expr.BoolLit(false)
			}
			if v {
				return expr.BoolLit(true)
			}
			return pair[1]
		}
	case expr.FnNot:
		if l, ok := c.Args[0].(*expr.Literal); ok {
			if l.Value == nil {
				return expr.NullOf(expr.Bool)
			}
			return expr.BoolLit(!l.Value.(bool))
		}
	}
	return nil
}

// factorDisjunction pulls the conjuncts every branch of an OR shares out of it:
// (a AND b) OR (a AND c) = a AND (b OR c). TPC-H Q19 writes its join condition inside each
// branch; without this the join would be a cross product filtered afterwards.
func factorDisjunction(or *expr.Call) expr.Expr {
	branches := disjuncts(or)
	sets := make([][]expr.Expr, len(branches))
	count := map[string]int{}
	for i, b := range branches {
		seen := map[string]bool{}
		for _, c := range expr.Conjuncts(b) {
			k := c.String()
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
			sets[i] = append(sets[i], c)
		}
	}
	var common []expr.Expr
	isCommon := map[string]bool{}
	for _, c := range sets[0] {
		k := c.String()
		if count[k] == len(branches) && !isCommon[k] {
			isCommon[k] = true
			common = append(common, c)
		}
	}
	if len(common) == 0 {
		return nil
	}
	var rest expr.Expr
	for _, set := range sets {
		var left []expr.Expr
		for _, c := range set {
			if !isCommon[c.String()] {
				left = append(left, c)
			}
		}
		if len(left) == 0 {
			// One branch is exactly the common part: the OR adds nothing.
			return expr.And(common...)
		}
		branch := expr.And(left...)
		if rest == nil {
			rest = branch
		} else {
			rest = &expr.Call{Func: expr.FnOr, Args: []expr.Expr{rest, branch}, Type: expr.Bool}
		}
	}
	return expr.And(append(common, rest)...)
}

func disjuncts(e expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Func == expr.FnOr {
		return append(disjuncts(c.Args[0]), disjuncts(c.Args[1])...)
	}
	return []expr.Expr{e}
}
