package eval

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Casts follow PostgreSQL: numeric to integer rounds half away from zero, float to integer
// rounds half to even (rint), float to numeric keeps 15 significant digits (6 for real), text
// input accepts PostgreSQL's formats and text output produces them. A failing cast names the
// target type and the column it reads, never the value.

func (c *compiler) compileCast(x *expr.Cast) (node, error) {
	arg, err := c.compile(x.Arg)
	if err != nil {
		return nil, err
	}
	from, to := x.Arg.DataType(), x.Type
	if arrow.TypeEqual(from, to) {
		return arg, nil
	}
	k, err := castKernel(from, to, columnName(x.Arg))
	if err != nil {
		return nil, err
	}
	return &callNode{name: "cast", args: []node{arg}, types: []arrow.DataType{from}, t: to, impl: fnImpl{strict: true, run: k}}, nil
}

// castErrs builds cast errors that name the target type and, when known, the column.
type castErrs struct {
	col string
	to  arrow.DataType
}

func (e castErrs) suffix() string {
	if e.col == "" {
		return ""
	}
	return fmt.Sprintf(" in CAST of column %q", e.col)
}

func (e castErrs) syntax() error {
	return errs.New(errs.KindInvalidArgument, "invalid input syntax for type %s%s", pgTypeWord(e.to), e.suffix())
}

func (e castErrs) outOfRange() error {
	return errs.New(errs.KindInvalidArgument, "value out of range for type %s%s", pgTypeWord(e.to), e.suffix())
}

// wrap adds the column to an error from a conversion (integer out of range, numeric field
// overflow…).
func (e castErrs) wrap(err error) error {
	if err == nil || e.col == "" {
		return err
	}
	return errs.New(errs.KindOf(err), "%s%s", err.Error(), e.suffix())
}

func (e castErrs) parse(p parseErr) error {
	switch p {
	case parseSyntax:
		return e.syntax()
	case parseRange:
		if expr.IsDecimal(e.to) {
			return e.wrap(errNumericOverflow())
		}
		return e.outOfRange()
	case parseNotRepresentable:
		return errs.New(errs.KindInvalidArgument, "value cannot be represented in type %s%s", pgTypeWord(e.to), e.suffix())
	}
	return nil
}

// pgTypeWord is the type name PostgreSQL uses in input errors.
func pgTypeWord(t arrow.DataType) string {
	switch t.ID() {
	case arrow.DECIMAL128:
		return "numeric"
	case arrow.STRING:
		return "text"
	}
	return expr.SQLTypeName(t)
}

func errCannotCast(from, to arrow.DataType) error {
	return errs.New(errs.KindInvalidArgument, "cannot cast type %s to %s", expr.SQLTypeName(from), expr.SQLTypeName(to))
}

// castKernel binds CAST(from AS to).
func castKernel(from, to arrow.DataType, col string) (kernel, error) {
	ce := castErrs{col: col, to: to}
	f, t := from.ID(), to.ID()
	switch {
	case f == arrow.NULL:
		return func(c *evalCtx, n int, _ []vec) (vec, error) { return scalarVec(nil), nil }, nil
	case t == arrow.STRING:
		return toTextKernel(from)
	case f == arrow.STRING:
		return fromTextKernel(to, ce)
	case expr.IsInteger(from) && expr.IsInteger(to):
		check := intRangeCheck(to, ce)
		return intSource(from, to, func(v int64) (int64, error) { return check(v) }), nil
	case expr.IsInteger(from) && t == arrow.FLOAT64:
		return intSourceTo(from, to, func(v int64) (float64, error) { return float64(v), nil }), nil
	case expr.IsInteger(from) && t == arrow.FLOAT32:
		return intSourceTo(from, to, func(v int64) (float32, error) { return float32(v), nil }), nil
	case expr.IsInteger(from) && t == arrow.DECIMAL128:
		d := to.(*arrow.Decimal128Type)
		return intSourceTo(from, to, func(v int64) (decNum, error) {
			r, ok := decRescale(decFromI64(v), 0, d.Scale)
			if !ok || !decFits(r, d.Precision) {
				return decNum{}, ce.wrap(errNumericOverflow())
			}
			return r, nil
		}), nil
	case expr.IsInteger(from) && t == arrow.BOOL:
		return intToBool(from), nil
	case f == arrow.BOOL && expr.IsInteger(to):
		return boolToInt(to), nil
	case expr.IsFloat(from) && expr.IsInteger(to):
		check := intRangeCheck(to, ce)
		lo, hi := intLimits(to)
		conv := func(x float64) (int64, error) {
			r := math.RoundToEven(x)
			// float64(hi)+1 is exact for every width, so the comparison is too.
			if math.IsNaN(r) || r < float64(lo) || r >= float64(hi)+1 {
				return 0, ce.wrap(errIntRange(to))
			}
			return check(int64(r))
		}
		if f == arrow.FLOAT32 {
			return floatSourceToInt[float32](to, conv), nil
		}
		return floatSourceToInt[float64](to, conv), nil
	case f == arrow.FLOAT64 && t == arrow.FLOAT32:
		return unaryFixed(to, func(x float64) (float32, error) {
			r := float32(x)
			switch {
			case math.IsInf(float64(r), 0) && !math.IsInf(x, 0):
				return 0, ce.wrap(errs.New(errs.KindInvalidArgument, msgFloatOverflow))
			case r == 0 && x != 0:
				return 0, ce.wrap(errs.New(errs.KindInvalidArgument, msgFloatUnderflw))
			}
			return r, nil
		}), nil
	case f == arrow.FLOAT32 && t == arrow.FLOAT64:
		return unaryFixed(to, func(x float32) (float64, error) { return float64(x), nil }), nil
	case expr.IsFloat(from) && t == arrow.DECIMAL128:
		d := to.(*arrow.Decimal128Type)
		digits, bitSize := 15, 64
		if f == arrow.FLOAT32 {
			digits, bitSize = 6, 32
		}
		conv := func(x float64) (decNum, error) {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return decNum{}, errs.New(errs.KindInvalidArgument, "cannot convert NaN or infinity to numeric%s", ce.suffix())
			}
			txt := strconv.FormatFloat(x, 'e', digits-1, bitSize)
			r, p := parseDecimal(txt, d.Precision, d.Scale)
			if p != parseOK {
				return decNum{}, ce.wrap(errNumericOverflow())
			}
			return r, nil
		}
		if f == arrow.FLOAT32 {
			return unaryFixed(to, func(x float32) (decNum, error) { return conv(float64(x)) }), nil
		}
		return unaryFixed(to, conv), nil
	case f == arrow.DECIMAL128 && expr.IsInteger(to):
		s := from.(*arrow.Decimal128Type).Scale
		check := intRangeCheck(to, ce)
		return decSourceToInt(to, func(x decNum) (int64, error) {
			r, ok := decRescale(x, s, 0)
			if !ok || !fits64(r) {
				return 0, ce.wrap(errIntRange(to))
			}
			return check(int64(r.LowBits()))
		}), nil
	case f == arrow.DECIMAL128 && expr.IsFloat(to):
		s := from.(*arrow.Decimal128Type).Scale
		if t == arrow.FLOAT32 {
			return unaryFixed(to, func(x decNum) (float32, error) { return float32(decToFloat(x, s, 32)), nil }), nil
		}
		return unaryFixed(to, func(x decNum) (float64, error) { return decToFloat(x, s, 64), nil }), nil
	case f == arrow.DECIMAL128 && t == arrow.DECIMAL128:
		a, b := from.(*arrow.Decimal128Type), to.(*arrow.Decimal128Type)
		return unaryFixed(to, func(x decNum) (decNum, error) {
			r, ok := decRescale(x, a.Scale, b.Scale)
			if !ok || !decFits(r, b.Precision) {
				return decNum{}, ce.wrap(errNumericOverflow())
			}
			return r, nil
		}), nil
	case f == arrow.DATE32 && t == arrow.TIMESTAMP:
		return unaryFixed(to, func(d int32) (int64, error) {
			if int64(d) > maxTimestamp/usPerDay || int64(d) < minDate {
				return 0, ce.wrap(errs.New(errs.KindInvalidArgument, "date out of range for timestamp"))
			}
			return int64(d) * usPerDay, nil
		}), nil
	case f == arrow.TIMESTAMP && t == arrow.DATE32:
		return unaryFixed(to, func(ts int64) (int32, error) {
			return int32(floorDiv(ts, usPerDay)), nil
		}), nil
	case f == arrow.TIMESTAMP && t == arrow.TIMESTAMP:
		// Session time zone UTC: the instant and the wall clock coincide.
		return retypeKernel(to), nil
	}
	return nil, errCannotCast(from, to)
}

func intLimits(t arrow.DataType) (int64, int64) {
	switch t.ID() {
	case arrow.INT8:
		return math.MinInt8, math.MaxInt8
	case arrow.INT16:
		return math.MinInt16, math.MaxInt16
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func intRangeCheck(t arrow.DataType, ce castErrs) func(int64) (int64, error) {
	lo, hi := intLimits(t)
	return func(v int64) (int64, error) {
		if v < lo || v > hi {
			return 0, ce.wrap(errIntRange(t))
		}
		return v, nil
	}
}

// intSource reads an integer column of any width and writes integers of type rt.
func intSource(from, rt arrow.DataType, f func(int64) (int64, error)) kernel {
	switch rt.ID() {
	case arrow.INT8:
		return intSourceTo(from, rt, func(v int64) (int8, error) { r, err := f(v); return int8(r), err })
	case arrow.INT16:
		return intSourceTo(from, rt, func(v int64) (int16, error) { r, err := f(v); return int16(r), err })
	case arrow.INT32:
		return intSourceTo(from, rt, func(v int64) (int32, error) { r, err := f(v); return int32(r), err })
	}
	return intSourceTo(from, rt, f)
}

// intSourceTo reads an integer column of any width and writes R values.
func intSourceTo[R any](from, rt arrow.DataType, f func(int64) (R, error)) kernel {
	switch from.ID() {
	case arrow.INT8:
		return unaryFixed(rt, func(x int8) (R, error) { return f(int64(x)) })
	case arrow.INT16:
		return unaryFixed(rt, func(x int16) (R, error) { return f(int64(x)) })
	case arrow.INT32:
		return unaryFixed(rt, func(x int32) (R, error) { return f(int64(x)) })
	}
	return unaryFixed(rt, f)
}

func floatSourceToInt[S float](rt arrow.DataType, f func(float64) (int64, error)) kernel {
	g := func(x S) (int64, error) { return f(float64(x)) }
	switch rt.ID() {
	case arrow.INT8:
		return unaryFixed(rt, func(x S) (int8, error) { r, err := g(x); return int8(r), err })
	case arrow.INT16:
		return unaryFixed(rt, func(x S) (int16, error) { r, err := g(x); return int16(r), err })
	case arrow.INT32:
		return unaryFixed(rt, func(x S) (int32, error) { r, err := g(x); return int32(r), err })
	}
	return unaryFixed(rt, g)
}

func decSourceToInt(rt arrow.DataType, f func(decNum) (int64, error)) kernel {
	switch rt.ID() {
	case arrow.INT8:
		return unaryFixed(rt, func(x decNum) (int8, error) { r, err := f(x); return int8(r), err })
	case arrow.INT16:
		return unaryFixed(rt, func(x decNum) (int16, error) { r, err := f(x); return int16(r), err })
	case arrow.INT32:
		return unaryFixed(rt, func(x decNum) (int32, error) { r, err := f(x); return int32(r), err })
	}
	return unaryFixed(rt, f)
}

func intToBool(from arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		buf := newBitmap(c.alloc, n)
		out := buf.Bytes()
		set := func(i int, nonZero bool) {
			if nonZero {
				out[i>>3] |= 1 << (uint(i) & 7)
			}
		}
		switch from.ID() {
		case arrow.INT8:
			for i, v := range fixedValues[int8](a) {
				set(i, v != 0)
			}
		case arrow.INT16:
			for i, v := range fixedValues[int16](a) {
				set(i, v != 0)
			}
		case arrow.INT32:
			for i, v := range fixedValues[int32](a) {
				set(i, v != 0)
			}
		default:
			for i, v := range fixedValues[int64](a) {
				set(i, v != 0)
			}
		}
		validity, nulls := andValidity(c.alloc, n, args[0])
		return arrayVec(makeArray(expr.Bool, n, validity, nulls, buf)), nil
	}
}

func boolToInt(to arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		off := a.Data().Offset()
		bits := dataBytes(a)
		get := func(i int) int64 {
			if bits[(off+i)>>3]&(1<<(uint(off+i)&7)) != 0 {
				return 1
			}
			return 0
		}
		validity, nulls := andValidity(c.alloc, n, args[0])
		switch to.ID() {
		case arrow.INT8:
			return arrayVec(fillInts[int8](c, to, n, get, validity, nulls)), nil
		case arrow.INT16:
			return arrayVec(fillInts[int16](c, to, n, get, validity, nulls)), nil
		case arrow.INT32:
			return arrayVec(fillInts[int32](c, to, n, get, validity, nulls)), nil
		}
		return arrayVec(fillInts[int64](c, to, n, get, validity, nulls)), nil
	}
}

func fillInts[T integer](c *evalCtx, t arrow.DataType, n int, get func(int) int64, validity *memory.Buffer, nulls int) arrow.Array {
	buf, out := newFixed[T](c.alloc, n)
	for i := range out {
		out[i] = T(get(i))
	}
	return makeArray(t, n, validity, nulls, buf)
}

// decToFloat converts exactly rounded: directly when the integer and the power of ten are both
// exact in float64, else through the decimal text.
func decToFloat(x decNum, scale int32, bitSize int) float64 {
	if fits64(x) && scale >= 0 && scale <= 22 {
		v := int64(x.LowBits())
		if v > -(1<<53) && v < 1<<53 && bitSize == 64 {
			return float64(v) / pow10Float[scale]
		}
	}
	f, _ := strconv.ParseFloat(string(appendDecimal(nil, x, scale)), bitSize)
	return f
}

// pow10Float holds the powers of ten that float64 represents exactly.
var pow10Float = [23]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// retypeKernel reinterprets the buffers under another type of the same layout.
func retypeKernel(to arrow.DataType) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		d := a.Data()
		data := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
		defer data.Release()
		return arrayVec(array.MakeFromData(data)), nil
	}
}

// toTextKernel renders any type in PostgreSQL's output format.
func toTextKernel(from arrow.DataType) (kernel, error) {
	var format func(a arrow.Array) func(dst []byte, i int) []byte
	switch from.ID() {
	case arrow.BOOL:
		format = func(a arrow.Array) func([]byte, int) []byte {
			b := a.(*array.Boolean)
			return func(dst []byte, i int) []byte { return appendBool(dst, b.Value(i)) }
		}
	case arrow.INT8:
		format = intFormatter[int8]
	case arrow.INT16:
		format = intFormatter[int16]
	case arrow.INT32:
		format = intFormatter[int32]
	case arrow.INT64:
		format = intFormatter[int64]
	case arrow.FLOAT32:
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[float32](a)
			return func(dst []byte, i int) []byte { return appendFloat(dst, float64(v[i]), 32) }
		}
	case arrow.FLOAT64:
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[float64](a)
			return func(dst []byte, i int) []byte { return appendFloat(dst, v[i], 64) }
		}
	case arrow.DECIMAL128:
		s := from.(*arrow.Decimal128Type).Scale
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[decNum](a)
			return func(dst []byte, i int) []byte { return appendDecimal(dst, v[i], s) }
		}
	case arrow.DATE32:
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[int32](a)
			return func(dst []byte, i int) []byte { return appendDate(dst, int64(v[i])) }
		}
	case arrow.TIMESTAMP:
		tz := from.(*arrow.TimestampType).TimeZone != ""
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[int64](a)
			return func(dst []byte, i int) []byte { return appendTimestamp(dst, v[i], tz) }
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		format = func(a arrow.Array) func([]byte, int) []byte {
			v := fixedValues[arrow.MonthDayNanoInterval](a)
			return func(dst []byte, i int) []byte { return appendInterval(dst, v[i]) }
		}
	case arrow.BINARY:
		format = func(a arrow.Array) func([]byte, int) []byte {
			offs, data := binCols(a)
			return func(dst []byte, i int) []byte { return appendBytea(dst, data[offs[i]:offs[i+1]]) }
		}
	default:
		return nil, errCannotCast(from, expr.String)
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0].arr
		f := format(a)
		valid := validOf(a)
		o := newVarOut(c.alloc, expr.String, n, 12*n)
		var scratch [64]byte
		for i := 0; i < n; i++ {
			if !valid.ok(i) {
				o.appendNull()
				continue
			}
			o.appendBytes(f(scratch[:0], i))
		}
		arr, err := o.finish()
		if err != nil {
			return vec{}, err
		}
		return arrayVec(arr), nil
	}, nil
}

func intFormatter[T integer](a arrow.Array) func([]byte, int) []byte {
	v := fixedValues[T](a)
	return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(v[i]), 10) }
}

// fromTextKernel parses text into any type.
func fromTextKernel(to arrow.DataType, ce castErrs) (kernel, error) {
	switch to.ID() {
	case arrow.BOOL:
		return func(c *evalCtx, n int, args []vec) (vec, error) {
			return parseToBool(c, n, args[0], ce)
		}, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		bitSize := 8 * intWidth(to)
		switch to.ID() {
		case arrow.INT8:
			return parseFixed(to, ce, func(s string) (int8, parseErr) { v, e := parseInt(s, bitSize); return int8(v), e }), nil
		case arrow.INT16:
			return parseFixed(to, ce, func(s string) (int16, parseErr) { v, e := parseInt(s, bitSize); return int16(v), e }), nil
		case arrow.INT32:
			return parseFixed(to, ce, func(s string) (int32, parseErr) { v, e := parseInt(s, bitSize); return int32(v), e }), nil
		}
		return parseFixed(to, ce, func(s string) (int64, parseErr) { return parseInt(s, 64) }), nil
	case arrow.FLOAT32:
		return parseFixed(to, ce, func(s string) (float32, parseErr) { v, e := parseFloat(s, 32); return float32(v), e }), nil
	case arrow.FLOAT64:
		return parseFixed(to, ce, func(s string) (float64, parseErr) { return parseFloat(s, 64) }), nil
	case arrow.DECIMAL128:
		d := to.(*arrow.Decimal128Type)
		return parseFixed(to, ce, func(s string) (decNum, parseErr) { return parseDecimal(s, d.Precision, d.Scale) }), nil
	case arrow.DATE32:
		return parseFixed(to, ce, parseDate), nil
	case arrow.TIMESTAMP:
		tz := to.(*arrow.TimestampType).TimeZone != ""
		return parseFixed(to, ce, func(s string) (int64, parseErr) { return parseTimestamp(s, tz) }), nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return parseFixed(to, ce, parseInterval), nil
	case arrow.BINARY:
		return textKernel([]arrow.DataType{expr.String}, expr.Binary, func(o *varOut, a []argAcc, i int) error {
			b, e := parseBytea(a[0].s(i))
			if e != parseOK {
				return ce.parse(e)
			}
			o.appendBytes(b)
			return nil
		}), nil
	}
	return nil, errCannotCast(expr.String, to)
}

// parseFixed parses every valid row of a text column into a fixed-width type.
func parseFixed[R any](rt arrow.DataType, ce castErrs, parse func(string) (R, parseErr)) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		s := newStrAcc(args[0])
		validity, nulls := andValidity(c.alloc, n, args[0])
		valid := bufBits(validity)
		buf, out := newFixed[R](c.alloc, n)
		var zero R
		for i := range out {
			if !valid.ok(i) {
				out[i] = zero
				continue
			}
			v, e := parse(s.at(i))
			if e != parseOK {
				buf.Release()
				releaseBuf(validity)
				return vec{}, ce.parse(e)
			}
			out[i] = v
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

func parseToBool(c *evalCtx, n int, arg vec, ce castErrs) (vec, error) {
	s := newStrAcc(arg)
	validity, nulls := andValidity(c.alloc, n, arg)
	valid := bufBits(validity)
	buf := newBitmap(c.alloc, n)
	out := buf.Bytes()
	for i := 0; i < n; i++ {
		if !valid.ok(i) {
			continue
		}
		b, e := parseBool(s.at(i))
		if e != parseOK {
			buf.Release()
			releaseBuf(validity)
			return vec{}, ce.parse(e)
		}
		if b {
			out[i>>3] |= 1 << (uint(i) & 7)
		}
	}
	return arrayVec(makeArray(expr.Bool, n, validity, nulls, buf)), nil
}
