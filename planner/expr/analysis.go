package expr

import "github.com/apache/arrow-go/v18/arrow"

// Substitute replaces column references by the expressions mapped to their IDs.
func Substitute(e Expr, m map[ColumnID]Expr) Expr {
	return Transform(e, func(n Expr) Expr {
		if c, ok := n.(*ColumnRef); ok {
			if r, ok := m[c.ID]; ok {
				return r
			}
		}
		return n
	})
}

// ReferencesOnly reports whether every column e reads is in ids.
func ReferencesOnly(e Expr, ids map[ColumnID]bool) bool {
	for _, id := range Columns(e) {
		if !ids[id] {
			return false
		}
	}
	return true
}

// HasMask reports whether e contains a governance mask.
func HasMask(e Expr) bool {
	found := false
	Walk(e, func(n Expr) bool {
		if _, ok := n.(*Mask); ok {
			found = true
		}
		return !found
	})
	return found
}

// HasParams reports whether e contains a statement parameter.
func HasParams(e Expr) bool {
	found := false
	Walk(e, func(n Expr) bool {
		if _, ok := n.(*Param); ok {
			found = true
		}
		return !found
	})
	return found
}

// IsLeakproof reports whether evaluating e can neither fail nor reveal anything about a row
// beyond e's value (DESIGN.md §4), so it may run before a row filter. Column references,
// literals, parameters, leakproof functions, IN lists, CASE and masks over leakproof parts
// qualify; casts only where they can never fail.
func IsLeakproof(e Expr) bool {
	ok := true
	Walk(e, func(n Expr) bool {
		switch x := n.(type) {
		case *ColumnRef, *Literal, *Param, *InList, *Case, *Mask:
		case *Call:
			f, found := Lookup(x.Func)
			if !found || !f.Leakproof {
				ok = false
			}
		case *Cast:
			if !castCannotFail(x.Arg.DataType(), x.Type) {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// castCannotFail reports whether CAST(from AS to) succeeds for every value: integer widening,
// integers into decimals or floats wide enough, decimal scale-up with room, date to timestamp,
// anything to text.
func castCannotFail(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), IsNull(from):
		return true
	case IsInteger(from) && IsInteger(to):
		return intRank(to) >= intRank(from)
	case IsInteger(from) && IsFloat(to):
		return true
	case IsInteger(from) && IsDecimal(to), IsDecimal(from) && IsDecimal(to):
		pf, sf, _ := DecimalOf(from)
		pt, st, _ := DecimalOf(to)
		return st >= sf && pt-st >= pf-sf
	case from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP:
		return true
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case IsString(to):
		return true
	}
	return false
}

// IsConstant reports whether e reads no column and no parameter.
func IsConstant(e Expr) bool {
	constant := true
	Walk(e, func(n Expr) bool {
		switch n.(type) {
		case *ColumnRef, *Param:
			constant = false
		}
		return constant
	})
	return constant
}
