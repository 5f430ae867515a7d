package executor

import (
	"context"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// makeBatch builds a batch from cols, taking over the caller's references to them.
func makeBatch(schema *arrow.Schema, cols []arrow.Array, rows int) arrow.RecordBatch {
	b := array.NewRecordBatch(schema, cols, int64(rows))
	releaseArrays(cols)
	return b
}

// emptyBatch returns a batch of schema with no rows.
func emptyBatch(alloc memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(alloc, f.Type, 0)
	}
	return makeBatch(schema, cols, 0)
}

// concatBatches copies batches (all of schema) into one batch. The inputs stay owned by the
// caller. Zero batches give an empty batch; one batch is returned retained, without a copy.
func concatBatches(alloc memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) (arrow.RecordBatch, error) {
	switch len(batches) {
	case 0:
		return emptyBatch(alloc, schema), nil
	case 1:
		batches[0].Retain()
		return batches[0], nil
	}
	rows := 0
	for _, b := range batches {
		rows += int(b.NumRows())
	}
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(batches))
	for c := range cols {
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		col, err := array.Concatenate(parts, alloc)
		if err != nil {
			releaseArrays(cols)
			return nil, internalf("concatenating column %s: %v", schema.Field(c).Name, err)
		}
		cols[c] = col
	}
	return makeBatch(schema, cols, rows), nil
}

// indexArray wraps Go indices as an Int32 array without copying; -1 marks a NULL index
// (Take then produces NULL). The array only lives for the duration of one Take call.
func indexArray(indices []int32, withNulls bool) arrow.Array {
	values := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(indices))
	var validity *memory.Buffer
	nulls := 0
	if withNulls {
		bits := make([]byte, bitutil.BytesForBits(int64(len(indices))))
		for i, x := range indices {
			if x >= 0 {
				bitutil.SetBit(bits, i)
			} else {
				indices[i] = 0
				nulls++
			}
		}
		if nulls > 0 {
			validity = memory.NewBufferBytes(bits)
		}
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, len(indices), []*memory.Buffer{validity, values}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// takeColumn gathers rows of arr by index. With withNulls, an index of -1 gives NULL (and
// the slice is modified).
func takeColumn(alloc memory.Allocator, arr arrow.Array, indices []int32, withNulls bool) (arrow.Array, error) {
	if !withNulls && len(indices) == arr.Len() && isIdentity(indices) {
		arr.Retain()
		return arr, nil
	}
	idx := indexArray(indices, withNulls)
	defer idx.Release()
	ctx := compute.WithAllocator(context.Background(), alloc)
	out, err := compute.TakeArrayOpts(ctx, arr, idx, compute.TakeOptions{BoundsCheck: false})
	if err != nil {
		return nil, internalf("gathering rows of a %s column: %v", arr.DataType(), err)
	}
	return out, nil
}

func isIdentity(indices []int32) bool {
	for i, x := range indices {
		if int(x) != i {
			return false
		}
	}
	return true
}

// takeBatch gathers rows of every column of batch by index.
func takeBatch(alloc memory.Allocator, batch arrow.RecordBatch, indices []int32) (arrow.RecordBatch, error) {
	cols, err := takeColumns(alloc, batch.Columns(), indices, false)
	if err != nil {
		return nil, err
	}
	return makeBatch(batch.Schema(), cols, len(indices)), nil
}

// takeColumns gathers rows of several columns with the same indices.
func takeColumns(alloc memory.Allocator, cols []arrow.Array, indices []int32, withNulls bool) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(cols))
	for i, c := range cols {
		idx := indices
		if withNulls {
			// takeColumn rewrites the -1 entries; every column needs the original.
			idx = append([]int32(nil), indices...)
		}
		var err error
		out[i], err = takeColumn(alloc, c, idx, withNulls)
		if err != nil {
			releaseArrays(out)
			return nil, err
		}
	}
	return out, nil
}

// rowRef names one row of one of several batches.
type rowRef struct {
	batch int32
	row   int32
}

// gatherBatch builds a batch from rows spread over several batches of the same schema, in
// refs order. It copies values in bulk per column with typed loops (no per-row builder
// appends); types without a typed loop go through Take.
func gatherBatch(alloc memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch, refs []rowRef) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	srcs := make([]arrow.Array, len(batches))
	for c := range cols {
		for i, b := range batches {
			srcs[i] = b.Column(c)
		}
		col, err := gatherColumn(alloc, schema.Field(c).Type, srcs, refs)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols[c] = col
	}
	return makeBatch(schema, cols, len(refs)), nil
}

// gatherColumn builds one array from rows of srcs (arrays of type dt) in refs order.
func gatherColumn(alloc memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []rowRef) (arrow.Array, error) {
	n := len(refs)
	if dt.ID() == arrow.NULL {
		return array.NewNull(n), nil
	}
	if len(srcs) == 1 {
		idx := make([]int32, n)
		for i, r := range refs {
			idx[i] = r.row
		}
		return takeColumn(alloc, srcs[0], idx, false)
	}
	validity, nulls := gatherValidity(alloc, srcs, refs)
	var bufs []*memory.Buffer
	switch dt.ID() {
	case arrow.BOOL:
		values := newZeroedBuffer(alloc, int(bitutil.BytesForBits(int64(n))))
		out := values.Bytes()
		for i, r := range refs {
			s := srcs[r.batch].(*array.Boolean)
			if s.Value(int(r.row)) {
				bitutil.SetBit(out, i)
			}
		}
		bufs = []*memory.Buffer{validity, values}
	case arrow.STRING, arrow.BINARY:
		b, err := gatherBinary32(alloc, srcs, refs)
		if err != nil {
			releaseBuffer(validity)
			return nil, err
		}
		bufs = append([]*memory.Buffer{validity}, b...)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		bufs = append([]*memory.Buffer{validity}, gatherBinary64(alloc, srcs, refs)...)
	default:
		fw, ok := dt.(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || dt.ID() == arrow.DICTIONARY || dt.ID() == arrow.EXTENSION {
			releaseBuffer(validity)
			return gatherByTake(alloc, srcs, refs)
		}
		bufs = []*memory.Buffer{validity, gatherFixed(alloc, fw.BitWidth()/8, srcs, refs)}
	}
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		releaseBuffer(b)
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

func releaseBuffer(b *memory.Buffer) {
	if b != nil {
		b.Release()
	}
}

func newZeroedBuffer(alloc memory.Allocator, size int) *memory.Buffer {
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(size)
	clear(buf.Bytes())
	return buf
}

// gatherValidity returns the validity bitmap of the gathered rows, or nil when none is NULL.
func gatherValidity(alloc memory.Allocator, srcs []arrow.Array, refs []rowRef) (*memory.Buffer, int) {
	anyNulls := false
	for _, s := range srcs {
		anyNulls = anyNulls || s.NullN() > 0
	}
	if !anyNulls {
		return nil, 0
	}
	buf := newZeroedBuffer(alloc, int(bitutil.BytesForBits(int64(len(refs)))))
	bits := buf.Bytes()
	nulls := 0
	for i, r := range refs {
		if srcs[r.batch].IsValid(int(r.row)) {
			bitutil.SetBit(bits, i)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

func gatherFixed(alloc memory.Allocator, width int, srcs []arrow.Array, refs []rowRef) *memory.Buffer {
	buf := memory.NewResizableBuffer(alloc)
	buf.Resize(width * len(refs))
	out := buf.Bytes()
	raw := make([][]byte, len(srcs))
	for i, s := range srcs {
		d := s.Data()
		if vb := d.Buffers()[1]; vb != nil {
			raw[i] = vb.Bytes()[d.Offset()*width:]
		}
	}
	switch width {
	case 1:
		gatherTyped[uint8](out, raw, refs)
	case 2:
		gatherTyped[uint16](out, raw, refs)
	case 4:
		gatherTyped[uint32](out, raw, refs)
	case 8:
		gatherTyped[uint64](out, raw, refs)
	case 16:
		gatherTyped[[2]uint64](out, raw, refs)
	default:
		for i, r := range refs {
			off := int(r.row) * width
			copy(out[i*width:(i+1)*width], raw[r.batch][off:off+width])
		}
	}
	return buf
}

func gatherTyped[T uint8 | uint16 | uint32 | uint64 | [2]uint64](out []byte, raw [][]byte, refs []rowRef) {
	dst := reinterpret[T](out)
	srcs := make([][]T, len(raw))
	for i, r := range raw {
		srcs[i] = reinterpret[T](r)
	}
	for i, r := range refs {
		dst[i] = srcs[r.batch][r.row]
	}
}

func gatherBinary32(alloc memory.Allocator, srcs []arrow.Array, refs []rowRef) ([]*memory.Buffer, error) {
	offs := make([][]int32, len(srcs))
	data := make([][]byte, len(srcs))
	for i, s := range srcs {
		d := s.Data()
		offs[i] = arrow.GetOffsets[int32](d, 1)
		if vb := d.Buffers()[2]; vb != nil {
			data[i] = vb.Bytes()
		}
	}
	total := 0
	for _, r := range refs {
		o := offs[r.batch]
		total += int(o[r.row+1] - o[r.row])
	}
	if total > math.MaxInt32 {
		return nil, errTooLargeForBatch(total)
	}
	offBuf := memory.NewResizableBuffer(alloc)
	offBuf.Resize(4 * (len(refs) + 1))
	outOffs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	valBuf := memory.NewResizableBuffer(alloc)
	valBuf.Resize(total)
	out := valBuf.Bytes()
	pos := int32(0)
	for i, r := range refs {
		o := offs[r.batch]
		outOffs[i] = pos
		pos += int32(copy(out[pos:], data[r.batch][o[r.row]:o[r.row+1]]))
	}
	outOffs[len(refs)] = pos
	return []*memory.Buffer{offBuf, valBuf}, nil
}

func gatherBinary64(alloc memory.Allocator, srcs []arrow.Array, refs []rowRef) []*memory.Buffer {
	offs := make([][]int64, len(srcs))
	data := make([][]byte, len(srcs))
	for i, s := range srcs {
		d := s.Data()
		offs[i] = arrow.GetOffsets[int64](d, 1)
		if vb := d.Buffers()[2]; vb != nil {
			data[i] = vb.Bytes()
		}
	}
	total := int64(0)
	for _, r := range refs {
		o := offs[r.batch]
		total += o[r.row+1] - o[r.row]
	}
	offBuf := memory.NewResizableBuffer(alloc)
	offBuf.Resize(8 * (len(refs) + 1))
	outOffs := arrow.Int64Traits.CastFromBytes(offBuf.Bytes())
	valBuf := memory.NewResizableBuffer(alloc)
	valBuf.Resize(int(total))
	out := valBuf.Bytes()
	pos := int64(0)
	for i, r := range refs {
		o := offs[r.batch]
		outOffs[i] = pos
		pos += int64(copy(out[pos:], data[r.batch][o[r.row]:o[r.row+1]]))
	}
	outOffs[len(refs)] = pos
	return []*memory.Buffer{offBuf, valBuf}
}

func errTooLargeForBatch(bytes int) error {
	return invalidf("a batch would hold %s of text or binary data, more than the 2 GiB a batch column can hold; reduce the batch size or the selected columns", FormatBytes(int64(bytes)))
}

// gatherByTake handles nested and other types: take each source's rows, concatenate, then
// put them in refs order with one more Take.
func gatherByTake(alloc memory.Allocator, srcs []arrow.Array, refs []rowRef) (arrow.Array, error) {
	perSrc := make([][]int32, len(srcs))
	for _, r := range refs {
		perSrc[r.batch] = append(perSrc[r.batch], r.row)
	}
	base := make([]int32, len(srcs))
	var parts []arrow.Array
	defer func() { releaseArrays(parts) }()
	next := int32(0)
	for s, rows := range perSrc {
		base[s] = next
		next += int32(len(rows))
		if len(rows) == 0 {
			continue
		}
		part, err := takeColumn(alloc, srcs[s], rows, false)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return array.MakeArrayOfNull(alloc, srcs[0].DataType(), 0), nil
	}
	all, err := array.Concatenate(parts, alloc)
	if err != nil {
		return nil, internalf("concatenating %s rows: %v", srcs[0].DataType(), err)
	}
	defer all.Release()
	seen := make([]int32, len(srcs))
	perm := make([]int32, len(refs))
	for i, r := range refs {
		perm[i] = base[r.batch] + seen[r.batch]
		seen[r.batch]++
	}
	return takeColumn(alloc, all, perm, false)
}

// reinterpret views a byte slice as a slice of T (no copy).
func reinterpret[T any](b []byte) []T {
	var zero T
	size := int(unsafeSizeof(zero))
	if len(b) < size {
		return nil
	}
	return unsafeSlice[T](b, len(b)/size)
}

// sameTypes reports whether two schemas have the same column types (names may differ).
func sameTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		if !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}
