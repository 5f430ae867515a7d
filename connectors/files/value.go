package files

import (
	"bytes"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/planner/expr"
)

// value is one scalar in the domain pruning compares in: statistics, dictionary entries and
// literals are all brought here so that a decimal stored as FLBA, an int32 date and a
// literal of another width compare exactly.
type value struct {
	kind valueKind
	// kindNum: the exact number unscaled / 10^scale. Integers, dates (days) and timestamps
	// (ticks of their unit) have scale 0. big is set only when unscaled overflows int64.
	unscaled int64
	big      *big.Int
	scale    int32
	f        float64 // kindFloat
	b        []byte  // kindBytes: strings and binaries, compared bytewise
	t        bool    // kindBool
}

type valueKind uint8

const (
	kindNone valueKind = iota
	kindNum
	kindFloat
	kindBytes
	kindBool
)

func numValue(v int64, scale int32) value { return value{kind: kindNum, unscaled: v, scale: scale} }

func bigNumValue(v *big.Int, scale int32) value {
	if v.IsInt64() {
		return numValue(v.Int64(), scale)
	}
	return value{kind: kindNum, big: v, scale: scale}
}

func (v value) bigUnscaled() *big.Int {
	if v.big != nil {
		return v.big
	}
	return big.NewInt(v.unscaled)
}

func (v value) rat() *big.Rat {
	r := new(big.Rat).SetInt(v.bigUnscaled())
	if v.scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(pow10(v.scale)))
	}
	return r
}

func pow10(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// compareValues orders a and b; ok is false when they cannot be ordered (different kinds,
// or a NaN), in which case pruning must assume a match.
func compareValues(a, b value) (c int, ok bool) {
	if a.kind != b.kind {
		return 0, false
	}
	switch a.kind {
	case kindNum:
		if a.big == nil && b.big == nil && a.scale == b.scale {
			return cmpInt64(a.unscaled, b.unscaled), true
		}
		ai, bi := a.bigUnscaled(), b.bigUnscaled()
		switch {
		case a.scale < b.scale:
			ai = new(big.Int).Mul(ai, pow10(b.scale-a.scale))
		case b.scale < a.scale:
			bi = new(big.Int).Mul(bi, pow10(a.scale-b.scale))
		}
		return ai.Cmp(bi), true
	case kindFloat:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return 0, false
		}
		switch {
		case a.f < b.f:
			return -1, true
		case a.f > b.f:
			return 1, true
		}
		return 0, true
	case kindBytes:
		return bytes.Compare(a.b, b.b), true
	case kindBool:
		switch {
		case a.t == b.t:
			return 0, true
		case !a.t:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// valueConv maps a value of one SQL type to the value of the same row after a cast. Every
// valueConv is monotonic non-decreasing, so the converted minimum and maximum of a row group
// still bound its converted values. ok is false when the value cannot be converted.
type valueConv func(value) (value, bool)

func applyConvs(v value, convs []valueConv) (value, bool) {
	for _, c := range convs {
		var ok bool
		if v, ok = c(v); !ok {
			return value{}, false
		}
	}
	return v, true
}

// castConv returns how a value changes under CAST(from AS to), for the casts pruning can
// see through: lossless widenings and order-preserving conversions that cannot fail and do
// not depend on the session (no time zone conversions). ok is false for any other cast.
func castConv(from, to arrow.DataType) (conv valueConv, ok bool) {
	switch {
	case arrow.TypeEqual(from, to):
		return nil, true
	case expr.IsInteger(from) && expr.IsInteger(to):
		return nil, intWidth(to) >= intWidth(from)
	case expr.IsInteger(from) && expr.IsDecimal(to), expr.IsDecimal(from) && expr.IsDecimal(to):
		fp, fs, _ := expr.DecimalOf(from)
		tp, ts, _ := expr.DecimalOf(to)
		return nil, ts >= fs && tp-ts >= fp-fs
	case (expr.IsInteger(from) || expr.IsDecimal(from)) && to.ID() == arrow.FLOAT64:
		return numToFloat(false), true
	case (expr.IsInteger(from) || expr.IsDecimal(from)) && to.ID() == arrow.FLOAT32:
		return numToFloat(true), true
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return nil, true
	case expr.IsString(from) && expr.IsString(to):
		return nil, true
	case (from.ID() == arrow.BINARY || from.ID() == arrow.LARGE_BINARY) &&
		(to.ID() == arrow.BINARY || to.ID() == arrow.LARGE_BINARY):
		return nil, true
	case from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP && to.(*arrow.TimestampType).TimeZone == "":
		perDay := 86_400 * unitsPerSecond(to.(*arrow.TimestampType).Unit)
		return func(v value) (value, bool) {
			if v.kind != kindNum || v.big != nil || v.scale != 0 {
				return value{}, false
			}
			days := v.unscaled
			if days > math.MaxInt64/perDay || days < math.MinInt64/perDay {
				return value{}, false
			}
			return numValue(days*perDay, 0), true
		}, true
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		f, t := from.(*arrow.TimestampType), to.(*arrow.TimestampType)
		// Only exact conversions (to a finer unit, same zone): the executor's rounding
		// of a coarsening cast is not this package's to assume.
		if f.TimeZone != t.TimeZone || unitsPerSecond(t.Unit) < unitsPerSecond(f.Unit) {
			return nil, false
		}
		return timestampConv(f.Unit, t.Unit), true
	}
	return nil, false
}

func numToFloat(single bool) valueConv {
	return func(v value) (value, bool) {
		switch v.kind {
		case kindFloat:
			return v, true
		case kindNum:
			var f float64
			if v.big == nil && v.scale == 0 {
				f = float64(v.unscaled)
			} else {
				f, _ = v.rat().Float64()
			}
			if single {
				f = float64(float32(f))
			}
			return value{kind: kindFloat, f: f}, true
		}
		return value{}, false
	}
}

func timestampConv(from, to arrow.TimeUnit) valueConv {
	return func(v value) (value, bool) {
		if v.kind != kindNum || v.big != nil || v.scale != 0 {
			return value{}, false
		}
		c, ok := convertTimestamp(v.unscaled, from, to)
		return numValue(c, 0), ok
	}
}

// literalValue converts a non-NULL literal's canonical Go value (see expr.Literal).
func literalValue(l *expr.Literal) (value, bool) {
	switch v := l.Value.(type) {
	case int64:
		return numValue(v, 0), true
	case int32:
		return numValue(int64(v), 0), true
	case int:
		return numValue(int64(v), 0), true
	case decimal128.Num:
		d, ok := l.Type.(*arrow.Decimal128Type)
		if !ok {
			return value{}, false
		}
		return decimalValue(v, d.Scale), true
	case arrow.Date32:
		return numValue(int64(v), 0), true
	case arrow.Timestamp:
		return numValue(int64(v), 0), true
	case float64:
		return value{kind: kindFloat, f: v}, true
	case float32:
		return value{kind: kindFloat, f: float64(v)}, true
	case string:
		return value{kind: kindBytes, b: []byte(v)}, true
	case []byte:
		return value{kind: kindBytes, b: v}, true
	case bool:
		return value{kind: kindBool, t: v}, true
	}
	return value{}, false
}

func decimalValue(n decimal128.Num, scale int32) value {
	if (n.HighBits() == 0 && n.LowBits() <= math.MaxInt64) ||
		(n.HighBits() == -1 && n.LowBits() >= 1<<63) {
		return numValue(int64(n.LowBits()), scale)
	}
	return bigNumValue(n.BigInt(), scale)
}

// bigEndianValue decodes a big-endian two's complement integer (Parquet's decimal encoding
// in FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY columns).
func bigEndianValue(b []byte, scale int32) (value, bool) {
	if len(b) == 0 || len(b) > 32 {
		return value{}, false
	}
	if len(b) <= 8 {
		var u uint64
		for _, c := range b {
			u = u<<8 | uint64(c)
		}
		shift := uint(64 - 8*len(b))
		return numValue(int64(u<<shift)>>shift, scale), true
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return bigNumValue(n, scale), true
}
