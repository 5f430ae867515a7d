package mysql

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// decoder appends one driver value of a result column (nil for NULL) to its builder. In the
// binary protocol the driver hands over int64, uint64 (never: large BIGINT UNSIGNED come as
// text), float32, float64 and []byte (decimals, strings, dates as text, BIT as bytes).
type decoder interface {
	append(v driver.Value) error
	builder() array.Builder
}

func decodeError(col, reason string) error {
	return errs.New(errs.KindInvalidArgument, "column %s: %s", col, reason)
}

func unexpected(col string, v driver.Value) error {
	return decodeError(col, fmt.Sprintf("the server sent a %T value the column's type does not expect", v))
}

// newDecoder returns the decoder of a column read as target. validateUTF8 is set for text read
// from binary strings; text columns arrive converted to the connection's utf8mb4.
func newDecoder(mem memory.Allocator, col string, target arrow.DataType, validateUTF8 bool) (decoder, error) {
	switch target.ID() {
	case arrow.BOOL:
		return &boolDec{b: array.NewBooleanBuilder(mem), col: col}, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return newIntDec(mem, col, target), nil
	case arrow.FLOAT32:
		return &float32Dec{b: array.NewFloat32Builder(mem), col: col}, nil
	case arrow.FLOAT64:
		return &float64Dec{b: array.NewFloat64Builder(mem), col: col}, nil
	case arrow.DECIMAL128:
		dt := target.(*arrow.Decimal128Type)
		return &decimalDec{b: array.NewDecimal128Builder(mem, dt), col: col, precision: dt.Precision, scale: dt.Scale}, nil
	case arrow.STRING:
		b := array.NewStringBuilder(mem)
		return &bytesDec{b: b.BinaryBuilder, owner: b, col: col, utf8: validateUTF8}, nil
	case arrow.BINARY:
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		return &bytesDec{b: b, owner: b, col: col}, nil
	case arrow.DATE32:
		return &dateDec{b: array.NewDate32Builder(mem), col: col}, nil
	case arrow.TIMESTAMP:
		tt := target.(*arrow.TimestampType)
		if tt.Unit == arrow.Microsecond {
			return &timestampDec{b: array.NewTimestampBuilder(mem, tt), col: col}, nil
		}
	}
	return nil, fmt.Errorf("no decoder for %s", target)
}

type boolDec struct {
	b   *array.BooleanBuilder
	col string
}

func (d *boolDec) builder() array.Builder { return d.b }
func (d *boolDec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case int64:
		d.b.Append(x != 0)
	case []byte: // BIT(1)
		nonZero := false
		for _, c := range x {
			nonZero = nonZero || c != 0
		}
		d.b.Append(nonZero)
	default:
		return unexpected(d.col, v)
	}
	return nil
}

type intDec struct {
	b      array.Builder
	col    string
	lo, hi int64
	put    func(int64)
}

func newIntDec(mem memory.Allocator, col string, target arrow.DataType) *intDec {
	d := &intDec{col: col}
	switch target.ID() {
	case arrow.INT8:
		b := array.NewInt8Builder(mem)
		d.b, d.lo, d.hi, d.put = b, math.MinInt8, math.MaxInt8, func(v int64) { b.Append(int8(v)) }
	case arrow.INT16:
		b := array.NewInt16Builder(mem)
		d.b, d.lo, d.hi, d.put = b, math.MinInt16, math.MaxInt16, func(v int64) { b.Append(int16(v)) }
	case arrow.INT32:
		b := array.NewInt32Builder(mem)
		d.b, d.lo, d.hi, d.put = b, math.MinInt32, math.MaxInt32, func(v int64) { b.Append(int32(v)) }
	default:
		b := array.NewInt64Builder(mem)
		d.b, d.lo, d.hi, d.put = b, math.MinInt64, math.MaxInt64, b.Append
	}
	return d
}

func (d *intDec) builder() array.Builder { return d.b }
func (d *intDec) append(v driver.Value) error {
	var n int64
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
		return nil
	case int64:
		n = x
	case []byte:
		// BIT(n) as big-endian bytes, or integer text (a computed column).
		var ok bool
		if n, ok = parseIntText(x); !ok {
			if len(x) > 8 || (len(x) == 8 && x[0]&0x80 != 0) {
				return decodeError(d.col, "a value is out of range for "+d.b.Type().String())
			}
			n = 0
			for _, c := range x {
				n = n<<8 | int64(c)
			}
		}
	default:
		return unexpected(d.col, v)
	}
	if n < d.lo || n > d.hi {
		return decodeError(d.col, "a value is out of range for "+d.b.Type().String())
	}
	d.put(n)
	return nil
}

// parseIntText parses an optionally signed decimal integer without allocating.
func parseIntText(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg || b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		hi, lo := bits.Mul64(u, 10)
		if hi != 0 {
			return 0, false
		}
		var carry uint64
		u, carry = bits.Add64(lo, uint64(c-'0'), 0)
		if carry != 0 {
			return 0, false
		}
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

type float32Dec struct {
	b   *array.Float32Builder
	col string
}

func (d *float32Dec) builder() array.Builder { return d.b }
func (d *float32Dec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case float32:
		d.b.Append(x)
	default:
		return unexpected(d.col, v)
	}
	return nil
}

type float64Dec struct {
	b   *array.Float64Builder
	col string
}

func (d *float64Dec) builder() array.Builder { return d.b }
func (d *float64Dec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case float64:
		d.b.Append(x)
	case float32:
		d.b.Append(float64(x))
	case int64:
		d.b.Append(float64(x))
	case []byte: // DECIMAL read as double precision
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return decodeError(d.col, "a value is not a number")
		}
		d.b.Append(f)
	default:
		return unexpected(d.col, v)
	}
	return nil
}

type decimalDec struct {
	b                *array.Decimal128Builder
	col              string
	precision, scale int32
}

func (d *decimalDec) builder() array.Builder { return d.b }
func (d *decimalDec) append(v driver.Value) error {
	var n decimal128.Num
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
		return nil
	case int64:
		n = decimal128.FromI64(x)
		if d.scale > 0 {
			n = n.IncreaseScaleBy(d.scale)
		}
	case []byte:
		var reason string
		if n, reason = parseDecimalText(x, d.precision, d.scale); reason != "" {
			return decodeError(d.col, reason)
		}
	default:
		return unexpected(d.col, v)
	}
	if !n.FitsInPrecision(d.precision) {
		return decodeError(d.col, fmt.Sprintf("a value has more than %d digits for numeric(%d,%d)", d.precision, d.precision, d.scale))
	}
	d.b.Append(n)
	return nil
}

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseDecimalText parses MySQL's decimal text ("-123.4500") into an unscaled 128-bit
// integer at the given scale; fractional digits beyond it must be zero.
func parseDecimalText(b []byte, precision, scale int32) (decimal128.Num, string) {
	malformed := "the server sent a malformed decimal"
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return decimal128.Num{}, malformed
	}
	var hi, lo uint64
	frac := -1 // digits seen after the point; -1 before it
	for _, c := range b {
		switch {
		case c == '.' && frac < 0:
			frac = 0
			continue
		case c < '0' || c > '9':
			return decimal128.Num{}, malformed
		}
		if frac >= 0 {
			if frac >= int(scale) {
				if c != '0' {
					return decimal128.Num{}, fmt.Sprintf("a value has more than %d fractional digits for numeric(%d,%d); declare a larger scale", scale, precision, scale)
				}
				continue
			}
			frac++
		}
		var ok bool
		if hi, lo, ok = mulAdd128(hi, lo, 10, uint64(c-'0')); !ok {
			return decimal128.Num{}, fmt.Sprintf("a value has more than %d digits for numeric(%d,%d)", precision, precision, scale)
		}
	}
	for k := int(scale) - max(frac, 0); k > 0; {
		step := min(k, 19)
		var ok bool
		if hi, lo, ok = mulAdd128(hi, lo, pow10[step], 0); !ok {
			return decimal128.Num{}, fmt.Sprintf("a value has more than %d digits for numeric(%d,%d)", precision, precision, scale)
		}
		k -= step
	}
	if hi > math.MaxInt64 {
		return decimal128.Num{}, fmt.Sprintf("a value has more than %d digits for numeric(%d,%d)", precision, precision, scale)
	}
	n := decimal128.New(int64(hi), lo)
	if neg {
		n = n.Negate()
	}
	return n, ""
}

func mulAdd128(hi, lo, m, a uint64) (uint64, uint64, bool) {
	h1, l1 := bits.Mul64(lo, m)
	h2, l2 := bits.Mul64(hi, m)
	if h2 != 0 {
		return 0, 0, false
	}
	nh, c := bits.Add64(l2, h1, 0)
	if c != 0 {
		return 0, 0, false
	}
	nl, c := bits.Add64(l1, a, 0)
	nh, c = bits.Add64(nh, 0, c)
	if c != 0 {
		return 0, 0, false
	}
	return nh, nl, true
}

type bytesDec struct {
	b     *array.BinaryBuilder
	owner array.Builder // the StringBuilder wrapping b for utf8
	col   string
	utf8  bool
	buf   []byte
}

func (d *bytesDec) builder() array.Builder { return d.owner }
func (d *bytesDec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case []byte:
		if d.utf8 && !utf8.Valid(x) {
			return decodeError(d.col, "a value is not valid UTF-8; declare the column as binary")
		}
		d.b.Append(x)
	case int64:
		d.buf = strconv.AppendInt(d.buf[:0], x, 10)
		d.b.Append(d.buf)
	case float64:
		d.buf = strconv.AppendFloat(d.buf[:0], x, 'g', -1, 64)
		d.b.Append(d.buf)
	case float32:
		d.buf = strconv.AppendFloat(d.buf[:0], float64(x), 'g', -1, 32)
		d.b.Append(d.buf)
	default:
		return unexpected(d.col, v)
	}
	return nil
}

type dateDec struct {
	b   *array.Date32Builder
	col string
}

func (d *dateDec) builder() array.Builder { return d.b }
func (d *dateDec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case []byte:
		days, ok := parseDate(x)
		if !ok {
			return decodeError(d.col, "a value is not a valid date (zero dates such as 0000-00-00 cannot be read)")
		}
		d.b.Append(arrow.Date32(days))
	default:
		return unexpected(d.col, v)
	}
	return nil
}

type timestampDec struct {
	b   *array.TimestampBuilder
	col string
}

func (d *timestampDec) builder() array.Builder { return d.b }
func (d *timestampDec) append(v driver.Value) error {
	switch x := v.(type) {
	case nil:
		d.b.AppendNull()
	case []byte:
		us, ok := parseDateTime(x)
		if !ok {
			return decodeError(d.col, "a value is not a valid datetime (zero dates such as 0000-00-00 cannot be read)")
		}
		d.b.Append(arrow.Timestamp(us))
	default:
		return unexpected(d.col, v)
	}
	return nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// parseDate parses YYYY-MM-DD into days since 1970-01-01.
func parseDate(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(b[:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 (Howard Hinnant's algorithm), without time.Time.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// parseDateTime parses YYYY-MM-DD[ HH:MM:SS[.ffffff]] into microseconds since the epoch.
func parseDateTime(b []byte) (int64, bool) {
	if len(b) < 10 {
		return 0, false
	}
	days, ok := parseDate(b[:10])
	if !ok {
		return 0, false
	}
	us := days * 86_400_000_000
	if len(b) == 10 {
		return us, true
	}
	if len(b) < 19 || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	h, ok1 := digits(b[11:13])
	mi, ok2 := digits(b[14:16])
	s, ok3 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	us += int64(h*3600+mi*60+s) * 1_000_000
	if len(b) > 19 {
		if b[19] != '.' || len(b) > 26 || len(b) == 20 {
			return 0, false
		}
		f, ok := digits(b[20:])
		if !ok {
			return 0, false
		}
		for i := len(b) - 20; i < 6; i++ {
			f *= 10
		}
		us += int64(f)
	}
	return us, true
}
