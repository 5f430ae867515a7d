package expr

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ValueAt returns the canonical Go value of arr at row i (see Literal), or nil for NULL.
// Strings and byte slices are copied, so the value outlives the array. For Arrow types outside
// meshgate's SQL types it returns the array's own Go value (GetOneForMarshal).
func ValueAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Null:
		return nil
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.LargeBinary:
		return append([]byte{}, a.Value(i)...)
	case *array.Decimal128:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.MonthDayNanoInterval:
		return a.Value(i)
	}
	return arr.GetOneForMarshal(i)
}

// AppendValue appends the canonical value v (nil for NULL) to b. It fails when v is not the
// canonical Go type of the builder's Arrow type or does not fit it.
func AppendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	mismatch := func() error {
		return fmt.Errorf("value of Go type %T cannot be appended to a %s column", v, SQLTypeName(b.Type()))
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.Int8Builder:
		x, err := intIn(v, math.MinInt8, math.MaxInt8, b.Type())
		if err != nil {
			return err
		}
		bb.Append(int8(x))
	case *array.Int16Builder:
		x, err := intIn(v, math.MinInt16, math.MaxInt16, b.Type())
		if err != nil {
			return err
		}
		bb.Append(int16(x))
	case *array.Int32Builder:
		x, err := intIn(v, math.MinInt32, math.MaxInt32, b.Type())
		if err != nil {
			return err
		}
		bb.Append(int32(x))
	case *array.Int64Builder:
		x, err := intIn(v, math.MinInt64, math.MaxInt64, b.Type())
		if err != nil {
			return err
		}
		bb.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float64)
		if !ok {
			return mismatch()
		}
		bb.Append(float32(x))
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.StringBuilder:
		x, ok := v.(string)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.BinaryBuilder:
		switch x := v.(type) {
		case []byte:
			bb.Append(x)
		case string:
			if bb.Type().ID() != arrow.STRING && bb.Type().ID() != arrow.LARGE_STRING {
				return mismatch()
			}
			bb.AppendString(x)
		default:
			return mismatch()
		}
	case *array.Decimal128Builder:
		x, ok := v.(decimal128.Num)
		if !ok {
			return mismatch()
		}
		if !x.FitsInPrecision(bb.Type().(*arrow.Decimal128Type).Precision) {
			return fmt.Errorf("value does not fit %s", SQLTypeName(bb.Type()))
		}
		bb.Append(x)
	case *array.Date32Builder:
		x, ok := v.(arrow.Date32)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.TimestampBuilder:
		x, ok := v.(arrow.Timestamp)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	case *array.MonthDayNanoIntervalBuilder:
		x, ok := v.(arrow.MonthDayNanoInterval)
		if !ok {
			return mismatch()
		}
		bb.Append(x)
	default:
		return fmt.Errorf("cannot append values to a %s column", SQLTypeName(b.Type()))
	}
	return nil
}

func intIn(v any, lo, hi int64, t arrow.DataType) (int64, error) {
	x, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("value of Go type %T cannot be appended to a %s column", v, SQLTypeName(t))
	}
	if x < lo || x > hi {
		return 0, fmt.Errorf("%s out of range", SQLTypeName(t))
	}
	return x, nil
}

// MakeArray returns an array of n copies of the canonical value v (nil: n NULLs) of type t,
// allocated from alloc and owned by the caller. v must be canonical for t (ValidateValue,
// LiteralFromValue); a mismatch is a programming error and panics.
func MakeArray(alloc memory.Allocator, t arrow.DataType, v any, n int) arrow.Array {
	if v == nil || t.ID() == arrow.NULL {
		return array.MakeArrayOfNull(alloc, t, n)
	}
	if err := ValidateValue(t, v); err != nil {
		panic("expr.MakeArray: " + err.Error())
	}
	switch t.ID() {
	case arrow.BOOL:
		buf := memory.NewResizableBuffer(alloc)
		buf.Resize(int(bitutilBytes(n)))
		bs := buf.Bytes()
		fill := byte(0)
		if v.(bool) {
			fill = 0xFF
		}
		for i := range bs {
			bs[i] = fill
		}
		return newArray(t, n, nil, buf)
	case arrow.INT8:
		return fillFixed(alloc, t, n, int8(v.(int64)))
	case arrow.INT16:
		return fillFixed(alloc, t, n, int16(v.(int64)))
	case arrow.INT32:
		return fillFixed(alloc, t, n, int32(v.(int64)))
	case arrow.INT64:
		return fillFixed(alloc, t, n, v.(int64))
	case arrow.FLOAT32:
		return fillFixed(alloc, t, n, float32(v.(float64)))
	case arrow.FLOAT64:
		return fillFixed(alloc, t, n, v.(float64))
	case arrow.DECIMAL128:
		return fillFixed(alloc, t, n, v.(decimal128.Num))
	case arrow.DATE32:
		return fillFixed(alloc, t, n, v.(arrow.Date32))
	case arrow.TIMESTAMP:
		return fillFixed(alloc, t, n, v.(arrow.Timestamp))
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return fillFixed(alloc, t, n, v.(arrow.MonthDayNanoInterval))
	case arrow.STRING, arrow.BINARY:
		var val []byte
		if s, ok := v.(string); ok {
			val = unsafe.Slice(unsafe.StringData(s), len(s))
		} else {
			val = v.([]byte)
		}
		offsets := memory.NewResizableBuffer(alloc)
		offsets.Resize((n + 1) * 4)
		offs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offsets.Bytes()))), n+1)
		for i := range offs {
			offs[i] = int32(i * len(val))
		}
		data := memory.NewResizableBuffer(alloc)
		data.Resize(n * len(val))
		db := data.Bytes()
		for i := 0; i < n; i++ {
			copy(db[i*len(val):], val)
		}
		return newArray(t, n, nil, offsets, data)
	}
	panic("expr.MakeArray: unsupported type " + t.String())
}

func bitutilBytes(n int) int64 { return (int64(n) + 7) / 8 }

func fillFixed[T any](alloc memory.Allocator, t arrow.DataType, n int, v T) arrow.Array {
	var zero T
	size := int(unsafe.Sizeof(zero))
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(n * size)
	if n > 0 {
		vals := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
		for i := range vals {
			vals[i] = v
		}
	}
	return newArray(t, n, nil, buf)
}

// newArray wraps buffers (the first is the validity bitmap) in an array and releases the
// caller's reference to the data buffers.
func newArray(t arrow.DataType, n int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	all := append([]*memory.Buffer{validity}, bufs...)
	data := array.NewData(t, n, all, nil, 0, 0)
	for _, b := range bufs {
		b.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// ValidateValue reports whether v is the canonical Go value for type t (nil is always valid).
func ValidateValue(t arrow.DataType, v any) error {
	if v == nil {
		return nil
	}
	ok := false
	switch t.ID() {
	case arrow.BOOL:
		_, ok = v.(bool)
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		var x int64
		if x, ok = v.(int64); ok {
			lo, hi := intRange(t)
			if x < lo || x > hi {
				return fmt.Errorf("value out of range for %s", SQLTypeName(t))
			}
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		_, ok = v.(float64)
	case arrow.STRING, arrow.LARGE_STRING:
		_, ok = v.(string)
	case arrow.BINARY, arrow.LARGE_BINARY:
		_, ok = v.([]byte)
	case arrow.DECIMAL128:
		var x decimal128.Num
		if x, ok = v.(decimal128.Num); ok && !x.FitsInPrecision(t.(*arrow.Decimal128Type).Precision) {
			return fmt.Errorf("value does not fit %s", SQLTypeName(t))
		}
	case arrow.DATE32:
		_, ok = v.(arrow.Date32)
	case arrow.TIMESTAMP:
		_, ok = v.(arrow.Timestamp)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		_, ok = v.(arrow.MonthDayNanoInterval)
	case arrow.NULL:
		ok = false
	}
	if !ok {
		return fmt.Errorf("Go value of type %T is not a canonical %s value", v, SQLTypeName(t))
	}
	return nil
}

func intRange(t arrow.DataType) (int64, int64) {
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

// LiteralFromValue converts a Go value, such as a parameter bound by a client, to a literal of
// type t in canonical form: any Go integer or float for numeric types (range-checked), bool,
// string and []byte for text and bytea, decimal128.Num (already at t's scale), time.Time for
// dates and timestamps (a date takes the value's calendar day in its own location; a
// timestamp without time zone takes its wall-clock time), time.Duration for intervals, and the
// canonical Arrow value types themselves. nil gives NULL. Strings are not parsed here: a text
// value for a non-text type is an error (cast it instead).
func LiteralFromValue(t arrow.DataType, v any) (*Literal, error) {
	if v == nil {
		return NullOf(t), nil
	}
	bad := func() (*Literal, error) {
		return nil, fmt.Errorf("a Go value of type %T cannot be used as %s", v, SQLTypeName(t))
	}
	switch t.ID() {
	case arrow.NULL:
		return bad()
	case arrow.BOOL:
		if b, ok := v.(bool); ok {
			return Lit(t, b), nil
		}
		return bad()
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		x, ok, err := goInt(v)
		if err != nil {
			return nil, fmt.Errorf("%s out of range", SQLTypeName(t))
		}
		if !ok {
			f, isFloat := goFloat(v)
			if !isFloat || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return bad()
			}
			x = int64(f)
		}
		if lo, hi := intRange(t); x < lo || x > hi {
			return nil, fmt.Errorf("%s out of range", SQLTypeName(t))
		}
		return Lit(t, x), nil
	case arrow.FLOAT32, arrow.FLOAT64:
		f, ok := goFloat(v)
		if !ok {
			x, isInt, err := goInt(v)
			switch {
			case err != nil:
				// Only unsigned values above MaxInt64 fail goInt; floats take them.
				switch u := v.(type) {
				case uint64:
					f = float64(u)
				case uint:
					f = float64(u)
				}
			case isInt:
				f = float64(x)
			default:
				return bad()
			}
		}
		if t.ID() == arrow.FLOAT32 {
			f = float64(float32(f))
		}
		return Lit(t, f), nil
	case arrow.DECIMAL128:
		dt := t.(*arrow.Decimal128Type)
		var n decimal128.Num
		switch x := v.(type) {
		case decimal128.Num:
			n = x
		case *big.Int:
			bi := new(big.Int).Mul(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Scale)), nil))
			if bi.BitLen() > 127 {
				return nil, fmt.Errorf("numeric field overflow")
			}
			n = decimal128.FromBigInt(bi)
		default:
			if i, ok, err := goInt(v); ok || err != nil {
				if err != nil {
					return nil, fmt.Errorf("numeric field overflow")
				}
				bi := new(big.Int).Mul(big.NewInt(i), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.Scale)), nil))
				if bi.BitLen() > 127 {
					return nil, fmt.Errorf("numeric field overflow")
				}
				n = decimal128.FromBigInt(bi)
			} else if f, ok := goFloat(v); ok {
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return nil, fmt.Errorf("cannot convert NaN or infinity to %s", SQLTypeName(t))
				}
				var err error
				if n, err = decimal128.FromFloat64(f, dt.Precision, dt.Scale); err != nil {
					return nil, fmt.Errorf("numeric field overflow")
				}
			} else {
				return bad()
			}
		}
		if !n.FitsInPrecision(dt.Precision) {
			return nil, fmt.Errorf("numeric field overflow")
		}
		return Lit(t, n), nil
	case arrow.STRING, arrow.LARGE_STRING:
		switch x := v.(type) {
		case string:
			return Lit(t, x), nil
		case []byte:
			if !utf8.Valid(x) {
				return nil, fmt.Errorf("invalid byte sequence for encoding UTF8")
			}
			return Lit(t, string(x)), nil
		}
		return bad()
	case arrow.BINARY, arrow.LARGE_BINARY:
		switch x := v.(type) {
		case []byte:
			return Lit(t, append([]byte{}, x...)), nil
		case string:
			return Lit(t, []byte(x)), nil
		}
		return bad()
	case arrow.DATE32:
		switch x := v.(type) {
		case arrow.Date32:
			return Lit(t, x), nil
		case time.Time:
			y, m, d := x.Date()
			days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if days < math.MinInt32 || days > math.MaxInt32 {
				return nil, fmt.Errorf("date out of range")
			}
			return Lit(t, arrow.Date32(days)), nil
		}
		return bad()
	case arrow.TIMESTAMP:
		tt := t.(*arrow.TimestampType)
		switch x := v.(type) {
		case arrow.Timestamp:
			return Lit(t, x), nil
		case time.Time:
			if tt.TimeZone == "" {
				y, mo, d := x.Date()
				h, mi, s := x.Clock()
				x = time.Date(y, mo, d, h, mi, s, x.Nanosecond(), time.UTC)
			}
			if y := x.Year(); y < -290000 || y > 290000 {
				return nil, fmt.Errorf("timestamp out of range")
			}
			x = x.Round(time.Microsecond)
			var v int64
			switch tt.Unit {
			case arrow.Second:
				v = x.Unix()
			case arrow.Millisecond:
				v = x.UnixMilli()
			case arrow.Microsecond:
				v = x.UnixMicro()
			default:
				v = x.UnixNano()
			}
			return Lit(t, arrow.Timestamp(v)), nil
		}
		return bad()
	case arrow.INTERVAL_MONTH_DAY_NANO:
		switch x := v.(type) {
		case arrow.MonthDayNanoInterval:
			return Lit(t, x), nil
		case time.Duration:
			return Lit(t, arrow.MonthDayNanoInterval{Nanoseconds: int64(x)}), nil
		}
		return bad()
	}
	return bad()
}

// goInt converts any Go integer kind; err reports a uint64 above MaxInt64.
func goInt(v any) (int64, bool, error) {
	switch x := v.(type) {
	case int:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int64:
		return x, true, nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false, fmt.Errorf("out of range")
		}
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, false, fmt.Errorf("out of range")
		}
		return int64(x), true, nil
	}
	return 0, false, nil
}

func goFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
