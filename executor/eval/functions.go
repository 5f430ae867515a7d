package eval

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// bindFunction picks the kernel for a registered scalar function whose arguments already have
// the parameter types params (the registry's Resolve) and whose result type is ret.
func bindFunction(name string, args []expr.Expr, nodes []node, params []arrow.DataType, ret arrow.DataType) (fnImpl, error) {
	strict := func(k kernel, err error) (fnImpl, error) {
		if err != nil {
			return fnImpl{}, err
		}
		return fnImpl{strict: true, run: k}, nil
	}
	lenient := func(k kernel, err error) (fnImpl, error) {
		if err != nil {
			return fnImpl{}, err
		}
		return fnImpl{run: k}, nil
	}
	switch name {
	case expr.FnAdd, expr.FnSub, expr.FnMul, expr.FnDiv, expr.FnMod:
		return strict(arithKernel(name, params[0], params[1], ret))
	case "mod":
		return strict(arithKernel(expr.FnMod, params[0], params[1], ret))
	case expr.FnNeg:
		return strict(negKernel(params[0]))
	case expr.FnEq, expr.FnNotEq, expr.FnLt, expr.FnLtEq, expr.FnGt, expr.FnGtEq:
		return strict(compareKernel(name, params[0]))
	case expr.FnIsDistinctFrom:
		return lenient(distinctKernel(false, params[0]))
	case expr.FnIsNotDistinctFrom:
		return lenient(distinctKernel(true, params[0]))
	case expr.FnNot:
		return strict(notKernel, nil)
	case expr.FnIsNull:
		return lenient(isNullKernel(false), nil)
	case expr.FnIsNotNull:
		return lenient(isNullKernel(true), nil)
	case expr.FnLike, expr.FnILike:
		return strict(likeKernel(name == expr.FnILike, nodes, args))
	case "nullif":
		return lenient(nullifKernel(params[0]))
	case "greatest", "least":
		return lenient(greatestLeastKernel(name == "greatest", params[0]))
	case "concat":
		return lenient(concatKernel, nil)
	case "extract", "date_part":
		field, ok := expr.ExtractField(args[0])
		if !ok {
			return fnImpl{}, errs.New(errs.KindInvalidArgument, "%s: the field must be a constant", name)
		}
		return strict(extractKernel(field, params[1], ret, name == "date_part"))
	case "date_trunc":
		unit, ok := expr.ExtractField(args[0])
		if !ok {
			return fnImpl{}, errs.New(errs.KindInvalidArgument, "date_trunc: the unit must be a constant")
		}
		return strict(dateTruncKernel(unit, params[1]))
	case "make_date":
		return strict(makeDateKernel, nil)
	case "to_char":
		return strict(toCharKernel(params[0], nodes[1]))
	}
	if k, ok, err := stringFunction(name, nodes, params, ret); ok {
		return strict(k, err)
	}
	if k, ok, err := mathFunction(name, params, ret); ok {
		return strict(k, err)
	}
	return fnImpl{}, errs.NotSupportedf("function %s in the evaluator", name)
}

// positions returns the input positions of the columns e reads.
func (c *compiler) positions(e expr.Expr) []int {
	var out []int
	for _, id := range expr.Columns(e) {
		if p, ok := c.layout[id]; ok {
			out = append(out, p)
		}
	}
	return out
}

// infallibleFuncs cannot raise an error for any input (given infallible arguments); lazy
// CASE, AND, OR and COALESCE evaluate such parts on the whole batch instead of selecting rows.
var infallibleFuncs = map[string]bool{
	expr.FnEq: true, expr.FnNotEq: true, expr.FnLt: true, expr.FnLtEq: true, expr.FnGt: true, expr.FnGtEq: true,
	expr.FnIsDistinctFrom: true, expr.FnIsNotDistinctFrom: true, expr.FnAnd: true, expr.FnOr: true,
	expr.FnNot: true, expr.FnIsNull: true, expr.FnIsNotNull: true, "starts_with": true,
	expr.FnConcatOp: true, "concat": true, "coalesce": true, "greatest": true, "least": true,
	"nullif": true, "lower": true, "upper": true, "md5": true, "reverse": true, "initcap": true,
	"trim": true, "ltrim": true, "rtrim": true, "length": true, "octet_length": true,
	"strpos": true, "replace": true, "left": true, "right": true, "sha256": true,
	"date_trunc": true, "extract": true, "date_part": true,
}

// fallible reports whether evaluating e may raise an error on some row, so that lazy
// constructs must evaluate it only on the rows that reach it.
func fallible(e expr.Expr) bool {
	switch x := e.(type) {
	case *expr.ColumnRef, *expr.Literal:
		return false
	case *expr.Mask:
		return fallible(x.Arg)
	case *expr.Cast:
		return !castCannotFail(x.Arg.DataType(), x.Type) || fallible(x.Arg)
	case *expr.Call:
		safe := infallibleFuncs[x.Func]
		switch x.Func {
		case expr.FnLike, expr.FnILike:
			// Constant patterns are checked at compile time.
			safe = true
			for _, a := range x.Args[1:] {
				if _, ok := a.(*expr.Literal); !ok {
					safe = false
				}
			}
		case expr.FnAdd, expr.FnSub, expr.FnMul:
			safe = decimalCannotOverflow(x)
		case "abs", expr.FnNeg, "floor", "ceil", "round", "trunc", "sign":
			safe = expr.IsFloat(x.Type)
		}
		if !safe {
			return true
		}
		for _, a := range x.Args {
			if fallible(a) {
				return true
			}
		}
		return false
	case *expr.Case, *expr.InList:
		for _, ch := range e.Children() {
			if fallible(ch) {
				return true
			}
		}
		return false
	}
	return true
}

// decimalCannotOverflow reports whether a decimal + - * has a result type wide enough for
// every input (the registry only clamps at 38 digits).
func decimalCannotOverflow(call *expr.Call) bool {
	if len(call.Args) != 2 || !expr.IsDecimal(call.Type) {
		return false
	}
	p1, s1, ok1 := expr.DecimalOf(call.Args[0].DataType())
	p2, s2, ok2 := expr.DecimalOf(call.Args[1].DataType())
	if !ok1 || !ok2 {
		return false
	}
	rt := call.Type.(*arrow.Decimal128Type)
	switch call.Func {
	case expr.FnAdd, expr.FnSub:
		s := max(s1, s2)
		return rt.Scale == s && rt.Precision >= max(p1-s1, p2-s2)+s+1
	case expr.FnMul:
		return rt.Scale == s1+s2 && rt.Precision >= p1+p2
	}
	return false
}

// castCannotFail mirrors expr's rule of which casts succeed for every value.
func castCannotFail(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), expr.IsNull(from), expr.IsString(to):
		return true
	case expr.IsInteger(from) && expr.IsInteger(to):
		return intWidth(to) >= intWidth(from)
	case expr.IsInteger(from) && expr.IsFloat(to):
		return true
	case expr.IsInteger(from) && expr.IsDecimal(to), expr.IsDecimal(from) && expr.IsDecimal(to):
		pf, sf, _ := expr.DecimalOf(from)
		pt, st, _ := expr.DecimalOf(to)
		return st >= sf && pt-st >= pf-sf
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP, from.ID() == arrow.TIMESTAMP && to.ID() == arrow.DATE32:
		return true
	case from.ID() == arrow.BOOL && expr.IsInteger(to):
		return true
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
