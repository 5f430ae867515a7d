package rules

import (
	"math"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// defaultRows is assumed for a source that gives no estimate.
const defaultRows = 1000

// EstimateRows is a coarse cardinality estimate, good enough to order joins and pick build
// sides: sources report row counts; filters scale them by textbook selectivities.
func EstimateRows(n logical.Node) float64 {
	switch x := n.(type) {
	case *logical.Scan:
		if r := x.Handle.Stats().Rows; r >= 0 {
			return math.Max(r, 1)
		}
		return defaultRows
	case *logical.Filter:
		return math.Max(EstimateRows(x.Input)*selectivity(x.Pred), 1)
	case *logical.Aggregate:
		if len(x.Groups) == 0 {
			return 1
		}
		in := EstimateRows(x.Input)
		return math.Max(1, math.Min(in, in/10*float64(len(x.Groups))))
	case *logical.Join:
		l, r := EstimateRows(x.Left), EstimateRows(x.Right)
		switch x.Kind {
		case expr.SemiJoin, expr.AntiJoin, expr.NullAwareAntiJoin:
			return math.Max(l/2, 1)
		case expr.CrossJoin:
			return l * r
		}
		est := joinEstimate(x.Left, x.Right, l, r, x.On)
		switch x.Kind {
		case expr.LeftJoin:
			return math.Max(est, l)
		case expr.RightJoin:
			return math.Max(est, r)
		case expr.FullJoin:
			return math.Max(est, l+r)
		}
		return est
	case *logical.MarkJoin:
		return EstimateRows(x.Left)
	case *logical.Limit:
		if x.Count >= 0 {
			return math.Min(float64(x.Count), EstimateRows(x.Input))
		}
	case *logical.TopN:
		return math.Min(float64(x.Count), EstimateRows(x.Input))
	case *logical.Values:
		return float64(len(x.Rows))
	case *logical.MaxOneRow:
		return 1
	case *logical.SetOp:
		var sum float64
		for _, in := range x.Inputs {
			sum += EstimateRows(in)
		}
		return sum
	}
	ch := n.Children()
	if len(ch) == 1 {
		return EstimateRows(ch[0])
	}
	return defaultRows
}

// joinEstimate assumes foreign-key joins: |L ⋈ R| = |L|·|R| / domain, where the domain of an
// equi-join key is the unfiltered row count of the smaller relation it comes from (the key
// side of a key/foreign-key pair). Non-equi conjuncts halve the estimate.
func joinEstimate(left, right logical.Node, l, r float64, on expr.Expr) float64 {
	if on == nil {
		return l * r
	}
	domain := 0.0
	factor := 1.0
	for _, p := range expr.Conjuncts(on) {
		a, b, ok := equiPair(p)
		if !ok {
			factor *= 0.5
			continue
		}
		d := math.Min(baseRows(left, right, a), baseRows(left, right, b))
		domain = math.Max(domain, d)
	}
	if domain == 0 {
		return math.Max(l*r*factor, 1)
	}
	return math.Max(l*r/domain*factor, 1)
}

// equiPair returns the column IDs of a conjunct of the form col = col.
func equiPair(p expr.Expr) (expr.ColumnID, expr.ColumnID, bool) {
	c, ok := p.(*expr.Call)
	if !ok || c.Func != expr.FnEq {
		return 0, 0, false
	}
	a, okA := stripCast(c.Args[0]).(*expr.ColumnRef)
	b, okB := stripCast(c.Args[1]).(*expr.ColumnRef)
	if !okA || !okB {
		return 0, 0, false
	}
	return a.ID, b.ID, true
}

func stripCast(e expr.Expr) expr.Expr {
	for {
		c, ok := e.(*expr.Cast)
		if !ok {
			return e
		}
		e = c.Arg
	}
}

// baseRows returns the unfiltered row count of the relation column id comes from, looking
// through filters, projections of plain columns and joins.
func baseRows(left, right logical.Node, id expr.ColumnID) float64 {
	for _, side := range []logical.Node{left, right} {
		if r, ok := columnOrigin(side, id); ok {
			return r
		}
	}
	return defaultRows
}

func columnOrigin(n logical.Node, id expr.ColumnID) (float64, bool) {
	if !logical.IDSet(n.Columns())[id] {
		return 0, false
	}
	switch x := n.(type) {
	case *logical.Scan:
		if r := x.Handle.Stats().Rows; r >= 0 {
			return math.Max(r, 1), true
		}
		return defaultRows, true
	case *logical.Project:
		for _, e := range x.Exprs {
			if e.ID == id {
				if c, ok := e.Expr.(*expr.ColumnRef); ok {
					return columnOrigin(x.Input, c.ID)
				}
			}
		}
		return EstimateRows(n), true
	case *logical.Aggregate:
		return EstimateRows(n), true
	}
	for _, c := range n.Children() {
		if r, ok := columnOrigin(c, id); ok {
			return r, true
		}
	}
	return EstimateRows(n), true
}

// selectivity is the fraction of rows a predicate keeps, by textbook defaults.
func selectivity(p expr.Expr) float64 {
	s := 1.0
	for _, c := range expr.Conjuncts(p) {
		s *= conjunctSelectivity(c)
	}
	return s
}

func conjunctSelectivity(c expr.Expr) float64 {
	switch x := c.(type) {
	case *expr.Literal:
		if b, ok := x.Value.(bool); ok && b {
			return 1
		}
		return 0
	case *expr.InList:
		if x.Negated {
			return 0.9
		}
		return math.Min(0.5, 0.05*float64(len(x.List)))
	case *expr.Call:
		switch x.Func {
		case expr.FnEq, expr.FnIsNotDistinctFrom:
			if _, _, ok := equiPair(x); ok {
				return 0.1
			}
			return 0.05
		case expr.FnNotEq:
			return 0.9
		case expr.FnLt, expr.FnLtEq, expr.FnGt, expr.FnGtEq:
			return 0.33
		case expr.FnLike, expr.FnILike:
			return 0.1
		case expr.FnNot:
			return 1 - conjunctSelectivity(x.Args[0])
		case expr.FnOr:
			a, b := conjunctSelectivity(x.Args[0]), conjunctSelectivity(x.Args[1])
			return math.Min(1, a+b-a*b)
		case expr.FnIsNull:
			return 0.05
		case expr.FnIsNotNull:
			return 0.95
		}
	}
	return 0.5
}
