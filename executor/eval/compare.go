package eval

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Comparisons are built from two primitives, less-than and equality, each writing one bit per
// row. The other four operators swap the arguments or invert the bits, which is exact because
// every type here is totally ordered (floats use PostgreSQL's order: NaN equals NaN and sorts
// above every number).

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpOps = map[string]cmpOp{
	expr.FnEq: opEq, expr.FnNotEq: opNe, expr.FnLt: opLt, expr.FnLtEq: opLe, expr.FnGt: opGt, expr.FnGtEq: opGe,
}

// cmpPrim writes bit i = prim(a[i], b[i]) for n rows into out (whole bytes; bits past n are
// unspecified). At most one of a and b is a scalar, and neither is a NULL scalar.
type cmpPrim func(a, b vec, n int, out []byte)

type cmpPrims struct{ lt, eq cmpPrim }

func cmpPrimsFor(t arrow.DataType) (cmpPrims, error) {
	switch t.ID() {
	case arrow.INT8:
		return ordPrims(func(v any) int8 { return int8(v.(int64)) }), nil
	case arrow.INT16:
		return ordPrims(func(v any) int16 { return int16(v.(int64)) }), nil
	case arrow.INT32:
		return ordPrims(func(v any) int32 { return int32(v.(int64)) }), nil
	case arrow.INT64:
		return ordPrims(func(v any) int64 { return v.(int64) }), nil
	case arrow.DATE32:
		return ordPrims(func(v any) int32 { return int32(v.(arrow.Date32)) }), nil
	case arrow.TIMESTAMP:
		return ordPrims(func(v any) int64 { return int64(v.(arrow.Timestamp)) }), nil
	case arrow.FLOAT32:
		return floatPrims(func(v any) float32 { return float32(v.(float64)) }), nil
	case arrow.FLOAT64:
		return floatPrims(func(v any) float64 { return v.(float64) }), nil
	case arrow.DECIMAL128:
		return cmpPrims{lt: decLtPrim, eq: decEqPrim}, nil
	case arrow.STRING, arrow.BINARY:
		return cmpPrims{lt: bytesLtPrim, eq: bytesEqPrim}, nil
	case arrow.BOOL:
		return cmpPrims{lt: boolLtPrim, eq: boolEqPrim}, nil
	case arrow.NULL:
		// NULL = NULL (both of type unknown): every value is NULL, so the comparison is too;
		// the result bits are never read.
		none := func(a, b vec, n int, out []byte) {}
		return cmpPrims{lt: none, eq: none}, nil
	}
	return cmpPrims{}, errs.NotSupportedf("comparing values of type %s", expr.SQLTypeName(t))
}

// compareKernel implements = <> < <= > >= for arguments of type t.
func compareKernel(op string, t arrow.DataType) (kernel, error) {
	o, ok := cmpOps[op]
	if !ok {
		return nil, errs.New(errs.KindInternal, "unknown comparison %s", op)
	}
	p, err := cmpPrimsFor(t)
	if err != nil {
		return nil, err
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a, b := args[0], args[1]
		buf := newBitmap(c.alloc, n)
		out := buf.Bytes()
		invert := false
		switch o {
		case opEq:
			p.eq(a, b, n, out)
		case opNe:
			p.eq(a, b, n, out)
			invert = true
		case opLt:
			p.lt(a, b, n, out)
		case opGe:
			p.lt(a, b, n, out)
			invert = true
		case opGt:
			p.lt(b, a, n, out)
		case opLe:
			p.lt(b, a, n, out)
			invert = true
		}
		if invert {
			for i := range out {
				out[i] = ^out[i]
			}
		}
		validity, nulls := andValidity(c.alloc, n, a, b)
		return arrayVec(makeArray(expr.Bool, n, validity, nulls, buf)), nil
	}, nil
}

// distinctKernel implements IS [NOT] DISTINCT FROM: NULLs compare equal to each other and
// unequal to values; the result is never NULL.
func distinctKernel(negated bool, t arrow.DataType) (kernel, error) {
	p, err := cmpPrimsFor(t)
	if err != nil {
		return nil, err
	}
	// negated is IS NOT DISTINCT FROM, i.e. "equal".
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a, b := args[0], args[1]
		if a.isNullScalar() {
			a, b = b, a
		}
		buf := newBitmap(c.alloc, n)
		out := buf.Bytes()
		if b.isNullScalar() {
			// equal exactly where a is NULL
			var av []byte
			if a.arr != nil {
				_, av = boolBitsValidity(a.arr, n)
			}
			for i := range out {
				if a.isNullScalar() {
					out[i] = 0xFF
				} else if av == nil {
					out[i] = 0
				} else {
					out[i] = ^av[i]
				}
			}
		} else {
			p.eq(a, b, n, out)
			var ad, bd []byte
			if a.arr != nil {
				_, ad = boolBitsValidity(a.arr, n)
			}
			if b.arr != nil {
				_, bd = boolBitsValidity(b.arr, n)
			}
			if ad != nil || bd != nil {
				for i := range out {
					x, y := byte(0xFF), byte(0xFF)
					if ad != nil {
						x = ad[i]
					}
					if bd != nil {
						y = bd[i]
					}
					out[i] = (x & y & out[i]) | (^x & ^y)
				}
			}
		}
		if !negated {
			for i := range out {
				out[i] = ^out[i]
			}
		}
		return arrayVec(makeArray(expr.Bool, n, nil, 0, buf)), nil
	}, nil
}

// boolBitsValidity returns an offset-0 copy (or aligned view) of a's validity; nil when a has
// no NULLs. The first result is unused and kept for symmetry with boolBits.
func boolBitsValidity(a arrow.Array, n int) ([]byte, []byte) {
	if a.NullN() == 0 {
		return nil, nil
	}
	if a.DataType().ID() == arrow.NULL {
		return nil, make([]byte, (n+7)/8)
	}
	vb, voff := bitsOf(a)
	nb := (n + 7) / 8
	if voff%8 == 0 {
		return nil, vb[voff/8 : voff/8+nb]
	}
	out := make([]byte, nb)
	bitutil.CopyBitmap(vb, voff, n, out, 0)
	return nil, out
}

// ---- ordered integers (and dates, timestamps) ----

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64
}

func ordPrims[T integer](conv func(any) T) cmpPrims {
	return cmpPrims{
		lt: func(a, b vec, n int, out []byte) {
			switch {
			case a.arr != nil && b.arr != nil:
				ltAA(fixedValues[T](a.arr), fixedValues[T](b.arr), out)
			case a.arr != nil:
				ltAS(fixedValues[T](a.arr), conv(b.val), out)
			default:
				gtAS(fixedValues[T](b.arr), conv(a.val), out)
			}
		},
		eq: func(a, b vec, n int, out []byte) {
			switch {
			case a.arr != nil && b.arr != nil:
				eqAA(fixedValues[T](a.arr), fixedValues[T](b.arr), out)
			case a.arr != nil:
				eqAS(fixedValues[T](a.arr), conv(b.val), out)
			default:
				eqAS(fixedValues[T](b.arr), conv(a.val), out)
			}
		},
	}
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// The loops below pack eight comparisons into one byte without branches.

func ltAS[T integer](x []T, s T, out []byte) {
	n := len(x)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] < s) | b2u(v[1] < s)<<1 | b2u(v[2] < s)<<2 | b2u(v[3] < s)<<3 |
			b2u(v[4] < s)<<4 | b2u(v[5] < s)<<5 | b2u(v[6] < s)<<6 | b2u(v[7] < s)<<7
	}
	if i < n {
		var w byte
		for j := i; j < n; j++ {
			w |= b2u(x[j] < s) << uint(j-i)
		}
		out[i>>3] = w
	}
}

func gtAS[T integer](x []T, s T, out []byte) {
	n := len(x)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] > s) | b2u(v[1] > s)<<1 | b2u(v[2] > s)<<2 | b2u(v[3] > s)<<3 |
			b2u(v[4] > s)<<4 | b2u(v[5] > s)<<5 | b2u(v[6] > s)<<6 | b2u(v[7] > s)<<7
	}
	if i < n {
		var w byte
		for j := i; j < n; j++ {
			w |= b2u(x[j] > s) << uint(j-i)
		}
		out[i>>3] = w
	}
}

func eqAS[T integer](x []T, s T, out []byte) {
	n := len(x)
	i := 0
	for ; i+8 <= n; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] == s) | b2u(v[1] == s)<<1 | b2u(v[2] == s)<<2 | b2u(v[3] == s)<<3 |
			b2u(v[4] == s)<<4 | b2u(v[5] == s)<<5 | b2u(v[6] == s)<<6 | b2u(v[7] == s)<<7
	}
	if i < n {
		var w byte
		for j := i; j < n; j++ {
			w |= b2u(x[j] == s) << uint(j-i)
		}
		out[i>>3] = w
	}
}

func ltAA[T integer](x, y []T, out []byte) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v := x[i : i+8 : i+8]
		w := y[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] < w[0]) | b2u(v[1] < w[1])<<1 | b2u(v[2] < w[2])<<2 | b2u(v[3] < w[3])<<3 |
			b2u(v[4] < w[4])<<4 | b2u(v[5] < w[5])<<5 | b2u(v[6] < w[6])<<6 | b2u(v[7] < w[7])<<7
	}
	if i < n {
		var b byte
		for j := i; j < n; j++ {
			b |= b2u(x[j] < y[j]) << uint(j-i)
		}
		out[i>>3] = b
	}
}

func eqAA[T integer](x, y []T, out []byte) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		v := x[i : i+8 : i+8]
		w := y[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] == w[0]) | b2u(v[1] == w[1])<<1 | b2u(v[2] == w[2])<<2 | b2u(v[3] == w[3])<<3 |
			b2u(v[4] == w[4])<<4 | b2u(v[5] == w[5])<<5 | b2u(v[6] == w[6])<<6 | b2u(v[7] == w[7])<<7
	}
	if i < n {
		var b byte
		for j := i; j < n; j++ {
			b |= b2u(x[j] == y[j]) << uint(j-i)
		}
		out[i>>3] = b
	}
}

// ---- floats, PostgreSQL order ----

type float interface{ ~float32 | ~float64 }

func fLess[T float](x, y T) bool { return x < y || (x == x && y != y) }
func fEq[T float](x, y T) bool   { return x == y || (x != x && y != y) }

func floatPrims[T float](conv func(any) T) cmpPrims {
	return cmpPrims{
		lt: func(a, b vec, n int, out []byte) {
			switch {
			case a.arr != nil && b.arr != nil:
				x, y := fixedValues[T](a.arr), fixedValues[T](b.arr)
				packBits(n, out, func(i int) bool { return fLess(x[i], y[i]) })
			case a.arr != nil:
				x, s := fixedValues[T](a.arr), conv(b.val)
				if s != s {
					packBits(n, out, func(i int) bool { return x[i] == x[i] })
				} else {
					packBits(n, out, func(i int) bool { return x[i] < s })
				}
			default:
				y, s := fixedValues[T](b.arr), conv(a.val)
				if s != s {
					clear(out)
				} else {
					packBits(n, out, func(i int) bool { return y[i] > s || y[i] != y[i] })
				}
			}
		},
		eq: func(a, b vec, n int, out []byte) {
			switch {
			case a.arr != nil && b.arr != nil:
				x, y := fixedValues[T](a.arr), fixedValues[T](b.arr)
				packBits(n, out, func(i int) bool { return fEq(x[i], y[i]) })
			default:
				if a.arr == nil {
					a, b = b, a
				}
				x, s := fixedValues[T](a.arr), conv(b.val)
				if s != s {
					packBits(n, out, func(i int) bool { return x[i] != x[i] })
				} else {
					packBits(n, out, func(i int) bool { return x[i] == s })
				}
			}
		},
	}
}

// packBits writes bit i = f(i) for n rows, eight per byte.
func packBits(n int, out []byte, f func(i int) bool) {
	i := 0
	for ; i+8 <= n; i += 8 {
		out[i>>3] = b2u(f(i)) | b2u(f(i+1))<<1 | b2u(f(i+2))<<2 | b2u(f(i+3))<<3 |
			b2u(f(i+4))<<4 | b2u(f(i+5))<<5 | b2u(f(i+6))<<6 | b2u(f(i+7))<<7
	}
	if i < n {
		var w byte
		for j := i; j < n; j++ {
			w |= b2u(f(j)) << uint(j-i)
		}
		out[i>>3] = w
	}
}

// ---- decimals (both sides have the same scale after the binder's casts) ----

func decLess(x, y decimal128.Num) bool {
	return x.HighBits() < y.HighBits() || (x.HighBits() == y.HighBits() && x.LowBits() < y.LowBits())
}

func decLtPrim(a, b vec, n int, out []byte) {
	switch {
	case a.arr != nil && b.arr != nil:
		x, y := fixedValues[decimal128.Num](a.arr), fixedValues[decimal128.Num](b.arr)
		packBits(n, out, func(i int) bool { return decLess(x[i], y[i]) })
	case a.arr != nil:
		x, s := fixedValues[decimal128.Num](a.arr), b.val.(decimal128.Num)
		packBits(n, out, func(i int) bool { return decLess(x[i], s) })
	default:
		y, s := fixedValues[decimal128.Num](b.arr), a.val.(decimal128.Num)
		packBits(n, out, func(i int) bool { return decLess(s, y[i]) })
	}
}

func decEqPrim(a, b vec, n int, out []byte) {
	if a.arr == nil {
		a, b = b, a
	}
	x := fixedValues[decimal128.Num](a.arr)
	if b.arr != nil {
		y := fixedValues[decimal128.Num](b.arr)
		packBits(n, out, func(i int) bool { return x[i] == y[i] })
		return
	}
	s := b.val.(decimal128.Num)
	packBits(n, out, func(i int) bool { return x[i] == s })
}

// ---- strings and bytea: bytewise, i.e. the "C" collation ----

func bytesLtPrim(a, b vec, n int, out []byte) {
	switch {
	case a.arr != nil && b.arr != nil:
		ao, ad := binCols(a.arr)
		bo, bd := binCols(b.arr)
		packBits(n, out, func(i int) bool {
			return bytes.Compare(ad[ao[i]:ao[i+1]], bd[bo[i]:bo[i+1]]) < 0
		})
	case a.arr != nil:
		ao, ad := binCols(a.arr)
		s := scalarBytes(b.val)
		packBits(n, out, func(i int) bool { return bytes.Compare(ad[ao[i]:ao[i+1]], s) < 0 })
	default:
		bo, bd := binCols(b.arr)
		s := scalarBytes(a.val)
		packBits(n, out, func(i int) bool { return bytes.Compare(s, bd[bo[i]:bo[i+1]]) < 0 })
	}
}

func bytesEqPrim(a, b vec, n int, out []byte) {
	if a.arr == nil {
		a, b = b, a
	}
	ao, ad := binCols(a.arr)
	if b.arr != nil {
		bo, bd := binCols(b.arr)
		packBits(n, out, func(i int) bool {
			return ao[i+1]-ao[i] == bo[i+1]-bo[i] && string(ad[ao[i]:ao[i+1]]) == string(bd[bo[i]:bo[i+1]])
		})
		return
	}
	s := bytesToString(scalarBytes(b.val))
	ls := int32(len(s))
	packBits(n, out, func(i int) bool {
		return ao[i+1]-ao[i] == ls && string(ad[ao[i]:ao[i+1]]) == s
	})
}

func scalarBytes(v any) []byte {
	switch x := v.(type) {
	case string:
		return stringToBytes(x)
	case []byte:
		return x
	}
	return nil
}

// ---- booleans: false < true ----

func boolLtPrim(a, b vec, n int, out []byte) {
	// a < b exactly when a is false and b is true.
	x, y := boolOperand(a, n), boolOperand(b, n)
	for i := range out {
		out[i] = ^x[i] & y[i]
	}
}

func boolEqPrim(a, b vec, n int, out []byte) {
	x, y := boolOperand(a, n), boolOperand(b, n)
	for i := range out {
		out[i] = ^(x[i] ^ y[i])
	}
}

// boolOperand returns the value bits of a boolean operand, a scalar spread over n rows.
func boolOperand(v vec, n int) []byte {
	if v.arr != nil {
		vals, _ := boolBits(v.arr, n)
		return vals
	}
	out := make([]byte, (n+7)/8)
	if v.val.(bool) {
		for i := range out {
			out[i] = 0xFF
		}
	}
	return out
}
