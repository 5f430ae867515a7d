package bind

import (
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// bindAggregateCall binds an aggregate and returns a reference to its output column; the
// Aggregate node that computes it is built once the whole SELECT is bound.
func (b *blockBinder) bindAggregateCall(x *parse.FuncCall, f *expr.Function, cl clause) (expr.Expr, error) {
	if !cl.allowsAggregates() {
		if cl == clauseAggregateArg {
			return nil, b.invalid(x.Pos, "aggregate function calls cannot be nested")
		}
		return nil, b.invalid(x.Pos, "aggregate functions are not allowed in %s", cl)
	}
	if !b.aggregating {
		return nil, b.invalid(x.Pos, "aggregate %s is not allowed here (internal error: aggregation was not detected)", f.Name)
	}
	var args []expr.Expr
	if !x.Star {
		for _, a := range x.Args {
			e, err := b.bindExpr(a, clauseAggregateArg)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
		}
	} else if f.Name != "count" {
		return nil, b.invalid(x.Pos, "%s(*) is not valid; only count(*) takes a star", f.Name)
	}
	fn, args, typ, err := expr.ResolveAggregate(f.Name, args)
	if err != nil {
		return nil, b.invalid(x.Pos, "%v", err)
	}
	call := expr.AggCall{Func: fn.Name, Args: args, Distinct: x.Distinct, Type: typ}
	if x.Filter != nil {
		fe, err := b.bindExpr(x.Filter, clauseAggregateArg)
		if err != nil {
			return nil, err
		}
		if call.Filter, err = b.asBool(fe, x.Filter.Position(), "FILTER"); err != nil {
			return nil, err
		}
	}
	for _, o := range x.OrderBy {
		e, err := b.bindExpr(o.Expr, clauseAggregateArg)
		if err != nil {
			return nil, err
		}
		call.OrderBy = append(call.OrderBy, sortKey(e, o))
	}
	if !orderSensitiveAggregates[call.Func] {
		// min(x ORDER BY y), count(… ORDER BY …): the order cannot change the result.
		call.OrderBy = nil
	}
	// The same aggregate written twice (SELECT sum(x) … HAVING sum(x) > 0) is computed once.
	key := call.String()
	for _, a := range b.aggs {
		if a.String() == key {
			return &expr.ColumnRef{ID: a.ID, Name: a.Func, Type: a.Type}, nil
		}
	}
	call.ID = b.qb.newID()
	b.aggs = append(b.aggs, call)
	return &expr.ColumnRef{ID: call.ID, Name: fn.Name, Type: typ}, nil
}

func sortKey(e expr.Expr, o parse.OrderItem) expr.SortKey {
	k := expr.SortKey{Expr: e, Desc: o.Desc, NullsFirst: o.Desc}
	if o.NullsFirst != nil {
		k.NullsFirst = *o.NullsFirst
	}
	return k
}

// bindWindowCall binds a window function call (ranking, offset or an aggregate with OVER).
func (b *blockBinder) bindWindowCall(x *parse.FuncCall, f *expr.Function, cl clause) (expr.Expr, error) {
	if cl != clauseSelect && cl != clauseOrderBy {
		return nil, b.invalid(x.Pos, "window functions are not allowed in %s", cl)
	}
	if x.Distinct || x.Filter != nil || len(x.OrderBy) > 0 {
		return nil, b.notSupported(x.Pos, "DISTINCT, FILTER or ORDER BY inside window function %s", f.Name)
	}
	spec, err := b.resolveWindowSpec(x.Over)
	if err != nil {
		return nil, err
	}
	argClause := clauseWindowArg
	if !b.aggregating {
		argClause = clauseAggregateArg // no aggregates inside window arguments without GROUP BY
	}
	var args []expr.Expr
	if !x.Star {
		for _, a := range x.Args {
			e, err := b.bindExpr(a, argClause)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
		}
	}
	fn, args, typ, err := expr.ResolveAggregate(f.Name, args)
	if err != nil {
		return nil, b.invalid(x.Pos, "%v", err)
	}
	w := logical.WindowFunc{ID: b.qb.newID(), Name: fn.Name, Func: fn.Name, Args: args, Type: typ}
	for _, p := range spec.PartitionBy {
		e, err := b.bindExpr(p, argClause)
		if err != nil {
			return nil, err
		}
		w.PartitionBy = append(w.PartitionBy, e)
	}
	for _, o := range spec.OrderBy {
		e, err := b.bindExpr(o.Expr, argClause)
		if err != nil {
			return nil, err
		}
		w.OrderBy = append(w.OrderBy, sortKey(e, o))
	}
	if spec.Frame != nil {
		if w.Frame, err = b.bindFrame(spec.Frame, w.OrderBy); err != nil {
			return nil, err
		}
	}
	b.windows = append(b.windows, w)
	return &expr.ColumnRef{ID: w.ID, Name: fn.Name, Type: typ}, nil
}

// resolveWindowSpec merges OVER w / OVER (w ORDER BY …) with the named window definition.
func (b *blockBinder) resolveWindowSpec(s *parse.WindowSpec) (*parse.WindowSpec, error) {
	if s.Ref == "" {
		return s, nil
	}
	for _, nw := range b.namedWindows {
		if nw.Name != s.Ref {
			continue
		}
		out := nw.Spec
		if len(s.OrderBy) > 0 {
			if len(out.OrderBy) > 0 {
				return nil, b.invalid(s.Pos, "cannot override the ORDER BY clause of window %s", s.Ref)
			}
			out.OrderBy = s.OrderBy
		}
		if s.Frame != nil {
			out.Frame = s.Frame
		}
		if len(s.PartitionBy) > 0 {
			return nil, b.invalid(s.Pos, "cannot override the PARTITION BY clause of window %s", s.Ref)
		}
		return &out, nil
	}
	return nil, b.invalid(s.Pos, "window %q does not exist", s.Ref)
}

func (b *blockBinder) bindFrame(f *parse.Frame, order []expr.SortKey) (*logical.Frame, error) {
	if f.Mode == parse.FrameGroups {
		return nil, b.notSupported(-1, "GROUPS window frames")
	}
	out := &logical.Frame{Rows: f.Mode == parse.FrameRows}
	for i, pb := range []parse.FrameBound{f.Start, f.End} {
		var lb logical.FrameBound
		switch pb.Kind {
		case parse.BoundUnboundedPreceding:
			lb.Kind = logical.UnboundedPreceding
		case parse.BoundPreceding:
			lb.Kind = logical.Preceding
		case parse.BoundCurrentRow:
			lb.Kind = logical.CurrentRow
		case parse.BoundFollowing:
			lb.Kind = logical.Following
		case parse.BoundUnboundedFollowing:
			lb.Kind = logical.UnboundedFollowing
		}
		if pb.Offset != nil {
			e, err := b.bindExpr(pb.Offset, clauseWindowArg)
			if err != nil {
				return nil, err
			}
			if !expr.IsConstant(e) {
				return nil, b.invalid(pb.Offset.Position(), "window frame offsets must be constants")
			}
			if !out.Rows && len(order) != 1 {
				return nil, b.invalid(pb.Offset.Position(), "RANGE with an offset needs exactly one ORDER BY column")
			}
			lb.Offset = e
		}
		if i == 0 {
			out.Start = lb
		} else {
			out.End = lb
		}
	}
	return out, nil
}

// containsAggregate reports whether an expression calls an aggregate outside any subquery and
// outside window calls' own function (an aggregate used as a window function does not make the
// query aggregating, but an aggregate inside its arguments does).
func containsAggregate(e parse.Expr) bool {
	found := false
	walkParse(e, func(n parse.Expr) bool {
		if f, ok := n.(*parse.FuncCall); ok && len(f.Name) == 1 {
			if fn, ok := expr.Lookup(f.Name[0]); ok && fn.Kind == expr.Aggregate && f.Over == nil {
				found = true
			}
		}
		return !found
	})
	return found
}

// walkParse visits e and its sub-expressions (not subqueries) pre-order.
func walkParse(e parse.Expr, f func(parse.Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	var kids []parse.Expr
	switch x := e.(type) {
	case *parse.BinaryOp:
		kids = []parse.Expr{x.Left, x.Right}
	case *parse.UnaryOp:
		kids = []parse.Expr{x.Operand}
	case *parse.BoolExpr:
		kids = x.Args
	case *parse.IsNull:
		kids = []parse.Expr{x.Arg}
	case *parse.IsBool:
		kids = []parse.Expr{x.Arg}
	case *parse.IsDistinct:
		kids = []parse.Expr{x.Left, x.Right}
	case *parse.Between:
		kids = []parse.Expr{x.Arg, x.Low, x.High}
	case *parse.Like:
		kids = []parse.Expr{x.Arg, x.Pattern, x.Escape}
	case *parse.InList:
		kids = append([]parse.Expr{x.Arg}, x.List...)
	case *parse.RowExpr:
		kids = x.Elems
	case *parse.InSubquery:
		kids = []parse.Expr{x.Arg}
	case *parse.Quantified:
		kids = []parse.Expr{x.Arg}
	case *parse.Case:
		kids = []parse.Expr{x.Operand, x.Else}
		for _, w := range x.Whens {
			kids = append(kids, w.Cond, w.Result)
		}
	case *parse.Cast:
		kids = []parse.Expr{x.Arg}
	case *parse.FuncCall:
		kids = append(kids, x.Args...)
		kids = append(kids, x.Filter)
		for _, o := range x.OrderBy {
			kids = append(kids, o.Expr)
		}
		if x.Over != nil {
			kids = append(kids, x.Over.PartitionBy...)
			for _, o := range x.Over.OrderBy {
				kids = append(kids, o.Expr)
			}
		}
	}
	for _, k := range kids {
		walkParse(k, f)
	}
}

// groupRewriter maps post-aggregation expressions onto the Aggregate's output: any
// sub-expression equal to a group key becomes a reference to that key's column.
type groupRewriter struct {
	groups map[string]*expr.ColumnRef // by expression text
	// inputIDs are the columns below the aggregate: referencing one outside a group key or an
	// aggregate is an error.
	inputIDs map[expr.ColumnID]bool
}

func (g *groupRewriter) rewrite(e expr.Expr) expr.Expr {
	if ref, ok := g.groups[e.String()]; ok {
		return ref
	}
	ch := e.Children()
	if len(ch) == 0 {
		return e
	}
	nch := make([]expr.Expr, len(ch))
	changed := false
	for i, c := range ch {
		nch[i] = g.rewrite(c)
		changed = changed || nch[i] != c
	}
	if !changed {
		return e
	}
	return e.WithChildren(nch)
}

// ungrouped returns a column of the aggregate's input that e still reads, if any.
func (g *groupRewriter) ungrouped(e expr.Expr) (*expr.ColumnRef, bool) {
	var bad *expr.ColumnRef
	expr.Walk(e, func(n expr.Expr) bool {
		if c, ok := n.(*expr.ColumnRef); ok && g.inputIDs[c.ID] && bad == nil {
			bad = c
		}
		return bad == nil
	})
	return bad, bad != nil
}

// orderSensitiveAggregates are the aggregates whose result depends on the order of their
// input rows; ORDER BY inside any other aggregate is accepted and ignored.
var orderSensitiveAggregates = map[string]bool{"string_agg": true, "array_agg": true}
