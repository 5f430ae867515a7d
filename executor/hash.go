package executor

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/zeebo/xxh3"

	"github.com/meshgate/meshgate/internal/errs"
)

// Hash seeds. Operators that hash the same keys use different seeds so that the rows a
// repartition sends to one partition do not all collide in the next operator's hash table
// (they would share the low bits the table indexes with). The seeds are fixed so two
// repartitions of the same key types place equal keys in the same partition.
const (
	seedRepartition uint64 = 0x243f6a8885a308d3
	seedTable       uint64 = 0x13198a2e03707344
	seedDistinct    uint64 = 0xa4093822299f31d0
)

// nullHash is what a NULL key contributes, for any type: NULLs group together and never
// match in joins (joins drop them before hashing).
const nullHash uint64 = 0x9e3779b97f4a7c15

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func combineHash(h, v uint64) uint64 { return mix64(bits.RotateLeft64(h, 5) ^ v) }

// hashable reports whether keys of type dt can be hashed and compared for equality.
func hashable(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.NULL, arrow.BOOL, arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY,
		arrow.FIXED_SIZE_BINARY, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return fixedKeyWidth(dt) > 0
}

// fixedKeyWidth is the byte width of types hashed and compared by bit pattern, 0 otherwise.
func fixedKeyWidth(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.DATE32, arrow.TIME32, arrow.INTERVAL_MONTHS:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.DATE64, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION, arrow.INTERVAL_DAY_TIME:
		return 8
	case arrow.DECIMAL128, arrow.INTERVAL_MONTH_DAY_NANO:
		return 16
	}
	return 0
}

func errKeyType(op, what string, dt arrow.DataType) error {
	return errs.NotSupportedf("%s on a %s column of type %s", op, what, dt)
}

// hashColumns sets out[i] to the hash of row i over cols (vectorized: one typed loop per
// column). NULL hashes like NULL of any type. len(out) must equal the rows of the columns.
func hashColumns(cols []arrow.Array, seed uint64, out []uint64) {
	for i := range out {
		out[i] = seed
	}
	for _, c := range cols {
		hashColumn(c, out)
	}
}

func hashColumn(c arrow.Array, out []uint64) {
	d := c.Data()
	if c.DataType().ID() == arrow.NULL {
		for i := range out {
			out[i] = combineHash(out[i], nullHash)
		}
		return
	}
	// The value bits under a NULL are arbitrary; remember the NULL rows' state so they can
	// be hashed as NULL after the typed loop below.
	var nullRows []int
	var prior []uint64
	if c.NullN() > 0 {
		for i := range out {
			if c.IsNull(i) {
				nullRows = append(nullRows, i)
				prior = append(prior, out[i])
			}
		}
	}
	switch c.DataType().ID() {
	case arrow.BOOL:
		b := c.(*array.Boolean)
		for i := range out {
			v := uint64(1)
			if b.Value(i) {
				v = 2
			}
			out[i] = combineHash(out[i], v)
		}
	case arrow.FLOAT32:
		vals := arrow.GetValues[float32](d, 1)
		for i := range out {
			out[i] = combineHash(out[i], floatKeyBits(float64(vals[i])))
		}
	case arrow.FLOAT64:
		vals := arrow.GetValues[float64](d, 1)
		for i := range out {
			out[i] = combineHash(out[i], floatKeyBits(vals[i]))
		}
	case arrow.STRING, arrow.BINARY:
		offs := arrow.GetOffsets[int32](d, 1)
		data := bufferBytes(d, 2)
		for i := range out {
			out[i] = combineHash(out[i], hashBytes(data[offs[i]:offs[i+1]]))
		}
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs := arrow.GetOffsets[int64](d, 1)
		data := bufferBytes(d, 2)
		for i := range out {
			out[i] = combineHash(out[i], hashBytes(data[offs[i]:offs[i+1]]))
		}
	case arrow.FIXED_SIZE_BINARY:
		w := c.DataType().(*arrow.FixedSizeBinaryType).ByteWidth
		data := bufferBytes(d, 1)[d.Offset()*w:]
		for i := range out {
			out[i] = combineHash(out[i], hashBytes(data[i*w:(i+1)*w]))
		}
	default:
		switch fixedKeyWidth(c.DataType()) {
		case 1:
			hashFixed(reinterpret[uint8](fixedBytes(d, 1)), out)
		case 2:
			hashFixed(reinterpret[uint16](fixedBytes(d, 2)), out)
		case 4:
			hashFixed(reinterpret[uint32](fixedBytes(d, 4)), out)
		case 8:
			hashFixed(reinterpret[uint64](fixedBytes(d, 8)), out)
		case 16:
			vals := reinterpret[[2]uint64](fixedBytes(d, 16))
			for i := range out {
				out[i] = combineHash(out[i], vals[i][0]^mix64(vals[i][1]))
			}
		}
	}
	for k, i := range nullRows {
		out[i] = combineHash(prior[k], nullHash)
	}
}

// hashBytes hashes short values (codes, flags, country names) inline and longer ones with
// xxh3. Every byte string hashes the same way, so keys of one type always agree.
func hashBytes(b []byte) uint64 {
	if len(b) > 8 {
		return xxh3.Hash(b)
	}
	var x uint64
	for i, c := range b {
		x |= uint64(c) << (8 * i)
	}
	return mix64(x ^ uint64(len(b))<<59 ^ 0x5851f42d4c957f2d)
}

func hashFixed[T uint8 | uint16 | uint32 | uint64](vals []T, out []uint64) {
	for i := range out {
		out[i] = combineHash(out[i], uint64(vals[i]))
	}
}

// floatKeyBits maps a float to the bits it is hashed and grouped by: -0 equals 0 and every
// NaN equals every other NaN, as in PostgreSQL's grouping.
func floatKeyBits(v float64) uint64 {
	switch {
	case v == 0:
		return 0
	case v != v:
		return 0x7ff8000000000000
	}
	return math.Float64bits(v)
}

func bufferBytes(d arrow.ArrayData, i int) []byte {
	if b := d.Buffers()[i]; b != nil {
		return b.Bytes()
	}
	return nil
}

// fixedBytes returns the value bytes of a fixed-width array starting at its offset.
func fixedBytes(d arrow.ArrayData, width int) []byte {
	b := bufferBytes(d, 1)
	if b == nil {
		return nil
	}
	return b[d.Offset()*width:]
}

// rowEqual returns a function telling whether row i of a equals row j of b (same type);
// NULL equals NULL.
func rowEqual(a, b arrow.Array) func(i, j int) bool {
	eq := valueEqual(a, b)
	if a.NullN() == 0 && b.NullN() == 0 {
		return eq
	}
	return func(i, j int) bool {
		va, vb := a.IsValid(i), b.IsValid(j)
		if va != vb {
			return false
		}
		return !va || eq(i, j)
	}
}

// valueEqual compares the values of two rows, ignoring validity.
func valueEqual(a, b arrow.Array) func(i, j int) bool {
	da, db := a.Data(), b.Data()
	switch a.DataType().ID() {
	case arrow.NULL:
		return func(int, int) bool { return true }
	case arrow.BOOL:
		ba, bb := a.(*array.Boolean), b.(*array.Boolean)
		return func(i, j int) bool { return ba.Value(i) == bb.Value(j) }
	case arrow.FLOAT32:
		va, vb := arrow.GetValues[float32](da, 1), arrow.GetValues[float32](db, 1)
		return func(i, j int) bool { return floatKeyBits(float64(va[i])) == floatKeyBits(float64(vb[j])) }
	case arrow.FLOAT64:
		va, vb := arrow.GetValues[float64](da, 1), arrow.GetValues[float64](db, 1)
		return func(i, j int) bool { return floatKeyBits(va[i]) == floatKeyBits(vb[j]) }
	case arrow.STRING, arrow.BINARY:
		oa, ob := arrow.GetOffsets[int32](da, 1), arrow.GetOffsets[int32](db, 1)
		xa, xb := bufferBytes(da, 2), bufferBytes(db, 2)
		return func(i, j int) bool { return bytes.Equal(xa[oa[i]:oa[i+1]], xb[ob[j]:ob[j+1]]) }
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		oa, ob := arrow.GetOffsets[int64](da, 1), arrow.GetOffsets[int64](db, 1)
		xa, xb := bufferBytes(da, 2), bufferBytes(db, 2)
		return func(i, j int) bool { return bytes.Equal(xa[oa[i]:oa[i+1]], xb[ob[j]:ob[j+1]]) }
	case arrow.FIXED_SIZE_BINARY:
		w := a.DataType().(*arrow.FixedSizeBinaryType).ByteWidth
		xa, xb := fixedBytes(da, w), fixedBytes(db, w)
		return func(i, j int) bool { return bytes.Equal(xa[i*w:(i+1)*w], xb[j*w:(j+1)*w]) }
	}
	switch w := fixedKeyWidth(a.DataType()); w {
	case 1:
		return fixedEqual[uint8](da, db, w)
	case 2:
		return fixedEqual[uint16](da, db, w)
	case 4:
		return fixedEqual[uint32](da, db, w)
	case 8:
		return fixedEqual[uint64](da, db, w)
	case 16:
		return fixedEqual[[2]uint64](da, db, w)
	}
	panic("executor: valueEqual on unhashable type " + a.DataType().String())
}

func fixedEqual[T uint8 | uint16 | uint32 | uint64 | [2]uint64](da, db arrow.ArrayData, w int) func(i, j int) bool {
	va, vb := reinterpret[T](fixedBytes(da, w)), reinterpret[T](fixedBytes(db, w))
	return func(i, j int) bool { return va[i] == vb[j] }
}
