package executor

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// vec is a growable slice whose memory comes from the query's allocator, so operator state
// (hash tables, accumulators, sort keys) counts against the memory budget and a missing
// release shows up in checked-allocator tests. T must not contain Go pointers: the garbage
// collector does not scan allocator memory.
type vec[T any] struct {
	alloc memory.Allocator
	buf   *memory.Buffer
	s     []T
}

func newVec[T any](alloc memory.Allocator) vec[T] { return vec[T]{alloc: alloc} }

// reserve makes room for n elements in total without changing the length.
func (v *vec[T]) reserve(n int) {
	if n <= cap(v.s) {
		return
	}
	newCap := max(n, 2*cap(v.s), 16)
	var zero T
	size := int(unsafe.Sizeof(zero))
	if v.buf == nil {
		v.buf = memory.NewResizableBuffer(v.alloc)
	}
	length := len(v.s)
	v.buf.Reserve(newCap * size)
	raw := v.buf.Buf()
	v.s = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(raw))), len(raw)/size)[:length]
}

// resize sets the length to n; new elements are zero.
func (v *vec[T]) resize(n int) {
	old := len(v.s)
	v.reserve(n)
	v.s = v.s[:n]
	if n > old {
		clear(v.s[old:n])
	}
}

func (v *vec[T]) append(x T) {
	if len(v.s) == cap(v.s) {
		v.reserve(len(v.s) + 1)
	}
	v.s = append(v.s, x)
}

func (v *vec[T]) appendSlice(xs []T) {
	v.reserve(len(v.s) + len(xs))
	v.s = append(v.s, xs...)
}

func (v *vec[T]) len() int { return len(v.s) }

// release frees the memory; the vec is empty and reusable afterwards.
func (v *vec[T]) release() {
	if v.buf != nil {
		v.buf.Release()
		v.buf = nil
	}
	v.s = nil
}
