package planner

import (
	"sort"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// ColumnUse says how a query uses the columns of one dataset, for audit: projected columns
// flow into the result; predicate-only columns are read only to filter, join, group or sort.
type ColumnUse struct {
	Dataset       string
	Projected     []string
	PredicateOnly []string
}

// lineage walks a bound (unoptimized) plan: a scan column is projected when some output column
// is computed from it, and predicate-only when it is read but no output depends on it.
func lineage(plan logical.Node) []ColumnUse {
	type scanCol struct{ dataset, name string }
	origin := map[expr.ColumnID][]scanCol{} // column → the scan columns it derives from
	read := map[scanCol]bool{}
	var order []string
	seenDataset := map[string]bool{}

	derive := func(id expr.ColumnID, from expr.Expr) {
		for _, src := range expr.Columns(from) {
			origin[id] = append(origin[id], origin[src]...)
		}
	}
	markRead := func(es ...expr.Expr) {
		for _, e := range es {
			if e == nil {
				continue
			}
			for _, id := range expr.Columns(e) {
				for _, sc := range origin[id] {
					read[sc] = true
				}
			}
		}
	}
	var walk func(n logical.Node)
	walk = func(n logical.Node) {
		for _, c := range n.Children() {
			walk(c)
		}
		switch x := n.(type) {
		case *logical.Scan:
			if !seenDataset[x.Dataset] {
				seenDataset[x.Dataset] = true
				order = append(order, x.Dataset)
			}
			for _, c := range x.Cols {
				origin[c.ID] = []scanCol{{x.Dataset, c.Name}}
			}
		case *logical.Project:
			// Projection passes values on; whether they are read is up to the consumers.
			for _, e := range x.Exprs {
				derive(e.ID, e.Expr)
			}
		case *logical.Filter:
			markRead(x.Pred)
		case *logical.Join:
			markRead(x.On)
		case *logical.MarkJoin:
			markRead(x.On, x.Cond)
		case *logical.Aggregate:
			for _, g := range x.Groups {
				derive(g.ID, g.Expr)
				markRead(g.Expr)
			}
			for _, a := range x.Aggs {
				for _, arg := range a.Args {
					derive(a.ID, arg)
				}
				markRead(a.Args...)
				markRead(a.Filter)
			}
		case *logical.Sort:
			for _, k := range x.Keys {
				markRead(k.Expr)
			}
		case *logical.TopN:
			for _, k := range x.Keys {
				markRead(k.Expr)
			}
		case *logical.Window:
			for _, f := range x.Funcs {
				for _, a := range f.Args {
					derive(f.ID, a)
				}
				markRead(f.Args...)
				markRead(f.PartitionBy...)
			}
		case *logical.SetOp:
			for _, in := range x.Inputs {
				for i, c := range in.Columns() {
					origin[x.Cols[i].ID] = append(origin[x.Cols[i].ID], origin[c.ID]...)
				}
			}
		}
	}
	walk(plan)
	projected := map[scanCol]bool{}
	for _, c := range plan.Columns() {
		for _, sc := range origin[c.ID] {
			projected[sc] = true
		}
	}
	var out []ColumnUse
	for _, ds := range order {
		u := ColumnUse{Dataset: ds}
		for sc := range projected {
			if sc.dataset == ds {
				u.Projected = append(u.Projected, sc.name)
			}
		}
		for sc := range read {
			if sc.dataset == ds && !projected[sc] {
				u.PredicateOnly = append(u.PredicateOnly, sc.name)
			}
		}
		sort.Strings(u.Projected)
		sort.Strings(u.PredicateOnly)
		out = append(out, u)
	}
	return out
}
