package parse

import (
	"math/big"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// binaryOperators are the infix operators BinaryOp carries; the binder knows each of them.
var binaryOperators = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "^": true, "||": true,
	"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
}

// comparisonOperators may be quantified with ANY/ALL.
var comparisonOperators = map[string]bool{
	"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true,
}

func (c *converter) optionalExpr(node *pg_query.Node) (Expr, error) {
	if node == nil {
		return nil, nil
	}
	return c.expr(node)
}

func (c *converter) exprs(nodes []*pg_query.Node) ([]Expr, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	out := make([]Expr, 0, len(nodes))
	for _, n := range nodes {
		e, err := c.expr(n)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *converter) expr(node *pg_query.Node) (Expr, error) {
	switch n := node.GetNode().(type) {
	case *pg_query.Node_ColumnRef:
		return c.columnRef(n.ColumnRef)
	case *pg_query.Node_AConst:
		return c.constant(n.AConst)
	case *pg_query.Node_ParamRef:
		return c.param(n.ParamRef)
	case *pg_query.Node_AExpr:
		return c.operatorExpr(n.AExpr)
	case *pg_query.Node_BoolExpr:
		return c.boolExpr(n.BoolExpr)
	case *pg_query.Node_NullTest:
		arg, err := c.expr(n.NullTest.GetArg())
		if err != nil {
			return nil, err
		}
		not := n.NullTest.GetNulltesttype() == pg_query.NullTestType_IS_NOT_NULL
		return &IsNull{Arg: arg, Not: not, Pos: c.pos(n.NullTest.GetLocation())}, nil
	case *pg_query.Node_BooleanTest:
		return c.booleanTest(n.BooleanTest)
	case *pg_query.Node_SubLink:
		return c.subLink(n.SubLink)
	case *pg_query.Node_CaseExpr:
		return c.caseExpr(n.CaseExpr)
	case *pg_query.Node_TypeCast:
		return c.typeCast(n.TypeCast)
	case *pg_query.Node_FuncCall:
		return c.funcCall(n.FuncCall)
	case *pg_query.Node_CoalesceExpr:
		return c.call("coalesce", n.CoalesceExpr.GetArgs(), n.CoalesceExpr.GetLocation())
	case *pg_query.Node_MinMaxExpr:
		name := "greatest"
		if n.MinMaxExpr.GetOp() == pg_query.MinMaxOp_IS_LEAST {
			name = "least"
		}
		return c.call(name, n.MinMaxExpr.GetArgs(), n.MinMaxExpr.GetLocation())
	case *pg_query.Node_GroupingFunc:
		return c.call("grouping", n.GroupingFunc.GetArgs(), n.GroupingFunc.GetLocation())
	case *pg_query.Node_SqlvalueFunction:
		return c.sqlValueFunction(n.SqlvalueFunction), nil
	case *pg_query.Node_AArrayExpr:
		return nil, c.notSupported(n.AArrayExpr.GetLocation(), "ARRAY[…] constructors")
	case *pg_query.Node_RowExpr:
		elems, err := c.exprs(n.RowExpr.GetArgs())
		if err != nil {
			return nil, err
		}
		return &RowExpr{Elems: elems, Pos: c.pos(n.RowExpr.GetLocation())}, nil
	case *pg_query.Node_CollateClause:
		return nil, c.notSupported(n.CollateClause.GetLocation(), "COLLATE")
	case *pg_query.Node_AIndirection:
		return nil, c.notSupported(nodeLocation(n.AIndirection.GetArg()), "subscripts and field selection")
	case *pg_query.Node_SetToDefault:
		return nil, c.notSupported(n.SetToDefault.GetLocation(), "DEFAULT")
	case *pg_query.Node_NamedArgExpr:
		return nil, c.notSupported(n.NamedArgExpr.GetLocation(), "named function arguments (name => value)")
	case *pg_query.Node_XmlExpr, *pg_query.Node_XmlSerialize:
		return nil, c.notSupported(nodeLocation(node), "XML functions")
	case nil:
		return nil, c.invalid(-1, "missing expression")
	}
	name := nodeName(node)
	if strings.HasPrefix(name, "Json") {
		return nil, c.notSupported(nodeLocation(node), "SQL/JSON functions")
	}
	return nil, c.notSupported(nodeLocation(node), "%s expressions", name)
}

// nodeLocation reads the location field of any node, -1 when it has none. It serves the
// messages about constructs this package does not convert field by field.
func nodeLocation(node *pg_query.Node) int32 {
	if node == nil {
		return -1
	}
	m := node.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("node"))
	if field == nil || field.Message() == nil {
		return -1
	}
	inner := m.Get(field).Message()
	loc := inner.Descriptor().Fields().ByName("location")
	if loc == nil {
		return -1
	}
	return int32(inner.Get(loc).Int())
}

func (c *converter) columnRef(ref *pg_query.ColumnRef) (Expr, error) {
	if isStar(ref) {
		return nil, c.notSupported(ref.GetLocation(), "* outside the select list and count(*)")
	}
	parts, err := c.nameParts(ref.GetFields(), ref.GetLocation())
	if err != nil {
		return nil, err
	}
	return &ColumnRef{Parts: parts, Pos: c.pos(ref.GetLocation())}, nil
}

func (c *converter) param(p *pg_query.ParamRef) (Expr, error) {
	n := int(p.GetNumber())
	if n < 1 || n > MaxParams {
		return nil, c.invalid(p.GetLocation(), "parameter $%d is out of range; parameters are numbered $1 to $%d",
			n, MaxParams)
	}
	return &Param{Index: n, Pos: c.pos(p.GetLocation())}, nil
}

func (c *converter) constant(k *pg_query.A_Const) (Expr, error) {
	pos := c.pos(k.GetLocation())
	if k.GetIsnull() {
		return &NullLit{Pos: pos}, nil
	}
	switch v := k.GetVal().(type) {
	case *pg_query.A_Const_Ival:
		return &IntegerLit{Value: int64(v.Ival.GetIval()), Pos: pos}, nil
	case *pg_query.A_Const_Fval:
		return numericLiteral(v.Fval.GetFval(), pos), nil
	case *pg_query.A_Const_Boolval:
		return &BoolLit{Value: v.Boolval.GetBoolval(), Pos: pos}, nil
	case *pg_query.A_Const_Sval:
		return &StringLit{Value: v.Sval.GetSval(), Pos: pos}, nil
	case *pg_query.A_Const_Bsval:
		return nil, c.notSupported(k.GetLocation(), "bit string literals (B'…', X'…')")
	}
	return nil, c.invalid(k.GetLocation(), "malformed constant")
}

// numericLiteral classifies the text PostgreSQL keeps for numbers that are not int32: an
// integer that fits int64 becomes IntegerLit, anything else NumericLit with exact text.
func numericLiteral(text string, pos int) Expr {
	text = strings.ReplaceAll(text, "_", "")
	digits, negative := strings.CutPrefix(text, "-")
	base := 10
	if len(digits) > 2 && digits[0] == '0' {
		switch digits[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 10 {
			digits = digits[2:]
		}
	}
	n, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return &NumericLit{Text: text, Pos: pos} // a decimal fraction or exponent form
	}
	if negative {
		n.Neg(n)
	}
	if n.IsInt64() {
		return &IntegerLit{Value: n.Int64(), Pos: pos}
	}
	return &NumericLit{Text: n.String(), Pos: pos}
}

// operatorName reads an operator name list, accepting OPERATOR(pg_catalog.op), and
// normalizes != to <>.
func (c *converter) operatorName(names []*pg_query.Node, loc int32) (string, error) {
	parts, err := c.nameParts(names, loc)
	if err != nil {
		return "", err
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	if len(parts) != 1 {
		return "", c.notSupported(loc, "operator OPERATOR(%s)", strings.Join(parts, "."))
	}
	if parts[0] == "!=" {
		return "<>", nil
	}
	return parts[0], nil
}

func (c *converter) operatorExpr(a *pg_query.A_Expr) (Expr, error) {
	loc := a.GetLocation()
	pos := c.pos(loc)
	op, err := c.operatorName(a.GetName(), loc)
	if err != nil {
		return nil, err
	}
	switch a.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		return c.operator(a, op)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return c.quantifiedArray(a, op)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		left, right, err := c.operands(a)
		if err != nil {
			return nil, err
		}
		not := a.GetKind() == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT
		return &IsDistinct{Left: left, Right: right, Not: not, Pos: pos}, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		left, right, err := c.operands(a)
		if err != nil {
			return nil, err
		}
		return &FuncCall{Name: []string{"nullif"}, Args: []Expr{left, right}, Pos: pos}, nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		arg, err := c.expr(a.GetLexpr())
		if err != nil {
			return nil, err
		}
		list, err := c.exprs(a.GetRexpr().GetList().GetItems())
		if err != nil {
			return nil, err
		}
		return &InList{Arg: arg, List: list, Not: op == "<>", Pos: pos}, nil
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		return c.like(a, op)
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		return nil, c.notSupported(loc, "SIMILAR TO; use LIKE or a regular expression match (~)")
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return c.between(a)
	}
	return nil, c.invalid(loc, "unexpected operator expression kind %s", a.GetKind())
}

func (c *converter) operands(a *pg_query.A_Expr) (Expr, Expr, error) {
	left, err := c.expr(a.GetLexpr())
	if err != nil {
		return nil, nil, err
	}
	right, err := c.expr(a.GetRexpr())
	if err != nil {
		return nil, nil, err
	}
	return left, right, nil
}

func (c *converter) operator(a *pg_query.A_Expr, op string) (Expr, error) {
	loc := a.GetLocation()
	if a.GetLexpr() == nil {
		if op != "-" && op != "+" {
			return nil, c.notSupported(loc, "prefix operator %s", op)
		}
		operand, err := c.expr(a.GetRexpr())
		if err != nil {
			return nil, err
		}
		return &UnaryOp{Op: op, Operand: operand, Pos: c.pos(loc)}, nil
	}
	if a.GetRexpr() == nil {
		return nil, c.notSupported(loc, "postfix operator %s", op)
	}
	switch op {
	case "~~", "~~*", "!~~", "!~~*":
		return c.like(a, op)
	case "~", "~*", "!~", "!~*":
		arg, pattern, err := c.operands(a)
		if err != nil {
			return nil, err
		}
		return &RegexMatch{Arg: arg, Pattern: pattern, Not: strings.HasPrefix(op, "!"),
			CaseInsensitive: strings.HasSuffix(op, "*"), Pos: c.pos(loc)}, nil
	}
	if !binaryOperators[op] {
		return nil, c.notSupported(loc, "operator %s", op)
	}
	left, right, err := c.operands(a)
	if err != nil {
		return nil, err
	}
	return &BinaryOp{Op: op, Left: left, Right: right, Pos: c.pos(loc)}, nil
}

// like converts LIKE/ILIKE in all spellings. The grammar turns `p ESCAPE e` into the call
// pg_catalog.like_escape(p, e) as the right operand; it is unwrapped into Escape.
func (c *converter) like(a *pg_query.A_Expr, op string) (Expr, error) {
	arg, err := c.expr(a.GetLexpr())
	if err != nil {
		return nil, err
	}
	l := &Like{Arg: arg, Not: strings.HasPrefix(op, "!"), CaseInsensitive: strings.HasSuffix(op, "*"),
		Pos: c.pos(a.GetLocation())}
	right := a.GetRexpr()
	if call := right.GetFuncCall(); call != nil && len(call.GetArgs()) == 2 && isSystemFunc(call, "like_escape") {
		if l.Pattern, err = c.expr(call.GetArgs()[0]); err != nil {
			return nil, err
		}
		if l.Escape, err = c.expr(call.GetArgs()[1]); err != nil {
			return nil, err
		}
		return l, nil
	}
	if l.Pattern, err = c.expr(right); err != nil {
		return nil, err
	}
	return l, nil
}

// isSystemFunc reports whether call names pg_catalog.name explicitly, as the grammar does for
// the functions behind special syntax.
func isSystemFunc(call *pg_query.FuncCall, name string) bool {
	parts := call.GetFuncname()
	return len(parts) == 2 && parts[0].GetString_().GetSval() == "pg_catalog" &&
		parts[1].GetString_().GetSval() == name
}

func (c *converter) between(a *pg_query.A_Expr) (Expr, error) {
	bounds := a.GetRexpr().GetList().GetItems()
	if len(bounds) != 2 {
		return nil, c.invalid(a.GetLocation(), "malformed BETWEEN")
	}
	arg, err := c.expr(a.GetLexpr())
	if err != nil {
		return nil, err
	}
	low, err := c.expr(bounds[0])
	if err != nil {
		return nil, err
	}
	high, err := c.expr(bounds[1])
	if err != nil {
		return nil, err
	}
	kind := a.GetKind()
	return &Between{
		Arg: arg, Low: low, High: high,
		Not: kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN || kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM,
		Symmetric: kind == pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM ||
			kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM,
		Pos: c.pos(a.GetLocation()),
	}, nil
}

func (c *converter) quantifiedArray(a *pg_query.A_Expr, op string) (Expr, error) {
	kind := QuantAny
	if a.GetKind() == pg_query.A_Expr_Kind_AEXPR_OP_ALL {
		kind = QuantAll
	}
	if !comparisonOperators[op] {
		return nil, c.notSupported(a.GetLocation(), "%s with %s (…); use = <> < <= > >= with ANY/ALL",
			operatorWord(op), kind)
	}
	arg, err := c.expr(a.GetLexpr())
	if err != nil {
		return nil, err
	}
	q := &Quantified{Arg: arg, Op: op, Kind: kind, Pos: c.pos(a.GetLocation())}
	if arr := a.GetRexpr().GetAArrayExpr(); arr != nil {
		elems, err := c.exprs(arr.GetElements())
		if err != nil {
			return nil, err
		}
		q.Array = &ArrayLit{Elems: elems, Pos: c.pos(arr.GetLocation())}
		return q, nil
	}
	if q.Array, err = c.expr(a.GetRexpr()); err != nil {
		return nil, err
	}
	return q, nil
}

// operatorWord names an operator the way users wrote it, for messages.
func operatorWord(op string) string {
	switch op {
	case "~~":
		return "LIKE"
	case "!~~":
		return "NOT LIKE"
	case "~~*":
		return "ILIKE"
	case "!~~*":
		return "NOT ILIKE"
	}
	return "operator " + op
}

func (c *converter) boolExpr(b *pg_query.BoolExpr) (Expr, error) {
	pos := c.pos(b.GetLocation())
	var op BoolOp
	switch b.GetBoolop() {
	case pg_query.BoolExprType_AND_EXPR:
		op = BoolAnd
	case pg_query.BoolExprType_OR_EXPR:
		op = BoolOr
	case pg_query.BoolExprType_NOT_EXPR:
		op = BoolNot
		// The grammar writes `x NOT IN (subquery)` as NOT over `x IN (subquery)`.
		if args := b.GetArgs(); len(args) == 1 {
			if sl := args[0].GetSubLink(); sl != nil && isInSubquery(sl) {
				e, err := c.subLink(sl)
				if err != nil {
					return nil, err
				}
				in := e.(*InSubquery)
				in.Not = true
				return in, nil
			}
		}
	default:
		return nil, c.invalid(b.GetLocation(), "unexpected boolean operator %s", b.GetBoolop())
	}
	args, err := c.exprs(b.GetArgs())
	if err != nil {
		return nil, err
	}
	return &BoolExpr{Op: op, Args: args, Pos: pos}, nil
}

// isInSubquery reports whether a sublink is `x IN (subquery)`: ANY without an operator name.
func isInSubquery(sl *pg_query.SubLink) bool {
	return sl.GetSubLinkType() == pg_query.SubLinkType_ANY_SUBLINK && len(sl.GetOperName()) == 0
}

func (c *converter) booleanTest(b *pg_query.BooleanTest) (Expr, error) {
	arg, err := c.expr(b.GetArg())
	if err != nil {
		return nil, err
	}
	t := &IsBool{Arg: arg, Pos: c.pos(b.GetLocation())}
	switch b.GetBooltesttype() {
	case pg_query.BoolTestType_IS_TRUE:
		t.Value = TruthTrue
	case pg_query.BoolTestType_IS_NOT_TRUE:
		t.Value, t.Not = TruthTrue, true
	case pg_query.BoolTestType_IS_FALSE:
		t.Value = TruthFalse
	case pg_query.BoolTestType_IS_NOT_FALSE:
		t.Value, t.Not = TruthFalse, true
	case pg_query.BoolTestType_IS_UNKNOWN:
		t.Value = TruthUnknown
	case pg_query.BoolTestType_IS_NOT_UNKNOWN:
		t.Value, t.Not = TruthUnknown, true
	default:
		return nil, c.invalid(b.GetLocation(), "unexpected boolean test %s", b.GetBooltesttype())
	}
	return t, nil
}

func (c *converter) subLink(sl *pg_query.SubLink) (Expr, error) {
	loc := sl.GetLocation()
	pos := c.pos(loc)
	kind := sl.GetSubLinkType()
	switch kind {
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return nil, c.notSupported(loc, "ARRAY(subquery)")
	case pg_query.SubLinkType_ROWCOMPARE_SUBLINK, pg_query.SubLinkType_MULTIEXPR_SUBLINK:
		return nil, c.notSupported(loc, "row comparison with a subquery")
	case pg_query.SubLinkType_EXISTS_SUBLINK, pg_query.SubLinkType_ANY_SUBLINK,
		pg_query.SubLinkType_ALL_SUBLINK, pg_query.SubLinkType_EXPR_SUBLINK:
	default:
		return nil, c.notSupported(loc, "subquery of kind %s", kind)
	}
	sel := sl.GetSubselect().GetSelectStmt()
	if sel == nil {
		return nil, readOnlyClause(statementKind(sl.GetSubselect()) + " in a subquery")
	}
	// Check the operator before converting the subquery so errors point at the outer level.
	var op string
	if (kind == pg_query.SubLinkType_ANY_SUBLINK || kind == pg_query.SubLinkType_ALL_SUBLINK) && !isInSubquery(sl) {
		var err error
		if op, err = c.operatorName(sl.GetOperName(), loc); err != nil {
			return nil, err
		}
		if !comparisonOperators[op] {
			quant := QuantAny
			if kind == pg_query.SubLinkType_ALL_SUBLINK {
				quant = QuantAll
			}
			return nil, c.notSupported(loc, "%s with %s (subquery); use = <> < <= > >= with ANY/ALL",
				operatorWord(op), quant)
		}
	}
	var arg Expr
	if test := sl.GetTestexpr(); test != nil {
		var err error
		if arg, err = c.expr(test); err != nil {
			return nil, err
		}
	}
	q, err := c.query(sel)
	if err != nil {
		return nil, err
	}
	switch {
	case kind == pg_query.SubLinkType_EXISTS_SUBLINK:
		return &Exists{Query: q, Pos: pos}, nil
	case kind == pg_query.SubLinkType_EXPR_SUBLINK:
		return &ScalarSubquery{Query: q, Pos: pos}, nil
	case isInSubquery(sl):
		return &InSubquery{Arg: arg, Query: q, Pos: pos}, nil
	case kind == pg_query.SubLinkType_ALL_SUBLINK:
		return &Quantified{Arg: arg, Op: op, Kind: QuantAll, Query: q, Pos: pos}, nil
	default:
		return &Quantified{Arg: arg, Op: op, Kind: QuantAny, Query: q, Pos: pos}, nil
	}
}

func (c *converter) caseExpr(ce *pg_query.CaseExpr) (Expr, error) {
	out := &Case{Pos: c.pos(ce.GetLocation())}
	var err error
	if out.Operand, err = c.optionalExpr(ce.GetArg()); err != nil {
		return nil, err
	}
	for _, node := range ce.GetArgs() {
		w := node.GetCaseWhen()
		if w == nil {
			return nil, c.invalid(ce.GetLocation(), "malformed CASE")
		}
		cond, err := c.expr(w.GetExpr())
		if err != nil {
			return nil, err
		}
		result, err := c.expr(w.GetResult())
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, WhenClause{Cond: cond, Result: result})
	}
	if out.Else, err = c.optionalExpr(ce.GetDefresult()); err != nil {
		return nil, err
	}
	return out, nil
}

// typeCast converts `x::t` and `CAST(x AS t)`, and `t 'literal'`, which the grammar also
// delivers as a cast. A string literal with a type is a TypedLiteral: PostgreSQL decodes it
// with the type's input function at parse time, whichever way it was written.
func (c *converter) typeCast(tc *pg_query.TypeCast) (Expr, error) {
	typ, err := c.typeName(tc.GetTypeName())
	if err != nil {
		return nil, err
	}
	if k := tc.GetArg().GetAConst(); k != nil && !k.GetIsnull() {
		if s, ok := k.GetVal().(*pg_query.A_Const_Sval); ok {
			// The literal starts at whichever comes first: the type name or the string.
			start := firstKnown(tc.GetLocation(), tc.GetTypeName().GetLocation(), k.GetLocation())
			return &TypedLiteral{Type: typ, Value: s.Sval.GetSval(), Pos: c.pos(start)}, nil
		}
	}
	arg, err := c.expr(tc.GetArg())
	if err != nil {
		return nil, err
	}
	pos := c.pos(tc.GetLocation())
	if pos < 0 {
		pos = arg.Position()
	}
	return &Cast{Arg: arg, Type: typ, Pos: pos}, nil
}

// firstKnown returns the smallest non-negative location, or -1.
func firstKnown(locs ...int32) int32 {
	first := int32(-1)
	for _, l := range locs {
		if l >= 0 && (first < 0 || l < first) {
			first = l
		}
	}
	return first
}

// call builds a FuncCall for a construct the grammar keeps as its own node (COALESCE,
// GREATEST, GROUPING, …).
func (c *converter) call(name string, args []*pg_query.Node, loc int32) (Expr, error) {
	converted, err := c.exprs(args)
	if err != nil {
		return nil, err
	}
	return &FuncCall{Name: []string{name}, Args: converted, Pos: c.pos(loc)}, nil
}

func (c *converter) funcCall(fc *pg_query.FuncCall) (Expr, error) {
	loc := fc.GetLocation()
	name, err := c.nameParts(fc.GetFuncname(), loc)
	if err != nil {
		return nil, err
	}
	if len(name) > 1 && name[0] == "pg_catalog" {
		name = name[1:]
	}
	sqlSyntax := fc.GetFuncformat() == pg_query.CoercionForm_COERCE_SQL_SYNTAX
	if sqlSyntax && len(name) == 1 && name[0] == "overlay" {
		return nil, c.notSupported(loc, "OVERLAY(… PLACING …); use substring and ||")
	}
	if fc.GetFuncVariadic() {
		return nil, c.notSupported(loc, "VARIADIC function arguments")
	}
	f := &FuncCall{
		Name:        name,
		Star:        fc.GetAggStar(),
		Distinct:    fc.GetAggDistinct(),
		WithinGroup: fc.GetAggWithinGroup(),
		Pos:         c.pos(loc),
	}
	if f.Args, err = c.exprs(fc.GetArgs()); err != nil {
		return nil, err
	}
	// EXTRACT's field is an identifier or a string; PostgreSQL matches it case-insensitively.
	if sqlSyntax && len(name) == 1 && name[0] == "extract" && len(f.Args) == 2 {
		if field, ok := f.Args[0].(*StringLit); ok {
			field.Value = strings.ToLower(field.Value)
		}
	}
	if f.OrderBy, err = c.orderItems(fc.GetAggOrder()); err != nil {
		return nil, err
	}
	if f.Filter, err = c.optionalExpr(fc.GetAggFilter()); err != nil {
		return nil, err
	}
	if over := fc.GetOver(); over != nil {
		if over.GetName() != "" { // OVER w
			f.Over = &WindowSpec{Ref: over.GetName(), Pos: c.pos(over.GetLocation())}
		} else {
			spec, err := c.windowSpec(over, over.GetRefname())
			if err != nil {
				return nil, err
			}
			f.Over = &spec
		}
	}
	return f, nil
}

func (c *converter) sqlValueFunction(f *pg_query.SQLValueFunction) Expr {
	var name string
	withPrecision := false
	switch f.GetOp() {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		name = "current_date"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME:
		name = "current_time"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		name, withPrecision = "current_time", true
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP:
		name = "current_timestamp"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		name, withPrecision = "current_timestamp", true
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME:
		name = "localtime"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		name, withPrecision = "localtime", true
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP:
		name = "localtimestamp"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		name, withPrecision = "localtimestamp", true
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		name = "current_catalog"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		name = "current_schema"
	default: // CURRENT_USER, CURRENT_ROLE, USER, SESSION_USER
		name = "current_user"
	}
	call := &FuncCall{Name: []string{name}, Pos: c.pos(f.GetLocation())}
	if withPrecision {
		call.Args = []Expr{&IntegerLit{Value: int64(f.GetTypmod()), Pos: -1}}
	}
	return call
}

// Frame option bits of PostgreSQL's WindowDef.frameOptions (nodes/parsenodes.h).
const (
	frameNonDefault              = 0x00001
	frameRange                   = 0x00002
	frameRows                    = 0x00004
	frameGroups                  = 0x00008
	frameStartUnboundedPreceding = 0x00020
	frameStartCurrentRow         = 0x00200
	frameStartOffsetPreceding    = 0x00800
	frameStartOffsetFollowing    = 0x02000
	frameEndUnboundedFollowing   = 0x00100
	frameEndCurrentRow           = 0x00400
	frameEndOffsetPreceding      = 0x01000
	frameEndOffsetFollowing      = 0x04000
	frameExclusion               = 0x08000 | 0x10000 | 0x20000
)

// windowSpec converts an OVER (…) clause or a WINDOW definition; ref is the window it refines.
func (c *converter) windowSpec(def *pg_query.WindowDef, ref string) (WindowSpec, error) {
	spec := WindowSpec{Ref: ref, Pos: c.pos(def.GetLocation())}
	var err error
	if spec.PartitionBy, err = c.exprs(def.GetPartitionClause()); err != nil {
		return spec, err
	}
	if spec.OrderBy, err = c.orderItems(def.GetOrderClause()); err != nil {
		return spec, err
	}
	opts := def.GetFrameOptions()
	if opts&frameNonDefault == 0 {
		return spec, nil
	}
	if opts&frameExclusion != 0 {
		return spec, c.notSupported(def.GetLocation(), "window frame EXCLUDE")
	}
	frame := &Frame{}
	switch {
	case opts&frameRows != 0:
		frame.Mode = FrameRows
	case opts&frameGroups != 0:
		frame.Mode = FrameGroups
	default:
		frame.Mode = FrameRange
	}
	switch {
	case opts&frameStartUnboundedPreceding != 0:
		frame.Start.Kind = BoundUnboundedPreceding
	case opts&frameStartCurrentRow != 0:
		frame.Start.Kind = BoundCurrentRow
	case opts&frameStartOffsetPreceding != 0:
		frame.Start.Kind = BoundPreceding
	case opts&frameStartOffsetFollowing != 0:
		frame.Start.Kind = BoundFollowing
	default:
		return spec, c.invalid(def.GetLocation(), "malformed window frame start")
	}
	switch {
	case opts&frameEndUnboundedFollowing != 0:
		frame.End.Kind = BoundUnboundedFollowing
	case opts&frameEndCurrentRow != 0:
		frame.End.Kind = BoundCurrentRow
	case opts&frameEndOffsetPreceding != 0:
		frame.End.Kind = BoundPreceding
	case opts&frameEndOffsetFollowing != 0:
		frame.End.Kind = BoundFollowing
	default:
		return spec, c.invalid(def.GetLocation(), "malformed window frame end")
	}
	if frame.Start.Kind == BoundPreceding || frame.Start.Kind == BoundFollowing {
		if frame.Start.Offset, err = c.expr(def.GetStartOffset()); err != nil {
			return spec, err
		}
	}
	if frame.End.Kind == BoundPreceding || frame.End.Kind == BoundFollowing {
		if frame.End.Offset, err = c.expr(def.GetEndOffset()); err != nil {
			return spec, err
		}
	}
	spec.Frame = frame
	return spec, nil
}
