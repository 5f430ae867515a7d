package executor

import (
	"bytes"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// keyStore holds the distinct key values of one column of a hash table (one entry per
// group), in allocator memory, with typed equality against incoming rows.
type keyStore interface {
	// appender returns a function storing row i of arr as the next entry.
	appender(arr arrow.Array) func(i int)
	// equal returns a function telling whether entry g equals row i of arr (NULL = NULL).
	equal(arr arrow.Array) func(g uint32, i int) bool
	// build returns entries [from, to) as an array.
	build(alloc memory.Allocator, from, to int) (arrow.Array, error)
	release()
}

func newKeyStore(alloc memory.Allocator, dt arrow.DataType) (keyStore, error) {
	switch dt.ID() {
	case arrow.NULL:
		return &nullStore{}, nil
	case arrow.BOOL:
		return &boolStore{vals: newVec[uint8](alloc)}, nil
	case arrow.FLOAT32:
		return &fixedStore[uint32]{dt: dt, vals: newVec[uint32](alloc), valid: newVec[bool](alloc), float: true}, nil
	case arrow.FLOAT64:
		return &fixedStore[uint64]{dt: dt, vals: newVec[uint64](alloc), valid: newVec[bool](alloc), float: true}, nil
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		s := &binaryStore{dt: dt, offs: newVec[int64](alloc), data: newVec[byte](alloc), valid: newVec[bool](alloc)}
		s.offs.append(0)
		return s, nil
	}
	switch fixedKeyWidth(dt) {
	case 1:
		return newFixedStore[uint8](alloc, dt), nil
	case 2:
		return newFixedStore[uint16](alloc, dt), nil
	case 4:
		return newFixedStore[uint32](alloc, dt), nil
	case 8:
		return newFixedStore[uint64](alloc, dt), nil
	case 16:
		return newFixedStore[[2]uint64](alloc, dt), nil
	}
	return nil, errKeyType("hashing", "key", dt)
}

type nullStore struct{ n int }

func (s *nullStore) appender(arrow.Array) func(int) { return func(int) { s.n++ } }
func (s *nullStore) equal(arrow.Array) func(uint32, int) bool {
	return func(uint32, int) bool { return true }
}
func (s *nullStore) build(_ memory.Allocator, from, to int) (arrow.Array, error) {
	return array.NewNull(to - from), nil
}
func (s *nullStore) release() {}

// boolStore keeps 0 (false), 1 (true) or 2 (NULL) per entry.
type boolStore struct{ vals vec[uint8] }

func boolCode(b *array.Boolean, i int) uint8 {
	switch {
	case b.IsNull(i):
		return 2
	case b.Value(i):
		return 1
	}
	return 0
}

func (s *boolStore) appender(arr arrow.Array) func(int) {
	b := arr.(*array.Boolean)
	return func(i int) { s.vals.append(boolCode(b, i)) }
}

func (s *boolStore) equal(arr arrow.Array) func(uint32, int) bool {
	b := arr.(*array.Boolean)
	return func(g uint32, i int) bool { return s.vals.s[g] == boolCode(b, i) }
}

func (s *boolStore) build(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	bld := array.NewBooleanBuilder(alloc)
	defer bld.Release()
	bld.Reserve(to - from)
	for _, v := range s.vals.s[from:to] {
		if v == 2 {
			bld.AppendNull()
		} else {
			bld.UnsafeAppend(v == 1)
		}
	}
	return bld.NewArray(), nil
}

func (s *boolStore) release() { s.vals.release() }

// fixedStore keeps fixed-width keys by bit pattern. Floats are stored normalized (one NaN,
// no negative zero) so that equal SQL values have equal bits.
type fixedStore[T uint8 | uint16 | uint32 | uint64 | [2]uint64] struct {
	dt    arrow.DataType
	vals  vec[T]
	valid vec[bool]
	float bool
}

func newFixedStore[T uint8 | uint16 | uint32 | uint64 | [2]uint64](alloc memory.Allocator, dt arrow.DataType) *fixedStore[T] {
	return &fixedStore[T]{dt: dt, vals: newVec[T](alloc), valid: newVec[bool](alloc)}
}

// source returns the row values of arr as T, normalizing floats into a scratch copy.
func (s *fixedStore[T]) source(arr arrow.Array) []T {
	var zero T
	w := int(unsafeSizeof(zero))
	raw := reinterpret[T](fixedBytes(arr.Data(), w))
	if !s.float {
		return raw
	}
	out := make([]T, arr.Len())
	switch v := any(out).(type) {
	case []uint64:
		for i, x := range arrow.GetValues[float64](arr.Data(), 1) {
			v[i] = floatKeyBits(x)
		}
	case []uint32:
		for i, x := range arrow.GetValues[float32](arr.Data(), 1) {
			v[i] = float32KeyBits(x)
		}
	}
	return out
}

func float32KeyBits(v float32) uint32 {
	switch {
	case v == 0:
		return 0
	case v != v:
		return 0x7fc00000
	}
	return math.Float32bits(v)
}

func (s *fixedStore[T]) appender(arr arrow.Array) func(int) {
	src := s.source(arr)
	if arr.NullN() == 0 {
		return func(i int) {
			s.vals.append(src[i])
			s.valid.append(true)
		}
	}
	return func(i int) {
		if arr.IsNull(i) {
			var zero T
			s.vals.append(zero)
			s.valid.append(false)
			return
		}
		s.vals.append(src[i])
		s.valid.append(true)
	}
}

func (s *fixedStore[T]) equal(arr arrow.Array) func(uint32, int) bool {
	src := s.source(arr)
	if arr.NullN() == 0 {
		return func(g uint32, i int) bool { return s.valid.s[g] && s.vals.s[g] == src[i] }
	}
	return func(g uint32, i int) bool {
		if arr.IsNull(i) {
			return !s.valid.s[g]
		}
		return s.valid.s[g] && s.vals.s[g] == src[i]
	}
}

func (s *fixedStore[T]) build(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return buildFixed(alloc, s.dt, s.vals.s[from:to], s.valid.s[from:to]), nil
}

func (s *fixedStore[T]) release() {
	s.vals.release()
	s.valid.release()
}

// buildFixed copies fixed-width values (bit patterns of dt) into a new array; valid may be
// nil when every value is valid.
func buildFixed[T any](alloc memory.Allocator, dt arrow.DataType, vals []T, valid []bool) arrow.Array {
	var zero T
	w := int(unsafeSizeof(zero))
	n := len(vals)
	values := memory.NewResizableBuffer(alloc)
	values.Resize(n * w)
	copy(reinterpret[T](values.Bytes()), vals)
	validity, nulls := validityFromBools(alloc, valid)
	data := array.NewData(dt, n, []*memory.Buffer{validity, values}, nil, nulls, 0)
	values.Release()
	releaseBuffer(validity)
	defer data.Release()
	return array.MakeFromData(data)
}

// validityFromBools returns a validity bitmap, or nil when all are valid.
func validityFromBools(alloc memory.Allocator, valid []bool) (*memory.Buffer, int) {
	nulls := 0
	for _, v := range valid {
		if !v {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := newZeroedBuffer(alloc, int(bitutil.BytesForBits(int64(len(valid)))))
	bits := buf.Bytes()
	for i, v := range valid {
		if v {
			bitutil.SetBit(bits, i)
		}
	}
	return buf, nulls
}

// binaryStore keeps variable-width keys in one byte arena.
type binaryStore struct {
	dt    arrow.DataType
	offs  vec[int64] // entry g is data[offs[g]:offs[g+1]]
	data  vec[byte]
	valid vec[bool]
}

// binaryValues returns a function yielding the bytes of row i for every binary layout.
func binaryValues(arr arrow.Array) func(i int) []byte {
	d := arr.Data()
	switch arr.DataType().ID() {
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs := arrow.GetOffsets[int64](d, 1)
		data := bufferBytes(d, 2)
		return func(i int) []byte { return data[offs[i]:offs[i+1]] }
	case arrow.FIXED_SIZE_BINARY:
		w := arr.DataType().(*arrow.FixedSizeBinaryType).ByteWidth
		data := fixedBytes(d, w)
		return func(i int) []byte { return data[i*w : (i+1)*w] }
	}
	offs := arrow.GetOffsets[int32](d, 1)
	data := bufferBytes(d, 2)
	return func(i int) []byte { return data[offs[i]:offs[i+1]] }
}

func (s *binaryStore) appender(arr arrow.Array) func(int) {
	val := binaryValues(arr)
	return func(i int) {
		valid := arr.IsValid(i)
		if valid {
			s.data.appendSlice(val(i))
		}
		s.offs.append(int64(s.data.len()))
		s.valid.append(valid)
	}
}

func (s *binaryStore) equal(arr arrow.Array) func(uint32, int) bool {
	if id := arr.DataType().ID(); arr.NullN() == 0 && (id == arrow.STRING || id == arrow.BINARY) {
		d := arr.Data()
		offs := arrow.GetOffsets[int32](d, 1)
		data := bufferBytes(d, 2)
		return func(g uint32, i int) bool {
			stored := s.data.s[s.offs.s[g]:s.offs.s[g+1]]
			return s.valid.s[g] && string(stored) == string(data[offs[i]:offs[i+1]])
		}
	}
	val := binaryValues(arr)
	return func(g uint32, i int) bool {
		if arr.IsNull(i) {
			return !s.valid.s[g]
		}
		return s.valid.s[g] && bytes.Equal(s.data.s[s.offs.s[g]:s.offs.s[g+1]], val(i))
	}
}

func (s *binaryStore) build(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	n := to - from
	start, end := s.offs.s[from], s.offs.s[to]
	validity, nulls := validityFromBools(alloc, s.valid.s[from:to])
	values := memory.NewResizableBuffer(alloc)
	values.Resize(int(end - start))
	copy(values.Bytes(), s.data.s[start:end])
	var bufs []*memory.Buffer
	switch s.dt.ID() {
	case arrow.FIXED_SIZE_BINARY:
		bufs = []*memory.Buffer{validity, values}
		if nulls > 0 {
			// NULL entries stored no bytes; a fixed-size array needs a slot for each.
			values.Release()
			w := s.dt.(*arrow.FixedSizeBinaryType).ByteWidth
			values = newZeroedBuffer(alloc, n*w)
			for g := from; g < to; g++ {
				copy(values.Bytes()[(g-from)*w:], s.data.s[s.offs.s[g]:s.offs.s[g+1]])
			}
			bufs[1] = values
		}
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offBuf := memory.NewResizableBuffer(alloc)
		offBuf.Resize(8 * (n + 1))
		o := arrow.Int64Traits.CastFromBytes(offBuf.Bytes())
		for k := 0; k <= n; k++ {
			o[k] = s.offs.s[from+k] - start
		}
		bufs = []*memory.Buffer{validity, offBuf, values}
	default:
		if end-start > math.MaxInt32 {
			releaseBuffer(validity)
			values.Release()
			return nil, errTooLargeForBatch(int(end - start))
		}
		offBuf := memory.NewResizableBuffer(alloc)
		offBuf.Resize(4 * (n + 1))
		o := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
		for k := 0; k <= n; k++ {
			o[k] = int32(s.offs.s[from+k] - start)
		}
		bufs = []*memory.Buffer{validity, offBuf, values}
	}
	data := array.NewData(s.dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		releaseBuffer(b)
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

func (s *binaryStore) release() {
	s.offs.release()
	s.data.release()
	s.valid.release()
}
