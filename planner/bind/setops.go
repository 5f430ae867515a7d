package bind

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// bindSetOp binds UNION/INTERSECT/EXCEPT: both operands are coerced to common column types
// and the result gets new columns named after the left operand's.
func (b *blockBinder) bindSetOp(op *parse.SetOperation) (logical.Node, []string, error) {
	left, names, err := b.sibling().bindQuery(op.Left)
	if err != nil {
		return nil, nil, err
	}
	right, _, err := b.sibling().bindQuery(op.Right)
	if err != nil {
		return nil, nil, err
	}
	lc, rc := left.Columns(), right.Columns()
	if len(lc) != len(rc) {
		return nil, nil, b.invalid(op.Left.Pos, "each %s query must have the same number of columns (%d and %d)", op.Op, len(lc), len(rc))
	}
	types := make([]arrow.DataType, len(lc))
	for i := range lc {
		t, err := expr.CommonType(lc[i].Type, rc[i].Type)
		if err != nil {
			return nil, nil, b.invalid(op.Left.Pos, "%s column %d: %v", op.Op, i+1, err)
		}
		if expr.IsNull(t) {
			t = expr.String
		}
		types[i] = t
	}
	kinds := map[parse.SetOpKind]logical.SetOpKind{parse.SetUnion: logical.Union, parse.SetIntersect: logical.Intersect, parse.SetExcept: logical.Except}
	cols := make([]logical.Column, len(lc))
	for i := range lc {
		cols[i] = logical.Column{ID: b.qb.newID(), Name: names[i], Type: types[i], Nullable: true}
	}
	node := &logical.SetOp{Kind: kinds[op.Op], All: op.All, Inputs: []logical.Node{castColumns(b, left, types), castColumns(b, right, types)}, Cols: cols}
	return node, names, nil
}

// castColumns projects n so its columns have the given types.
func castColumns(b *blockBinder, n logical.Node, types []arrow.DataType) logical.Node {
	cols := n.Columns()
	same := true
	for i, c := range cols {
		same = same && arrow.TypeEqual(c.Type, types[i])
	}
	if same {
		return n
	}
	exprs := make([]expr.NamedExpr, len(cols))
	for i, c := range cols {
		if arrow.TypeEqual(c.Type, types[i]) {
			exprs[i] = expr.NamedExpr{ID: c.ID, Name: c.Name, Expr: c.Ref()}
			continue
		}
		exprs[i] = expr.NamedExpr{ID: b.qb.newID(), Name: c.Name, Expr: expr.CastTo(c.Ref(), types[i])}
	}
	return &logical.Project{Input: n, Exprs: exprs}
}

// bindValues binds a VALUES list; each column gets the common type of its rows.
func (b *blockBinder) bindValues(rows [][]parse.Expr, pos int) (logical.Node, []string, error) {
	if b.scope == nil {
		b.scope = &scope{outer: b.outer}
	}
	bound := make([][]expr.Expr, len(rows))
	for i, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, nil, b.invalid(pos, "VALUES lists must all be the same length")
		}
		bound[i] = make([]expr.Expr, len(r))
		for j, e := range r {
			if containsSubquery(e) {
				return nil, nil, b.notSupported(e.Position(), "subqueries in VALUES")
			}
			v, err := b.bindExpr(e, clauseValues)
			if err != nil {
				return nil, nil, err
			}
			bound[i][j] = v
		}
	}
	n := len(rows[0])
	cols := make([]logical.Column, n)
	names := make([]string, n)
	for j := 0; j < n; j++ {
		column := make([]expr.Expr, len(bound))
		for i := range bound {
			column[i] = bound[i][j]
		}
		t, err := expr.CommonTypeOf(column)
		if err != nil {
			return nil, nil, b.invalid(pos, "VALUES column %d: %v", j+1, err)
		}
		if expr.IsNull(t) {
			t = expr.String
		}
		for i := range bound {
			if bound[i][j], err = b.coerce(bound[i][j], t, pos); err != nil {
				return nil, nil, err
			}
		}
		names[j] = fmt.Sprintf("column%d", j+1)
		cols[j] = logical.Column{ID: b.qb.newID(), Name: names[j], Type: t, Nullable: true}
	}
	return &logical.Values{Cols: cols, Rows: bound}, names, nil
}
