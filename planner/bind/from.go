package bind

import (
	"fmt"
	"strings"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// cteScope holds the WITH definitions visible to a block.
type cteScope struct {
	defs   []*cteDef
	parent *cteScope
}

type cteDef struct {
	name    string
	columns []string
	query   *parse.Select
	// visible are the CTEs the definition itself may reference: the earlier ones.
	visible *cteScope
}

func (c *cteScope) lookup(name string) *cteDef {
	for s := c; s != nil; s = s.parent {
		for i := len(s.defs) - 1; i >= 0; i-- {
			if s.defs[i].name == name {
				return s.defs[i]
			}
		}
	}
	return nil
}

// with returns the scope extended by a WITH clause; each CTE sees the ones before it.
func (c *cteScope) with(w *parse.With) *cteScope {
	out := &cteScope{parent: c}
	for _, def := range w.CTEs {
		visible := &cteScope{defs: append([]*cteDef(nil), out.defs...), parent: c}
		out.defs = append(out.defs, &cteDef{name: def.Name, columns: def.ColumnAliases, query: def.Query, visible: visible})
	}
	return out
}

// bindFromList binds the FROM clause; several items are cross-joined (the optimizer turns
// WHERE conditions into join conditions).
func (b *blockBinder) bindFromList(items []parse.TableExpr) (logical.Node, []scopeColumn, error) {
	if len(items) == 0 {
		// SELECT without FROM reads one row with no columns.
		return &logical.Values{Rows: [][]expr.Expr{{}}}, nil, nil
	}
	var node logical.Node
	var cols []scopeColumn
	for _, it := range items {
		n, c, err := b.bindFromItem(it)
		if err != nil {
			return nil, nil, err
		}
		if err := checkDuplicateAliases(b, cols, c, it.Position()); err != nil {
			return nil, nil, err
		}
		if node == nil {
			node, cols = n, c
			continue
		}
		node = &logical.Join{Left: node, Right: n, Kind: expr.CrossJoin}
		cols = append(cols, c...)
	}
	return node, cols, nil
}

func checkDuplicateAliases(b *blockBinder, have, add []scopeColumn, pos int) error {
	names := map[string]bool{}
	for _, c := range have {
		if c.qualifier != "" {
			names[c.domain+"."+c.qualifier] = true
		}
	}
	for _, c := range add {
		if c.qualifier != "" && names[c.domain+"."+c.qualifier] {
			return b.invalid(pos, "table name %q specified more than once; give one of them an alias", c.qualifier)
		}
	}
	return nil
}

func (b *blockBinder) bindFromItem(it parse.TableExpr) (logical.Node, []scopeColumn, error) {
	switch x := it.(type) {
	case *parse.TableName:
		return b.bindTableName(x)
	case *parse.SubqueryTable:
		if x.Lateral {
			return nil, nil, b.notSupported(x.Pos, "LATERAL subqueries")
		}
		node, names, err := b.qb.newBlock(nil, b.ctes).bindQuery(x.Query)
		if err != nil {
			return nil, nil, err
		}
		qual := ""
		if x.Alias != nil {
			qual = x.Alias.Name
		}
		cols, err := b.aliasColumns(node, names, qual, x.Alias, x.Pos)
		return node, cols, err
	case *parse.JoinTable:
		return b.bindJoin(x)
	}
	return nil, nil, b.notSupported(it.Position(), "FROM item %T", it)
}

// aliasColumns makes the scope entries of a relation with output names, applying column
// aliases.
func (b *blockBinder) aliasColumns(node logical.Node, names []string, qualifier string, alias *parse.Alias, pos int) ([]scopeColumn, error) {
	cols := node.Columns()
	if alias != nil && len(alias.Columns) > len(cols) {
		return nil, b.invalid(pos, "table %q has %d columns available but %d columns specified", qualifier, len(cols), len(alias.Columns))
	}
	out := make([]scopeColumn, len(cols))
	for i, c := range cols {
		name := names[i]
		if alias != nil && i < len(alias.Columns) {
			name = alias.Columns[i]
		}
		out[i] = scopeColumn{qualifier: qualifier, name: name, col: logical.Column{ID: c.ID, Name: name, Type: c.Type, Nullable: c.Nullable}}
	}
	return out, nil
}

func (b *blockBinder) bindTableName(t *parse.TableName) (logical.Node, []scopeColumn, error) {
	if len(t.Parts) == 1 {
		if def := b.ctes.lookup(t.Parts[0]); def != nil {
			return b.bindCTE(def, t)
		}
	}
	var domain, name string
	switch len(t.Parts) {
	case 1:
		if b.qb.opts.DefaultSchema == "" {
			return nil, nil, errs.New(errs.KindNotFound, "dataset %s needs its domain: write domain.%s (or set a default schema for the session)%s", t.Parts[0], t.Parts[0], b.where(t.Pos))
		}
		domain, name = b.qb.opts.DefaultSchema, t.Parts[0]
	case 2:
		domain, name = t.Parts[0], t.Parts[1]
	case 3:
		if t.Parts[0] != b.qb.opts.CatalogName {
			return nil, nil, errs.New(errs.KindNotFound, "catalog %q does not exist; this mesh is %q%s", t.Parts[0], b.qb.opts.CatalogName, b.where(t.Pos))
		}
		domain, name = t.Parts[1], t.Parts[2]
	default:
		return nil, nil, b.invalid(t.Pos, "improper qualified name %s", strings.Join(t.Parts, "."))
	}
	ds, err := b.qb.opts.Catalog.Dataset(domain, name)
	if err != nil {
		var e *errs.Error
		if errorsAs(err, &e) {
			return nil, nil, &errs.Error{Kind: e.Kind, Msg: e.Msg + b.where(t.Pos), Cause: e.Cause}
		}
		return nil, nil, err
	}
	qualifier := ds.Name
	if t.Alias != nil {
		qualifier = t.Alias.Name
	}
	node, cols, err := b.bindDataset(ds, qualifier, t.Pos)
	if err != nil {
		return nil, nil, err
	}
	if t.Alias != nil {
		if len(t.Alias.Columns) > len(cols) {
			return nil, nil, b.invalid(t.Pos, "table %q has %d columns available but %d columns specified", qualifier, len(cols), len(t.Alias.Columns))
		}
		for i, a := range t.Alias.Columns {
			cols[i].name = a
			cols[i].col.Name = a
		}
		// With an alias, the dataset is no longer addressable by its own name (as in SQL).
		for i := range cols {
			cols[i].domain = ""
		}
	}
	return node, cols, nil
}

func (b *blockBinder) bindCTE(def *cteDef, t *parse.TableName) (logical.Node, []scopeColumn, error) {
	node, names, err := b.qb.newBlock(nil, def.visible).bindQuery(def.query)
	if err != nil {
		return nil, nil, err
	}
	if len(def.columns) > 0 {
		if len(def.columns) > len(names) {
			return nil, nil, b.invalid(t.Pos, "WITH query %q has %d columns available but %d columns specified", def.name, len(names), len(def.columns))
		}
		names = append(append([]string(nil), def.columns...), names[len(def.columns):]...)
	}
	qual := def.name
	if t.Alias != nil {
		qual = t.Alias.Name
	}
	cols, err := b.aliasColumns(node, names, qual, t.Alias, t.Pos)
	return node, cols, err
}

// bindDataset reads a dataset with the caller's governance applied right above the scan, in
// DESIGN.md §4's order: access check, row filters on raw values, then masks. Everything the
// query does happens above, on masked values.
func (b *blockBinder) bindDataset(ds *catalog.Dataset, qualifier string, pos int) (logical.Node, []scopeColumn, error) {
	opts := b.qb.opts
	acc := opts.Policies.Evaluate(opts.Principal, ds)
	if acc.Denied != nil {
		return nil, nil, errs.New(errs.KindPermissionDenied, "%v%s", acc.Denied, b.where(pos))
	}
	cols := make([]logical.Column, len(ds.Columns))
	ccols := make([]connectors.Column, len(ds.Columns))
	for i, c := range ds.Columns {
		id := b.qb.newID()
		cols[i] = logical.Column{ID: id, Name: c.Name, Type: c.Type, Nullable: c.Nullable()}
		ccols[i] = connectors.Column{ID: id, Name: c.Name, Type: c.Type}
	}
	src, err := opts.Catalog.OpenSource(b.qb.ctx, ds)
	if err != nil {
		return nil, nil, err
	}
	handle, err := src.OpenTable(b.qb.ctx, ds.Object, ccols)
	if err != nil {
		return nil, nil, errs.Wrap(errs.KindOf(err), err, "dataset %s", ds.QualifiedName())
	}
	governed := len(acc.RowFilters) > 0 || len(acc.Masks) > 0
	var node logical.Node = &logical.Scan{Dataset: ds.QualifiedName(), Source: ds.Domain + "/" + ds.Source, Handle: handle, Cols: cols, Governed: governed}

	use := b.qb.use(ds.QualifiedName())
	if !containsString(use.Refs, ds.Ref()) {
		use.Refs = append(use.Refs, ds.Ref())
	}
	raw := &scope{}
	for i, c := range cols {
		raw.cols = append(raw.cols, scopeColumn{qualifier: ds.Name, domain: ds.Domain, name: ds.Columns[i].Name, col: c})
	}
	if len(acc.RowFilters) > 0 {
		var preds []expr.Expr
		var ids []string
		for _, rf := range acc.RowFilters {
			var p expr.Expr
			node, p, err = b.bindPolicyExpr(node, raw, rf.Predicate, "row filter "+rf.PolicyID)
			if err != nil {
				return nil, nil, err
			}
			if p, err = b.asBool(p, -1, "row filter "+rf.PolicyID); err != nil {
				return nil, nil, err
			}
			preds = append(preds, p)
			ids = append(ids, rf.PolicyID)
			use.Policies = append(use.Policies, rf.PolicyID)
		}
		node = &logical.Filter{Input: node, Pred: expr.And(preds...), Policies: ids}
	}
	visible := append([]logical.Column(nil), cols...)
	if len(acc.Masks) > 0 {
		exprs := make([]expr.NamedExpr, len(cols))
		var ids []string
		for i, c := range cols {
			exprs[i] = expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()}
			m, ok := acc.Masks[c.Name]
			if !ok {
				continue
			}
			me, err := b.maskExpr(node, raw, c, m)
			if err != nil {
				return nil, nil, err
			}
			id := b.qb.newID()
			exprs[i] = expr.NamedExpr{ID: id, Name: c.Name, Expr: me}
			visible[i] = logical.Column{ID: id, Name: c.Name, Type: me.DataType(), Nullable: true}
			if !containsString(ids, m.PolicyID) {
				ids = append(ids, m.PolicyID)
				use.Policies = append(use.Policies, m.PolicyID)
			}
		}
		node = &logical.Project{Input: node, Exprs: exprs, Policies: ids}
	}
	out := make([]scopeColumn, len(visible))
	for i, c := range visible {
		out[i] = scopeColumn{qualifier: qualifier, domain: ds.Domain, name: ds.Columns[i].Name, col: c, denied: acc.DeniedColumns[ds.Columns[i].Name], dataset: ds.QualifiedName()}
	}
	return node, out, nil
}

func (qb *queryBinder) use(dataset string) *DatasetUse {
	u, ok := qb.uses[dataset]
	if !ok {
		u = &DatasetUse{Dataset: dataset}
		qb.uses[dataset] = u
		qb.useOrder = append(qb.useOrder, dataset)
	}
	return u
}

// bindPolicyExpr binds a policy's SQL expression over a dataset's raw columns. The expression
// may call current_user(), has_role(), in_group() and principal_attr(), and may use subqueries
// (which join onto input). Errors name the policy, not the user's query.
func (b *blockBinder) bindPolicyExpr(input logical.Node, raw *scope, text, what string) (logical.Node, expr.Expr, error) {
	p, err := parse.Parse("SELECT " + text)
	if err != nil {
		return nil, nil, errs.Wrap(errs.KindFailedPrecondition, err, "%s cannot be parsed; fix the policy", what)
	}
	sel, ok := p.Stmt.(*parse.Select)
	if !ok || len(sel.Targets) != 1 || sel.Targets[0].Star || len(sel.From) > 0 {
		return nil, nil, errs.New(errs.KindFailedPrecondition, "%s must be one SQL expression; fix the policy", what)
	}
	if b.qb.policyDepth > maxPolicyDepth {
		return nil, nil, errs.New(errs.KindFailedPrecondition, "%s: policies reference each other's datasets more than %d levels deep", what, maxPolicyDepth)
	}
	pq := *b.qb
	pq.parsed = p
	pq.policyDepth++
	pb := &blockBinder{qb: &pq, scope: raw, cur: input}
	var e expr.Expr
	cond := sel.Targets[0].Expr
	if handled, err := pb.bindSubqueryConjunct(cond); err != nil {
		return nil, nil, errs.Wrap(errs.KindOf(err), err, "%s", what)
	} else if handled {
		e = expr.BoolLit(true)
	} else if e, err = pb.bindExpr(cond, clausePolicy); err != nil {
		return nil, nil, errs.Wrap(errs.KindOf(err), err, "%s", what)
	}
	return pb.cur, e, nil
}

const maxPolicyDepth = 4

func (b *blockBinder) maskExpr(input logical.Node, raw *scope, c logical.Column, m governanceMask) (expr.Expr, error) {
	spec := m.Spec
	what := fmt.Sprintf("mask %s on column %s", m.PolicyID, c.Name)
	switch spec.Kind {
	case "expression":
		_, e, err := b.bindPolicyExpr(input, raw, spec.Expression, what)
		if err != nil {
			return nil, err
		}
		if !expr.IsNull(e.DataType()) && !sameType(e.DataType(), c.Type) {
			// Type-preserving where the conversion cannot fail.
			if expr.IsLeakproof(&expr.Cast{Arg: e, Type: c.Type}) {
				e = expr.CastTo(e, c.Type)
			}
		}
		return e, nil
	case "constant":
		v, err := b.foldCast(expr.StringLit(spec.Value), c.Type, -1)
		if err != nil {
			return nil, errs.Wrap(errs.KindFailedPrecondition, err, "%s: the constant does not fit the column type %s", what, expr.SQLTypeName(c.Type))
		}
		lit, _ := v.(*expr.Literal)
		return &expr.Mask{Arg: c.Ref(), Kind: expr.MaskConstant, Constant: lit, Policy: m.PolicyID, Type: c.Type}, nil
	case "hash":
		return &expr.Mask{Arg: c.Ref(), Kind: expr.MaskHash, Key: m.Key, Policy: m.PolicyID, Type: expr.String}, nil
	case "date_trunc":
		if !expr.IsTemporal(c.Type) {
			return nil, errs.New(errs.KindFailedPrecondition, "%s: date_trunc masks need a date or timestamp column, not %s", what, expr.SQLTypeName(c.Type))
		}
	}
	return &expr.Mask{Arg: c.Ref(), Kind: expr.MaskKind(spec.Kind), N: spec.N, Unit: spec.Unit, Policy: m.PolicyID, Type: c.Type}, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bindJoin binds an explicit JOIN.
func (b *blockBinder) bindJoin(j *parse.JoinTable) (logical.Node, []scopeColumn, error) {
	left, lcols, err := b.bindFromItem(j.Left)
	if err != nil {
		return nil, nil, err
	}
	right, rcols, err := b.bindFromItem(j.Right)
	if err != nil {
		return nil, nil, err
	}
	if err := checkDuplicateAliases(b, lcols, rcols, j.Pos); err != nil {
		return nil, nil, err
	}
	kinds := map[parse.JoinKind]expr.JoinKind{parse.JoinInner: expr.InnerJoin, parse.JoinLeft: expr.LeftJoin, parse.JoinRight: expr.RightJoin, parse.JoinFull: expr.FullJoin, parse.JoinCross: expr.CrossJoin}
	kind := kinds[j.Kind]
	cols := append(append([]scopeColumn(nil), lcols...), rcols...)
	saved := b.scope
	b.scope = &scope{cols: cols, outer: b.outer}
	defer func() { b.scope = saved }()

	using := j.Using
	if j.Natural {
		for _, l := range lcols {
			for _, r := range rcols {
				if l.name == r.name && !l.hidden && !r.hidden && !containsString(using, l.name) {
					using = append(using, l.name)
				}
			}
		}
	}
	var on expr.Expr
	var node logical.Node
	if len(using) > 0 {
		var conds []expr.Expr
		var merged []expr.NamedExpr
		for _, name := range using {
			l, err := uniqueColumn(b, lcols, name, "left", j.Pos)
			if err != nil {
				return nil, nil, err
			}
			r, err := uniqueColumn(b, rcols, name, "right", j.Pos)
			if err != nil {
				return nil, nil, err
			}
			eq, err := b.call(j.Pos, expr.FnEq, l.col.Ref(), r.col.Ref())
			if err != nil {
				return nil, nil, err
			}
			conds = append(conds, eq)
			// The merged column is the left one, the right one for RIGHT JOIN, and their
			// COALESCE for FULL JOIN; the originals stay reachable by qualified name.
			switch kind {
			case expr.RightJoin:
				markHidden(cols, l.col.ID)
			case expr.FullJoin:
				co, err := b.call(j.Pos, "coalesce", l.col.Ref(), r.col.Ref())
				if err != nil {
					return nil, nil, err
				}
				id := b.qb.newID()
				merged = append(merged, expr.NamedExpr{ID: id, Name: name, Expr: co})
				markHidden(cols, l.col.ID)
				markHidden(cols, r.col.ID)
				cols = append([]scopeColumn{{name: name, col: logical.Column{ID: id, Name: name, Type: co.DataType(), Nullable: true}}}, cols...)
				continue
			default:
				markHidden(cols, r.col.ID)
			}
		}
		on = expr.And(conds...)
		if kind == expr.CrossJoin {
			kind = expr.InnerJoin
		}
		node = &logical.Join{Left: left, Right: right, Kind: kind, On: on}
		if len(merged) > 0 {
			exprs := append([]expr.NamedExpr(nil), merged...)
			for _, c := range node.Columns() {
				exprs = append(exprs, expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()})
			}
			node = &logical.Project{Input: node, Exprs: exprs}
		}
	} else {
		if j.On != nil {
			if containsSubquery(j.On) {
				return nil, nil, b.notSupported(j.On.Position(), "subqueries in JOIN … ON")
			}
			e, err := b.bindExpr(j.On, clauseOn)
			if err != nil {
				return nil, nil, err
			}
			if on, err = b.asBool(e, j.On.Position(), "JOIN/ON"); err != nil {
				return nil, nil, err
			}
		}
		node = &logical.Join{Left: left, Right: right, Kind: kind, On: on}
	}
	if j.Alias != nil {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		return b.aliasJoin(node, cols, j.Alias, j.Pos)
	}
	return node, cols, nil
}

// aliasJoin applies `(a JOIN b) AS j(x, y)`: the join's visible columns become j's.
func (b *blockBinder) aliasJoin(node logical.Node, cols []scopeColumn, alias *parse.Alias, pos int) (logical.Node, []scopeColumn, error) {
	var visible []scopeColumn
	for _, c := range cols {
		if !c.hidden {
			visible = append(visible, c)
		}
	}
	if len(alias.Columns) > len(visible) {
		return nil, nil, b.invalid(pos, "join %q has %d columns available but %d columns specified", alias.Name, len(visible), len(alias.Columns))
	}
	out := make([]scopeColumn, len(visible))
	for i, c := range visible {
		name := c.name
		if i < len(alias.Columns) {
			name = alias.Columns[i]
		}
		out[i] = scopeColumn{qualifier: alias.Name, name: name, col: c.col, denied: c.denied, dataset: c.dataset}
	}
	return node, out, nil
}

func uniqueColumn(b *blockBinder, cols []scopeColumn, name, side string, pos int) (scopeColumn, error) {
	var hit []scopeColumn
	for _, c := range cols {
		if c.name == name && !c.hidden {
			hit = append(hit, c)
		}
	}
	switch len(hit) {
	case 0:
		return scopeColumn{}, b.invalid(pos, "column %q specified in USING clause does not exist in %s table", name, side)
	case 1:
		if hit[0].denied != "" {
			return scopeColumn{}, errs.New(errs.KindPermissionDenied, "column %s of dataset %s is not accessible (policy %s)%s", name, hit[0].dataset, hit[0].denied, b.where(pos))
		}
		return hit[0], nil
	}
	return scopeColumn{}, b.invalid(pos, "common column name %q appears more than once in %s table", name, side)
}

func markHidden(cols []scopeColumn, id expr.ColumnID) {
	for i := range cols {
		if cols[i].col.ID == id {
			cols[i].hidden = true
		}
	}
}

func containsSubquery(e parse.Expr) bool {
	found := false
	walkParse(e, func(n parse.Expr) bool {
		switch n.(type) {
		case *parse.ScalarSubquery, *parse.Exists, *parse.InSubquery:
			found = true
		case *parse.Quantified:
			found = n.(*parse.Quantified).Query != nil
		}
		return !found
	})
	return found
}
