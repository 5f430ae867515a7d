package postgres

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meshgate/meshgate/internal/errs"
)

// PostgreSQL's binary dates and timestamps count from 2000-01-01.
const (
	pgEpochDays   = 10957           // days from 1970-01-01 to 2000-01-01
	pgEpochMicros = 946684800000000 // microseconds from 1970-01-01 to 2000-01-01
)

const (
	textFormat   int16 = 0
	binaryFormat int16 = 1
)

// decoder appends the raw wire value of one result column (nil for NULL) to its builder.
// One is chosen per column and query; it never boxes a value.
type decoder interface {
	append(raw []byte) error
	builder() array.Builder
}

// decodeError reports a value that cannot be read as the declared type. It names the column
// and the reason, never the value.
func decodeError(col, reason string) error {
	return errs.New(errs.KindInvalidArgument, "column %s: %s", col, reason)
}

func wrongLength(col string) error {
	return decodeError(col, "the server sent a value of unexpected length")
}

// textLike are the types whose binary form is their UTF-8 text.
func textLike(oid uint32) bool {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.QCharOID, pgtype.JSONOID:
		return true
	}
	return false
}

// canDecode reports whether a value of type oid can be read as target.
func canDecode(oid uint32, target arrow.DataType) bool {
	_, _, err := newDecoder(memory.NewGoAllocator(), "", oid, target, false)
	return err == nil
}

// newDecoder returns the decoder for a result column of type oid read as target, and the
// result format to ask for: binary for every type it decodes itself, text for the types read
// in their text form.
func newDecoder(mem memory.Allocator, col string, oid uint32, target arrow.DataType, validateUTF8 bool) (decoder, int16, error) {
	bad := func() (decoder, int16, error) {
		return nil, 0, fmt.Errorf("type oid %d cannot be read as %s", oid, target)
	}
	switch target.ID() {
	case arrow.STRING:
		b := array.NewStringBuilder(mem)
		switch {
		case oid == pgtype.BPCharOID:
			return &bytesDec{b: b.BinaryBuilder, owner: b, col: col, validate: validateUTF8, trimBlanks: true}, binaryFormat, nil
		case textLike(oid):
			return &bytesDec{b: b.BinaryBuilder, owner: b, col: col, validate: validateUTF8}, binaryFormat, nil
		case oid == pgtype.JSONBOID:
			return &bytesDec{b: b.BinaryBuilder, owner: b, col: col, validate: validateUTF8, skipVersion: true}, binaryFormat, nil
		case oid == pgtype.UUIDOID:
			return &uuidDec{b: b, col: col}, binaryFormat, nil
		}
		// Everything else is read in PostgreSQL's text form.
		return &bytesDec{b: b.BinaryBuilder, owner: b, col: col, validate: validateUTF8}, textFormat, nil
	case arrow.BINARY:
		if oid == pgtype.ByteaOID || textLike(oid) {
			b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
			return &bytesDec{b: b, owner: b, col: col}, binaryFormat, nil
		}
	case arrow.BOOL:
		if oid == pgtype.BoolOID {
			return &boolDec{b: array.NewBooleanBuilder(mem), col: col}, binaryFormat, nil
		}
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		if isIntOID(oid) {
			return newIntDec(mem, col, oid, target), binaryFormat, nil
		}
	case arrow.FLOAT32:
		if oid == pgtype.Float4OID {
			return &float32Dec{b: array.NewFloat32Builder(mem), col: col}, binaryFormat, nil
		}
	case arrow.FLOAT64:
		switch {
		case oid == pgtype.Float4OID || oid == pgtype.Float8OID || isIntOID(oid):
			return &float64Dec{b: array.NewFloat64Builder(mem), col: col, oid: oid}, binaryFormat, nil
		case oid == pgtype.NumericOID:
			return &numericFloatDec{b: array.NewFloat64Builder(mem), col: col}, binaryFormat, nil
		}
	case arrow.DECIMAL128:
		dt := target.(*arrow.Decimal128Type)
		b := array.NewDecimal128Builder(mem, dt)
		switch {
		case oid == pgtype.NumericOID:
			return &numericDec{b: b, col: col, precision: dt.Precision, scale: dt.Scale}, binaryFormat, nil
		case isIntOID(oid):
			return &intDecimalDec{b: b, col: col, precision: dt.Precision, scale: dt.Scale}, binaryFormat, nil
		}
	case arrow.DATE32:
		if oid == pgtype.DateOID {
			return &dateDec{b: array.NewDate32Builder(mem), col: col}, binaryFormat, nil
		}
	case arrow.TIMESTAMP:
		tt := target.(*arrow.TimestampType)
		if tt.Unit != arrow.Microsecond {
			return bad()
		}
		b := array.NewTimestampBuilder(mem, tt)
		switch oid {
		case pgtype.TimestampOID, pgtype.TimestamptzOID:
			return &timestampDec{b: b, col: col}, binaryFormat, nil
		case pgtype.DateOID:
			return &dateTimestampDec{b: b, col: col}, binaryFormat, nil
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		if oid == pgtype.IntervalOID {
			return &intervalDec{b: array.NewMonthDayNanoIntervalBuilder(mem), col: col}, binaryFormat, nil
		}
	}
	return bad()
}

func isIntOID(oid uint32) bool {
	return oid == pgtype.Int2OID || oid == pgtype.Int4OID || oid == pgtype.Int8OID
}

// readInt reads a binary int2, int4 or int8.
func readInt(raw []byte) (int64, bool) {
	switch len(raw) {
	case 2:
		return int64(int16(binary.BigEndian.Uint16(raw))), true
	case 4:
		return int64(int32(binary.BigEndian.Uint32(raw))), true
	case 8:
		return int64(binary.BigEndian.Uint64(raw)), true
	}
	return 0, false
}

type bytesDec struct {
	b *array.BinaryBuilder
	// owner is the builder whose NewArray makes the right array type (a StringBuilder for
	// utf8 wraps b).
	owner       array.Builder
	col         string
	validate    bool
	skipVersion bool // jsonb: a version byte precedes the text
	// trimBlanks drops char(n)'s trailing blanks, as PostgreSQL's own bpchar-to-text cast
	// does: PostgreSQL compares, groups, sorts and measures (length) char(n) values without
	// them, so the gateway does the same on the trimmed text.
	trimBlanks bool
}

func (d *bytesDec) builder() array.Builder { return d.owner }
func (d *bytesDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if d.skipVersion {
		if len(raw) == 0 || raw[0] != 1 {
			return decodeError(d.col, "unsupported jsonb format version")
		}
		raw = raw[1:]
	}
	if d.trimBlanks {
		raw = bytes.TrimRight(raw, " ")
	}
	if d.validate && !utf8.Valid(raw) {
		return decodeError(d.col, "the value is not valid UTF-8 (the database encoding is SQL_ASCII)")
	}
	d.b.Append(raw)
	return nil
}

type uuidDec struct {
	b   *array.StringBuilder
	col string
	buf [36]byte
}

func (d *uuidDec) builder() array.Builder { return d.b }
func (d *uuidDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if len(raw) != 16 {
		return wrongLength(d.col)
	}
	const hexdigits = "0123456789abcdef"
	j := 0
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			d.buf[j] = '-'
			j++
		}
		d.buf[j], d.buf[j+1] = hexdigits[c>>4], hexdigits[c&15]
		j += 2
	}
	d.b.BinaryBuilder.Append(d.buf[:])
	return nil
}

type boolDec struct {
	b   *array.BooleanBuilder
	col string
}

func (d *boolDec) builder() array.Builder { return d.b }
func (d *boolDec) append(raw []byte) error {
	switch {
	case raw == nil:
		d.b.AppendNull()
	case len(raw) == 1:
		d.b.Append(raw[0] != 0)
	default:
		return wrongLength(d.col)
	}
	return nil
}

// Integers: the common same-width reads have their own decoders; intDec converts between
// widths with a range check.

type int16Dec struct {
	b   *array.Int16Builder
	col string
}

func (d *int16Dec) builder() array.Builder { return d.b }
func (d *int16Dec) append(raw []byte) error {
	switch {
	case raw == nil:
		d.b.AppendNull()
	case len(raw) == 2:
		d.b.Append(int16(binary.BigEndian.Uint16(raw)))
	default:
		return wrongLength(d.col)
	}
	return nil
}

type int32Dec struct {
	b   *array.Int32Builder
	col string
}

func (d *int32Dec) builder() array.Builder { return d.b }
func (d *int32Dec) append(raw []byte) error {
	switch {
	case raw == nil:
		d.b.AppendNull()
	case len(raw) == 4:
		d.b.Append(int32(binary.BigEndian.Uint32(raw)))
	default:
		return wrongLength(d.col)
	}
	return nil
}

type int64Dec struct {
	b   *array.Int64Builder
	col string
}

func (d *int64Dec) builder() array.Builder { return d.b }
func (d *int64Dec) append(raw []byte) error {
	switch {
	case raw == nil:
		d.b.AppendNull()
	case len(raw) == 8:
		d.b.Append(int64(binary.BigEndian.Uint64(raw)))
	default:
		return wrongLength(d.col)
	}
	return nil
}

type intDec struct {
	b      array.Builder
	col    string
	lo, hi int64
	put    func(int64)
}

func newIntDec(mem memory.Allocator, col string, oid uint32, target arrow.DataType) decoder {
	switch {
	case oid == pgtype.Int2OID && target.ID() == arrow.INT16:
		return &int16Dec{b: array.NewInt16Builder(mem), col: col}
	case oid == pgtype.Int4OID && target.ID() == arrow.INT32:
		return &int32Dec{b: array.NewInt32Builder(mem), col: col}
	case oid == pgtype.Int8OID && target.ID() == arrow.INT64:
		return &int64Dec{b: array.NewInt64Builder(mem), col: col}
	}
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
func (d *intDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	v, ok := readInt(raw)
	if !ok {
		return wrongLength(d.col)
	}
	if v < d.lo || v > d.hi {
		return decodeError(d.col, "a value is out of range for "+d.b.Type().String())
	}
	d.put(v)
	return nil
}

type float32Dec struct {
	b   *array.Float32Builder
	col string
}

func (d *float32Dec) builder() array.Builder { return d.b }
func (d *float32Dec) append(raw []byte) error {
	switch {
	case raw == nil:
		d.b.AppendNull()
	case len(raw) == 4:
		d.b.Append(math.Float32frombits(binary.BigEndian.Uint32(raw)))
	default:
		return wrongLength(d.col)
	}
	return nil
}

type float64Dec struct {
	b   *array.Float64Builder
	col string
	oid uint32
}

func (d *float64Dec) builder() array.Builder { return d.b }
func (d *float64Dec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	switch {
	case d.oid == pgtype.Float8OID && len(raw) == 8:
		d.b.Append(math.Float64frombits(binary.BigEndian.Uint64(raw)))
	case d.oid == pgtype.Float4OID && len(raw) == 4:
		d.b.Append(float64(math.Float32frombits(binary.BigEndian.Uint32(raw))))
	default:
		v, ok := readInt(raw)
		if !ok {
			return wrongLength(d.col)
		}
		d.b.Append(float64(v))
	}
	return nil
}

type dateDec struct {
	b   *array.Date32Builder
	col string
}

func (d *dateDec) builder() array.Builder { return d.b }
func (d *dateDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if len(raw) != 4 {
		return wrongLength(d.col)
	}
	v := int32(binary.BigEndian.Uint32(raw))
	if v == math.MaxInt32 || v == math.MinInt32 {
		return decodeError(d.col, "infinite dates cannot be read; filter them out or map them in the dataset's SQL")
	}
	d.b.Append(arrow.Date32(v + pgEpochDays))
	return nil
}

type dateTimestampDec struct {
	b   *array.TimestampBuilder
	col string
}

func (d *dateTimestampDec) builder() array.Builder { return d.b }
func (d *dateTimestampDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if len(raw) != 4 {
		return wrongLength(d.col)
	}
	v := int32(binary.BigEndian.Uint32(raw))
	if v == math.MaxInt32 || v == math.MinInt32 {
		return decodeError(d.col, "infinite dates cannot be read; filter them out or map them in the dataset's SQL")
	}
	d.b.Append(arrow.Timestamp((int64(v) + pgEpochDays) * 86_400_000_000))
	return nil
}

type timestampDec struct {
	b   *array.TimestampBuilder
	col string
}

func (d *timestampDec) builder() array.Builder { return d.b }
func (d *timestampDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if len(raw) != 8 {
		return wrongLength(d.col)
	}
	v := int64(binary.BigEndian.Uint64(raw))
	if v == math.MaxInt64 || v == math.MinInt64 {
		return decodeError(d.col, "infinite timestamps cannot be read; filter them out or map them in the dataset's SQL")
	}
	d.b.Append(arrow.Timestamp(v + pgEpochMicros))
	return nil
}

type intervalDec struct {
	b   *array.MonthDayNanoIntervalBuilder
	col string
}

func (d *intervalDec) builder() array.Builder { return d.b }
func (d *intervalDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	if len(raw) != 16 {
		return wrongLength(d.col)
	}
	micros := int64(binary.BigEndian.Uint64(raw))
	days := int32(binary.BigEndian.Uint32(raw[8:]))
	months := int32(binary.BigEndian.Uint32(raw[12:]))
	hi, lo := bits.Mul64(uint64(abs64(micros)), 1000)
	if hi != 0 || lo > math.MaxInt64 {
		return decodeError(d.col, "an interval's time part is out of range for nanoseconds")
	}
	d.b.Append(arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: micros * 1000})
	return nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// ---- numeric ----

type numericDec struct {
	b                *array.Decimal128Builder
	col              string
	precision, scale int32
}

func (d *numericDec) builder() array.Builder { return d.b }
func (d *numericDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	n, fail := numericToDecimal(raw, d.precision, d.scale)
	if fail != numericOK {
		return decodeError(d.col, fail.reason(d.precision, d.scale))
	}
	d.b.Append(n)
	return nil
}

type intDecimalDec struct {
	b                *array.Decimal128Builder
	col              string
	precision, scale int32
}

func (d *intDecimalDec) builder() array.Builder { return d.b }
func (d *intDecimalDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	v, ok := readInt(raw)
	if !ok {
		return wrongLength(d.col)
	}
	n := decimal128.FromI64(v)
	if d.scale > 0 {
		n = n.IncreaseScaleBy(d.scale)
	}
	if !n.FitsInPrecision(d.precision) {
		return decodeError(d.col, fmt.Sprintf("a value has more than %d digits", d.precision))
	}
	d.b.Append(n)
	return nil
}

type numericFloatDec struct {
	b   *array.Float64Builder
	col string
	buf []byte
}

func (d *numericFloatDec) builder() array.Builder { return d.b }
func (d *numericFloatDec) append(raw []byte) error {
	if raw == nil {
		d.b.AppendNull()
		return nil
	}
	var fail numericFailure
	d.buf, fail = numericText(d.buf[:0], raw)
	if fail != numericOK {
		return decodeError(d.col, fail.reason(0, 0))
	}
	f, err := strconv.ParseFloat(string(d.buf), 64)
	if err != nil {
		return decodeError(d.col, "a value is out of range for double precision")
	}
	d.b.Append(f)
	return nil
}

// numericFailure says why a numeric cannot be read; reasons are built only on failure.
type numericFailure int

const (
	numericOK numericFailure = iota
	numericMalformed
	numericNaN
	numericInfinite
	numericTooManyDigits
	numericTooManyFractionDigits
)

func (f numericFailure) reason(precision, scale int32) string {
	switch f {
	case numericNaN:
		return "NaN cannot be read as a decimal; filter it out or map it in the dataset's SQL"
	case numericInfinite:
		return "infinity cannot be read as a decimal; filter it out or map it in the dataset's SQL"
	case numericTooManyDigits:
		return fmt.Sprintf("a value has more than %d digits before the decimal point for numeric(%d,%d)", precision-scale, precision, scale)
	case numericTooManyFractionDigits:
		return fmt.Sprintf("a value has more than %d fractional digits for numeric(%d,%d); declare a larger scale", scale, precision, scale)
	}
	return "the server sent a malformed numeric"
}

// numericHeader parses the header of a binary numeric.
func numericHeader(raw []byte) (ndigits, weight int, neg bool, fail numericFailure) {
	if len(raw) < 8 {
		return 0, 0, false, numericMalformed
	}
	ndigits = int(binary.BigEndian.Uint16(raw))
	weight = int(int16(binary.BigEndian.Uint16(raw[2:])))
	switch binary.BigEndian.Uint16(raw[4:]) {
	case 0x0000:
	case 0x4000:
		neg = true
	case 0xC000:
		return 0, 0, false, numericNaN
	case 0xD000, 0xF000:
		return 0, 0, false, numericInfinite
	default:
		return 0, 0, false, numericMalformed
	}
	if len(raw) != 8+2*ndigits {
		return 0, 0, false, numericMalformed
	}
	return ndigits, weight, neg, numericOK
}

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// maxUnscaled[p] is 10^p - 1 as a 128-bit (hi, lo) pair: the largest unscaled value of
// precision p.
var maxUnscaled = func() [39][2]uint64 {
	var out [39][2]uint64
	var hi, lo uint64 = 0, 1
	for p := 0; p <= 38; p++ {
		l, borrow := bits.Sub64(lo, 1, 0)
		out[p] = [2]uint64{hi - borrow, l}
		hi, lo, _ = mulAdd128(hi, lo, 10, 0)
	}
	return out
}()

// numericToDecimal converts a binary numeric (base-10000 digits, the weight of the first
// digit, sign, display scale) to an unscaled 128-bit integer at the given scale. It fails if
// the value has non-zero digits beyond the scale or more digits than the precision.
func numericToDecimal(raw []byte, precision, scale int32) (decimal128.Num, numericFailure) {
	ndigits, weight, neg, fail := numericHeader(raw)
	if fail != numericOK {
		return decimal128.Num{}, fail
	}
	// Group i holds d * 10^(4*(weight-i)); at the target scale it counts d * 10^e units with
	// e = 4*(weight-i) + scale. Horner's rule over the groups, with the group that straddles
	// the scale cut split, and digits beyond it required to be zero.
	var hi, lo uint64
	unitExp := 0 // the exponent of acc's units
	for i := 0; i < ndigits; i++ {
		d := uint64(binary.BigEndian.Uint16(raw[8+2*i:]))
		e := 4*(weight-i) + int(scale)
		ok := true
		switch {
		case e >= 0:
			hi, lo, ok = mulAdd128(hi, lo, 10000, d)
			unitExp = e
		case e > -4:
			div := pow10[-e]
			if d%div != 0 {
				return decimal128.Num{}, numericTooManyFractionDigits
			}
			hi, lo, ok = mulAdd128(hi, lo, pow10[4+e], d/div)
			unitExp = 0
		case d != 0:
			return decimal128.Num{}, numericTooManyFractionDigits
		}
		if !ok {
			return decimal128.Num{}, numericTooManyDigits
		}
	}
	for unitExp > 0 && (hi != 0 || lo != 0) {
		k := min(unitExp, 19)
		var ok bool
		if hi, lo, ok = mulAdd128(hi, lo, pow10[k], 0); !ok {
			return decimal128.Num{}, numericTooManyDigits
		}
		unitExp -= k
	}
	if m := maxUnscaled[precision]; hi > m[0] || (hi == m[0] && lo > m[1]) {
		return decimal128.Num{}, numericTooManyDigits
	}
	n := decimal128.New(int64(hi), lo)
	if neg {
		n = n.Negate()
	}
	return n, numericOK
}

// mulAdd128 returns (hi,lo)*m + a, and false on overflow of 128 bits.
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

// numericText appends the decimal text of a binary numeric to buf.
func numericText(buf, raw []byte) ([]byte, numericFailure) {
	ndigits, weight, neg, fail := numericHeader(raw)
	if fail != numericOK {
		return buf, fail
	}
	if neg {
		buf = append(buf, '-')
	}
	var digits strings.Builder
	for i := 0; i < ndigits; i++ {
		fmt.Fprintf(&digits, "%04d", binary.BigEndian.Uint16(raw[8+2*i:]))
	}
	s := digits.String()
	// The decimal point sits after 4*(weight+1) digits.
	point := 4 * (weight + 1)
	switch {
	case ndigits == 0:
		buf = append(buf, '0')
	case point <= 0:
		buf = append(append(append(buf, "0."...), strings.Repeat("0", -point)...), s...)
	case point >= len(s):
		buf = append(append(buf, s...), strings.Repeat("0", point-len(s))...)
	default:
		buf = append(append(append(buf, s[:point]...), '.'), s[point:]...)
	}
	return buf, numericOK
}
