package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/planner/expr"
)

// nullifKernel is NULLIF(a, b): NULL where a = b, else a.
func nullifKernel(t arrow.DataType) (kernel, error) {
	eq, err := compareKernel(expr.FnEq, t)
	if err != nil {
		return nil, err
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a, b := args[0], args[1]
		if a.isNullScalar() || b.isNullScalar() {
			return a.retained(), nil
		}
		ev, err := eq(c, n, args)
		if err != nil {
			return vec{}, err
		}
		defer ev.release()
		equal, _, none := trueMask(ev, n)
		if none {
			return a.retained(), nil
		}
		arr := toArray(c.alloc, t, a.retained(), n)
		defer arr.Release()
		return arrayVec(withExtraNulls(c, arr, equal)), nil
	}, nil
}

// withExtraNulls returns a sharing a's data with the rows set in mask (offset 0) made NULL.
func withExtraNulls(c *evalCtx, a arrow.Array, mask []byte) arrow.Array {
	n := a.Len()
	off := a.Data().Offset()
	validity := newBitmap(c.alloc, off+n)
	vb := validity.Bytes()
	if bits, boff := bitsOf(a); bits != nil {
		bitutil.CopyBitmap(bits, boff, n, vb, off)
	} else {
		bitutil.SetBitsTo(vb, int64(off), int64(n), true)
	}
	for i := 0; i < n; i++ {
		if mask[i>>3]&(1<<(uint(i)&7)) != 0 {
			bitutil.ClearBit(vb, off+i)
		}
	}
	nulls := n - bitutil.CountSetBits(vb, off, n)
	bufs := append([]*memory.Buffer{validity}, a.Data().Buffers()[1:]...)
	data := array.NewData(a.DataType(), n, bufs, nil, nulls, off)
	validity.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// greatestLeastKernel is GREATEST/LEAST: NULL arguments are ignored (PostgreSQL), the result
// is NULL only when every argument is.
func greatestLeastKernel(greatest bool, t arrow.DataType) (kernel, error) {
	p, err := cmpPrimsFor(t)
	if err != nil {
		return nil, err
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		acc := toArray(c.alloc, t, args[0].retained(), n)
		for _, next := range args[1:] {
			if next.isNullScalar() {
				continue
			}
			y := toArray(c.alloc, t, next.retained(), n)
			// Take y where acc is NULL, or both are valid and y beats acc.
			beats := make([]byte, (n+7)/8)
			if greatest {
				p.lt(arrayVec(acc), arrayVec(y), n, beats)
			} else {
				p.lt(arrayVec(y), arrayVec(acc), n, beats)
			}
			av, yv := validOf(acc), validOf(y)
			which := make([]int32, n)
			pos := make([]int32, n)
			for i := 0; i < n; i++ {
				pos[i] = int32(i)
				switch {
				case !av.ok(i):
					which[i] = 1
				case !yv.ok(i):
					which[i] = 0
				case beats[i>>3]&(1<<(uint(i)&7)) != 0:
					which[i] = 1
				}
			}
			merged := interleave(c.alloc, t, n, which, pos, []arrow.Array{acc, y})
			acc.Release()
			y.Release()
			acc = merged
		}
		return arrayVec(acc), nil
	}, nil
}
