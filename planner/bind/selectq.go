package bind

import (
	"strings"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// selectItem is one output column of a SELECT before binding: an expression, or a column a
// star expanded to.
type selectItem struct {
	ast  parse.Expr
	col  *logical.Column
	name string
	pos  int
}

// orderSpec is one ORDER BY key: an output column (index) or a hidden expression.
type orderSpec struct {
	output int // index into the select items, or -1
	e      expr.Expr
	item   parse.OrderItem
}

// bindQuery binds a query: SELECT, VALUES or a set operation, with its ORDER BY and LIMIT.
func (b *blockBinder) bindQuery(q *parse.Select) (logical.Node, []string, error) {
	if q.With != nil {
		b.ctes = b.ctes.with(q.With)
	}
	if q.SetOp == nil && q.Values == nil {
		return b.bindSelect(q)
	}
	var node logical.Node
	var names []string
	var err error
	if q.SetOp != nil {
		node, names, err = b.bindSetOp(q.SetOp)
	} else {
		node, names, err = b.bindValues(q.Values, q.Pos)
	}
	if err != nil {
		return nil, nil, err
	}
	return b.orderOutputs(node, names, q)
}

// sibling returns a binder for another block at the same level (set operation operands).
func (b *blockBinder) sibling() *blockBinder { return b.qb.newBlock(b.outer, b.ctes) }

// child returns a binder for a subquery of this block, which may reference its columns.
func (b *blockBinder) child() *blockBinder { return b.qb.newBlock(b.scope, b.ctes) }

func (b *blockBinder) bindSelect(q *parse.Select) (logical.Node, []string, error) {
	if err := b.bindFromAndWhere(q); err != nil {
		return nil, nil, err
	}
	b.namedWindows = q.Windows
	items, err := b.expandTargets(q.Targets)
	if err != nil {
		return nil, nil, err
	}
	b.aggregating = len(q.GroupBy) > 0 || q.Having != nil
	for _, it := range items {
		b.aggregating = b.aggregating || (it.ast != nil && containsAggregate(it.ast))
	}
	for _, o := range q.OrderBy {
		b.aggregating = b.aggregating || containsAggregate(o.Expr)
	}
	inputIDs := logical.IDSet(b.cur.Columns())

	var groups []expr.Expr
	if b.aggregating {
		if groups, err = b.bindGroupBy(q.GroupBy, items); err != nil {
			return nil, nil, err
		}
	}
	sel := make([]expr.Expr, len(items))
	for i, it := range items {
		if it.col != nil {
			sel[i] = it.col.Ref()
			continue
		}
		if sel[i], err = b.bindExpr(it.ast, clauseSelect); err != nil {
			return nil, nil, err
		}
	}
	var having expr.Expr
	if q.Having != nil {
		h, err := b.bindExpr(q.Having, clauseHaving)
		if err != nil {
			return nil, nil, err
		}
		if having, err = b.asBool(h, q.Having.Position(), "HAVING"); err != nil {
			return nil, nil, err
		}
	}
	order, err := b.bindOrderBy(q.OrderBy, items, sel)
	if err != nil {
		return nil, nil, err
	}
	// DISTINCT ON keys bind like ORDER BY keys (output names, ordinals or expressions).
	onItems := make([]parse.OrderItem, len(q.DistinctOn))
	for i, e := range q.DistinctOn {
		onItems[i] = parse.OrderItem{Expr: e}
	}
	distinctOn, err := b.bindOrderBy(onItems, items, sel)
	if err != nil {
		return nil, nil, err
	}

	if b.aggregating {
		all := append(append([]orderSpec(nil), order...), distinctOn...)
		if err := b.buildAggregate(groups, inputIDs, sel, &having, all); err != nil {
			return nil, nil, err
		}
		order, distinctOn = all[:len(order)], all[len(order):]
	}
	if having != nil {
		b.cur = &logical.Filter{Input: b.cur, Pred: having}
	}
	if len(b.windows) > 0 {
		b.cur = &logical.Window{Input: b.cur, Funcs: b.windows}
	}

	// Project the select list, plus ORDER BY keys that are not in it (hidden).
	names := make([]string, len(items))
	proj := make([]expr.NamedExpr, 0, len(items)+len(order))
	seen := map[expr.ColumnID]bool{}
	for i, it := range items {
		names[i] = it.name
		proj = append(proj, b.named(sel[i], it.name, seen))
	}
	var keys []expr.SortKey
	hidden := 0
	for _, o := range order {
		if o.output >= 0 {
			keys = append(keys, sortKey(&expr.ColumnRef{ID: proj[o.output].ID, Name: proj[o.output].Name, Type: proj[o.output].Expr.DataType()}, o.item))
			continue
		}
		if q.Distinct {
			return nil, nil, b.invalid(o.item.Expr.Position(), "for SELECT DISTINCT, ORDER BY expressions must appear in the select list")
		}
		ne := b.named(o.e, "?order?", seen)
		proj = append(proj, ne)
		hidden++
		keys = append(keys, sortKey(&expr.ColumnRef{ID: ne.ID, Name: ne.Name, Type: ne.Expr.DataType()}, o.item))
	}
	var onKeys []expr.Expr
	for _, o := range distinctOn {
		if o.output >= 0 {
			onKeys = append(onKeys, &expr.ColumnRef{ID: proj[o.output].ID, Name: proj[o.output].Name, Type: proj[o.output].Expr.DataType()})
			continue
		}
		ne := b.named(o.e, "?distinct?", seen)
		proj = append(proj, ne)
		hidden++
		onKeys = append(onKeys, &expr.ColumnRef{ID: ne.ID, Name: ne.Name, Type: ne.Expr.DataType()})
	}
	b.cur = &logical.Project{Input: b.cur, Exprs: proj}
	if q.Distinct {
		b.cur, keys = b.distinct(b.cur, keys)
	}
	if len(onKeys) > 0 {
		// DISTINCT ON keeps the first row of each group of equal keys in ORDER BY order:
		// number the rows of each group in that order and keep number 1.
		rn := b.qb.newID()
		b.cur = &logical.Window{Input: b.cur, Funcs: []logical.WindowFunc{{ID: rn, Name: "?row?", Func: "row_number", PartitionBy: onKeys, OrderBy: keys, Type: expr.Int64}}}
		first, err := b.call(q.Pos, expr.FnEq, &expr.ColumnRef{ID: rn, Name: "?row?", Type: expr.Int64}, expr.Int64Lit(1))
		if err != nil {
			return nil, nil, err
		}
		b.cur = &logical.Filter{Input: b.cur, Pred: first}
		if hidden == 0 {
			hidden = -1 // drop the row number below
		}
	}
	if len(keys) > 0 {
		b.cur = &logical.Sort{Input: b.cur, Keys: keys}
	}
	if err := b.applyLimit(q); err != nil {
		return nil, nil, err
	}
	if hidden != 0 {
		visible := b.cur.Columns()[:len(items)]
		exprs := make([]expr.NamedExpr, len(visible))
		for i, c := range visible {
			exprs[i] = expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()}
		}
		b.cur = &logical.Project{Input: b.cur, Exprs: exprs}
	}
	return b.cur, names, nil
}

// named gives e an output column: a plain column keeps its ID the first time it is projected;
// anything else, and repeats, get a new ID.
func (b *blockBinder) named(e expr.Expr, name string, seen map[expr.ColumnID]bool) expr.NamedExpr {
	if c, ok := e.(*expr.ColumnRef); ok && !seen[c.ID] {
		seen[c.ID] = true
		return expr.NamedExpr{ID: c.ID, Name: name, Expr: e}
	}
	id := b.qb.newID()
	seen[id] = true
	return expr.NamedExpr{ID: id, Name: name, Expr: e}
}

// bindFromAndWhere binds FROM and WHERE into b.cur and b.scope.
func (b *blockBinder) bindFromAndWhere(q *parse.Select) error {
	cur, cols, err := b.bindFromList(q.From)
	if err != nil {
		return err
	}
	b.cur, b.scope = cur, &scope{cols: cols, outer: b.outer}
	if q.Where == nil {
		return nil
	}
	return b.bindWhere(q.Where)
}

// bindWhere binds WHERE conjunct by conjunct: EXISTS, NOT EXISTS, IN and NOT IN subqueries
// become semi and anti joins on b.cur; everything else a filter above it.
func (b *blockBinder) bindWhere(where parse.Expr) error {
	var preds []expr.Expr
	for _, c := range parseConjuncts(where) {
		handled, err := b.bindSubqueryConjunct(c)
		if err != nil {
			return err
		}
		if handled {
			continue
		}
		e, err := b.bindExpr(c, clauseWhere)
		if err != nil {
			return err
		}
		if e, err = b.asBool(e, c.Position(), "WHERE"); err != nil {
			return err
		}
		preds = append(preds, e)
	}
	if len(preds) > 0 {
		b.cur = &logical.Filter{Input: b.cur, Pred: expr.And(preds...)}
	}
	return nil
}

func parseConjuncts(e parse.Expr) []parse.Expr {
	if be, ok := e.(*parse.BoolExpr); ok && be.Op == parse.BoolAnd {
		var out []parse.Expr
		for _, a := range be.Args {
			out = append(out, parseConjuncts(a)...)
		}
		return out
	}
	return []parse.Expr{e}
}

func (b *blockBinder) expandTargets(targets []parse.SelectItem) ([]selectItem, error) {
	var out []selectItem
	for _, t := range targets {
		if !t.Star {
			out = append(out, selectItem{ast: t.Expr, name: outputName(t), pos: t.Pos})
			continue
		}
		if b.scope == nil || len(b.scope.cols) == 0 {
			return nil, b.invalid(t.Pos, "SELECT * with no tables specified is not valid")
		}
		matched := false
		for _, sc := range b.scope.cols {
			if sc.hidden || sc.denied != "" {
				continue
			}
			if q := t.StarQualifier; len(q) > 0 && !sc.matches(append(append([]string(nil), q...), sc.name)) {
				continue
			}
			matched = true
			col := sc.col
			b.qb.noteColumn(sc.dataset, sc.name)
			out = append(out, selectItem{col: &col, name: sc.name, pos: t.Pos})
		}
		if !matched {
			return nil, b.invalid(t.Pos, "missing FROM-clause entry for table %q", strings.Join(t.StarQualifier, "."))
		}
	}
	return out, nil
}

// outputName is the column name PostgreSQL gives a select item.
func outputName(t parse.SelectItem) string {
	if t.Alias != "" {
		return t.Alias
	}
	switch x := t.Expr.(type) {
	case *parse.ColumnRef:
		return x.Parts[len(x.Parts)-1]
	case *parse.FuncCall:
		return x.Name[len(x.Name)-1]
	case *parse.Cast:
		if c, ok := x.Arg.(*parse.ColumnRef); ok {
			return c.Parts[len(c.Parts)-1]
		}
		return typeOutputName(x.Type)
	case *parse.TypedLiteral:
		return typeOutputName(x.Type)
	case *parse.Case:
		return "case"
	case *parse.Exists:
		return "exists"
	case *parse.ScalarSubquery:
		if len(x.Query.Targets) == 1 && !x.Query.Targets[0].Star {
			return outputName(x.Query.Targets[0])
		}
	}
	return "?column?"
}

func typeOutputName(t parse.TypeName) string {
	switch t.Name {
	case parse.TypeInteger:
		return "int4"
	case parse.TypeBigint:
		return "int8"
	case parse.TypeVarchar:
		return "varchar"
	case parse.TypeTimestampTZ:
		return "timestamptz"
	}
	return t.Name
}

// bindGroupBy binds GROUP BY items: ordinals and output aliases refer to the select list, as in
// PostgreSQL (an input column of the same name wins over an alias).
func (b *blockBinder) bindGroupBy(elems []parse.GroupingElement, items []selectItem) ([]expr.Expr, error) {
	var out []expr.Expr
	for _, g := range elems {
		switch g.Kind {
		case parse.GroupingColumns:
		case parse.GroupingEmpty:
			continue
		default:
			return nil, b.notSupported(g.Pos, "GROUP BY %s", g.Kind)
		}
		for _, ge := range g.Exprs {
			e, err := b.bindGroupItem(ge, items)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func (b *blockBinder) bindGroupItem(ge parse.Expr, items []selectItem) (expr.Expr, error) {
	if lit, ok := ge.(*parse.IntegerLit); ok {
		k := int(lit.Value)
		if k < 1 || k > len(items) {
			return nil, b.invalid(lit.Pos, "GROUP BY position %d is not in select list", k)
		}
		it := items[k-1]
		if it.col != nil {
			return it.col.Ref(), nil
		}
		if containsAggregate(it.ast) {
			return nil, b.invalid(lit.Pos, "aggregate functions are not allowed in GROUP BY")
		}
		return b.bindExpr(it.ast, clauseGroupBy)
	}
	if ref, ok := ge.(*parse.ColumnRef); ok && len(ref.Parts) == 1 {
		if _, found := b.scope.lookup(ref.Parts); !found {
			for _, it := range items {
				if it.name == ref.Parts[0] && it.ast != nil {
					if containsAggregate(it.ast) {
						return nil, b.invalid(ref.Pos, "aggregate functions are not allowed in GROUP BY")
					}
					return b.bindExpr(it.ast, clauseGroupBy)
				}
			}
		}
	}
	return b.bindExpr(ge, clauseGroupBy)
}

// bindOrderBy resolves ORDER BY keys: ordinals, output column names, expressions equal to a
// select item, or hidden expressions.
func (b *blockBinder) bindOrderBy(items []parse.OrderItem, sel []selectItem, bound []expr.Expr) ([]orderSpec, error) {
	var out []orderSpec
	for _, o := range items {
		if lit, ok := o.Expr.(*parse.IntegerLit); ok {
			k := int(lit.Value)
			if k < 1 || k > len(sel) {
				return nil, b.invalid(lit.Pos, "ORDER BY position %d is not in select list", k)
			}
			out = append(out, orderSpec{output: k - 1, item: o})
			continue
		}
		if ref, ok := o.Expr.(*parse.ColumnRef); ok && len(ref.Parts) == 1 {
			match := -1
			for i, it := range sel {
				if it.name == ref.Parts[0] {
					if match >= 0 && !sameExpr(bound[match], bound[i]) {
						return nil, b.invalid(ref.Pos, "ORDER BY %q is ambiguous", ref.Parts[0])
					}
					match = i
				}
			}
			if match >= 0 {
				out = append(out, orderSpec{output: match, item: o})
				continue
			}
		}
		e, err := b.bindExpr(o.Expr, clauseOrderBy)
		if err != nil {
			return nil, err
		}
		spec := orderSpec{output: -1, e: e, item: o}
		for i := range sel {
			if sameExpr(bound[i], e) {
				spec.output = i
				break
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

func sameExpr(a, b expr.Expr) bool { return a.String() == b.String() }

// buildAggregate puts the Aggregate node on b.cur and rewrites every post-aggregation
// expression onto its output.
func (b *blockBinder) buildAggregate(groups []expr.Expr, inputIDs map[expr.ColumnID]bool, sel []expr.Expr, having *expr.Expr, order []orderSpec) error {
	rw := &groupRewriter{groups: map[string]*expr.ColumnRef{}, inputIDs: inputIDs}
	var named []expr.NamedExpr
	for _, g := range groups {
		key := g.String()
		if _, dup := rw.groups[key]; dup {
			continue
		}
		name := "group"
		if c, ok := g.(*expr.ColumnRef); ok {
			name = c.Name
		}
		ne := expr.NamedExpr{ID: b.qb.newID(), Name: name, Expr: g}
		named = append(named, ne)
		rw.groups[key] = &expr.ColumnRef{ID: ne.ID, Name: name, Type: g.DataType()}
	}
	b.cur = &logical.Aggregate{Input: b.cur, Groups: named, Aggs: b.aggs}
	check := func(e expr.Expr) (expr.Expr, error) {
		out := rw.rewrite(e)
		if bad, ok := rw.ungrouped(out); ok {
			return nil, b.invalid(-1, "column %s must appear in the GROUP BY clause or be used in an aggregate function", bad.Name)
		}
		return out, nil
	}
	var err error
	for i := range sel {
		if sel[i], err = check(sel[i]); err != nil {
			return err
		}
	}
	if *having != nil {
		if *having, err = check(*having); err != nil {
			return err
		}
	}
	for i := range order {
		if order[i].output < 0 {
			if order[i].e, err = check(order[i].e); err != nil {
				return err
			}
		}
	}
	for i := range b.windows {
		w := &b.windows[i]
		for k := range w.Args {
			if w.Args[k], err = check(w.Args[k]); err != nil {
				return err
			}
		}
		for k := range w.PartitionBy {
			if w.PartitionBy[k], err = check(w.PartitionBy[k]); err != nil {
				return err
			}
		}
		for k := range w.OrderBy {
			if w.OrderBy[k].Expr, err = check(w.OrderBy[k].Expr); err != nil {
				return err
			}
		}
	}
	// Uncorrelated subqueries in the select list or HAVING join the aggregated rows.
	for _, d := range b.deferred {
		b.cur = &logical.Join{Left: b.cur, Right: &logical.MaxOneRow{Input: d.plan}, Kind: expr.LeftJoin}
	}
	return nil
}

// distinct groups the projected rows by every column; ORDER BY keys (all on output columns)
// follow the new column IDs.
func (b *blockBinder) distinct(in logical.Node, keys []expr.SortKey) (logical.Node, []expr.SortKey) {
	cols := in.Columns()
	groups := make([]expr.NamedExpr, len(cols))
	remap := map[expr.ColumnID]expr.Expr{}
	for i, c := range cols {
		id := b.qb.newID()
		groups[i] = expr.NamedExpr{ID: id, Name: c.Name, Expr: c.Ref()}
		remap[c.ID] = &expr.ColumnRef{ID: id, Name: c.Name, Type: c.Type}
	}
	out := make([]expr.SortKey, len(keys))
	for i, k := range keys {
		out[i] = expr.SortKey{Expr: expr.Substitute(k.Expr, remap), Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return &logical.Aggregate{Input: in, Groups: groups}, out
}

// applyLimit puts LIMIT/OFFSET on b.cur.
func (b *blockBinder) applyLimit(q *parse.Select) error {
	if q.Limit == nil && q.Offset == nil {
		return nil
	}
	count, err := b.limitValue(q.Limit, "LIMIT")
	if err != nil {
		return err
	}
	offset, err := b.limitValue(q.Offset, "OFFSET")
	if err != nil {
		return err
	}
	if offset < 0 {
		offset = 0
	}
	if count < 0 && offset == 0 {
		return nil
	}
	b.cur = &logical.Limit{Input: b.cur, Count: count, Offset: offset}
	return nil
}

// limitValue evaluates a LIMIT or OFFSET: an integer constant or a parameter; -1 for none.
func (b *blockBinder) limitValue(e parse.Expr, what string) (int64, error) {
	if e == nil {
		return -1, nil
	}
	if p, ok := e.(*parse.Param); ok {
		if b.qb.opts.Params == nil {
			return -1, nil // preparing: the value does not change the result schema
		}
		if p.Index < 1 || p.Index > len(b.qb.opts.Params) {
			return 0, b.invalid(p.Pos, "parameter $%d of %s has no value", p.Index, what)
		}
		lit, err := paramLiteral(b.qb.opts.Params[p.Index-1], expr.Int64, b.qb.opts.Fold)
		if err != nil {
			return 0, b.invalid(p.Pos, "%s parameter: %v", what, err)
		}
		return limitFromLiteral(b, lit, what, p.Pos)
	}
	v, err := b.bindExpr(e, clauseLimit)
	if err != nil {
		return 0, err
	}
	c, err := b.coerce(v, expr.Int64, e.Position())
	if err != nil {
		return 0, err
	}
	lit, ok := c.(*expr.Literal)
	if !ok {
		return 0, b.invalid(e.Position(), "%s must be a constant", what)
	}
	return limitFromLiteral(b, lit, what, e.Position())
}

func limitFromLiteral(b *blockBinder, lit *expr.Literal, what string, pos int) (int64, error) {
	if lit.Value == nil {
		return -1, nil
	}
	n := lit.Value.(int64)
	if n < 0 {
		return 0, b.invalid(pos, "%s must not be negative", what)
	}
	return n, nil
}

// orderOutputs applies ORDER BY and LIMIT of a VALUES list or set operation, whose keys can
// only name output columns (by position, name or an expression over them).
func (b *blockBinder) orderOutputs(node logical.Node, names []string, q *parse.Select) (logical.Node, []string, error) {
	cols := node.Columns()
	sc := &scope{outer: b.outer}
	for i, c := range cols {
		sc.cols = append(sc.cols, scopeColumn{name: names[i], col: c})
	}
	b.cur, b.scope = node, sc
	var keys []expr.SortKey
	for _, o := range q.OrderBy {
		if lit, ok := o.Expr.(*parse.IntegerLit); ok {
			k := int(lit.Value)
			if k < 1 || k > len(cols) {
				return nil, nil, b.invalid(lit.Pos, "ORDER BY position %d is not in select list", k)
			}
			keys = append(keys, sortKey(cols[k-1].Ref(), o))
			continue
		}
		e, err := b.bindExpr(o.Expr, clauseOrderBy)
		if err != nil {
			return nil, nil, err
		}
		if len(expr.Columns(e)) == 0 || !expr.ReferencesOnly(e, logical.IDSet(cols)) {
			return nil, nil, b.invalid(o.Expr.Position(), "ORDER BY on a UNION/INTERSECT/EXCEPT result must use result columns")
		}
		keys = append(keys, sortKey(e, o))
	}
	if len(keys) > 0 {
		b.cur = &logical.Sort{Input: b.cur, Keys: keys}
	}
	if err := b.applyLimit(q); err != nil {
		return nil, nil, err
	}
	return b.cur, names, nil
}
