package executor

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// SortColumn orders rows by one input column. The planner resolves PostgreSQL's default
// (NULLs last ascending, first descending) into NullsFirst.
type SortColumn struct {
	Column     int
	Desc       bool
	NullsFirst bool
}

func (k SortColumn) describe(schema *arrow.Schema) string {
	s := schema.Field(k.Column).Name
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	} else {
		s += " NULLS LAST"
	}
	return s
}

func describeSortColumns(schema *arrow.Schema, keys []SortColumn) string {
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k.describe(schema))
	}
	return b.String()
}

// orderable reports whether values of dt have an order the executor can sort by.
func orderable(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.NULL, arrow.BOOL, arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.BINARY,
		arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		return true
	case arrow.INTERVAL_MONTH_DAY_NANO, arrow.INTERVAL_DAY_TIME, arrow.INTERVAL_MONTHS:
		return false
	}
	return fixedKeyWidth(dt) > 0
}

// checkSortColumns validates sort keys against a schema; op names the operator for errors.
func checkSortColumns(op string, schema *arrow.Schema, keys []SortColumn) error {
	for _, k := range keys {
		if k.Column < 0 || k.Column >= schema.NumFields() {
			return internalf("%s sorts by column %d but its input has %d columns", op, k.Column, schema.NumFields())
		}
		if dt := schema.Field(k.Column).Type; !orderable(dt) {
			return errs.NotSupportedf("%s by column %s of type %s", op, schema.Field(k.Column).Name, dt)
		}
	}
	return nil
}

// rowEncoder turns the sort keys of rows into byte strings whose bytewise order is the
// rows' SQL order (normalized keys, as in DataFusion's row format): one encoding serves
// sorting, k-way merging, top-N heaps and peer detection without per-type comparators.
//
// Per key: a NULL marker byte (0 for NULLS FIRST, 2 for NULLS LAST, 1 for a value), then for
// values an order-preserving encoding (sign-flipped big-endian integers, sign-magnitude
// folded floats with NaN above +Inf and -0 equal to 0, zero-escaped strings with a 00 00
// terminator), every value byte inverted for DESC.
type rowEncoder struct {
	keys []SortColumn
}

// encodedRows holds the encoded keys of many rows in allocator memory.
type encodedRows struct {
	data vec[byte]
	ends vec[int64] // row i is data[ends[i-1]:ends[i]] with ends[-1] = 0
}

func newEncodedRows(alloc memory.Allocator) *encodedRows {
	return &encodedRows{data: newVec[byte](alloc), ends: newVec[int64](alloc)}
}

func (r *encodedRows) len() int { return r.ends.len() }

func (r *encodedRows) row(i int) []byte {
	start := int64(0)
	if i > 0 {
		start = r.ends.s[i-1]
	}
	return r.data.s[start:r.ends.s[i]]
}

func (r *encodedRows) reset() {
	r.data.s = r.data.s[:0]
	r.ends.s = r.ends.s[:0]
}

func (r *encodedRows) release() {
	r.data.release()
	r.ends.release()
}

const (
	markerNullFirst = 0
	markerValue     = 1
	markerNullLast  = 2
)

// encode appends the keys of every row of batch to rows.
func (e rowEncoder) encode(batch arrow.RecordBatch, rows *encodedRows) {
	n := int(batch.NumRows())
	if n == 0 {
		return
	}
	widths := make([]int, n)
	for _, k := range e.keys {
		addKeyWidths(batch.Column(k.Column), widths)
	}
	cursor := make([]int, n)
	pos := rows.data.len()
	for i, w := range widths {
		cursor[i] = pos
		pos += w
		rows.ends.append(int64(pos))
	}
	rows.data.resize(pos)
	out := rows.data.s
	for _, k := range e.keys {
		c := batch.Column(k.Column)
		start := append([]int(nil), cursor...)
		encodeKeyColumn(c, k, out, cursor)
		if k.Desc {
			for i := range cursor {
				// The marker stays; only the value bytes flip.
				if c.IsValid(i) {
					for p := start[i] + 1; p < cursor[i]; p++ {
						out[p] = ^out[p]
					}
				}
			}
		}
	}
}

func addKeyWidths(c arrow.Array, widths []int) {
	switch c.DataType().ID() {
	case arrow.NULL:
		for i := range widths {
			widths[i]++
		}
		return
	case arrow.BOOL:
		for i := range widths {
			widths[i] += 2
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		for i := range widths {
			widths[i] += 9
		}
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		val := binaryValues(c)
		for i := range widths {
			v := val(i)
			widths[i] += 1 + len(v) + bytes.Count(v, []byte{0}) + 2
		}
	default:
		w := fixedKeyWidth(c.DataType())
		for i := range widths {
			widths[i] += 1 + w
		}
	}
	if c.NullN() > 0 {
		for i := range widths {
			if c.IsNull(i) {
				// Recompute: a NULL only takes its marker byte.
				widths[i] -= keyWidthOf(c, i) - 1
			}
		}
	}
}

// keyWidthOf is the width addKeyWidths added for row i of a non-NULL column type.
func keyWidthOf(c arrow.Array, i int) int {
	switch c.DataType().ID() {
	case arrow.BOOL:
		return 2
	case arrow.FLOAT32, arrow.FLOAT64:
		return 9
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		v := binaryValues(c)(i)
		return 1 + len(v) + bytes.Count(v, []byte{0}) + 2
	}
	return 1 + fixedKeyWidth(c.DataType())
}

func encodeKeyColumn(c arrow.Array, k SortColumn, out []byte, cursor []int) {
	nullMarker := byte(markerNullLast)
	if k.NullsFirst {
		nullMarker = markerNullFirst
	}
	d := c.Data()
	hasNulls := c.NullN() > 0
	for i := range cursor {
		if c.DataType().ID() == arrow.NULL || (hasNulls && c.IsNull(i)) {
			out[cursor[i]] = nullMarker
			cursor[i] = -cursor[i] - 1 // mark: skip value for this row
			continue
		}
		out[cursor[i]] = markerValue
		cursor[i]++
	}
	switch c.DataType().ID() {
	case arrow.NULL:
	case arrow.BOOL:
		b := c.(*array.Boolean)
		for i, p := range cursor {
			if p >= 0 {
				if b.Value(i) {
					out[p] = 1
				} else {
					out[p] = 0
				}
				cursor[i]++
			}
		}
	case arrow.FLOAT32:
		vals := arrow.GetValues[float32](d, 1)
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint64(out[p:], sortableFloatBits(float64(vals[i])))
				cursor[i] += 8
			}
		}
	case arrow.FLOAT64:
		vals := arrow.GetValues[float64](d, 1)
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint64(out[p:], sortableFloatBits(vals[i]))
				cursor[i] += 8
			}
		}
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		val := binaryValues(c)
		for i, p := range cursor {
			if p >= 0 {
				for _, x := range val(i) {
					out[p] = x
					p++
					if x == 0 {
						out[p] = 1
						p++
					}
				}
				out[p], out[p+1] = 0, 0
				cursor[i] = p + 2
			}
		}
	default:
		encodeFixedKeys(c, out, cursor)
	}
	for i, p := range cursor {
		if p < 0 {
			cursor[i] = -p - 1 + 1
		}
	}
}

// sortableFloatBits maps a float to bits whose unsigned order is PostgreSQL's float order
// (float32 values are widened first, which keeps their order).
func sortableFloatBits(v float64) uint64 {
	b := floatKeyBits(v)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func encodeFixedKeys(c arrow.Array, out []byte, cursor []int) {
	d := c.Data()
	signed := isSignedKey(c.DataType())
	switch w := fixedKeyWidth(c.DataType()); w {
	case 1:
		vals := reinterpret[uint8](fixedBytes(d, 1))
		flip := uint8(0)
		if signed {
			flip = 1 << 7
		}
		for i, p := range cursor {
			if p >= 0 {
				out[p] = vals[i] ^ flip
				cursor[i]++
			}
		}
	case 2:
		vals := reinterpret[uint16](fixedBytes(d, 2))
		flip := uint16(0)
		if signed {
			flip = 1 << 15
		}
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint16(out[p:], vals[i]^flip)
				cursor[i] += 2
			}
		}
	case 4:
		vals := reinterpret[uint32](fixedBytes(d, 4))
		flip := uint32(0)
		if signed {
			flip = 1 << 31
		}
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint32(out[p:], vals[i]^flip)
				cursor[i] += 4
			}
		}
	case 8:
		vals := reinterpret[uint64](fixedBytes(d, 8))
		flip := uint64(0)
		if signed {
			flip = 1 << 63
		}
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint64(out[p:], vals[i]^flip)
				cursor[i] += 8
			}
		}
	case 16:
		// decimal128: (lo uint64, hi int64) little-endian halves; order by signed hi, then lo.
		vals := reinterpret[[2]uint64](fixedBytes(d, 16))
		for i, p := range cursor {
			if p >= 0 {
				binary.BigEndian.PutUint64(out[p:], vals[i][1]^(1<<63))
				binary.BigEndian.PutUint64(out[p+8:], vals[i][0])
				cursor[i] += 16
			}
		}
	default:
		panic(fmt.Sprintf("executor: no sort encoding for %s", c.DataType()))
	}
}

func isSignedKey(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return false
	}
	return true
}
