package parse

// Walk calls visit for n and, depth first in source order, for every Statement, TableExpr and
// Expr below it, including those inside subqueries, CTEs, window specifications and type-less
// helper structs (SelectItem, OrderItem, GroupingElement, …). When visit returns false the
// children of that node are skipped.
func Walk(n Node, visit func(Node) bool) {
	if n == nil || isNilNode(n) || !visit(n) {
		return
	}
	switch n := n.(type) {
	case *Select:
		walkSelect(n, visit)
	case *Explain:
		Walk(n.Query, visit)
	case *Set, *Show, *Transaction:
	case *TableName:
	case *SubqueryTable:
		Walk(n.Query, visit)
	case *JoinTable:
		Walk(n.Left, visit)
		Walk(n.Right, visit)
		Walk(n.On, visit)
	case *ColumnRef, *IntegerLit, *NumericLit, *StringLit, *BoolLit, *NullLit, *TypedLiteral, *Param:
	case *BinaryOp:
		Walk(n.Left, visit)
		Walk(n.Right, visit)
	case *UnaryOp:
		Walk(n.Operand, visit)
	case *BoolExpr:
		walkExprs(n.Args, visit)
	case *IsNull:
		Walk(n.Arg, visit)
	case *IsBool:
		Walk(n.Arg, visit)
	case *IsDistinct:
		Walk(n.Left, visit)
		Walk(n.Right, visit)
	case *Between:
		Walk(n.Arg, visit)
		Walk(n.Low, visit)
		Walk(n.High, visit)
	case *Like:
		Walk(n.Arg, visit)
		Walk(n.Pattern, visit)
		Walk(n.Escape, visit)
	case *RegexMatch:
		Walk(n.Arg, visit)
		Walk(n.Pattern, visit)
	case *InList:
		Walk(n.Arg, visit)
		walkExprs(n.List, visit)
	case *InSubquery:
		Walk(n.Arg, visit)
		Walk(n.Query, visit)
	case *Exists:
		Walk(n.Query, visit)
	case *ScalarSubquery:
		Walk(n.Query, visit)
	case *Quantified:
		Walk(n.Arg, visit)
		Walk(n.Query, visit)
		Walk(n.Array, visit)
	case *ArrayLit:
		walkExprs(n.Elems, visit)
	case *RowExpr:
		walkExprs(n.Elems, visit)
	case *Case:
		Walk(n.Operand, visit)
		for _, w := range n.Whens {
			Walk(w.Cond, visit)
			Walk(w.Result, visit)
		}
		Walk(n.Else, visit)
	case *Cast:
		Walk(n.Arg, visit)
	case *FuncCall:
		walkExprs(n.Args, visit)
		walkOrder(n.OrderBy, visit)
		Walk(n.Filter, visit)
		if n.Over != nil {
			walkWindow(*n.Over, visit)
		}
	}
}

func walkSelect(s *Select, visit func(Node) bool) {
	if s.With != nil {
		for _, cte := range s.With.CTEs {
			Walk(cte.Query, visit)
		}
	}
	walkExprs(s.DistinctOn, visit)
	for _, item := range s.Targets {
		Walk(item.Expr, visit)
	}
	for _, t := range s.From {
		Walk(t, visit)
	}
	Walk(s.Where, visit)
	for _, g := range s.GroupBy {
		walkGrouping(g, visit)
	}
	Walk(s.Having, visit)
	for _, w := range s.Windows {
		walkWindow(w.Spec, visit)
	}
	if s.SetOp != nil {
		Walk(s.SetOp.Left, visit)
		Walk(s.SetOp.Right, visit)
	}
	for _, row := range s.Values {
		walkExprs(row, visit)
	}
	walkOrder(s.OrderBy, visit)
	Walk(s.Limit, visit)
	Walk(s.Offset, visit)
}

func walkGrouping(g GroupingElement, visit func(Node) bool) {
	walkExprs(g.Exprs, visit)
	for _, item := range g.Items {
		walkExprs(item, visit)
	}
	for _, sub := range g.Sets {
		walkGrouping(sub, visit)
	}
}

func walkWindow(w WindowSpec, visit func(Node) bool) {
	walkExprs(w.PartitionBy, visit)
	walkOrder(w.OrderBy, visit)
	if w.Frame != nil {
		Walk(w.Frame.Start.Offset, visit)
		Walk(w.Frame.End.Offset, visit)
	}
}

func walkOrder(items []OrderItem, visit func(Node) bool) {
	for _, item := range items {
		Walk(item.Expr, visit)
	}
}

func walkExprs(exprs []Expr, visit func(Node) bool) {
	for _, e := range exprs {
		Walk(e, visit)
	}
}

// isNilNode reports whether n is a nil *Select: Select-typed fields such as Quantified.Query
// are nil when unused, and a nil pointer in an interface is not a nil interface.
func isNilNode(n Node) bool {
	s, ok := n.(*Select)
	return ok && s == nil
}
