package sqlgen

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

// aggregate renders one aggregate so that the source returns the gateway's value with the
// registry's result type (expr.AggCall.Type), and the caps of the result. ok is false for
// aggregates the dialect cannot compute exactly.
func (r *renderer) aggregate(a *expr.AggCall) (string, Caps, bool) {
	if len(a.OrderBy) > 0 || !r.d.Aggregates[a.Func] {
		return "", 0, false
	}
	if a.Func == "count" && len(a.Args) == 0 {
		if a.Distinct || !arrow.TypeEqual(a.Type, expr.Int64) {
			return "", 0, false
		}
		s, ok := r.aggCall("count", false, a.Filter, nil)
		return s, CapAll, ok
	}
	if len(a.Args) != 1 {
		return "", 0, false
	}
	x := a.Args[0]
	t := x.DataType()
	distinctOK := func(caps Caps) bool { return !a.Distinct || caps.groups() }
	valueArg := func(need Caps) func() (string, bool) {
		return func() (string, bool) {
			s, caps, ok := r.value(x)
			return s, ok && caps.Has(need) && distinctOK(caps)
		}
	}
	switch a.Func {
	case "count":
		if !arrow.TypeEqual(a.Type, expr.Int64) {
			return "", 0, false
		}
		// count only looks at NULL-ness, which every mapping keeps.
		s, ok := r.aggCall("count", a.Distinct, a.Filter, func() (string, bool) {
			s, caps, ok := r.operand(x, CapNone)
			return s, ok && distinctOK(caps)
		})
		return s, CapAll, ok
	case "sum":
		want, castResult := sumResult(t)
		if want == nil || !arrow.TypeEqual(want, a.Type) {
			return "", 0, false
		}
		s, ok := r.aggCall("sum", a.Distinct, a.Filter, valueArg(CapValue))
		if !ok {
			return "", 0, false
		}
		if castResult {
			name, ok := r.d.TypeName(a.Type)
			return "CAST(" + s + " AS " + name + ")", CapAll, ok
		}
		return s, CapAll, true
	case "avg":
		switch {
		case t.ID() == arrow.FLOAT64 && arrow.TypeEqual(a.Type, expr.Float64):
			s, ok := r.aggCall("avg", a.Distinct, a.Filter, valueArg(CapValue))
			return s, CapAll, ok
		case expr.IsDecimal(t) && r.d.GatewayDecimalAvg:
			_, sc, _ := expr.DecimalOf(t)
			name, ok := r.d.TypeName(a.Type)
			if !ok || !arrow.TypeEqual(a.Type, expr.Decimal(38, max(sc, 6))) {
				return "", 0, false
			}
			s, ok := r.aggCall("avg", a.Distinct, a.Filter, valueArg(CapValue))
			return "CAST(" + s + " AS " + name + ")", CapAll, ok
		case expr.IsDecimal(t):
			return r.exactAvg(a, valueArg(CapValue))
		}
		return "", 0, false
	case "min", "max":
		if !arrow.TypeEqual(t, a.Type) || t.ID() == arrow.BOOL {
			return "", 0, false
		}
		var caps Caps
		s, ok := r.aggCall(a.Func, a.Distinct, a.Filter, func() (string, bool) {
			s, c, ok := r.operand(x, CapOrder)
			caps = c
			return r.collateForOrder(s, t), ok
		})
		return s, caps, ok
	case "bool_and", "bool_or":
		if t.ID() != arrow.BOOL || a.Distinct {
			return "", 0, false
		}
		s, ok := r.aggCall(a.Func, false, a.Filter, valueArg(CapValue))
		return s, CapAll, ok
	}
	return "", 0, false
}

// sumResult is the registry's result type of sum over t and whether the source's own result
// type differs from it (so the sum is cast).
func sumResult(t arrow.DataType) (arrow.DataType, bool) {
	switch {
	case t.ID() == arrow.INT64:
		return expr.Decimal(38, 0), true
	case expr.IsInteger(t):
		return expr.Int64, true
	case expr.IsDecimal(t):
		_, s, _ := expr.DecimalOf(t)
		return expr.Decimal(38, s), true
	case t.ID() == arrow.FLOAT64:
		return expr.Float64, false
	}
	return nil, false
}

// aggCall renders fn([DISTINCT] arg) with an optional FILTER: natively, or as
// fn([DISTINCT] CASE WHEN filter THEN arg END), which is the same since aggregates skip NULLs.
// A nil arg is count(*).
func (r *renderer) aggCall(fn string, distinct bool, filter expr.Expr, arg func() (string, bool)) (string, bool) {
	d := ""
	if distinct {
		d = "DISTINCT "
	}
	if filter == nil || r.d.AggFilter {
		s := fn + "(*)"
		if arg != nil {
			x, ok := arg()
			if !ok {
				return "", false
			}
			s = fn + "(" + d + x + ")"
		}
		if filter == nil {
			return s, true
		}
		f, _, ok := r.predicate(filter, false)
		return s + " FILTER (WHERE " + f + ")", ok
	}
	f, _, ok := r.predicate(filter, false)
	if !ok {
		return "", false
	}
	x := "1"
	if arg != nil {
		if x, ok = arg(); !ok {
			return "", false
		}
	}
	return fn + "(" + d + "CASE WHEN " + f + " THEN " + x + " END)", true
}

// exactAvg renders avg of a decimal as the gateway computes it: sum / count rounded half away
// from zero to max(scale, 6) digits, with integer arithmetic so no intermediate rounding
// of the source (PostgreSQL's 16 significant digits, MySQL's div_precision_increment) can
// round twice:
//
//	sign(S) * ((A - mod(A, B)) / B) * 10^-s   where A = |S| * 2*10^s + N, B = 2 * N
//
// with S the sum and N the count of the non-NULL values, both under the same DISTINCT and
// FILTER. (A - mod(A, B)) is a multiple of B, so the division is exact in both dialects.
func (r *renderer) exactAvg(a *expr.AggCall, arg func() (string, bool)) (string, Caps, bool) {
	_, s, _ := expr.DecimalOf(a.Args[0].DataType())
	scale := max(s, 6)
	if !arrow.TypeEqual(a.Type, expr.Decimal(38, scale)) {
		return "", 0, false
	}
	name, ok := r.d.TypeName(a.Type)
	if !ok {
		return "", 0, false
	}
	twiceUnit := "2" + strings.Repeat("0", int(scale))
	unit := "0." + strings.Repeat("0", int(scale)-1) + "1"
	sum := func() (string, bool) { return r.aggCall("sum", a.Distinct, a.Filter, arg) }
	count := func() (string, bool) { return r.aggCall("count", a.Distinct, a.Filter, arg) }
	// The parts are rendered in text order so positional placeholders line up.
	var b strings.Builder
	parts := []any{"CAST(SIGN(", sum, ") * ((",
		"(ABS(", sum, ") * " + twiceUnit + " + ", count, ")",
		" - MOD(", "(ABS(", sum, ") * " + twiceUnit + " + ", count, ")", ", 2 * ", count, ")",
		") / (2 * ", count, ")) * " + unit + " AS " + name + ")"}
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b.WriteString(p)
		case func() (string, bool):
			s, ok := p()
			if !ok {
				return "", 0, false
			}
			b.WriteString(s)
		}
	}
	return b.String(), CapAll, true
}
