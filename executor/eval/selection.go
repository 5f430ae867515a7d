package eval

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// Filter keeps the rows of batch where pred is true (NULL counts as false). The result is a new
// batch owned by the caller (the input itself, retained, when every row passes).
func Filter(alloc memory.Allocator, batch arrow.RecordBatch, pred arrow.Array) (arrow.RecordBatch, error) {
	if pred.DataType().ID() != arrow.BOOL {
		return nil, errs.New(errs.KindInternal, "filter predicate has type %s, not boolean", pred.DataType())
	}
	n := int(batch.NumRows())
	if pred.Len() != n {
		return nil, errs.New(errs.KindInternal, "filter predicate has %d rows for a batch of %d", pred.Len(), n)
	}
	kept := countTrue(pred)
	switch kept {
	case n:
		batch.Retain()
		return batch, nil
	case 0:
		return batch.NewSlice(0, 0), nil
	}
	ctx := compute.WithAllocator(context.Background(), alloc)
	out, err := compute.FilterRecordBatch(ctx, batch, pred, &compute.FilterOptions{NullSelection: compute.SelectionDropNulls})
	if err != nil {
		return nil, errs.Wrap(errs.KindInternal, err, "filter")
	}
	return out, nil
}

// countTrue counts the rows of a boolean array that are valid and true.
func countTrue(a arrow.Array) int {
	n := a.Len()
	if n == 0 {
		return 0
	}
	off := a.Data().Offset()
	vals := dataBytes(a)
	if a.NullN() == 0 {
		return bitutil.CountSetBits(vals, off, n)
	}
	if a.NullN() == n {
		return 0
	}
	valid, voff := bitsOf(a)
	tmp := make([]byte, bitutil.BytesForBits(int64(n)))
	bitutil.BitmapAnd(vals, valid, int64(off), int64(voff), tmp, 0, int64(n))
	return bitutil.CountSetBits(tmp, 0, n)
}

// trueMask returns an offset-0 bitmap of the rows of a boolean vec that are valid and true
// (nil with all=true when every row is, nil with all=false when none is).
func trueMask(v vec, n int) (bits []byte, all, none bool) {
	if v.arr == nil {
		b, _ := v.val.(bool)
		return nil, b, !b
	}
	a := v.arr
	off := a.Data().Offset()
	vals := dataBytes(a)
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	if a.NullN() == 0 {
		bitutil.CopyBitmap(vals, off, n, out, 0)
	} else {
		valid, voff := bitsOf(a)
		bitutil.BitmapAnd(vals, valid, int64(off), int64(voff), out, 0, int64(n))
	}
	set := bitutil.CountSetBits(out, 0, n)
	return out, set == n, set == 0
}

// rowsWhere lists, in ascending order, the rows among rows (nil: all n) whose bit in mask
// equals want.
func rowsWhere(mask []byte, rows []int32, n int, want bool) []int32 {
	var out []int32
	if rows == nil {
		out = make([]int32, 0, n)
		for i := 0; i < n; i++ {
			if (mask[i>>3]&(1<<(uint(i)&7)) != 0) == want {
				out = append(out, int32(i))
			}
		}
		return out
	}
	out = make([]int32, 0, len(rows))
	for _, r := range rows {
		if (mask[r>>3]&(1<<(uint(r)&7)) != 0) == want {
			out = append(out, r)
		}
	}
	return out
}

// selectRows returns the input restricted to rows (ascending), materialising only the columns
// at positions cols.
func selectRows(c *evalCtx, in *input, rows []int32, cols []int) *input {
	sub := &input{cols: make([]arrow.Array, len(in.cols)), n: len(rows), owned: true}
	for _, p := range cols {
		if sub.cols[p] == nil && in.cols[p] != nil {
			sub.cols[p] = take(c.alloc, in.cols[p], rows)
		}
	}
	return sub
}

// take returns the rows idx of arr.
func take(alloc memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	return interleave(alloc, arr.DataType(), len(idx), nil, idx, []arrow.Array{arr})
}

// interleave builds n rows of type t where row i is row pos[i] of srcs[which[i]], or NULL when
// which[i] < 0. which == nil takes every row from srcs[0]. It is the one gather kernel behind
// CASE, COALESCE, lazy AND/OR and sub-selections.
func interleave(alloc memory.Allocator, t arrow.DataType, n int, which, pos []int32, srcs []arrow.Array) arrow.Array {
	if t.ID() == arrow.NULL {
		return array.NewNull(n)
	}
	validity, nulls := gatherValidity(alloc, n, which, pos, srcs)
	switch t.ID() {
	case arrow.BOOL:
		buf := newBitmap(alloc, n)
		out := buf.Bytes()
		for i := 0; i < n; i++ {
			k := int32(0)
			if which != nil {
				if k = which[i]; k < 0 {
					continue
				}
			}
			s := srcs[k]
			j := s.Data().Offset() + int(pos[i])
			if bitutil.BitIsSet(dataBytes(s), j) {
				bitutil.SetBit(out, i)
			}
		}
		return makeArray(t, n, validity, nulls, buf)
	case arrow.STRING, arrow.BINARY:
		return gatherVar(alloc, t, n, which, pos, srcs, validity, nulls)
	}
	var buf *memory.Buffer
	switch t.(arrow.FixedWidthDataType).BitWidth() {
	case 8:
		buf = gatherFixed[uint8](alloc, n, which, pos, srcs)
	case 16:
		buf = gatherFixed[uint16](alloc, n, which, pos, srcs)
	case 32:
		buf = gatherFixed[uint32](alloc, n, which, pos, srcs)
	case 64:
		buf = gatherFixed[uint64](alloc, n, which, pos, srcs)
	case 128:
		buf = gatherFixed[[2]uint64](alloc, n, which, pos, srcs)
	default:
		panic("eval: unsupported fixed width in interleave: " + t.String())
	}
	return makeArray(t, n, validity, nulls, buf)
}

func gatherValidity(alloc memory.Allocator, n int, which, pos []int32, srcs []arrow.Array) (*memory.Buffer, int) {
	needed := false
	for _, s := range srcs {
		if s.NullN() > 0 {
			needed = true
		}
	}
	if !needed && which != nil {
		for _, w := range which {
			if w < 0 {
				needed = true
				break
			}
		}
	}
	if !needed {
		return nil, 0
	}
	valids := make([]arrValid, len(srcs))
	for k, s := range srcs {
		valids[k] = validOf(s)
	}
	buf := newBitmap(alloc, n)
	out := buf.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		k := int32(0)
		if which != nil {
			if k = which[i]; k < 0 {
				nulls++
				continue
			}
		}
		if valids[k].ok(int(pos[i])) {
			out[i>>3] |= 1 << (uint(i) & 7)
		} else {
			nulls++
		}
	}
	return buf, nulls
}

func gatherFixed[T any](alloc memory.Allocator, n int, which, pos []int32, srcs []arrow.Array) *memory.Buffer {
	buf, out := newFixed[T](alloc, n)
	if which == nil {
		vals := fixedValues[T](srcs[0])
		for i := range out {
			out[i] = vals[pos[i]]
		}
		return buf
	}
	vals := make([][]T, len(srcs))
	for k, s := range srcs {
		vals[k] = fixedValues[T](s)
	}
	var zero T
	for i := range out {
		k := which[i]
		if k < 0 {
			out[i] = zero
			continue
		}
		out[i] = vals[k][pos[i]]
	}
	return buf
}

func gatherVar(alloc memory.Allocator, t arrow.DataType, n int, which, pos []int32, srcs []arrow.Array, validity *memory.Buffer, nulls int) arrow.Array {
	offs := make([][]int32, len(srcs))
	datas := make([][]byte, len(srcs))
	for k, s := range srcs {
		offs[k], datas[k] = binCols(s)
	}
	total := 0
	for i := 0; i < n; i++ {
		k := int32(0)
		if which != nil {
			if k = which[i]; k < 0 {
				continue
			}
		}
		p := pos[i]
		total += int(offs[k][p+1] - offs[k][p])
	}
	offBuf, outOffs := newFixed[int32](alloc, n+1)
	dataBuf := memory.NewResizableBuffer(alloc)
	dataBuf.Resize(total)
	out := dataBuf.Bytes()
	w := int32(0)
	outOffs[0] = 0
	for i := 0; i < n; i++ {
		k := int32(0)
		if which != nil {
			if k = which[i]; k < 0 {
				outOffs[i+1] = w
				continue
			}
		}
		p := pos[i]
		o := offs[k]
		w += int32(copy(out[w:], datas[k][o[p]:o[p+1]]))
		outOffs[i+1] = w
	}
	return makeArray(t, n, validity, nulls, offBuf, dataBuf)
}
