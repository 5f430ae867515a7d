package eval

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Decimal arithmetic is exact. Each kernel has a fast path on the int64 low word (a
// decimal128 whose high word is the sign extension of its low word fits an int64), a 128-bit
// path with math/bits, and an exact big.Int path for what neither covers; a fast path that is
// unsure bails out to the next one, so all three give the same answers. Results that do not
// fit the result precision fail with PostgreSQL's "numeric field overflow"; rounding is half
// away from zero as in PostgreSQL's numeric.

type decNum = decimal128.Num

func decOf(v any) decNum { return v.(decimal128.Num) }

// rawDec has decimal128.Num's memory layout with accessible fields, so hot loops read the two
// words directly instead of through methods.
type rawDec struct {
	lo uint64
	hi int64
}

func rawOf(v any) rawDec {
	n := v.(decimal128.Num)
	return rawDec{n.LowBits(), n.HighBits()}
}

func (r rawDec) num() decNum { return decimal128.New(r.hi, r.lo) }

func errNumericOverflow() error { return errs.New(errs.KindInvalidArgument, "numeric field overflow") }

// u128 is an unsigned 128-bit magnitude.
type u128 struct{ hi, lo uint64 }

// pow10U[i] = 10^i for i in 0..38; pow10I64[i] = 10^i for i in 0..18. Read-only tables.
var (
	pow10U   [39]u128
	pow10I64 [19]int64
)

func init() {
	p := u128{0, 1}
	for i := range pow10U {
		pow10U[i] = p
		p, _ = mulU128By64(p, 10)
	}
	v := int64(1)
	for i := range pow10I64 {
		pow10I64[i] = v
		v *= 10
	}
}

func fits64(x decNum) bool { return int64(x.LowBits())>>63 == x.HighBits() }

func decFromI64(v int64) decNum { return decimal128.FromI64(v) }

// magnitude returns |x| and whether x is negative.
func magnitude(x decNum) (u128, bool) {
	if x.HighBits() < 0 {
		x = x.Negate()
		return u128{uint64(x.HighBits()), x.LowBits()}, true
	}
	return u128{uint64(x.HighBits()), x.LowBits()}, false
}

// signed turns a magnitude below 2^127 back into a decimal.
func (u u128) signed(neg bool) decNum {
	n := decimal128.New(int64(u.hi), u.lo)
	if neg {
		return n.Negate()
	}
	return n
}

func (u u128) less(v u128) bool { return u.hi < v.hi || (u.hi == v.hi && u.lo < v.lo) }
func (u u128) isZero() bool     { return u.hi == 0 && u.lo == 0 }

// fitsPrecision reports |u| < 10^p.
func (u u128) fitsPrecision(p int32) bool { return u.less(pow10U[p]) }

func mulU128By64(a u128, b uint64) (u128, bool) {
	h1, l1 := bits.Mul64(a.lo, b)
	h2, l2 := bits.Mul64(a.hi, b)
	hi, carry := bits.Add64(h1, l2, 0)
	return u128{hi, l1}, h2 != 0 || carry != 0
}

func mulU128(a, b u128) (u128, bool) {
	if a.hi != 0 && b.hi != 0 {
		return u128{}, true
	}
	if a.hi != 0 {
		a, b = b, a
	}
	// a fits 64 bits.
	return mulU128By64(b, a.lo)
}

func addU128(a, b u128) (u128, bool) {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, c2 := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}, c2 != 0
}

// divU128By64 divides a by d (d != 0).
func divU128By64(a u128, d uint64) (u128, uint64) {
	qhi := a.hi / d
	r := a.hi % d
	qlo, rem := bits.Div64(r, a.lo, d)
	return u128{qhi, qlo}, rem
}

// roundedQuo returns a/d rounded half away from zero (magnitudes).
func roundedQuoU128By64(a u128, d uint64) (u128, bool) {
	q, r := divU128By64(a, d)
	if r >= d-r {
		return addU128(q, u128{0, 1})
	}
	return q, false
}

// decRescale changes the scale of x from `from` to `to`, rounding half away from zero when
// digits are dropped. ok is false when the result does not fit 128 bits.
func decRescale(x decNum, from, to int32) (decNum, bool) {
	if from == to {
		return x, true
	}
	if to > from {
		k := to - from
		if k > 38 {
			return x, x == decNum{}
		}
		if fits64(x) && k <= 18 {
			v := int64(x.LowBits())
			hi, lo := bits.Mul64(absU64(v), uint64(pow10I64[k]))
			if hi == 0 && lo <= math.MaxInt64 {
				r := int64(lo)
				if v < 0 {
					r = -r
				}
				return decFromI64(r), true
			}
		}
		m, neg := magnitude(x)
		p, ovf := mulU128(m, pow10U[k])
		if ovf || p.hi>>63 != 0 {
			return x, false
		}
		return p.signed(neg), true
	}
	k := from - to
	if k > 38 {
		return decNum{}, true
	}
	if fits64(x) && k <= 18 {
		v := int64(x.LowBits())
		d := pow10I64[k]
		q, r := v/d, v%d
		if absU64(r) >= uint64(d)-absU64(r) {
			if v < 0 {
				q--
			} else {
				q++
			}
		}
		return decFromI64(q), true
	}
	m, neg := magnitude(x)
	if k <= 19 {
		d := pow10U[k].lo
		q, ovf := roundedQuoU128By64(m, d)
		return q.signed(neg), !ovf
	}
	b := x.BigInt()
	return bigToDec(roundDivBig(b, pow10Big(k)))
}

func absU64(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// decFits reports whether x has at most p digits.
func decFits(x decNum, p int32) bool {
	if p >= 19 && fits64(x) {
		return true
	}
	m, _ := magnitude(x)
	return m.fitsPrecision(p)
}

func pow10Big(k int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil) }

// roundDivBig returns num/den rounded half away from zero (den > 0).
func roundDivBig(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func bigToDec(b *big.Int) (decNum, bool) {
	if b.BitLen() > 127 {
		return decNum{}, false
	}
	return decimal128.FromBigInt(b), true
}

// decSlow computes one operation exactly with big.Int; ok is false for overflow of the
// result precision.
func decSlow(op string, x, y decNum, s1, s2 int32, rt *arrow.Decimal128Type) (decNum, bool) {
	bx, by := x.BigInt(), y.BigInt()
	var r *big.Int
	var rs int32 // natural scale of r
	switch op {
	case expr.FnAdd, expr.FnSub, expr.FnMod:
		s := max(s1, s2)
		bx.Mul(bx, pow10Big(s-s1))
		by.Mul(by, pow10Big(s-s2))
		switch op {
		case expr.FnAdd:
			r = bx.Add(bx, by)
		case expr.FnSub:
			r = bx.Sub(bx, by)
		default:
			r = new(big.Int).Rem(bx, by)
		}
		rs = s
	case expr.FnMul:
		r, rs = bx.Mul(bx, by), s1+s2
	case expr.FnDiv:
		// x/10^s1 ÷ y/10^s2 at scale rt.Scale = x·10^(rt.Scale+s2) ÷ (y·10^s1).
		num := bx.Mul(bx, pow10Big(rt.Scale+s2))
		den := by.Mul(by, pow10Big(s1))
		if den.Sign() < 0 {
			num.Neg(num)
			den.Neg(den)
		}
		r, rs = roundDivBig(num, den), rt.Scale
	}
	switch {
	case rs > rt.Scale:
		r = roundDivBig(r, pow10Big(rs-rt.Scale))
	case rs < rt.Scale:
		r.Mul(r, pow10Big(rt.Scale-rs))
	}
	if new(big.Int).Abs(r).Cmp(pow10Big(rt.Precision)) >= 0 {
		return decNum{}, false
	}
	return bigToDec(r)
}

// decimalArith binds + - * / % on decimals.
func decimalArith(op string, a, b, rt *arrow.Decimal128Type) (kernel, error) {
	s1, s2, rs, rp := a.Scale, b.Scale, rt.Scale, rt.Precision
	var row func(x, y decNum) (decNum, error)
	switch op {
	case expr.FnAdd, expr.FnSub:
		sub := op == expr.FnSub
		var ma, mb int64 = 1, 1
		fast := rs == max(s1, s2) && rs-s1 <= 18 && rs-s2 <= 18
		if fast {
			ma, mb = pow10I64[rs-s1], pow10I64[rs-s2]
		}
		row = func(x, y decNum) (decNum, error) {
			if fast && fits64(x) && fits64(y) {
				xv, ok1 := mulI64(int64(x.LowBits()), ma)
				yv, ok2 := mulI64(int64(y.LowBits()), mb)
				if ok1 && ok2 {
					var r int64
					var ovf bool
					if sub {
						r = xv - yv
						ovf = (xv^yv)&(xv^r) < 0
					} else {
						r = xv + yv
						ovf = (xv^r)&(yv^r) < 0
					}
					if !ovf {
						if rp < 19 && absU64(r) >= uint64(pow10I64[rp]) {
							return decNum{}, errNumericOverflow()
						}
						return decFromI64(r), nil
					}
				}
			}
			return decSlowRow(op, x, y, s1, s2, rt)
		}
	case expr.FnMul:
		natural := rs == s1+s2
		row = func(x, y decNum) (decNum, error) {
			if natural && fits64(x) && fits64(y) {
				xv, yv := int64(x.LowBits()), int64(y.LowBits())
				hi, lo := bits.Mul64(absU64(xv), absU64(yv))
				m := u128{hi, lo}
				// Two int64 magnitudes multiply to less than 2^126: no 128-bit overflow.
				if rp < 38 && !m.fitsPrecision(rp) {
					return decNum{}, errNumericOverflow()
				}
				if rp == 38 && !m.fitsPrecision(38) {
					return decNum{}, errNumericOverflow()
				}
				return m.signed((xv < 0) != (yv < 0)), nil
			}
			if natural {
				mx, nx := magnitude(x)
				my, ny := magnitude(y)
				if m, ovf := mulU128(mx, my); !ovf && m.hi>>63 == 0 {
					if !m.fitsPrecision(rp) {
						return decNum{}, errNumericOverflow()
					}
					return m.signed(nx != ny), nil
				}
			}
			return decSlowRow(op, x, y, s1, s2, rt)
		}
	case expr.FnDiv:
		k := rs - s1 + s2 // the dividend's scale-up
		row = func(x, y decNum) (decNum, error) {
			if y == (decNum{}) {
				return decNum{}, errDivByZero()
			}
			if k >= 0 && k <= 38 {
				mx, nx := magnitude(x)
				my, ny := magnitude(y)
				if my.hi == 0 {
					num, ovf := mulU128(mx, pow10U[k])
					if !ovf {
						var q u128
						if num.hi == 0 {
							qq, r := num.lo/my.lo, num.lo%my.lo
							q = u128{0, qq}
							if r >= my.lo-r {
								q.lo++ // cannot wrap: qq < 2^64-1 when my.lo >= 2
								if q.lo == 0 {
									q.hi++
								}
							}
						} else {
							q, ovf = roundedQuoU128By64(num, my.lo)
						}
						if !ovf && q.hi>>63 == 0 {
							if !q.fitsPrecision(rp) {
								return decNum{}, errNumericOverflow()
							}
							return q.signed(nx != ny), nil
						}
					}
				}
			}
			return decSlowRow(op, x, y, s1, s2, rt)
		}
	case expr.FnMod:
		fast := rs == max(s1, s2) && rs-s1 <= 18 && rs-s2 <= 18
		var ma, mb int64 = 1, 1
		if fast {
			ma, mb = pow10I64[rs-s1], pow10I64[rs-s2]
		}
		row = func(x, y decNum) (decNum, error) {
			if y == (decNum{}) {
				return decNum{}, errDivByZero()
			}
			if fast && fits64(x) && fits64(y) {
				xv, ok1 := mulI64(int64(x.LowBits()), ma)
				yv, ok2 := mulI64(int64(y.LowBits()), mb)
				if ok1 && ok2 && yv != -1 {
					return decFromI64(xv % yv), nil
				}
			}
			return decSlowRow(op, x, y, s1, s2, rt)
		}
	default:
		return nil, errs.New(errs.KindInternal, "unknown decimal operator %s", op)
	}
	switch op {
	case expr.FnAdd, expr.FnSub:
		if rs == max(s1, s2) && rs-s1 <= 18 && rs-s2 <= 18 {
			return decAddSubFast(rt, op == expr.FnSub, pow10I64[rs-s1], pow10I64[rs-s2], row), nil
		}
	case expr.FnMul:
		if rs == s1+s2 {
			return decMulFast(rt, row), nil
		}
	}
	return decBinary(rt, row), nil
}

// decAddSubFast is + and - with the int64 fast path inlined: operands below 2^62 after
// scaling cannot overflow an int64 sum. Other rows go through row.
func decAddSubFast(rt *arrow.Decimal128Type, sub bool, ma, mb int64, row func(x, y decNum) (decNum, error)) kernel {
	limA, limB := uint64(1<<62)/uint64(ma), uint64(1<<62)/uint64(mb)
	var bound uint64 = math.MaxUint64 // |r| must stay below 10^precision
	if rt.Precision < 19 {
		bound = uint64(pow10I64[rt.Precision])
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], rawOf)
		ys, ym := operand(args[1], rawOf)
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[rawDec](c.alloc, n)
		for i := range out {
			x, y := xs[i&xm], ys[i&ym]
			xl, yl := int64(x.lo), int64(y.lo)
			if xl>>63 == x.hi && yl>>63 == y.hi && absU64(xl) < limA && absU64(yl) < limB {
				var r int64
				if sub {
					r = xl*ma - yl*mb
				} else {
					r = xl*ma + yl*mb
				}
				if absU64(r) < bound {
					out[i] = rawDec{uint64(r), r >> 63}
					continue
				}
			}
			if !valid.ok(i) {
				out[i] = rawDec{}
				continue
			}
			v, err := row(x.num(), y.num())
			if err != nil {
				buf.Release()
				releaseBuf(validity)
				return vec{}, err
			}
			out[i] = rawDec{v.LowBits(), v.HighBits()}
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

// decMulFast is * at the natural scale with the int64 fast path inlined: factors below 2^31
// multiply exactly in an int64. Other rows go through row.
func decMulFast(rt *arrow.Decimal128Type, row func(x, y decNum) (decNum, error)) kernel {
	var bound uint64 = math.MaxUint64
	if rt.Precision < 19 {
		bound = uint64(pow10I64[rt.Precision])
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], rawOf)
		ys, ym := operand(args[1], rawOf)
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[rawDec](c.alloc, n)
		for i := range out {
			x, y := xs[i&xm], ys[i&ym]
			xl, yl := int64(x.lo), int64(y.lo)
			// Both high words are sign extensions and both values fit 32 bits signed.
			if x.hi == xl>>63 && y.hi == yl>>63 && uint64(xl+1<<31) < 1<<32 && uint64(yl+1<<31) < 1<<32 {
				r := xl * yl
				if absU64(r) < bound {
					out[i] = rawDec{uint64(r), r >> 63}
					continue
				}
			}
			if !valid.ok(i) {
				out[i] = rawDec{}
				continue
			}
			v, err := row(x.num(), y.num())
			if err != nil {
				buf.Release()
				releaseBuf(validity)
				return vec{}, err
			}
			out[i] = rawDec{v.LowBits(), v.HighBits()}
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

func decSlowRow(op string, x, y decNum, s1, s2 int32, rt *arrow.Decimal128Type) (decNum, error) {
	r, ok := decSlow(op, x, y, s1, s2, rt)
	if !ok {
		return decNum{}, errNumericOverflow()
	}
	return r, nil
}

// mulI64 multiplies with overflow detection.
func mulI64(x, m int64) (int64, bool) {
	if m == 1 {
		return x, true
	}
	hi, lo := bits.Mul64(absU64(x), uint64(m))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if x < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

// decBinary runs a row function over two decimal operands (array or scalar); NULL rows are
// skipped so their arbitrary slot values never raise an error.
func decBinary(rt arrow.DataType, row func(x, y decNum) (decNum, error)) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], decOf)
		ys, ym := operand(args[1], decOf)
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[decNum](c.alloc, n)
		for i := range out {
			if valid != nil && !valid.ok(i) {
				out[i] = decNum{}
				continue
			}
			r, err := row(xs[i&xm], ys[i&ym])
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
