package parse

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// query converts a SELECT, a VALUES list or a set operation.
func (c *converter) query(stmt *pg_query.SelectStmt) (*Select, error) {
	if stmt == nil {
		return nil, c.invalid(-1, "missing query")
	}
	if stmt.GetIntoClause() != nil {
		return nil, readOnly("SELECT INTO")
	}
	if locks := stmt.GetLockingClause(); len(locks) > 0 {
		return nil, readOnlyClause("SELECT … " + lockingName(locks[0].GetLockingClause()))
	}
	s := &Select{Pos: -1}
	var err error
	if w := stmt.GetWithClause(); w != nil {
		if s.With, err = c.with(w); err != nil {
			return nil, err
		}
	}
	switch stmt.GetOp() {
	case pg_query.SetOperation_SETOP_UNION, pg_query.SetOperation_SETOP_INTERSECT,
		pg_query.SetOperation_SETOP_EXCEPT:
		if err := c.setOperation(stmt, s); err != nil {
			return nil, err
		}
	default:
		if len(stmt.GetValuesLists()) > 0 {
			err = c.values(stmt.GetValuesLists(), s)
		} else {
			err = c.selectBody(stmt, s)
		}
		if err != nil {
			return nil, err
		}
	}
	if s.OrderBy, err = c.orderItems(stmt.GetSortClause()); err != nil {
		return nil, err
	}
	if err := c.limits(stmt, s); err != nil {
		return nil, err
	}
	return s, nil
}

func lockingName(l *pg_query.LockingClause) string {
	switch l.GetStrength() {
	case pg_query.LockClauseStrength_LCS_FORKEYSHARE:
		return "FOR KEY SHARE"
	case pg_query.LockClauseStrength_LCS_FORSHARE:
		return "FOR SHARE"
	case pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE:
		return "FOR NO KEY UPDATE"
	}
	return "FOR UPDATE"
}

func (c *converter) setOperation(stmt *pg_query.SelectStmt, s *Select) error {
	left, err := c.query(stmt.GetLarg())
	if err != nil {
		return err
	}
	right, err := c.query(stmt.GetRarg())
	if err != nil {
		return err
	}
	op := SetUnion
	switch stmt.GetOp() {
	case pg_query.SetOperation_SETOP_INTERSECT:
		op = SetIntersect
	case pg_query.SetOperation_SETOP_EXCEPT:
		op = SetExcept
	}
	s.SetOp = &SetOperation{Op: op, All: stmt.GetAll(), Left: left, Right: right}
	s.Pos = left.Pos
	return nil
}

func (c *converter) values(lists []*pg_query.Node, s *Select) error {
	s.Values = make([][]Expr, 0, len(lists))
	for _, list := range lists {
		items := list.GetList().GetItems()
		row := make([]Expr, 0, len(items))
		for _, item := range items {
			if d := item.GetSetToDefault(); d != nil {
				return c.notSupported(d.GetLocation(), "DEFAULT in VALUES")
			}
			e, err := c.expr(item)
			if err != nil {
				return err
			}
			row = append(row, e)
		}
		if len(s.Values) > 0 && len(row) != len(s.Values[0]) {
			pos := -1
			if len(row) > 0 {
				pos = row[0].Position()
			}
			return invalidArgument(c.sql, pos, "VALUES lists must all be the same length (%d, then %d)",
				len(s.Values[0]), len(row))
		}
		s.Values = append(s.Values, row)
	}
	if len(s.Values) > 0 && len(s.Values[0]) > 0 {
		s.Pos = s.Values[0][0].Position()
	}
	return nil
}

// selectBody converts everything of a plain SELECT between the select list and HAVING.
func (c *converter) selectBody(stmt *pg_query.SelectStmt, s *Select) error {
	var err error
	if distinct := stmt.GetDistinctClause(); len(distinct) > 0 {
		// Plain DISTINCT is a list holding one empty node; DISTINCT ON lists expressions.
		if len(distinct) == 1 && distinct[0].GetNode() == nil {
			s.Distinct = true
		} else if s.DistinctOn, err = c.exprs(distinct); err != nil {
			return err
		}
	}
	if s.Targets, err = c.selectItems(stmt.GetTargetList()); err != nil {
		return err
	}
	if len(s.Targets) > 0 {
		s.Pos = s.Targets[0].Pos
	}
	for _, item := range stmt.GetFromClause() {
		t, err := c.tableExpr(item)
		if err != nil {
			return err
		}
		s.From = append(s.From, t)
	}
	if s.Where, err = c.optionalExpr(stmt.GetWhereClause()); err != nil {
		return err
	}
	if stmt.GetGroupDistinct() {
		return c.notSupported(-1, "GROUP BY DISTINCT")
	}
	for _, item := range stmt.GetGroupClause() {
		g, err := c.groupingElement(item)
		if err != nil {
			return err
		}
		s.GroupBy = append(s.GroupBy, g)
	}
	if s.Having, err = c.optionalExpr(stmt.GetHavingClause()); err != nil {
		return err
	}
	for _, item := range stmt.GetWindowClause() {
		def := item.GetWindowDef()
		spec, err := c.windowSpec(def, def.GetRefname())
		if err != nil {
			return err
		}
		s.Windows = append(s.Windows, NamedWindow{Name: def.GetName(), Spec: spec, Pos: c.pos(def.GetLocation())})
	}
	return nil
}

func (c *converter) selectItems(targets []*pg_query.Node) ([]SelectItem, error) {
	items := make([]SelectItem, 0, len(targets))
	for _, node := range targets {
		rt := node.GetResTarget()
		if rt == nil {
			return nil, c.invalid(-1, "malformed select list")
		}
		item := SelectItem{Alias: rt.GetName(), Pos: c.pos(rt.GetLocation())}
		if ref := rt.GetVal().GetColumnRef(); ref != nil && isStar(ref) {
			parts, err := c.nameParts(ref.GetFields()[:len(ref.GetFields())-1], ref.GetLocation())
			if err != nil {
				return nil, err
			}
			item.Star, item.StarQualifier = true, parts
		} else {
			e, err := c.expr(rt.GetVal())
			if err != nil {
				return nil, err
			}
			item.Expr = e
		}
		items = append(items, item)
	}
	return items, nil
}

// isStar reports whether a column reference is `*` or `qualifier.*`.
func isStar(ref *pg_query.ColumnRef) bool {
	fields := ref.GetFields()
	return len(fields) > 0 && fields[len(fields)-1].GetAStar() != nil
}

func (c *converter) limits(stmt *pg_query.SelectStmt, s *Select) error {
	if stmt.GetLimitOption() == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return c.notSupported(-1, "FETCH FIRST … WITH TIES; use ONLY, or rank() in a subquery")
	}
	var err error
	if s.Limit, err = c.limitValue(stmt.GetLimitCount()); err != nil {
		return err
	}
	s.Offset, err = c.limitValue(stmt.GetLimitOffset())
	return err
}

// limitValue converts a LIMIT or OFFSET value. PostgreSQL represents LIMIT ALL as a NULL
// constant, and LIMIT NULL / OFFSET NULL mean no limit / no offset, so all become nil.
func (c *converter) limitValue(node *pg_query.Node) (Expr, error) {
	if node == nil {
		return nil, nil
	}
	if k := node.GetAConst(); k != nil && k.GetIsnull() {
		return nil, nil
	}
	return c.expr(node)
}

func (c *converter) with(w *pg_query.WithClause) (*With, error) {
	if w.GetRecursive() {
		return nil, c.notSupported(w.GetLocation(), "WITH RECURSIVE")
	}
	out := &With{Pos: c.pos(w.GetLocation())}
	for _, node := range w.GetCtes() {
		cte := node.GetCommonTableExpr()
		if cte == nil {
			return nil, c.invalid(w.GetLocation(), "malformed WITH clause")
		}
		sel := cte.GetCtequery().GetSelectStmt()
		if sel == nil {
			return nil, readOnlyClause(statementKind(cte.GetCtequery()) + " in WITH")
		}
		q, err := c.query(sel)
		if err != nil {
			return nil, err
		}
		cols, err := c.nameParts(cte.GetAliascolnames(), cte.GetLocation())
		if err != nil {
			return nil, err
		}
		out.CTEs = append(out.CTEs, CTE{
			Name:          cte.GetCtename(),
			ColumnAliases: cols,
			Query:         q,
			Pos:           c.pos(cte.GetLocation()),
		})
	}
	return out, nil
}

func (c *converter) groupingElement(node *pg_query.Node) (GroupingElement, error) {
	if gs := node.GetGroupingSet(); gs != nil {
		g := GroupingElement{Pos: c.pos(gs.GetLocation())}
		switch gs.GetKind() {
		case pg_query.GroupingSetKind_GROUPING_SET_EMPTY:
			g.Kind = GroupingEmpty
		case pg_query.GroupingSetKind_GROUPING_SET_SIMPLE:
			exprs, err := c.exprs(gs.GetContent())
			if err != nil {
				return g, err
			}
			g.Kind, g.Exprs = GroupingColumns, exprs
		case pg_query.GroupingSetKind_GROUPING_SET_ROLLUP, pg_query.GroupingSetKind_GROUPING_SET_CUBE:
			g.Kind = GroupingRollup
			if gs.GetKind() == pg_query.GroupingSetKind_GROUPING_SET_CUBE {
				g.Kind = GroupingCube
			}
			for _, item := range gs.GetContent() {
				exprs, err := c.groupingColumns(item)
				if err != nil {
					return g, err
				}
				g.Items = append(g.Items, exprs)
			}
		case pg_query.GroupingSetKind_GROUPING_SET_SETS:
			g.Kind = GroupingSets
			for _, item := range gs.GetContent() {
				sub, err := c.groupingElement(item)
				if err != nil {
					return g, err
				}
				g.Sets = append(g.Sets, sub)
			}
		default:
			return g, c.invalid(gs.GetLocation(), "malformed grouping set")
		}
		return g, nil
	}
	exprs, err := c.groupingColumns(node)
	if err != nil {
		return GroupingElement{}, err
	}
	return GroupingElement{Kind: GroupingColumns, Exprs: exprs, Pos: exprs[0].Position()}, nil
}

// groupingColumns converts one grouping item: an expression, or a parenthesized list
// `(a, b)`, which PostgreSQL's grammar delivers as an implicit row constructor and its
// analysis treats as a list of grouping columns.
func (c *converter) groupingColumns(node *pg_query.Node) ([]Expr, error) {
	if row := node.GetRowExpr(); row != nil && row.GetRowFormat() == pg_query.CoercionForm_COERCE_IMPLICIT_CAST {
		return c.exprs(row.GetArgs())
	}
	e, err := c.expr(node)
	if err != nil {
		return nil, err
	}
	return []Expr{e}, nil
}

func (c *converter) orderItems(nodes []*pg_query.Node) ([]OrderItem, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	items := make([]OrderItem, 0, len(nodes))
	for _, node := range nodes {
		sb := node.GetSortBy()
		if sb == nil {
			return nil, c.invalid(-1, "malformed ORDER BY")
		}
		e, err := c.expr(sb.GetNode())
		if err != nil {
			return nil, err
		}
		item := OrderItem{Expr: e}
		switch sb.GetSortbyDir() {
		case pg_query.SortByDir_SORTBY_DESC:
			item.Desc = true
		case pg_query.SortByDir_SORTBY_USING:
			return nil, notSupported(c.sql, e.Position(), "ORDER BY … USING; use ASC or DESC")
		}
		switch sb.GetSortbyNulls() {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			first := true
			item.NullsFirst = &first
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			first := false
			item.NullsFirst = &first
		}
		items = append(items, item)
	}
	return items, nil
}

func (c *converter) tableExpr(node *pg_query.Node) (TableExpr, error) {
	switch n := node.GetNode().(type) {
	case *pg_query.Node_RangeVar:
		return c.tableName(n.RangeVar)
	case *pg_query.Node_RangeSubselect:
		return c.subqueryTable(n.RangeSubselect)
	case *pg_query.Node_JoinExpr:
		return c.join(n.JoinExpr)
	case *pg_query.Node_RangeFunction:
		name, loc := tableFunctionName(n.RangeFunction)
		return nil, c.notSupported(loc, "table function %s in FROM", name)
	case *pg_query.Node_RangeTableSample:
		return nil, c.notSupported(n.RangeTableSample.GetLocation(), "TABLESAMPLE")
	case *pg_query.Node_RangeTableFunc:
		return nil, c.notSupported(n.RangeTableFunc.GetLocation(), "XMLTABLE")
	case *pg_query.Node_JsonTable:
		return nil, c.notSupported(n.JsonTable.GetLocation(), "JSON_TABLE")
	}
	return nil, c.notSupported(-1, "%s in FROM", nodeName(node))
}

func tableFunctionName(rf *pg_query.RangeFunction) (string, int32) {
	if rf.GetIsRowsfrom() {
		return "ROWS FROM (…)", -1
	}
	for _, f := range rf.GetFunctions() {
		items := f.GetList().GetItems()
		if len(items) == 0 {
			continue
		}
		if call := items[0].GetFuncCall(); call != nil {
			name := ""
			for i, part := range call.GetFuncname() {
				if i > 0 {
					name += "."
				}
				name += part.GetString_().GetSval()
			}
			return name + "(…)", call.GetLocation()
		}
	}
	return "call", -1
}

func (c *converter) tableName(rv *pg_query.RangeVar) (*TableName, error) {
	if !rv.GetInh() {
		return nil, c.notSupported(rv.GetLocation(), "ONLY; meshgate datasets have no inheritance, drop ONLY")
	}
	t := &TableName{Pos: c.pos(rv.GetLocation())}
	for _, part := range []string{rv.GetCatalogname(), rv.GetSchemaname(), rv.GetRelname()} {
		if part != "" {
			t.Parts = append(t.Parts, part)
		}
	}
	var err error
	t.Alias, err = c.alias(rv.GetAlias(), rv.GetLocation())
	return t, err
}

func (c *converter) subqueryTable(rs *pg_query.RangeSubselect) (*SubqueryTable, error) {
	sel := rs.GetSubquery().GetSelectStmt()
	if sel == nil {
		return nil, readOnlyClause(statementKind(rs.GetSubquery()) + " in FROM")
	}
	q, err := c.query(sel)
	if err != nil {
		return nil, err
	}
	alias, err := c.alias(rs.GetAlias(), -1)
	if err != nil {
		return nil, err
	}
	return &SubqueryTable{Query: q, Alias: alias, Lateral: rs.GetLateral(), Pos: q.Pos}, nil
}

func (c *converter) join(j *pg_query.JoinExpr) (*JoinTable, error) {
	if j.GetJoinUsingAlias() != nil {
		return nil, c.notSupported(-1, "USING (…) AS %s; alias the joined tables instead",
			j.GetJoinUsingAlias().GetAliasname())
	}
	left, err := c.tableExpr(j.GetLarg())
	if err != nil {
		return nil, err
	}
	right, err := c.tableExpr(j.GetRarg())
	if err != nil {
		return nil, err
	}
	t := &JoinTable{Natural: j.GetIsNatural(), Left: left, Right: right, Pos: left.Position()}
	switch j.GetJointype() {
	case pg_query.JoinType_JOIN_INNER:
		t.Kind = JoinInner
	case pg_query.JoinType_JOIN_LEFT:
		t.Kind = JoinLeft
	case pg_query.JoinType_JOIN_RIGHT:
		t.Kind = JoinRight
	case pg_query.JoinType_JOIN_FULL:
		t.Kind = JoinFull
	default:
		return nil, c.invalid(-1, "unexpected join type %s", j.GetJointype())
	}
	if t.On, err = c.optionalExpr(j.GetQuals()); err != nil {
		return nil, err
	}
	if t.Using, err = c.nameParts(j.GetUsingClause(), -1); err != nil {
		return nil, err
	}
	// The grammar gives CROSS JOIN as an inner join with no condition; nothing else lacks one.
	if t.Kind == JoinInner && !t.Natural && t.On == nil && len(t.Using) == 0 {
		t.Kind = JoinCross
	}
	if t.Alias, err = c.alias(j.GetAlias(), -1); err != nil {
		return nil, err
	}
	return t, nil
}

func (c *converter) alias(a *pg_query.Alias, loc int32) (*Alias, error) {
	if a == nil {
		return nil, nil
	}
	cols, err := c.nameParts(a.GetColnames(), loc)
	if err != nil {
		return nil, err
	}
	return &Alias{Name: a.GetAliasname(), Columns: cols}, nil
}

// nameParts converts a list of String nodes (qualified names, column alias lists).
func (c *converter) nameParts(nodes []*pg_query.Node, loc int32) ([]string, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	parts := make([]string, 0, len(nodes))
	for _, n := range nodes {
		s := n.GetString_()
		if s == nil {
			return nil, c.invalid(loc, "malformed name: expected an identifier, found %s", nodeName(n))
		}
		parts = append(parts, s.GetSval())
	}
	return parts, nil
}
