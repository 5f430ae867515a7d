package sqlgen

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

// Expression rendering. Every function returns ok=false when the dialect cannot compute the
// expression exactly like the gateway; callers then leave it to the gateway.

var comparisonOps = map[string]string{
	expr.FnEq: "=", expr.FnNotEq: "<>", expr.FnLt: "<", expr.FnLtEq: "<=", expr.FnGt: ">", expr.FnGtEq: ">=",
}

// predicate renders a boolean expression. With prune, equality under a collation coarser
// than the gateway's (CapPrune) is accepted in positive positions and exact reports false:
// the source then returns a superset of the gateway's rows.
func (r *renderer) predicate(e expr.Expr, prune bool) (sql string, exact, ok bool) {
	switch x := e.(type) {
	case *expr.Call:
		switch x.Func {
		case expr.FnAnd, expr.FnOr:
			if len(x.Args) != 2 {
				return "", false, false
			}
			op := " AND "
			if x.Func == expr.FnOr {
				op = " OR "
			}
			l, le, ok := r.predicate(x.Args[0], prune)
			if !ok {
				return "", false, false
			}
			rr, re, ok := r.predicate(x.Args[1], prune)
			if !ok {
				return "", false, false
			}
			return "(" + l + op + rr + ")", le && re, true
		case expr.FnNot:
			s, _, ok := r.predicate(x.Args[0], false)
			return "(NOT " + s + ")", true, ok
		case expr.FnIsNull, expr.FnIsNotNull:
			// Every type mapping keeps NULLs, so no capability is needed.
			s, _, ok := r.operand(x.Args[0], CapNone)
			if x.Func == expr.FnIsNull {
				return "(" + s + " IS NULL)", true, ok
			}
			return "(" + s + " IS NOT NULL)", true, ok
		case expr.FnIsDistinctFrom, expr.FnIsNotDistinctFrom:
			a, _, ok1 := r.operand(x.Args[0], CapCompare)
			b, _, ok2 := r.operand(x.Args[1], CapCompare)
			return r.d.DistinctFrom(a, b, x.Func == expr.FnIsNotDistinctFrom), true, ok1 && ok2
		case expr.FnLike:
			s, ok := r.like(x)
			return s, true, ok
		}
		if op, isCmp := comparisonOps[x.Func]; isCmp {
			return r.comparison(x, op, prune)
		}
		if isPredicate(x.Func) {
			// ILIKE: the sources fold case by their locale, the gateway by Unicode simple
			// folding; they differ on some characters.
			return "", false, false
		}
	case *expr.InList:
		return r.inList(x, prune)
	case *expr.ColumnRef:
		// A boolean column used as a condition is true exactly when the gateway's decoded
		// value is (MySQL's TINYINT(1) counts any non-zero value as true, and so does the
		// decoder).
		if x.Type.ID() != arrow.BOOL {
			return "", false, false
		}
		s, _, ok := r.operand(x, CapNone)
		return s, true, ok
	}
	if e.DataType().ID() != arrow.BOOL {
		return "", false, false
	}
	s, _, ok := r.value(e)
	return s, true, ok
}

// comparison renders a binary comparison. Ordering operators need CapOrder and, for text,
// the dialect's bytewise collation.
func (r *renderer) comparison(c *expr.Call, op string, prune bool) (string, bool, bool) {
	if len(c.Args) != 2 {
		return "", false, false
	}
	if op == "=" || op == "<>" {
		for i := range 2 {
			if sc, ok := r.paddedColumn(c.Args[i]); ok {
				return r.paddedComparison(sc, c.Args[1-i], op == "<>", prune)
			}
		}
	}
	ordering := op != "=" && op != "<>"
	need := CapCompare
	if ordering {
		need = CapOrder
	}
	exact := true
	var sides [2]string
	for i, a := range c.Args {
		s, caps, ok := r.operand(a, CapNone)
		if !ok {
			return "", false, false
		}
		if !caps.Has(need) {
			if !(prune && op == "=" && caps.Has(CapPrune)) {
				return "", false, false
			}
			exact = false
		}
		if ordering {
			s = r.collateForOrder(s, a.DataType())
		}
		sides[i] = s
	}
	return "(" + sides[0] + " " + op + " " + sides[1] + ")", exact, true
}

func (r *renderer) collateForOrder(s string, t arrow.DataType) string {
	if r.d.OrderCollate == "" || !expr.IsString(t) {
		return s
	}
	return "(" + s + " COLLATE " + r.d.quote(r.d.OrderCollate) + ")"
}

func (r *renderer) inList(x *expr.InList, prune bool) (string, bool, bool) {
	prune = prune && !x.Negated
	exact := true
	check := func(caps Caps) bool {
		if caps.Has(CapCompare) {
			return true
		}
		if prune && caps.Has(CapPrune) {
			exact = false
			return true
		}
		return false
	}
	if sc, ok := r.paddedColumn(x.Arg); ok {
		return r.paddedIn(sc, x, prune)
	}
	a, caps, ok := r.operand(x.Arg, CapNone)
	if !ok || !check(caps) {
		return "", false, false
	}
	items := make([]string, len(x.List))
	for i, e := range x.List {
		s, caps, ok := r.operand(e, CapNone)
		if !ok || !check(caps) {
			return "", false, false
		}
		items[i] = s
	}
	not := ""
	if x.Negated {
		not = "NOT "
	}
	return "(" + a + " " + not + "IN (" + strings.Join(items, ", ") + "))", exact, true
}

// paddedColumn returns the scope column e reads if it is a blank-padded CHAR(n) column the
// dialect can compare with a bound value of its own type.
func (r *renderer) paddedColumn(e expr.Expr) (scopeCol, bool) {
	col, ok := e.(*expr.ColumnRef)
	if !ok || r.d.PaddedParam == nil {
		return scopeCol{}, false
	}
	sc, ok := r.scope[col.ID]
	if !ok || sc.padTo <= 0 || sc.widen || !expr.IsString(sc.typ) {
		return scopeCol{}, false
	}
	return sc, true
}

// paddedValue binds a text literal or parameter compared with a CHAR(n) column. exact
// reports whether the source's comparison, which ignores trailing blanks on both sides, gives
// the gateway's answer on the values it reads (trimmed of trailing blanks): it does unless the
// value itself ends in a blank. A parameter's value is unknown when the statement is planned.
func (r *renderer) paddedValue(sc scopeCol, e expr.Expr) (sql string, exact, ok bool) {
	switch v := e.(type) {
	case *expr.Literal:
		if !expr.IsString(v.Type) {
			return "", false, false
		}
		exact = v.Value == nil
		if s, isText := v.Value.(string); isText {
			exact = !strings.HasSuffix(s, " ")
		}
		return r.bindPadded(Arg{Type: v.Type, Value: v.Value}), exact, true
	case *expr.Param:
		if !expr.IsString(v.Type) {
			return "", false, false
		}
		return r.bindPadded(Arg{Type: v.Type, Param: v.Index}), false, true
	}
	return "", false, false
}

// paddedComparison renders a CHAR(n) column = or <> a text value. The source ignores
// trailing blanks, so "=" matches a superset of the gateway's rows: pushed Inexact where
// pruning is allowed unless the value's length makes it exact; "<>" would match a subset and
// is pushed only when exact.
func (r *renderer) paddedComparison(sc scopeCol, other expr.Expr, negated, prune bool) (string, bool, bool) {
	v, exact, ok := r.paddedValue(sc, other)
	if !ok || (!exact && (negated || !prune)) {
		return "", false, false
	}
	op := " = "
	if negated {
		op = " <> "
	}
	return "(" + sc.ref + op + v + ")", exact, true
}

// paddedIn renders a CHAR(n) column [NOT] IN a list of text values, with the rules of
// paddedComparison applied to the whole list.
func (r *renderer) paddedIn(sc scopeCol, x *expr.InList, prune bool) (string, bool, bool) {
	exact := true
	items := make([]string, len(x.List))
	for i, e := range x.List {
		v, ex, ok := r.paddedValue(sc, e)
		if !ok {
			return "", false, false
		}
		items[i] = v
		exact = exact && ex
	}
	if !exact && (x.Negated || !prune) {
		return "", false, false
	}
	not := ""
	if x.Negated {
		not = "NOT "
	}
	return "(" + sc.ref + " " + not + "IN (" + strings.Join(items, ", ") + "))", exact, true
}

// like renders value LIKE pattern [ESCAPE e]. The gateway's default escape is a backslash,
// as PostgreSQL's; it is always bound explicitly so a source setting cannot change it.
func (r *renderer) like(c *expr.Call) (string, bool) {
	if len(c.Args) < 2 || len(c.Args) > 3 {
		return "", false
	}
	escape := `\`
	if len(c.Args) == 3 {
		l, ok := c.Args[2].(*expr.Literal)
		if !ok {
			return "", false
		}
		s, ok := l.Value.(string)
		if !ok || utf8.RuneCountInString(s) > 1 {
			return "", false
		}
		escape = s
	}
	if r.d.LikeLiteralOnly {
		pat, ok := c.Args[1].(*expr.Literal)
		if !ok || escape == "" {
			return "", false
		}
		ps, ok := pat.Value.(string)
		if !ok || !likeWellFormed(ps, escape) {
			return "", false
		}
	}
	v, caps, ok := r.operand(c.Args[0], CapNone)
	if !ok || !caps.Has(CapLike) {
		return "", false
	}
	p, pcaps, ok := r.value(c.Args[1])
	if !ok || !pcaps.Has(CapValue) {
		return "", false
	}
	e, ok := r.bind(Arg{Type: expr.String, Value: escape})
	if !ok {
		return "", false
	}
	return r.d.Like(v, p, e), true
}

// likeWellFormed reports whether a pattern does not end in its escape character.
func likeWellFormed(p, escape string) bool {
	esc, _ := utf8.DecodeRuneInString(escape)
	for i := 0; i < len(p); {
		ch, n := utf8.DecodeRuneInString(p[i:])
		i += n
		if ch == esc {
			if i >= len(p) {
				return false
			}
			_, n = utf8.DecodeRuneInString(p[i:])
			i += n
		}
	}
	return true
}

// operand renders a comparison operand. Value-preserving widenings the binder inserted
// (integer to bigint, integer to numeric, date to timestamp) are dropped: the source compares
// across those types exactly and can use its indexes. A column is read as stored.
func (r *renderer) operand(e expr.Expr, need Caps) (string, Caps, bool) {
	for {
		c, ok := e.(*expr.Cast)
		if !ok || !comparesAlike(c.Arg.DataType(), c.Type) {
			break
		}
		e = c.Arg
	}
	if col, ok := e.(*expr.ColumnRef); ok {
		sc, ok := r.scope[col.ID]
		if !ok || !sc.caps.Has(need) {
			return "", 0, false
		}
		return sc.ref, sc.caps, true
	}
	s, caps, ok := r.value(e)
	if !ok || !caps.Has(need) {
		return "", 0, false
	}
	return s, caps, true
}

// comparesAlike reports whether comparing values after CAST(from AS to) gives the same answer
// as comparing the originals across types, which both dialects do exactly.
func comparesAlike(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to):
		return true
	case expr.IsInteger(from) && expr.IsInteger(to):
		return intWidth(to) >= intWidth(from)
	case expr.IsInteger(from) && expr.IsDecimal(to), expr.IsDecimal(from) && expr.IsDecimal(to):
		pf, sf, _ := expr.DecimalOf(from)
		pt, st, _ := expr.DecimalOf(to)
		return st >= sf && pt-st >= pf-sf
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP:
		return to.(*arrow.TimestampType).TimeZone == ""
	}
	return false
}

func intWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32:
		return 4
	}
	return 8
}

// castExact reports whether CAST(from AS to) cannot fail and yields the same value in the
// sources as in the gateway.
func castExact(from, to arrow.DataType) bool {
	switch {
	case comparesAlike(from, to):
		return true
	case expr.IsInteger(from) && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		// Sessions run in UTC, as the gateway interprets timestamps without time zone.
		return true
	case expr.IsInteger(from) && expr.IsString(to):
		return true
	}
	return false
}

// value renders an expression whose value the gateway would compute, and the caps of the
// result.
func (r *renderer) value(e expr.Expr) (string, Caps, bool) {
	switch x := e.(type) {
	case *expr.ColumnRef:
		sc, ok := r.scope[x.ID]
		if !ok {
			return "", 0, false
		}
		if sc.widen {
			name, ok := r.d.TypeName(x.Type)
			return "CAST(" + sc.ref + " AS " + name + ")", sc.caps, ok
		}
		return sc.ref, sc.caps, true
	case *expr.Literal:
		s, ok := r.bind(Arg{Type: x.Type, Value: x.Value})
		return s, CapAll, ok
	case *expr.Param:
		s, ok := r.bind(Arg{Type: x.Type, Param: x.Index})
		return s, CapAll, ok
	case *expr.Cast:
		if !castExact(x.Arg.DataType(), x.Type) {
			return "", 0, false
		}
		s, caps, ok := r.value(x.Arg)
		if !ok || !caps.Has(CapValue) {
			return "", 0, false
		}
		if arrow.TypeEqual(x.Arg.DataType(), x.Type) {
			return s, caps, true
		}
		name, ok := r.d.TypeName(x.Type)
		if expr.IsString(x.Type) {
			caps = r.d.TextExprCaps
		}
		return "CAST(" + s + " AS " + name + ")", caps, ok
	case *expr.Case:
		return r.caseExpr(x)
	case *expr.InList:
		s, exact, ok := r.inList(x, false)
		return s, CapAll, ok && exact
	case *expr.Call:
		if isPredicate(x.Func) {
			s, exact, ok := r.predicate(x, false)
			return s, CapAll, ok && exact
		}
		return r.call(x)
	}
	// expr.Mask and anything unknown: never rendered.
	return "", 0, false
}

func isPredicate(fn string) bool {
	switch fn {
	case expr.FnAnd, expr.FnOr, expr.FnNot, expr.FnIsNull, expr.FnIsNotNull, expr.FnIsDistinctFrom,
		expr.FnIsNotDistinctFrom, expr.FnLike, expr.FnILike:
		return true
	}
	_, ok := comparisonOps[fn]
	return ok
}

func (r *renderer) caseExpr(c *expr.Case) (string, Caps, bool) {
	var b strings.Builder
	caps := CapAll
	b.WriteString("CASE")
	result := func(e expr.Expr) bool {
		s, rc, ok := r.value(e)
		if !ok || !rc.Has(CapValue) {
			return false
		}
		caps &= rc
		b.WriteString(s)
		return true
	}
	for _, w := range c.Whens {
		cond, _, ok := r.predicate(w.Cond, false)
		if !ok {
			return "", 0, false
		}
		b.WriteString(" WHEN " + cond + " THEN ")
		if !result(w.Result) {
			return "", 0, false
		}
	}
	if c.Else != nil {
		b.WriteString(" ELSE ")
		if !result(c.Else) {
			return "", 0, false
		}
	}
	b.WriteString(" END")
	if expr.IsString(c.Type) {
		caps &= r.d.TextExprCaps
	}
	return b.String(), caps, true
}

// call renders a function or operator through the dialect's table. Arguments are rendered in
// template order, so bound values stay in text order.
func (r *renderer) call(c *expr.Call) (string, Caps, bool) {
	rule, ok := r.d.Functions[c.Func]
	if !ok || (rule.Accept != nil && !rule.Accept(c)) {
		return "", 0, false
	}
	need := rule.Needs
	if need == 0 {
		need = CapValue
	}
	textCaps := CapAll
	arg := func(i int) (string, bool) {
		if i < 0 || i >= len(c.Args) {
			return "", false
		}
		s, caps, ok := r.value(c.Args[i])
		if !ok || !caps.Has(need) {
			return "", false
		}
		if expr.IsString(c.Args[i].DataType()) {
			textCaps &= caps
		}
		return s, true
	}
	var s string
	if rule.Render != nil {
		if s, ok = rule.Render(c, arg); !ok {
			return "", 0, false
		}
	} else if s, ok = expandTemplate(rule.Template, len(c.Args), arg); !ok {
		return "", 0, false
	}
	if expr.IsString(c.Type) {
		return s, textCaps & r.d.TextExprCaps, true
	}
	return s, CapAll, true
}

func expandTemplate(t string, n int, arg func(int) (string, bool)) (string, bool) {
	var b strings.Builder
	for len(t) > 0 {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			b.WriteString(t)
			break
		}
		end := strings.IndexByte(t[open:], '}')
		if end < 0 {
			return "", false
		}
		b.WriteString(t[:open])
		key := t[open+1 : open+end]
		t = t[open+end+1:]
		if key == "*" {
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				s, ok := arg(i)
				if !ok {
					return "", false
				}
				b.WriteString(s)
			}
			continue
		}
		i, err := strconv.Atoi(key)
		if err != nil {
			return "", false
		}
		s, ok := arg(i)
		if !ok {
			return "", false
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// sortKey renders one ORDER BY key with the gateway's NULL placement (NULLs larger than every
// value unless NullsFirst says otherwise).
func (r *renderer) sortKey(k expr.SortKey) (string, bool) {
	key := func() (string, bool) {
		s, _, ok := r.operand(k.Expr, CapOrder)
		return r.collateForOrder(s, k.Expr.DataType()), ok
	}
	dir := " ASC"
	if k.Desc {
		dir = " DESC"
	}
	if r.d.NativeNullsOrder {
		s, ok := key()
		nulls := " NULLS LAST"
		if k.NullsFirst {
			nulls = " NULLS FIRST"
		}
		return s + dir + nulls, ok
	}
	// NULLs sort lowest: first ascending, last descending. Where the gateway wants otherwise,
	// an IS NULL key goes first (the expression is rendered twice, in text order).
	if k.NullsFirst != k.Desc {
		s, ok := key()
		return s + dir, ok
	}
	flag, _, ok := r.operand(k.Expr, CapOrder)
	if !ok {
		return "", false
	}
	s, ok := key()
	return "(" + flag + " IS NULL)" + dir + ", " + s + dir, ok
}
