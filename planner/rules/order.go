package rules

import (
	"fmt"
	"slices"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// Context is what rules share while optimizing one query.
type Context struct {
	// IDs allocates column IDs for columns rules introduce.
	IDs *logical.IDs
	// Fold evaluates a constant expression to a literal (executor/eval.FoldConstant). Nil
	// disables folding of anything but boolean logic.
	Fold func(expr.Expr) (*expr.Literal, error)
	// Trace, when set, receives the plan after every rule that changed it (for debugging and
	// EXPLAIN VERBOSE).
	Trace func(rule string, plan logical.Node)
}

// Rule rewrites a whole plan.
type Rule struct {
	Name  string
	Apply func(*Context, logical.Node) (logical.Node, error)
}

// Batch is a named group of rules run in order, repeated until nothing changes (at most
// MaxIterations times) when Fixpoint is set.
type Batch struct {
	Name          string
	Rules         []Rule
	Fixpoint      bool
	MaxIterations int
}

// Batches is the optimizer, in order. Read top to bottom, it is the whole story:
//  1. simplify expressions (fold constants, drop trivially true filters);
//  2. push filters towards the leaves (respecting row-filter barriers), turning outer joins
//     whose nullable side a filter rejects into inner joins;
//  3. order inner joins by estimated cardinality, then push the predicates that reordering
//     freed;
//  4. turn ORDER BY + LIMIT into TopN and push limits down;
//  5. prune unused columns;
//  6. hand work to the sources (filters, projections, aggregates, joins inside one source,
//     top-N, limits), each step negotiated with the connector;
//  7. prune again, since pushdown can leave columns unused.
func Batches() []Batch {
	return []Batch{
		{Name: "simplify", Rules: []Rule{{"fold_constants", foldConstants}}},
		{Name: "filters", Rules: []Rule{{"push_down_filters", pushDownFilters}, {"fold_constants", foldConstants}}, Fixpoint: true, MaxIterations: 4},
		{Name: "joins", Rules: []Rule{{"reorder_joins", reorderJoins}, {"push_down_filters", pushDownFilters}}},
		{Name: "limits", Rules: []Rule{{"sort_limit_to_topn", sortLimitToTopN}, {"push_down_limits", pushDownLimits}}},
		{Name: "columns", Rules: []Rule{{"prune_columns", pruneColumns}}},
		{Name: "sources", Rules: []Rule{{"push_into_sources", pushIntoSources}}},
		{Name: "columns_after_pushdown", Rules: []Rule{{"prune_columns", pruneColumns}}},
	}
}

// Optimize runs every batch over plan.
func Optimize(ctx *Context, plan logical.Node) (logical.Node, error) {
	want := plan.Columns()
	for _, b := range Batches() {
		iterations := 1
		if b.Fixpoint {
			iterations = max(1, b.MaxIterations)
		}
		for range iterations {
			before := logical.Format(plan)
			for _, r := range b.Rules {
				out, err := r.Apply(ctx, plan)
				if err != nil {
					return nil, fmt.Errorf("optimizer rule %s: %w", r.Name, err)
				}
				if !sameColumns(want, out.Columns()) {
					return nil, fmt.Errorf("optimizer rule %s changed the output columns of the plan (internal error)", r.Name)
				}
				if ctx.Trace != nil && out != plan {
					ctx.Trace(b.Name+"/"+r.Name, out)
				}
				plan = out
			}
			if !b.Fixpoint || logical.Format(plan) == before {
				break
			}
		}
	}
	return plan, nil
}

func sameColumns(a, b []logical.Column) bool {
	return slices.EqualFunc(a, b, func(x, y logical.Column) bool { return x.ID == y.ID })
}

// wrapFilter puts conjuncts in a Filter above n (n itself if there are none).
func wrapFilter(n logical.Node, conjuncts []expr.Expr) logical.Node {
	if len(conjuncts) == 0 {
		return n
	}
	return &logical.Filter{Input: n, Pred: expr.And(conjuncts...)}
}
