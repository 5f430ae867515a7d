package executor

import "unsafe"

func unsafeSizeof[T any](x T) uintptr { return unsafe.Sizeof(x) }

func unsafeSlice[T any](b []byte, n int) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}
