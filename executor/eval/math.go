package eval

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func errMath(msg string) error { return errs.New(errs.KindInvalidArgument, "%s", msg) }

// mathFunction binds the numeric functions of the registry; ok is false for other names.
func mathFunction(name string, params []arrow.DataType, ret arrow.DataType) (kernel, bool, error) {
	t := params[0]
	switch name {
	case "abs":
		k, err := absKernel(t)
		return k, true, err
	case "sign":
		k, err := signKernel(t)
		return k, true, err
	case "round", "trunc":
		k, err := roundKernel(name == "trunc", t, ret, len(params) == 2)
		return k, true, err
	case "floor", "ceil":
		k, err := floorKernel(name == "ceil", t, ret)
		return k, true, err
	case "sqrt":
		return floatUnary(func(x float64) (float64, error) {
			if x < 0 {
				return 0, errMath("cannot take square root of a negative number")
			}
			return math.Sqrt(x), nil
		}), true, nil
	case "ln", "log10":
		f := math.Log
		if name == "log10" {
			f = math.Log10
		}
		return floatUnary(func(x float64) (float64, error) {
			switch {
			case x == 0:
				return 0, errMath("cannot take logarithm of zero")
			case x < 0:
				return 0, errMath("cannot take logarithm of a negative number")
			}
			return f(x), nil
		}), true, nil
	case "exp":
		return floatUnary(func(x float64) (float64, error) {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				if x < 0 {
					return 0, nil
				}
				return x, nil
			}
			r := math.Exp(x)
			switch {
			case math.IsInf(r, 0):
				return 0, errMath(msgFloatOverflow)
			case r == 0:
				return 0, errMath(msgFloatUnderflw)
			}
			return r, nil
		}), true, nil
	case "cbrt":
		return floatUnary(func(x float64) (float64, error) { return math.Cbrt(x), nil }), true, nil
	case "power":
		return binaryFixed(expr.Float64, float64To[float64], float64To[float64], power), true, nil
	}
	return nil, false, nil
}

// power follows PostgreSQL's dpow, including its errors for undefined and out-of-range
// results.
func power(x, y float64) (float64, error) {
	switch {
	case math.IsNaN(x):
		if math.IsNaN(y) || y != 0 {
			return math.NaN(), nil
		}
		return 1, nil
	case math.IsNaN(y):
		if x != 1 {
			return math.NaN(), nil
		}
		return 1, nil
	case x == 0 && y < 0:
		return 0, errMath("zero raised to a negative power is undefined")
	case x < 0 && math.Floor(y) != y:
		return 0, errMath("a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(x, y)
	finite := !math.IsInf(x, 0) && !math.IsInf(y, 0)
	switch {
	case math.IsInf(r, 0) && finite:
		return 0, errMath(msgFloatOverflow)
	case r == 0 && x != 0 && finite:
		return 0, errMath(msgFloatUnderflw)
	}
	return r, nil
}

func floatUnary(f func(float64) (float64, error)) kernel {
	return unaryFixed(expr.Float64, f)
}

func absKernel(t arrow.DataType) (kernel, error) {
	switch t.ID() {
	case arrow.INT8:
		return unaryFixed(t, absInt[int8](t)), nil
	case arrow.INT16:
		return unaryFixed(t, absInt[int16](t)), nil
	case arrow.INT32:
		return unaryFixed(t, absInt[int32](t)), nil
	case arrow.INT64:
		return unaryFixed(t, absInt[int64](t)), nil
	case arrow.FLOAT32:
		return unaryFixed(t, func(x float32) (float32, error) {
			return float32(math.Abs(float64(x))), nil
		}), nil
	case arrow.FLOAT64:
		return unaryFixed(t, func(x float64) (float64, error) { return math.Abs(x), nil }), nil
	case arrow.DECIMAL128:
		return unaryFixed(t, func(x decNum) (decNum, error) { return x.Abs(), nil }), nil
	}
	return nil, errs.NotSupportedf("abs(%s)", expr.SQLTypeName(t))
}

func absInt[T integer](t arrow.DataType) func(T) (T, error) {
	neg := negInt[T](t)
	return func(x T) (T, error) {
		if x < 0 {
			return neg(x)
		}
		return x, nil
	}
}

func signKernel(t arrow.DataType) (kernel, error) {
	switch t.ID() {
	case arrow.INT8:
		return unaryFixed(t, signInt[int8]), nil
	case arrow.INT16:
		return unaryFixed(t, signInt[int16]), nil
	case arrow.INT32:
		return unaryFixed(t, signInt[int32]), nil
	case arrow.INT64:
		return unaryFixed(t, signInt[int64]), nil
	case arrow.FLOAT32:
		return unaryFixed(t, signFloat[float32]), nil
	case arrow.FLOAT64:
		return unaryFixed(t, signFloat[float64]), nil
	case arrow.DECIMAL128:
		one := pow10U[t.(*arrow.Decimal128Type).Scale].signed(false)
		return unaryFixed(t, func(x decNum) (decNum, error) {
			switch x.Sign() {
			case 1:
				return one, nil
			case -1:
				return one.Negate(), nil
			}
			return decNum{}, nil
		}), nil
	}
	return nil, errs.NotSupportedf("sign(%s)", expr.SQLTypeName(t))
}

func signInt[T integer](x T) (T, error) {
	switch {
	case x > 0:
		return 1, nil
	case x < 0:
		return -1, nil
	}
	return 0, nil
}

// signFloat is PostgreSQL's: NaN gives 0.
func signFloat[T float](x T) (T, error) {
	switch {
	case x > 0:
		return 1, nil
	case x < 0:
		return -1, nil
	}
	return 0, nil
}

// roundKernel binds round/trunc with or without a digits argument. Floats without digits
// round half to even (PostgreSQL's rint); with digits, and decimals and integers always,
// round half away from zero on the decimal digits, as PostgreSQL's numeric.
func roundKernel(trunc bool, t, rt arrow.DataType, withDigits bool) (kernel, error) {
	if !withDigits {
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			return identityKernel, nil
		case arrow.FLOAT32:
			f := math.RoundToEven
			if trunc {
				f = math.Trunc
			}
			return unaryFixed(t, func(x float32) (float32, error) {
				return float32(f(float64(x))), nil
			}), nil
		case arrow.FLOAT64:
			f := math.RoundToEven
			if trunc {
				f = math.Trunc
			}
			return unaryFixed(t, func(x float64) (float64, error) { return f(x), nil }), nil
		case arrow.DECIMAL128:
			s := t.(*arrow.Decimal128Type).Scale
			p := rt.(*arrow.Decimal128Type).Precision
			return unaryFixed(rt, func(x decNum) (decNum, error) {
				return decRoundTo(x, s, 0, 0, p, trunc)
			}), nil
		}
		return nil, errs.NotSupportedf("round(%s)", expr.SQLTypeName(t))
	}
	switch t.ID() {
	case arrow.INT8:
		return binaryFixed(rt, int64To[int8], i32Of, roundInt[int8](t, trunc)), nil
	case arrow.INT16:
		return binaryFixed(rt, int64To[int16], i32Of, roundInt[int16](t, trunc)), nil
	case arrow.INT32:
		return binaryFixed(rt, int64To[int32], i32Of, roundInt[int32](t, trunc)), nil
	case arrow.INT64:
		return binaryFixed(rt, int64To[int64], i32Of, roundInt[int64](t, trunc)), nil
	case arrow.FLOAT32:
		return binaryFixed(rt, float64To[float32], i32Of, func(x float32, n int32) (float32, error) {
			return float32(roundFloatDigits(float64(x), n, trunc, 32)), nil
		}), nil
	case arrow.FLOAT64:
		return binaryFixed(rt, float64To[float64], i32Of, func(x float64, n int32) (float64, error) {
			return roundFloatDigits(x, n, trunc, 64), nil
		}), nil
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		p := d.Precision
		if rd, ok := rt.(*arrow.Decimal128Type); ok {
			p = rd.Precision // the planner allows a carry into one more digit
		}
		return binaryFixed(rt, decOf, i32Of, func(x decNum, n int32) (decNum, error) {
			if n >= d.Scale {
				return x, nil
			}
			return decRoundTo(x, d.Scale, n, d.Scale, p, trunc)
		}), nil
	}
	return nil, errs.NotSupportedf("round(%s, integer)", expr.SQLTypeName(t))
}

func identityKernel(_ *evalCtx, _ int, args []vec) (vec, error) { return args[0].retained(), nil }

// decRoundTo rounds (or truncates) x of scale s to digits fractional digits (negative: tens,
// hundreds…) and returns it at scale outScale, checking precision p.
func decRoundTo(x decNum, s, digits, outScale, p int32, trunc bool) (decNum, error) {
	var r decNum
	if trunc {
		r = decTruncScale(x, s, digits)
	} else {
		var ok bool
		if r, ok = decRescale(x, s, digits); !ok {
			return decNum{}, errNumericOverflow()
		}
	}
	if outScale != digits {
		var ok bool
		if r, ok = decRescale(r, digits, outScale); !ok {
			return decNum{}, errNumericOverflow()
		}
	}
	if !decFits(r, p) {
		return decNum{}, errNumericOverflow()
	}
	return r, nil
}

// decTruncScale drops digits toward zero, from scale `from` to a smaller scale `to`.
func decTruncScale(x decNum, from, to int32) decNum {
	k := from - to
	if k <= 0 {
		return x
	}
	if k > 38 {
		return decNum{}
	}
	if fits64(x) && k <= 18 {
		return decFromI64(int64(x.LowBits()) / pow10I64[k])
	}
	m, neg := magnitude(x)
	if k <= 19 {
		q, _ := divU128By64(m, pow10U[k].lo)
		return q.signed(neg)
	}
	q := new(big.Int).Quo(x.BigInt(), pow10Big(k))
	r, _ := bigToDec(q)
	return r
}

// roundInt rounds an integer to n digits; only negative n changes it.
func roundInt[T integer](t arrow.DataType, trunc bool) func(T, int32) (T, error) {
	return func(x T, n int32) (T, error) {
		if n >= 0 {
			return x, nil
		}
		if n < -18 {
			return 0, nil
		}
		m := pow10I64[-n]
		v := int64(x)
		q, r := v/m, v%m
		if !trunc && absU64(r) >= uint64(m)-absU64(r) {
			if v < 0 {
				q--
			} else {
				q++
			}
		}
		res, ok := mulI64(q, m)
		if !ok || res != int64(T(res)) {
			return 0, errIntRange(t)
		}
		return T(res), nil
	}
}

// roundFloatDigits rounds x half away from zero (or truncates) at n decimal digits of its
// shortest decimal representation, so round(2.675, 2) is 2.68 as for the numeric 2.675.
func roundFloatDigits(x float64, n int32, trunc bool, bitSize int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	neg := x < 0
	s := strconv.FormatFloat(math.Abs(x), 'f', -1, bitSize)
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart)
	cut := point + int(n)
	if cut >= len(digits) {
		return x
	}
	if cut < 0 {
		if neg {
			return math.Copysign(0, -1)
		}
		return 0
	}
	kept := []byte(digits[:cut])
	if !trunc && digits[cut] >= '5' {
		i := len(kept) - 1
		for ; i >= 0; i-- {
			if kept[i] == '9' {
				kept[i] = '0'
				continue
			}
			kept[i]++
			break
		}
		if i < 0 {
			kept = append([]byte{'1'}, kept...)
			point++
			cut++
		}
	}
	if len(kept) == 0 {
		kept = []byte{'0'}
	}
	txt := string(kept) + "e" + strconv.Itoa(point-cut)
	r, err := strconv.ParseFloat(txt, bitSize)
	if err != nil {
		return x
	}
	if neg {
		r = -r
	}
	return r
}

// floorKernel binds floor/ceil; decimals give scale 0 (the registry's result type).
func floorKernel(ceil bool, t, rt arrow.DataType) (kernel, error) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return identityKernel, nil
	case arrow.FLOAT32:
		f := math.Floor
		if ceil {
			f = math.Ceil
		}
		return unaryFixed(t, func(x float32) (float32, error) { return float32(f(float64(x))), nil }), nil
	case arrow.FLOAT64:
		f := math.Floor
		if ceil {
			f = math.Ceil
		}
		return unaryFixed(t, func(x float64) (float64, error) { return f(x), nil }), nil
	case arrow.DECIMAL128:
		s := t.(*arrow.Decimal128Type).Scale
		p := rt.(*arrow.Decimal128Type).Precision
		return unaryFixed(rt, func(x decNum) (decNum, error) {
			q := decTruncScale(x, s, 0)
			back, ok := decRescale(q, 0, s)
			if ok && back != x {
				// Truncation went toward zero; step once more for floor of negatives and
				// ceil of positives.
				if ceil && x.Sign() > 0 {
					q = q.Add(decFromI64(1))
				} else if !ceil && x.Sign() < 0 {
					q = q.Sub(decFromI64(1))
				}
			}
			if !decFits(q, p) {
				return decNum{}, errNumericOverflow()
			}
			return q, nil
		}), nil
	}
	return nil, errs.NotSupportedf("floor(%s)", expr.SQLTypeName(t))
}
