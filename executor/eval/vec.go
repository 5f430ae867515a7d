package eval

import (
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// vec is an intermediate result: an array with one row per input row, or (arr == nil) one
// canonical scalar value standing for every row, nil for NULL. Keeping literals scalar is what
// lets `col = 5` run as a tight array–scalar loop.
type vec struct {
	arr arrow.Array
	val any
}

func scalarVec(v any) vec        { return vec{val: v} }
func arrayVec(a arrow.Array) vec { return vec{arr: a} }
func (v vec) isNullScalar() bool { return v.arr == nil && v.val == nil }
func (v vec) release()           { releaseArr(v.arr) }
func releaseArr(a arrow.Array) {
	if a != nil {
		a.Release()
	}
}
func releaseVecs(vs []vec) {
	for _, v := range vs {
		v.release()
	}
}
func (v vec) retained() vec {
	if v.arr != nil {
		v.arr.Retain()
	}
	return v
}

// toArray turns v into an owned array of n rows of type t, consuming v.
func toArray(alloc memory.Allocator, t arrow.DataType, v vec, n int) arrow.Array {
	if v.arr != nil {
		return v.arr
	}
	return expr.MakeArray(alloc, t, v.val, n)
}

// evalCtx carries what one Eval call shares across nodes.
type evalCtx struct {
	alloc memory.Allocator
}

// input is the batch an expression is evaluated over: columns by batch position (nil for
// columns a sub-selection did not need) and the row count.
type input struct {
	cols  []arrow.Array
	n     int
	owned bool // sub-selections own their columns
}

func (in *input) release() {
	if in.owned {
		for _, c := range in.cols {
			releaseArr(c)
		}
	}
}

// ---- validity ----

// bitsOf returns a's validity bitmap and its bit offset; nil when a has no NULLs.
func bitsOf(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	return a.NullBitmapBytes(), a.Data().Offset()
}

// andValidity returns an offset-0 bitmap of the rows valid in every array argument (nil when
// every row is) and the number of NULL rows. Scalars are ignored: callers handle NULL scalars
// before. A lone source bitmap at offset 0 is shared rather than copied.
func andValidity(alloc memory.Allocator, n int, args ...vec) (*memory.Buffer, int) {
	var withNulls []arrow.Array
	for _, a := range args {
		if a.arr != nil && a.arr.NullN() > 0 {
			withNulls = append(withNulls, a.arr)
		}
	}
	switch {
	case len(withNulls) == 0:
		return nil, 0
	case len(withNulls) == 1 && withNulls[0].Data().Offset() == 0:
		buf := withNulls[0].Data().Buffers()[0]
		buf.Retain()
		return buf, withNulls[0].NullN()
	}
	out := newBitmap(alloc, n)
	bits := out.Bytes()
	src, off := bitsOf(withNulls[0])
	bitutil.CopyBitmap(src, off, n, bits, 0)
	for _, a := range withNulls[1:] {
		src, off := bitsOf(a)
		bitutil.BitmapAnd(bits, src, 0, int64(off), bits, 0, int64(n))
	}
	return out, n - bitutil.CountSetBits(bits, 0, n)
}

// newBitmap allocates a zeroed bitmap of n bits.
func newBitmap(alloc memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	clear(buf.Bytes())
	return buf
}

// validBits reads an offset-0 validity bitmap; nil means every row is valid.
type validBits []byte

func (v validBits) ok(i int) bool { return v == nil || v[i>>3]&(1<<(uint(i)&7)) != 0 }

func bufBits(b *memory.Buffer) validBits {
	if b == nil {
		return nil
	}
	return b.Bytes()
}

// arrValid reads an array's validity with its offset.
type arrValid struct {
	bits []byte
	off  int
}

func validOf(a arrow.Array) arrValid {
	b, off := bitsOf(a)
	return arrValid{b, off}
}

func (v arrValid) ok(i int) bool {
	if v.bits == nil {
		return true
	}
	j := i + v.off
	return v.bits[j>>3]&(1<<(uint(j)&7)) != 0
}

// ---- fixed-width buffers ----

// newFixed allocates a data buffer for n values of T (contents undefined) and returns it with
// a typed view.
func newFixed[T any](alloc memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	if n == 0 {
		return buf, nil
	}
	return buf, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
}

// makeArray wraps a validity bitmap and data buffers into an array of type t and takes over
// the caller's references to them.
func makeArray(t arrow.DataType, n int, validity *memory.Buffer, nulls int, bufs ...*memory.Buffer) arrow.Array {
	all := make([]*memory.Buffer, 0, len(bufs)+1)
	all = append(all, validity)
	all = append(all, bufs...)
	if validity == nil {
		nulls = 0
	}
	data := array.NewData(t, n, all, nil, nulls, 0)
	if validity != nil {
		validity.Release()
	}
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

// fixedValues returns the values of a fixed-width array as []T, honouring its offset.
func fixedValues[T any](a arrow.Array) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	buf := a.Data().Buffers()[1]
	if buf == nil || a.Len() == 0 {
		return nil
	}
	b := buf.Bytes()
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/size)
	off := a.Data().Offset()
	return all[off : off+a.Len()]
}

// fixedAcc reads a fixed-width argument that is an array or a scalar.
type fixedAcc[T any] struct {
	vals   []T
	s      T
	scalar bool
}

func (a *fixedAcc[T]) at(i int) T {
	if a.scalar {
		return a.s
	}
	return a.vals[i]
}

// ---- variable-width values ----

// binCols returns the offsets (with the array's offset applied, n+1 entries) and the whole
// data buffer of a string or binary array, so value i is data[offs[i]:offs[i+1]].
func binCols(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	bufs := d.Buffers()
	var offs []int32
	if bufs[1] != nil && a.Len() > 0 {
		b := bufs[1].Bytes()
		all := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
		offs = all[d.Offset() : d.Offset()+a.Len()+1]
	}
	var data []byte
	if bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// strAcc reads a string or binary argument that is an array or a scalar. Returned strings
// alias Arrow memory and are valid while the argument is.
type strAcc struct {
	offs   []int32
	data   []byte
	s      string
	scalar bool
}

func newStrAcc(v vec) strAcc {
	if v.arr == nil {
		switch x := v.val.(type) {
		case string:
			return strAcc{s: x, scalar: true}
		case []byte:
			return strAcc{s: bytesToString(x), scalar: true}
		}
		return strAcc{scalar: true}
	}
	offs, data := binCols(v.arr)
	return strAcc{offs: offs, data: data}
}

func (a *strAcc) at(i int) string {
	if a.scalar {
		return a.s
	}
	return bytesToString(a.data[a.offs[i]:a.offs[i+1]])
}

func (a *strAcc) bytesAt(i int) []byte {
	if a.scalar {
		return stringToBytes(a.s)
	}
	return a.data[a.offs[i]:a.offs[i+1]]
}

func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// stringToBytes aliases s; the result must never be written.
func stringToBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// varOut builds a string or binary array of a known row count with one growing data buffer.
type varOut struct {
	t        arrow.DataType
	alloc    memory.Allocator
	offsBuf  *memory.Buffer
	offs     []int32
	dataBuf  *memory.Buffer
	data     []byte // len = bytes written, cap = buffer capacity
	valid    *memory.Buffer
	rows     int
	n        int
	nulls    int
	overflow bool
}

func newVarOut(alloc memory.Allocator, t arrow.DataType, rows, dataHint int) *varOut {
	o := &varOut{t: t, alloc: alloc, rows: rows}
	o.offsBuf, o.offs = newFixed[int32](alloc, rows+1)
	o.offs[0] = 0
	o.dataBuf = memory.NewResizableBuffer(alloc)
	if dataHint < 64 {
		dataHint = 64
	}
	o.dataBuf.Reserve(dataHint)
	o.data = o.dataBuf.Buf()[:0]
	return o
}

// reserve makes room for k more data bytes.
func (o *varOut) reserve(k int) {
	need := len(o.data) + k
	if need <= cap(o.data) {
		return
	}
	if need > math.MaxInt32 {
		o.overflow = true
		return
	}
	newCap := max(need, 2*cap(o.data))
	used := len(o.data)
	o.dataBuf.ResizeNoShrink(used)
	o.dataBuf.Reserve(newCap)
	o.data = o.dataBuf.Buf()[:used]
}

func (o *varOut) appendBytes(b []byte) {
	o.reserve(len(b))
	if o.overflow {
		return
	}
	o.data = append(o.data, b...)
	o.n++
	o.offs[o.n] = int32(len(o.data))
}

func (o *varOut) appendString(s string) {
	o.reserve(len(s))
	if o.overflow {
		return
	}
	o.data = append(o.data, s...)
	o.n++
	o.offs[o.n] = int32(len(o.data))
}

// endValue closes a value whose bytes were appended to o.data directly (after reserve).
func (o *varOut) endValue() {
	o.n++
	o.offs[o.n] = int32(len(o.data))
}

func (o *varOut) appendNull() {
	if o.valid == nil {
		o.valid = newBitmap(o.alloc, o.rows)
		bitutil.SetBitsTo(o.valid.Bytes(), 0, int64(o.rows), true)
	}
	bitutil.ClearBit(o.valid.Bytes(), o.n)
	o.nulls++
	o.offs[o.n+1] = int32(len(o.data))
	o.n++
}

// finish returns the array; the builder must not be used afterwards.
func (o *varOut) finish() (arrow.Array, error) {
	if o.overflow {
		o.release()
		return nil, errs.New(errs.KindResourceExhausted, "result column exceeds 2 GiB in one batch; use smaller batches")
	}
	o.dataBuf.ResizeNoShrink(len(o.data))
	arr := makeArray(o.t, o.rows, o.valid, o.nulls, o.offsBuf, o.dataBuf)
	o.valid, o.offsBuf, o.dataBuf = nil, nil, nil
	return arr, nil
}

func (o *varOut) release() {
	for _, b := range []*memory.Buffer{o.valid, o.offsBuf, o.dataBuf} {
		if b != nil {
			b.Release()
		}
	}
	o.valid, o.offsBuf, o.dataBuf = nil, nil, nil
}

// dataBytes returns the bytes of a's first data buffer; nil when an empty array has none.
func dataBytes(a arrow.Array) []byte {
	b := a.Data().Buffers()[1]
	if b == nil {
		return nil
	}
	return b.Bytes()
}
