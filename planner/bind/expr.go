package bind

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/parse"
)

// clause says where an expression appears: it decides whether aggregates, window functions
// and subqueries are allowed and how they are bound.
type clause int

const (
	clauseWhere clause = iota
	clauseSelect
	clauseGroupBy
	clauseHaving
	clauseOrderBy
	clauseOn
	clauseValues
	clausePolicy
	clauseLimit
	clauseAggregateArg
	clauseWindowArg
)

func (c clause) String() string {
	return [...]string{"WHERE", "SELECT", "GROUP BY", "HAVING", "ORDER BY", "JOIN conditions", "VALUES", "policies", "LIMIT", "aggregate arguments", "window definitions"}[c]
}

func (c clause) allowsAggregates() bool {
	return c == clauseSelect || c == clauseHaving || c == clauseOrderBy || c == clauseWindowArg
}

// bindExpr binds a scalar expression in the block's current scope.
func (b *blockBinder) bindExpr(e parse.Expr, cl clause) (expr.Expr, error) {
	switch x := e.(type) {
	case *parse.ColumnRef:
		col, err := b.resolveColumn(x)
		if err != nil {
			return nil, err
		}
		return col.Ref(), nil
	case *parse.IntegerLit:
		return integerLiteral(x.Value), nil
	case *parse.NumericLit:
		lit, err := numericLiteral(x.Text)
		if err != nil {
			return nil, b.invalid(x.Pos, "%v", err)
		}
		return lit, nil
	case *parse.StringLit:
		return expr.StringLit(x.Value), nil
	case *parse.BoolLit:
		return expr.BoolLit(x.Value), nil
	case *parse.NullLit:
		return expr.NullOf(expr.Null), nil
	case *parse.TypedLiteral:
		return b.bindTypedLiteral(x)
	case *parse.Param:
		if x.Index < 1 {
			return nil, b.invalid(x.Pos, "parameter $%d is invalid", x.Index)
		}
		return &expr.Param{Index: x.Index, Type: expr.Null}, nil
	case *parse.BinaryOp:
		return b.bindBinary(x, cl)
	case *parse.UnaryOp:
		arg, err := b.bindExpr(x.Operand, cl)
		if err != nil {
			return nil, err
		}
		if x.Op == "+" {
			return arg, nil
		}
		return b.call(x.Pos, expr.FnNeg, arg)
	case *parse.BoolExpr:
		return b.bindBool(x, cl)
	case *parse.IsNull:
		arg, err := b.bindExpr(x.Arg, cl)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return b.call(x.Pos, expr.FnIsNotNull, arg)
		}
		return b.call(x.Pos, expr.FnIsNull, arg)
	case *parse.IsBool:
		return b.bindIsBool(x, cl)
	case *parse.IsDistinct:
		l, r, err := b.bindPair(x.Left, x.Right, cl)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return b.call(x.Pos, expr.FnIsNotDistinctFrom, l, r)
		}
		return b.call(x.Pos, expr.FnIsDistinctFrom, l, r)
	case *parse.Between:
		return b.bindBetween(x, cl)
	case *parse.Like:
		return b.bindLike(x, cl)
	case *parse.RegexMatch:
		return nil, b.notSupported(x.Pos, "regular expression matching (~); use LIKE")
	case *parse.InList:
		return b.bindInList(x, cl)
	case *parse.Case:
		return b.bindCase(x, cl)
	case *parse.Cast:
		arg, err := b.bindExpr(x.Arg, cl)
		if err != nil {
			return nil, err
		}
		t, err := b.typeOf(x.Type, arg.DataType())
		if err != nil {
			return nil, err
		}
		return expr.CastTo(arg, t), nil
	case *parse.FuncCall:
		return b.bindFunc(x, cl)
	case *parse.ScalarSubquery:
		return b.bindScalarSubquery(x, cl)
	case *parse.Exists:
		return b.bindMarkSubquery(nil, x.Query, "", false, cl, x.Pos)
	case *parse.InSubquery:
		m, err := b.bindMarkSubquery(x.Arg, x.Query, "=", false, cl, x.Pos)
		if err != nil || !x.Not {
			return m, err
		}
		return b.call(x.Pos, expr.FnNot, m)
	case *parse.Quantified:
		if x.Query == nil {
			return b.bindQuantifiedArray(x, cl)
		}
		return b.bindMarkSubquery(x.Arg, x.Query, x.Op, x.Kind == parse.QuantAll, cl, x.Pos)
	case *parse.ArrayLit:
		return nil, b.notSupported(x.Pos, "array constructors")
	case *parse.RowExpr:
		return nil, b.notSupported(x.Pos, "row constructors outside comparisons and IN")
	}
	return nil, b.notSupported(e.Position(), "expression %T", e)
}

// call resolves a function call and types it, naming the SQL position on errors.
func (b *blockBinder) call(pos int, name string, args ...expr.Expr) (expr.Expr, error) {
	e, err := expr.ResolveCall(name, args)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "%v%s", err, b.where(pos))
	}
	return e, nil
}

func (b *blockBinder) bindPair(l, r parse.Expr, cl clause) (expr.Expr, expr.Expr, error) {
	le, err := b.bindExpr(l, cl)
	if err != nil {
		return nil, nil, err
	}
	re, err := b.bindExpr(r, cl)
	if err != nil {
		return nil, nil, err
	}
	return le, re, nil
}

var binaryFuncs = map[string]string{
	"+": expr.FnAdd, "-": expr.FnSub, "*": expr.FnMul, "/": expr.FnDiv, "%": expr.FnMod,
	"=": expr.FnEq, "<>": expr.FnNotEq, "<": expr.FnLt, "<=": expr.FnLtEq, ">": expr.FnGt, ">=": expr.FnGtEq,
	"||": expr.FnConcatOp, "^": "power",
}

func (b *blockBinder) bindBinary(x *parse.BinaryOp, cl clause) (expr.Expr, error) {
	fn, ok := binaryFuncs[x.Op]
	if !ok {
		return nil, b.notSupported(x.Pos, "operator %s", x.Op)
	}
	if row, ok := x.Left.(*parse.RowExpr); ok {
		return b.bindRowComparison(x.Op, row, x.Right, cl, x.Pos)
	}
	l, r, err := b.bindPair(x.Left, x.Right, cl)
	if err != nil {
		return nil, err
	}
	return b.call(x.Pos, fn, l, r)
}

func (b *blockBinder) bindBool(x *parse.BoolExpr, cl clause) (expr.Expr, error) {
	args := make([]expr.Expr, len(x.Args))
	for i, a := range x.Args {
		e, err := b.bindExpr(a, cl)
		if err != nil {
			return nil, err
		}
		if e, err = b.asBool(e, a.Position(), x.Op.String()); err != nil {
			return nil, err
		}
		args[i] = e
	}
	switch x.Op {
	case parse.BoolNot:
		return b.call(x.Pos, expr.FnNot, args[0])
	case parse.BoolAnd:
		return expr.And(args...), nil
	}
	out := args[0]
	for _, a := range args[1:] {
		out = &expr.Call{Func: expr.FnOr, Args: []expr.Expr{out, a}, Type: expr.Bool}
	}
	return out, nil
}

// asBool checks that e is boolean (an untyped string literal or NULL is cast).
func (b *blockBinder) asBool(e expr.Expr, pos int, where string) (expr.Expr, error) {
	t := e.DataType()
	switch {
	case t.ID() == arrow.BOOL:
		return e, nil
	case expr.IsNull(t):
		return expr.CastTo(e, expr.Bool), nil
	}
	if l, ok := e.(*expr.Literal); ok && expr.IsString(l.Type) {
		return b.foldCast(e, expr.Bool, pos)
	}
	return nil, b.invalid(pos, "argument of %s must be boolean, not %s", where, expr.SQLTypeName(t))
}

func (b *blockBinder) bindIsBool(x *parse.IsBool, cl clause) (expr.Expr, error) {
	arg, err := b.bindExpr(x.Arg, cl)
	if err != nil {
		return nil, err
	}
	if arg, err = b.asBool(arg, x.Pos, "IS "+x.Value.String()); err != nil {
		return nil, err
	}
	var out expr.Expr
	switch x.Value {
	case parse.TruthUnknown:
		out, err = b.call(x.Pos, expr.FnIsNull, arg)
	case parse.TruthTrue:
		out, err = b.call(x.Pos, expr.FnIsNotDistinctFrom, arg, expr.BoolLit(true))
	default:
		out, err = b.call(x.Pos, expr.FnIsNotDistinctFrom, arg, expr.BoolLit(false))
	}
	if err != nil || !x.Not {
		return out, err
	}
	return b.call(x.Pos, expr.FnNot, out)
}

func (b *blockBinder) bindBetween(x *parse.Between, cl clause) (expr.Expr, error) {
	arg, err := b.bindExpr(x.Arg, cl)
	if err != nil {
		return nil, err
	}
	lo, hi, err := b.bindPair(x.Low, x.High, cl)
	if err != nil {
		return nil, err
	}
	ge, err := b.call(x.Pos, expr.FnGtEq, arg, lo)
	if err != nil {
		return nil, err
	}
	le, err := b.call(x.Pos, expr.FnLtEq, arg, hi)
	if err != nil {
		return nil, err
	}
	out := expr.And(ge, le)
	if x.Symmetric {
		ge2, err := b.call(x.Pos, expr.FnGtEq, arg, hi)
		if err != nil {
			return nil, err
		}
		le2, err := b.call(x.Pos, expr.FnLtEq, arg, lo)
		if err != nil {
			return nil, err
		}
		out = &expr.Call{Func: expr.FnOr, Args: []expr.Expr{out, expr.And(ge2, le2)}, Type: expr.Bool}
	}
	if x.Not {
		return b.call(x.Pos, expr.FnNot, out)
	}
	return out, nil
}

func (b *blockBinder) bindLike(x *parse.Like, cl clause) (expr.Expr, error) {
	arg, pat, err := b.bindPair(x.Arg, x.Pattern, cl)
	if err != nil {
		return nil, err
	}
	args := []expr.Expr{arg, pat}
	if x.Escape != nil {
		esc, err := b.bindExpr(x.Escape, cl)
		if err != nil {
			return nil, err
		}
		args = append(args, esc)
	}
	fn := expr.FnLike
	if x.CaseInsensitive {
		fn = expr.FnILike
	}
	out, err := b.call(x.Pos, fn, args...)
	if err != nil || !x.Not {
		return out, err
	}
	return b.call(x.Pos, expr.FnNot, out)
}

func (b *blockBinder) bindInList(x *parse.InList, cl clause) (expr.Expr, error) {
	if row, ok := x.Arg.(*parse.RowExpr); ok {
		// (a, b) IN ((1, 2), (3, 4)) is (a, b) = (1, 2) OR (a, b) = (3, 4).
		var out expr.Expr
		for _, item := range x.List {
			eq, err := b.bindRowComparison("=", row, item, cl, x.Pos)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = eq
			} else if out, err = b.call(x.Pos, expr.FnOr, out, eq); err != nil {
				return nil, err
			}
		}
		if x.Not {
			return b.call(x.Pos, expr.FnNot, out)
		}
		return out, nil
	}
	arg, err := b.bindExpr(x.Arg, cl)
	if err != nil {
		return nil, err
	}
	all := []expr.Expr{arg}
	for _, item := range x.List {
		e, err := b.bindExpr(item, cl)
		if err != nil {
			return nil, err
		}
		all = append(all, e)
	}
	t, err := expr.CommonTypeOf(all)
	if err != nil {
		return nil, b.invalid(x.Pos, "IN list: %v", err)
	}
	for i := range all {
		if all[i], err = b.coerce(all[i], t, x.Pos); err != nil {
			return nil, err
		}
	}
	return &expr.InList{Arg: all[0], List: all[1:], Negated: x.Not}, nil
}

func (b *blockBinder) bindCase(x *parse.Case, cl clause) (expr.Expr, error) {
	var operand expr.Expr
	var err error
	if x.Operand != nil {
		if operand, err = b.bindExpr(x.Operand, cl); err != nil {
			return nil, err
		}
	}
	whens := make([]expr.When, len(x.Whens))
	results := make([]expr.Expr, 0, len(x.Whens)+1)
	for i, w := range x.Whens {
		cond, err := b.bindExpr(w.Cond, cl)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			if cond, err = b.call(w.Cond.Position(), expr.FnEq, operand, cond); err != nil {
				return nil, err
			}
		} else if cond, err = b.asBool(cond, w.Cond.Position(), "CASE/WHEN"); err != nil {
			return nil, err
		}
		res, err := b.bindExpr(w.Result, cl)
		if err != nil {
			return nil, err
		}
		whens[i] = expr.When{Cond: cond, Result: res}
		results = append(results, res)
	}
	var els expr.Expr
	if x.Else != nil {
		if els, err = b.bindExpr(x.Else, cl); err != nil {
			return nil, err
		}
		results = append(results, els)
	}
	t, err := expr.CommonTypeOf(results)
	if err != nil {
		return nil, b.invalid(x.Pos, "CASE results: %v", err)
	}
	if expr.IsNull(t) {
		t = expr.String
	}
	for i := range whens {
		if whens[i].Result, err = b.coerce(whens[i].Result, t, x.Pos); err != nil {
			return nil, err
		}
	}
	if els != nil {
		if els, err = b.coerce(els, t, x.Pos); err != nil {
			return nil, err
		}
	}
	return &expr.Case{Whens: whens, Else: els, Type: t}, nil
}

// coerce casts e to t; a constant is converted at once so a bad literal is reported here
// (with its position) instead of at run time.
func (b *blockBinder) coerce(e expr.Expr, t arrow.DataType, pos int) (expr.Expr, error) {
	if arrow.TypeEqual(e.DataType(), t) {
		return e, nil
	}
	if _, ok := e.(*expr.Literal); ok {
		return b.foldCast(e, t, pos)
	}
	return expr.CastTo(e, t), nil
}

func (b *blockBinder) foldCast(e expr.Expr, t arrow.DataType, pos int) (expr.Expr, error) {
	c := expr.CastTo(e, t)
	if _, ok := c.(*expr.Literal); ok || b.qb.opts.Fold == nil {
		return c, nil
	}
	lit, err := b.qb.opts.Fold(c)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "%v%s", err, b.where(pos))
	}
	return lit, nil
}

func (b *blockBinder) bindTypedLiteral(x *parse.TypedLiteral) (expr.Expr, error) {
	if x.Type.Name == parse.TypeInterval {
		iv, err := intervalLiteral(x.Value, x.Type.IntervalFields)
		if err != nil {
			return nil, b.invalid(x.Pos, "%v", err)
		}
		return expr.Lit(expr.Interval, iv), nil
	}
	t, err := b.typeOf(x.Type, nil)
	if err != nil {
		return nil, err
	}
	return b.foldCast(expr.StringLit(x.Value), t, x.Pos)
}

// principalFunctions are the functions row filters and masks may call to read the caller.
var principalFunctions = map[string]bool{"current_user": true, "has_role": true, "in_group": true, "principal_attr": true}

func (b *blockBinder) bindFunc(x *parse.FuncCall, cl clause) (expr.Expr, error) {
	name := strings.Join(x.Name, ".")
	if len(x.Name) > 1 {
		return nil, b.notSupported(x.Pos, "schema-qualified function %s", name)
	}
	if x.WithinGroup {
		return nil, b.notSupported(x.Pos, "ordered-set aggregate %s WITHIN GROUP", name)
	}
	switch name {
	case "current_date":
		return expr.DateLit(arrow.Date32FromTime(b.qb.opts.Now.UTC())), nil
	case "current_timestamp", "now":
		return expr.Lit(expr.TimestampTZ, arrow.Timestamp(b.qb.opts.Now.UnixMicro())), nil
	case "localtimestamp":
		return expr.Lit(expr.Timestamp, arrow.Timestamp(b.qb.opts.Now.UTC().UnixMicro())), nil
	case "current_catalog":
		return expr.StringLit(b.qb.opts.CatalogName), nil
	case "current_schema":
		return expr.StringLit(b.qb.opts.DefaultSchema), nil
	case "if":
		if len(x.Args) != 3 {
			return nil, b.invalid(x.Pos, "if(condition, then, else) takes 3 arguments")
		}
		return b.bindCase(&parse.Case{Whens: []parse.WhenClause{{Cond: x.Args[0], Result: x.Args[1]}}, Else: x.Args[2], Pos: x.Pos}, cl)
	case "timezone":
		return nil, b.notSupported(x.Pos, "AT TIME ZONE (the session time zone is UTC)")
	case "current_time", "localtime":
		return nil, b.notSupported(x.Pos, "the time type (%s)", name)
	}
	if principalFunctions[name] {
		return b.bindPrincipalFunc(x, name, cl)
	}
	f, ok := expr.Lookup(name)
	if !ok {
		return nil, b.unknownFunction(x.Pos, name)
	}
	if x.Over != nil {
		return b.bindWindowCall(x, f, cl)
	}
	if f.Kind == expr.Window {
		return nil, b.invalid(x.Pos, "window function %s requires an OVER clause", name)
	}
	if f.Kind == expr.Aggregate {
		return b.bindAggregateCall(x, f, cl)
	}
	if x.Star || x.Distinct || x.Filter != nil || len(x.OrderBy) > 0 {
		return nil, b.invalid(x.Pos, "%s is not an aggregate function; DISTINCT, FILTER and ORDER BY apply to aggregates only", name)
	}
	args := make([]expr.Expr, len(x.Args))
	for i, a := range x.Args {
		e, err := b.bindExpr(a, cl)
		if err != nil {
			return nil, err
		}
		if (f.Name == "concat" || f.Name == "concat_ws") && e.DataType().ID() == arrow.BOOL {
			// concat formats its arguments with their output functions: a boolean is t or
			// f there, unlike CAST(b AS text), which gives true or false.
			e = &expr.Case{Whens: []expr.When{{Cond: e, Result: expr.StringLit("t")}, {Cond: &expr.Call{Func: expr.FnNot, Args: []expr.Expr{e}, Type: expr.Bool}, Result: expr.StringLit("f")}}, Else: expr.NullOf(expr.String), Type: expr.String}
		}
		args[i] = e
	}
	return b.call(x.Pos, f.Name, args...)
}

func (b *blockBinder) unknownFunction(pos int, name string) error {
	msg := "function " + name + " does not exist"
	candidates := expr.Names()
	for n := range principalFunctions {
		candidates = append(candidates, n)
	}
	if s := catalog.Closest(name, candidates, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	}
	return errs.New(errs.KindNotFound, "%s%s", msg, b.where(pos))
}

// bindPrincipalFunc folds the caller functions to constants. They are available everywhere:
// in policies they are the point, in queries they let users see who they are.
func (b *blockBinder) bindPrincipalFunc(x *parse.FuncCall, name string, cl clause) (expr.Expr, error) {
	p := b.qb.opts.Principal
	if name == "current_user" {
		if len(x.Args) != 0 {
			return nil, b.invalid(x.Pos, "current_user() takes no arguments")
		}
		return expr.StringLit(p.User), nil
	}
	if len(x.Args) != 1 {
		return nil, b.invalid(x.Pos, "%s('name') takes one constant argument", name)
	}
	arg, ok := x.Args[0].(*parse.StringLit)
	if !ok {
		return nil, b.invalid(x.Pos, "%s('name') takes one constant string argument", name)
	}
	switch name {
	case "has_role":
		return expr.BoolLit(p.HasRole(arg.Value)), nil
	case "in_group":
		return expr.BoolLit(p.InGroup(arg.Value)), nil
	}
	if v, ok := p.Attr(arg.Value); ok {
		return expr.StringLit(v), nil
	}
	return expr.NullOf(expr.String), nil
}

// bindRowComparison binds `(l1, l2, …) op (r1, r2, …)` the way PostgreSQL compares rows:
// = and <> pairwise (AND, OR); < <= > >= lexicographically, deciding at the first pair that
// is not equal, where a NULL pair makes the result NULL.
func (b *blockBinder) bindRowComparison(op string, left *parse.RowExpr, rightAST parse.Expr, cl clause, pos int) (expr.Expr, error) {
	right, ok := rightAST.(*parse.RowExpr)
	if !ok {
		return nil, b.notSupported(pos, "comparing a row constructor with a value that is not one")
	}
	if len(left.Elems) != len(right.Elems) {
		return nil, b.invalid(pos, "unequal number of entries in row expressions")
	}
	fn, ok := comparisonFuncs[op]
	if !ok {
		return nil, b.notSupported(pos, "operator %s on row constructors", op)
	}
	n := len(left.Elems)
	ls, rs := make([]expr.Expr, n), make([]expr.Expr, n)
	for i := range n {
		var err error
		if ls[i], rs[i], err = b.bindPair(left.Elems[i], right.Elems[i], cl); err != nil {
			return nil, err
		}
	}
	cmp := func(f string, i int) (expr.Expr, error) { return b.call(pos, f, ls[i], rs[i]) }
	switch fn {
	case expr.FnEq, expr.FnNotEq:
		join := expr.FnAnd
		if fn == expr.FnNotEq {
			join = expr.FnOr
		}
		var out expr.Expr
		for i := range n {
			c, err := cmp(fn, i)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = c
			} else if out, err = b.call(pos, join, out, c); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// (a1, a2) < (b1, b2) is a1 < b1 OR (a1 = b1 AND a2 < b2); the last pair uses op itself
	// (<= includes equality), the earlier ones its strict form.
	strict := map[string]string{expr.FnLt: expr.FnLt, expr.FnLtEq: expr.FnLt, expr.FnGt: expr.FnGt, expr.FnGtEq: expr.FnGt}[fn]
	out, err := cmp(fn, n-1)
	if err != nil {
		return nil, err
	}
	for i := n - 2; i >= 0; i-- {
		s, err := cmp(strict, i)
		if err != nil {
			return nil, err
		}
		eq, err := cmp(expr.FnEq, i)
		if err != nil {
			return nil, err
		}
		if out, err = b.call(pos, expr.FnAnd, eq, out); err != nil {
			return nil, err
		}
		if out, err = b.call(pos, expr.FnOr, s, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
