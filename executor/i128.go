package executor

import (
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/apache/arrow-go/v18/arrow"
)

// i128 is a signed 128-bit integer with decimal128.Num's memory layout, so decimal arrays
// can be read and written as []i128 without conversion.
type i128 struct {
	lo uint64
	hi int64
}

func i128From64(v int64) i128 { return i128{lo: uint64(v), hi: v >> 63} }

// add returns a+b and false when the sum does not fit 128 bits.
func (a i128) add(b i128) (i128, bool) {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi := a.hi + b.hi + int64(carry)
	// Signed overflow: both operands have the same sign and the result has the other.
	overflow := (a.hi >= 0) == (b.hi >= 0) && (hi >= 0) != (a.hi >= 0)
	return i128{lo: lo, hi: hi}, !overflow
}

func (a i128) sub(b i128) (i128, bool) {
	nb := i128{lo: ^b.lo + 1, hi: ^b.hi}
	if b.lo == 0 {
		nb.hi++
	}
	if b.hi == -1<<63 && b.lo == 0 {
		return i128{}, false
	}
	return a.add(nb)
}

func (a i128) cmp(b i128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a i128) num() decimal128.Num { return decimal128.New(a.hi, a.lo) }

func (a i128) big() *big.Int { return a.num().BigInt() }

// fitsInt64 reports whether a is within int64.
func (a i128) fitsInt64() bool { return a.hi == int64(a.lo)>>63 }

// fitsPrecision reports whether a has at most p decimal digits.
func (a i128) fitsPrecision(p int32) bool { return a.num().FitsInPrecision(p) }

// roundDiv divides n by d (d > 0) rounding half away from zero, as PostgreSQL rounds
// numeric results.
func roundDiv(n, d *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	r2 := new(big.Int).Abs(r)
	r2.Lsh(r2, 1)
	if r2.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func i128FromBig(v *big.Int) (i128, bool) {
	if v.BitLen() > 127 {
		return i128{}, false
	}
	n := decimal128.FromBigInt(v)
	return i128{lo: n.LowBits(), hi: n.HighBits()}, true
}

func pow10Big(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// validity reads an array's validity bitmap without a method call per row.
type validity struct {
	bits []byte
	off  int
	all  bool
}

func validityOf(a arrow.Array) validity {
	d := a.Data()
	if a.NullN() == 0 {
		return validity{all: true}
	}
	if a.DataType().ID() == arrow.NULL {
		return validity{bits: nil}
	}
	return validity{bits: bufferBytes(d, 0), off: d.Offset()}
}

func (v validity) ok(i int) bool {
	return v.all || (v.bits != nil && bitutil.BitIsSet(v.bits, v.off+i))
}
