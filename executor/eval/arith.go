package eval

import (
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Error messages shared with PostgreSQL.
const (
	msgDivByZero     = "division by zero"
	msgFloatOverflow = "value out of range: overflow"
	msgFloatUnderflw = "value out of range: underflow"
)

func errDivByZero() error { return errs.New(errs.KindInvalidArgument, msgDivByZero) }

// errIntRange is PostgreSQL's "integer out of range" with the type's own name.
func errIntRange(t arrow.DataType) error {
	return errs.New(errs.KindInvalidArgument, "%s out of range", intTypeWord(t))
}

func intTypeWord(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT8:
		return "tinyint"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	}
	return "bigint"
}

// arithKernel binds + - * / % for the parameter types the registry resolved.
func arithKernel(op string, a, b, r arrow.DataType) (kernel, error) {
	switch {
	case expr.IsInteger(a) && arrow.TypeEqual(a, b) && arrow.TypeEqual(a, r):
		switch a.ID() {
		case arrow.INT8:
			return intArith[int8](op, r), nil
		case arrow.INT16:
			return intArith[int16](op, r), nil
		case arrow.INT32:
			return intArith[int32](op, r), nil
		default:
			return intArith[int64](op, r), nil
		}
	case expr.IsFloat(a) && arrow.TypeEqual(a, b) && arrow.TypeEqual(a, r):
		if a.ID() == arrow.FLOAT32 {
			return floatArith[float32](op, r), nil
		}
		return floatArith[float64](op, r), nil
	case expr.IsDecimal(a) && expr.IsDecimal(b) && expr.IsDecimal(r):
		return decimalArith(op, a.(*arrow.Decimal128Type), b.(*arrow.Decimal128Type), r.(*arrow.Decimal128Type))
	}
	return temporalArith(op, a, b, r)
}

// operand returns an argument's values and an index mask: arrays are read at i, scalars (one
// element) at 0, so one loop serves array–array, array–scalar and scalar–array.
func operand[T any](v vec, conv func(any) T) ([]T, int) {
	if v.arr == nil {
		return []T{conv(v.val)}, 0
	}
	return fixedValues[T](v.arr), -1
}

func int64To[T integer](v any) T { return T(v.(int64)) }

func intArith[T integer](op string, rt arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], int64To[T])
		ys, ym := operand(args[1], int64To[T])
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[T](c.alloc, n)
		var err error
		switch op {
		case expr.FnAdd:
			var ovf T
			for i := range out {
				x, y := xs[i&xm], ys[i&ym]
				r := x + y
				out[i] = r
				ovf |= (x ^ r) & (y ^ r)
			}
			if ovf < 0 {
				err = firstInvalid(n, valid, func(i int) bool {
					x, y := xs[i&xm], ys[i&ym]
					r := x + y
					return (x^r)&(y^r) < 0
				}, errIntRange(rt))
			}
		case expr.FnSub:
			var ovf T
			for i := range out {
				x, y := xs[i&xm], ys[i&ym]
				r := x - y
				out[i] = r
				ovf |= (x ^ y) & (x ^ r)
			}
			if ovf < 0 {
				err = firstInvalid(n, valid, func(i int) bool {
					x, y := xs[i&xm], ys[i&ym]
					r := x - y
					return (x^y)&(x^r) < 0
				}, errIntRange(rt))
			}
		case expr.FnMul:
			var ovf uint64
			if unsafe.Sizeof(T(0)) == 8 {
				for i := range out {
					x, y := int64(xs[i&xm]), int64(ys[i&ym])
					hi, lo := bits.Mul64(uint64(x), uint64(y))
					hi -= uint64(x>>63) & uint64(y)
					hi -= uint64(y>>63) & uint64(x)
					out[i] = T(lo)
					ovf |= hi ^ uint64(int64(lo)>>63)
				}
				if ovf != 0 {
					err = firstInvalid(n, valid, func(i int) bool {
						x, y := int64(xs[i&xm]), int64(ys[i&ym])
						r := x * y
						return x != 0 && (r/x != y || (x == -1 && y == math.MinInt64))
					}, errIntRange(rt))
				}
			} else {
				for i := range out {
					r := int64(xs[i&xm]) * int64(ys[i&ym])
					out[i] = T(r)
					ovf |= uint64(r ^ int64(T(r)))
				}
				if ovf != 0 {
					err = firstInvalid(n, valid, func(i int) bool {
						r := int64(xs[i&xm]) * int64(ys[i&ym])
						return r != int64(T(r))
					}, errIntRange(rt))
				}
			}
		case expr.FnDiv, expr.FnMod:
			minT := T(-1) << (8*unsafe.Sizeof(T(0)) - 1)
			for i := range out {
				x, y := xs[i&xm], ys[i&ym]
				switch y {
				case 0:
					out[i] = 0
					if valid.ok(i) {
						err = errDivByZero()
					}
				case -1:
					// x / -1 overflows for the minimum value; x % -1 is always 0.
					if op == expr.FnMod {
						out[i] = 0
					} else {
						out[i] = -x
						if x == minT && valid.ok(i) {
							err = errIntRange(rt)
						}
					}
				default:
					if op == expr.FnDiv {
						out[i] = x / y
					} else {
						out[i] = x % y
					}
				}
				if err != nil {
					break
				}
			}
		default:
			err = errs.New(errs.KindInternal, "unknown arithmetic operator %s", op)
		}
		if err != nil {
			buf.Release()
			releaseBuf(validity)
			return vec{}, err
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

func releaseBuf(b *memory.Buffer) {
	if b != nil {
		b.Release()
	}
}

// firstInvalid returns err if bad(i) holds for some valid row: the fast loops flag a possible
// error for the whole batch, and NULL rows (whose slots hold arbitrary values) must not raise it.
func firstInvalid(n int, valid validBits, bad func(i int) bool, err error) error {
	for i := 0; i < n; i++ {
		if valid.ok(i) && bad(i) {
			return err
		}
	}
	return nil
}

func float64To[T float](v any) T { return T(v.(float64)) }

func isInf[T float](x T) bool { return math.IsInf(float64(x), 0) }

// floatArith follows PostgreSQL's float8 operators: IEEE results, except that an infinite
// result from finite inputs is an overflow error, a zero product or quotient of non-zero
// inputs an underflow error, and division by zero an error.
func floatArith[T float](op string, rt arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], float64To[T])
		ys, ym := operand(args[1], float64To[T])
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[T](c.alloc, n)
		var err error
		switch op {
		case expr.FnAdd:
			for i := range out {
				out[i] = xs[i&xm] + ys[i&ym]
			}
		case expr.FnSub:
			for i := range out {
				out[i] = xs[i&xm] - ys[i&ym]
			}
		case expr.FnMul:
			for i := range out {
				out[i] = xs[i&xm] * ys[i&ym]
			}
		case expr.FnDiv:
			for i := range out {
				x, y := xs[i&xm], ys[i&ym]
				if y == 0 && x == x && valid.ok(i) {
					err = errDivByZero()
					break
				}
				out[i] = x / y
			}
		case expr.FnMod:
			for i := range out {
				x, y := xs[i&xm], ys[i&ym]
				if y == 0 && valid.ok(i) {
					err = errDivByZero()
					break
				}
				out[i] = T(math.Mod(float64(x), float64(y)))
			}
		}
		if err == nil && op != expr.FnMod {
			for i, r := range out {
				inf, zero := isInf(r), r == 0
				if !inf && !zero {
					continue
				}
				if !valid.ok(i) {
					continue
				}
				x, y := xs[i&xm], ys[i&ym]
				switch {
				case inf && !isInf(x) && !isInf(y):
					err = errs.New(errs.KindInvalidArgument, msgFloatOverflow)
				case zero && op == expr.FnMul && x != 0 && y != 0:
					err = errs.New(errs.KindInvalidArgument, msgFloatUnderflw)
				case zero && op == expr.FnDiv && x != 0 && !isInf(y):
					err = errs.New(errs.KindInvalidArgument, msgFloatUnderflw)
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			buf.Release()
			releaseBuf(validity)
			return vec{}, err
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

// negKernel is unary minus.
func negKernel(t arrow.DataType) (kernel, error) {
	switch t.ID() {
	case arrow.INT8:
		return unaryFixed(t, negInt[int8](t)), nil
	case arrow.INT16:
		return unaryFixed(t, negInt[int16](t)), nil
	case arrow.INT32:
		return unaryFixed(t, negInt[int32](t)), nil
	case arrow.INT64:
		return unaryFixed(t, negInt[int64](t)), nil
	case arrow.FLOAT32:
		return unaryFixed(t, func(x float32) (float32, error) { return -x, nil }), nil
	case arrow.FLOAT64:
		return unaryFixed(t, func(x float64) (float64, error) { return -x, nil }), nil
	case arrow.DECIMAL128:
		return unaryFixed(t, func(x decNum) (decNum, error) { return x.Negate(), nil }), nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return unaryFixed(t, negInterval), nil
	}
	return nil, errs.NotSupportedf("unary minus on %s", expr.SQLTypeName(t))
}

func negInt[T integer](t arrow.DataType) func(T) (T, error) {
	minT := T(-1) << (8*unsafe.Sizeof(T(0)) - 1)
	return func(x T) (T, error) {
		if x == minT {
			return 0, errIntRange(t)
		}
		return -x, nil
	}
}

// unaryFixed applies f to every valid row of a fixed-width argument; the result has type rt
// and the argument's NULLs. f may fail; NULL rows are never passed to it.
func unaryFixed[T, R any](rt arrow.DataType, f func(T) (R, error)) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0]
		xs := fixedValues[T](a.arr)
		validity, nulls := andValidity(c.alloc, n, a)
		valid := bufBits(validity)
		buf, out := newFixed[R](c.alloc, n)
		for i := range out {
			if !valid.ok(i) {
				var zero R
				out[i] = zero
				continue
			}
			r, err := f(xs[i])
			if err != nil {
				buf.Release()
				releaseBuf(validity)
				return vec{}, err
			}
			out[i] = r
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}
