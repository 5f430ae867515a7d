package eval

import (
	"encoding/hex"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Text output in PostgreSQL's formats (DateStyle ISO, IntervalStyle postgres,
// extra_float_digits 1, session time zone UTC).

// appendFloat writes the shortest text that reads back as f, in PostgreSQL 12+'s layout:
// fixed notation for decimal exponents from -4 to 14 (5 for real), otherwise d.ddde±XX.
func appendFloat(dst []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	var buf [32]byte
	sci := strconv.AppendFloat(buf[:0], f, 'e', -1, bitSize)
	// sci is [-]d[.ddd]e±XX
	ePos := len(sci) - 1
	for sci[ePos] != 'e' {
		ePos--
	}
	exp, _ := strconv.Atoi(string(sci[ePos+1:]))
	limit := 15
	if bitSize == 32 {
		limit = 6
	}
	if exp >= -4 && exp < limit {
		return strconv.AppendFloat(dst, f, 'f', -1, bitSize)
	}
	dst = append(dst, sci[:ePos+1]...)
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	} else {
		dst = append(dst, '+')
	}
	if exp < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// appendDecimal writes x at its scale in plain notation with every fractional digit.
func appendDecimal(dst []byte, x decNum, scale int32) []byte {
	var digits []byte
	var buf [40]byte
	neg := false
	if fits64(x) {
		v := int64(x.LowBits())
		neg = v < 0
		digits = strconv.AppendUint(buf[:0], absU64(v), 10)
	} else {
		var m u128
		m, neg = magnitude(x)
		digits = u128Digits(buf[:0], m)
	}
	if neg {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		for i := int32(0); i < -scale; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for i := len(digits); i < s; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}

// u128Digits appends the decimal digits of m.
func u128Digits(dst []byte, m u128) []byte {
	if m.hi == 0 {
		return strconv.AppendUint(dst, m.lo, 10)
	}
	const chunk = 10_000_000_000_000_000_000 // 10^19
	var parts [3]uint64
	k := 0
	for !m.isZero() {
		var r uint64
		m, r = divU128By64(m, chunk)
		parts[k] = r
		k++
	}
	dst = strconv.AppendUint(dst, parts[k-1], 10)
	for j := k - 2; j >= 0; j-- {
		s := strconv.FormatUint(parts[j], 10)
		for pad := len(s); pad < 19; pad++ {
			dst = append(dst, '0')
		}
		dst = append(dst, s...)
	}
	return dst
}

func appendPadded(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendYMD writes an ISO date; BC dates get " BC" appended by the caller via the bool.
func appendYMD(dst []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	dst = appendPadded(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(m), 2)
	dst = append(dst, '-')
	return appendPadded(dst, int64(d), 2), bc
}

func appendDate(dst []byte, days int64) []byte {
	dst, bc := appendYMD(dst, days)
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendTimeOfDay writes HH:MM:SS[.ffffff] with trailing fractional zeros removed.
func appendTimeOfDay(dst []byte, us int64) []byte {
	dst = appendPadded(dst, us/usPerHour, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, us%usPerHour/usPerMin, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, us%usPerMin/usPerSec, 2)
	return appendFraction(dst, us%usPerSec)
}

func appendFraction(dst []byte, frac int64) []byte {
	if frac == 0 {
		return dst
	}
	digits := 6
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	dst = append(dst, '.')
	return appendPadded(dst, frac, digits)
}

// appendTimestamp writes 'YYYY-MM-DD HH:MM:SS[.ffffff]' plus '+00' with time zone.
func appendTimestamp(dst []byte, ts int64, withZone bool) []byte {
	days, us := splitTimestamp(ts)
	dst, bc := appendYMD(dst, days)
	dst = append(dst, ' ')
	dst = appendTimeOfDay(dst, us)
	if withZone {
		dst = append(dst, "+00"...)
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendInterval writes PostgreSQL's IntervalStyle postgres: "1 year 2 mons 3 days 04:05:06".
func appendInterval(dst []byte, v arrow.MonthDayNanoInterval) []byte {
	isZero, isBefore := true, false
	part := func(value int64, unit string) {
		if value == 0 {
			return
		}
		if !isZero {
			dst = append(dst, ' ')
		}
		if isBefore && value > 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, value, 10)
		dst = append(dst, ' ')
		dst = append(dst, unit...)
		if value != 1 {
			dst = append(dst, 's')
		}
		isBefore = value < 0
		isZero = false
	}
	part(int64(v.Months)/12, "year")
	part(int64(v.Months)%12, "mon")
	part(int64(v.Days), "day")
	us := v.Nanoseconds / 1000
	if isZero || us != 0 {
		if !isZero {
			dst = append(dst, ' ')
		}
		if us < 0 {
			dst = append(dst, '-')
			us = -us
		} else if isBefore {
			dst = append(dst, '+')
		}
		dst = appendPadded(dst, us/usPerHour, 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, us%usPerHour/usPerMin, 2)
		dst = append(dst, ':')
		dst = appendPadded(dst, us%usPerMin/usPerSec, 2)
		dst = appendFraction(dst, us%usPerSec)
	}
	return dst
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendBytea writes bytea in PostgreSQL's hex output format: \x0102.
func appendBytea(dst []byte, b []byte) []byte {
	dst = append(dst, '\\', 'x')
	return hex.AppendEncode(dst, b)
}
