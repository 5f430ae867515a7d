package files

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/compute/exec"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/planner/expr"
)

// canonicalType maps the Arrow type a file reader produces to the type meshgate computes
// with (expr types): plain utf8/binary instead of large, view or dictionary encodings,
// microsecond timestamps whose zone is "" or "UTC", signed integers wide enough for
// unsigned ones. It returns nil and a reason for types the connector cannot serve yet.
func canonicalType(raw arrow.DataType) (arrow.DataType, string) {
	switch raw.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.DATE32:
		return raw, ""
	case arrow.UINT8:
		return arrow.PrimitiveTypes.Int16, ""
	case arrow.UINT16:
		return arrow.PrimitiveTypes.Int32, ""
	case arrow.UINT32:
		return arrow.PrimitiveTypes.Int64, ""
	case arrow.UINT64:
		return expr.Decimal(20, 0), ""
	case arrow.LARGE_STRING, arrow.STRING_VIEW:
		return arrow.BinaryTypes.String, ""
	case arrow.LARGE_BINARY, arrow.BINARY_VIEW, arrow.FIXED_SIZE_BINARY:
		return arrow.BinaryTypes.Binary, ""
	case arrow.DATE64:
		return arrow.FixedWidthTypes.Date32, ""
	case arrow.TIMESTAMP:
		if raw.(*arrow.TimestampType).TimeZone != "" {
			return expr.TimestampTZ, ""
		}
		return expr.Timestamp, ""
	case arrow.DICTIONARY:
		value := raw.(*arrow.DictionaryType).ValueType
		switch value.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			return canonicalType(value)
		}
	}
	return nil, "type " + raw.String() + " is not supported yet"
}

// canWiden reports whether a column stored as canonical type from may be read as declared
// type to without losing information: the widenings a contract may declare over the file.
func canWiden(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to):
		return true
	case expr.IsInteger(from) && expr.IsInteger(to):
		return intWidth(to) >= intWidth(from)
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.DECIMAL128 && to.ID() == arrow.DECIMAL128:
		f, t := from.(*arrow.Decimal128Type), to.(*arrow.Decimal128Type)
		return f.Scale == t.Scale && t.Precision >= f.Precision
	case from.ID() == arrow.STRING && to.ID() == arrow.LARGE_STRING,
		from.ID() == arrow.BINARY && to.ID() == arrow.LARGE_BINARY:
		return true
	}
	return false
}

func intWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return 8
	case arrow.INT16, arrow.UINT16:
		return 16
	case arrow.INT32, arrow.UINT32:
		return 32
	case arrow.INT64, arrow.UINT64:
		return 64
	}
	return 0
}

// converter turns one column of a file batch into the declared type. It returns a new
// reference; the input stays owned by the caller.
type converter func(arr arrow.Array) (arrow.Array, error)

// newConverter returns the conversion from raw (as the file reader produces it) to the
// declared type through the canonical type, or nil when raw is already the declared type.
// Every buffer it allocates comes from mem.
func newConverter(raw, canonical, declared arrow.DataType, mem memory.Allocator) (converter, error) {
	first, err := stepConverter(raw, canonical, mem)
	if err != nil {
		return nil, err
	}
	second, err := stepConverter(canonical, declared, mem)
	if err != nil {
		return nil, err
	}
	switch {
	case first == nil:
		return second, nil
	case second == nil:
		return first, nil
	}
	return func(arr arrow.Array) (arrow.Array, error) {
		mid, err := first(arr)
		if err != nil {
			return nil, err
		}
		defer mid.Release()
		return second(mid)
	}, nil
}

func stepConverter(from, to arrow.DataType, mem memory.Allocator) (converter, error) {
	if arrow.TypeEqual(from, to) {
		return nil, nil
	}
	switch {
	case isIntegerOrUnsigned(from) && expr.IsInteger(to):
		return widenIntegers(from, to, mem)
	case from.ID() == arrow.UINT64 && to.ID() == arrow.DECIMAL128:
		return fixedWidthKernel(to, mem, func(in []uint64, out []decimal128.Num) {
			for i, v := range in {
				out[i] = decimal128.FromU64(v)
			}
		}), nil
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return fixedWidthKernel(to, mem, func(in []float32, out []float64) {
			for i, v := range in {
				out[i] = float64(v)
			}
		}), nil
	case from.ID() == arrow.DECIMAL128 && to.ID() == arrow.DECIMAL128,
		from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP &&
			from.(*arrow.TimestampType).Unit == to.(*arrow.TimestampType).Unit:
		// Same storage, different label (precision or zone name): share the buffers.
		return func(arr arrow.Array) (arrow.Array, error) { return relabel(arr, to), nil }, nil
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		fromUnit, toUnit := from.(*arrow.TimestampType).Unit, to.(*arrow.TimestampType).Unit
		return func(arr arrow.Array) (arrow.Array, error) {
			return convertTimestamps(arr, fromUnit, toUnit, to, mem)
		}, nil
	case from.ID() == arrow.FIXED_SIZE_BINARY && to.ID() == arrow.BINARY:
		width := from.(*arrow.FixedSizeBinaryType).ByteWidth
		return func(arr arrow.Array) (arrow.Array, error) { return fixedToBinary(arr, width, mem), nil }, nil
	case from.ID() == arrow.DATE64 && to.ID() == arrow.DATE32:
		return fixedWidthKernel(to, mem, func(in []int64, out []int32) {
			for i, v := range in {
				out[i] = int32(floorDiv(v, 86_400_000))
			}
		}), nil
	}
	// The remaining conversions (large, view and dictionary encodings of strings and
	// binaries) are rare, so they use arrow's cast kernels.
	opts := compute.SafeCastOptions(to)
	if from.ID() != arrow.DICTIONARY && !compute.CanCast(from, to) {
		return nil, fmt.Errorf("no conversion from %s to %s", from, to)
	}
	return func(arr arrow.Array) (arrow.Array, error) {
		ctx := exec.WithAllocator(context.Background(), mem)
		if arr.DataType().ID() == arrow.DICTIONARY {
			dict := arr.(*array.Dictionary)
			dense, err := compute.TakeArray(ctx, dict.Dictionary(), dict.Indices())
			if err != nil {
				return nil, err
			}
			if arrow.TypeEqual(dense.DataType(), to) {
				return dense, nil
			}
			defer dense.Release()
			arr = dense
		}
		return compute.CastArray(ctx, arr, opts)
	}, nil
}

// fixedToBinary copies a fixed_size_binary array into a binary one (NULL slots keep their
// bytes, which is valid and saves a pass).
func fixedToBinary(arr arrow.Array, width int, mem memory.Allocator) arrow.Array {
	d := arr.Data()
	n := d.Len()
	offsets := memory.NewResizableBuffer(mem)
	offsets.Resize((n + 1) * 4)
	offs := arrow.GetData[int32](offsets.Bytes())[:n+1]
	for i := range offs {
		offs[i] = int32(i * width)
	}
	data := memory.NewResizableBuffer(mem)
	data.Resize(n * width)
	if src := d.Buffers()[1]; src != nil && n > 0 {
		copy(data.Bytes(), src.Bytes()[d.Offset()*width:(d.Offset()+n)*width])
	}
	validity := alignedValidity(d, mem)
	bufs := []*memory.Buffer{validity, offsets, data}
	nd := array.NewData(arrow.BinaryTypes.Binary, n, bufs, nil, d.NullN(), 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer nd.Release()
	return array.MakeFromData(nd)
}

func isIntegerOrUnsigned(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}

// relabel returns arr's data under another type with the same physical layout.
func relabel(arr arrow.Array, to arrow.DataType) arrow.Array {
	d := arr.Data()
	nd := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

// fixedWidthKernel builds a converter between two fixed-width layouts: the validity bitmap
// is shared, the values are written by f into a buffer from mem.
func fixedWidthKernel[F, T arrow.FixedWidthType](to arrow.DataType, mem memory.Allocator, f func(in []F, out []T)) converter {
	return func(arr arrow.Array) (arrow.Array, error) {
		d := arr.Data()
		n := d.Len()
		buf := memory.NewResizableBuffer(mem)
		var zero T
		buf.Resize(n * int(unsafe.Sizeof(zero)))
		if n > 0 {
			f(arrow.GetValues[F](d, 1), arrow.GetData[T](buf.Bytes())[:n])
		}
		return newFixedWidthArray(to, d, buf, mem), nil
	}
}

// newFixedWidthArray wraps values (length d.Len(), offset 0) with the validity bitmap of d.
// It takes over the caller's reference to values.
func newFixedWidthArray(to arrow.DataType, d arrow.ArrayData, values *memory.Buffer, mem memory.Allocator) arrow.Array {
	defer values.Release()
	validity := alignedValidity(d, mem)
	if validity != nil {
		defer validity.Release()
	}
	nd := array.NewData(to, d.Len(), []*memory.Buffer{validity, values}, nil, d.NullN(), 0)
	defer nd.Release()
	return array.MakeFromData(nd)
}

// alignedValidity returns the validity bitmap of d realigned to offset 0: the same buffer
// (retained) when d starts at offset 0, else a copy from mem. nil when d has no nulls.
func alignedValidity(d arrow.ArrayData, mem memory.Allocator) *memory.Buffer {
	if d.NullN() == 0 || d.Buffers()[0] == nil {
		return nil
	}
	src := d.Buffers()[0]
	if d.Offset() == 0 {
		src.Retain()
		return src
	}
	out := memory.NewResizableBuffer(mem)
	out.Resize(int(bitutil.BytesForBits(int64(d.Len()))))
	bitutil.CopyBitmap(src.Bytes(), d.Offset(), d.Len(), out.Bytes(), 0)
	return out
}

func widenIntegers(from, to arrow.DataType, mem memory.Allocator) (converter, error) {
	switch to.ID() {
	case arrow.INT16:
		return widenTo[int16](from, to, mem)
	case arrow.INT32:
		return widenTo[int32](from, to, mem)
	case arrow.INT64:
		return widenTo[int64](from, to, mem)
	}
	return nil, fmt.Errorf("no widening from %s to %s", from, to)
}

func widenTo[T int16 | int32 | int64](from, to arrow.DataType, mem memory.Allocator) (converter, error) {
	switch from.ID() {
	case arrow.INT8:
		return fixedWidthKernel(to, mem, widen[int8, T]), nil
	case arrow.INT16:
		return fixedWidthKernel(to, mem, widen[int16, T]), nil
	case arrow.INT32:
		return fixedWidthKernel(to, mem, widen[int32, T]), nil
	case arrow.UINT8:
		return fixedWidthKernel(to, mem, widen[uint8, T]), nil
	case arrow.UINT16:
		return fixedWidthKernel(to, mem, widen[uint16, T]), nil
	case arrow.UINT32:
		return fixedWidthKernel(to, mem, widen[uint32, T]), nil
	}
	return nil, fmt.Errorf("no widening from %s to %s", from, to)
}

func widen[F int8 | int16 | int32 | uint8 | uint16 | uint32, T int16 | int32 | int64](in []F, out []T) {
	for i, v := range in {
		out[i] = T(v)
	}
}

// unitsPerSecond is the number of ticks of u in one second.
func unitsPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1
	case arrow.Millisecond:
		return 1_000
	case arrow.Microsecond:
		return 1_000_000
	}
	return 1_000_000_000
}

// convertTimestamp converts one timestamp between units, rounding toward negative infinity
// when precision is lost. Pruning converts statistics with the same function, so a bound
// stays a bound of the values the scan returns. ok is false on overflow.
func convertTimestamp(v int64, from, to arrow.TimeUnit) (int64, bool) {
	f, t := unitsPerSecond(from), unitsPerSecond(to)
	switch {
	case f == t:
		return v, true
	case f > t:
		return floorDiv(v, f/t), true
	}
	hi, lo := bits.Mul64(uint64(abs64(v)), uint64(t/f))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if v < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func convertTimestamps(arr arrow.Array, from, to arrow.TimeUnit, toType arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	var overflow bool
	out := fixedWidthKernel(toType, mem, func(in []int64, out []int64) {
		for i, v := range in {
			c, ok := convertTimestamp(v, from, to)
			if !ok && arr.IsValid(i) {
				overflow = true
			}
			out[i] = c
		}
	})
	res, err := out(arr)
	if err != nil {
		return nil, err
	}
	if overflow {
		res.Release()
		return nil, fmt.Errorf("a timestamp is out of the range of %s", toType)
	}
	return res, nil
}
