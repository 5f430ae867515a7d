package flight

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// Results leave exactly as the engine produced them except for encodings the Flight SQL
// JDBC driver cannot read (DESIGN.md §3): dictionaries are decoded, string views and large
// strings become utf8, binary views and large binaries become binary — at the top level and
// inside lists and structs. Other nested types pass through unchanged.

// plainType is the type a client receives for t.
func plainType(t arrow.DataType) arrow.DataType {
	switch t := t.(type) {
	case *arrow.DictionaryType:
		return plainType(t.ValueType)
	case *arrow.StringViewType, *arrow.LargeStringType:
		return arrow.BinaryTypes.String
	case *arrow.BinaryViewType, *arrow.LargeBinaryType:
		return arrow.BinaryTypes.Binary
	case *arrow.ListType:
		elem := t.ElemField()
		elem.Type = plainType(elem.Type)
		return arrow.ListOfField(elem)
	case *arrow.StructType:
		fields := t.Fields()
		for i := range fields {
			fields[i].Type = plainType(fields[i].Type)
		}
		return arrow.StructOf(fields...)
	}
	return t
}

// plainSchema is the schema a client receives for s; s itself when nothing changes.
func plainSchema(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	changed := false
	for i := range fields {
		pt := plainType(fields[i].Type)
		if !arrow.TypeEqual(pt, fields[i].Type) {
			fields[i].Type, changed = pt, true
		}
	}
	if !changed {
		return s
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

// plainRecord converts rec to schema (plainSchema of rec's schema). It returns a new
// reference the caller releases.
func plainRecord(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	if rec.Schema() == schema || rec.Schema().Equal(schema) {
		rec.Retain()
		return rec, nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, col := range rec.Columns() {
		var err error
		if cols[i], err = plainArray(ctx, mem, col); err != nil {
			return nil, err
		}
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}

// plainArray returns arr in its plain encoding as a new reference.
func plainArray(ctx context.Context, mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	if arrow.TypeEqual(plainType(arr.DataType()), arr.DataType()) {
		arr.Retain()
		return arr, nil
	}
	switch a := arr.(type) {
	case *array.Dictionary:
		values, err := plainArray(ctx, mem, a.Dictionary())
		if err != nil {
			return nil, err
		}
		defer values.Release()
		decoded, err := compute.TakeArray(compute.WithAllocator(ctx, mem), values, a.Indices())
		if err != nil {
			return nil, errs.Wrap(errs.KindInternal, err, "decoding a dictionary column")
		}
		return decoded, nil
	case *array.StringView:
		return copyStrings(mem, a.Len(), a.IsNull, a.Value), nil
	case *array.LargeString:
		return copyStrings(mem, a.Len(), a.IsNull, a.Value), nil
	case *array.BinaryView:
		return copyBinaries(mem, a.Len(), a.IsNull, a.Value), nil
	case *array.LargeBinary:
		return copyBinaries(mem, a.Len(), a.IsNull, a.Value), nil
	case *array.List, *array.Struct:
		// Children are converted whole and the parent's buffers, offset and validity reused.
		data := arr.Data()
		children := make([]arrow.ArrayData, len(data.Children()))
		for i, cd := range data.Children() {
			child := array.MakeFromData(cd)
			plain, err := plainArray(ctx, mem, child)
			child.Release()
			if err != nil {
				for _, c := range children[:i] {
					c.Release()
				}
				return nil, err
			}
			children[i] = plain.Data()
			children[i].Retain()
			plain.Release()
		}
		out := array.NewData(plainType(arr.DataType()), data.Len(), data.Buffers(), children, data.NullN(), data.Offset())
		for _, c := range children {
			c.Release()
		}
		defer out.Release()
		return array.MakeFromData(out), nil
	}
	return nil, errs.New(errs.KindInternal, "no plain encoding for %s", arr.DataType())
}

func copyStrings(mem memory.Allocator, n int, isNull func(int) bool, value func(int) string) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if isNull(i) {
			b.AppendNull()
		} else {
			b.Append(value(i))
		}
	}
	return b.NewArray()
}

func copyBinaries(mem memory.Allocator, n int, isNull func(int) bool, value func(int) []byte) arrow.Array {
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if isNull(i) {
			b.AppendNull()
		} else {
			b.Append(value(i))
		}
	}
	return b.NewArray()
}

// messageOverhead is what an IPC message adds to the bytes of its buffers: the flatbuffer
// header and per-buffer padding, generously estimated so a slice within budget also fits
// the message limit.
func messageOverhead(s *arrow.Schema) int64 { return 64<<10 + 256*int64(s.NumFields()) }

// splitRecord slices rec so each slice's IPC message stays within maxMessageBytes. Slices
// share rec's buffers (the IPC writer truncates them); the caller releases every slice. A
// single row larger than the limit is sent alone: it cannot be split.
func splitRecord(rec arrow.RecordBatch, maxMessageBytes int64) []arrow.RecordBatch {
	budget := max(maxMessageBytes-messageOverhead(rec.Schema()), 1)
	n := rec.NumRows()
	total := recordBytes(rec, 0, n)
	if n <= 1 || total <= budget {
		rec.Retain()
		return []arrow.RecordBatch{rec}
	}
	var out []arrow.RecordBatch
	var split func(lo, hi int64)
	split = func(lo, hi int64) {
		if hi-lo <= 1 || recordBytes(rec, lo, hi) <= budget {
			out = append(out, rec.NewSlice(lo, hi))
			return
		}
		mid := lo + (hi-lo)/2
		split(lo, mid)
		split(mid, hi)
	}
	// Start from evenly sized chunks; halve only the chunks skewed values push over budget.
	step := max(n*budget/total, 1)
	for lo := int64(0); lo < n; lo += step {
		split(lo, min(lo+step, n))
	}
	return out
}

func recordBytes(rec arrow.RecordBatch, lo, hi int64) int64 {
	var total int64
	for _, col := range rec.Columns() {
		total += arrayBytes(col, lo, hi)
	}
	return total
}

// arrayBytes estimates the IPC body bytes of rows [lo, hi) of arr.
func arrayBytes(arr arrow.Array, lo, hi int64) int64 {
	n := hi - lo
	if n <= 0 {
		return 0
	}
	validity := (n + 7) / 8
	switch a := arr.(type) {
	case *array.Null:
		return 0
	case *array.String:
		off := a.ValueOffsets()
		return validity + (n+1)*4 + int64(off[hi]-off[lo])
	case *array.Binary:
		off := a.ValueOffsets()
		return validity + (n+1)*4 + int64(off[hi]-off[lo])
	case *array.LargeString:
		off := a.ValueOffsets()
		return validity + (n+1)*8 + off[hi] - off[lo]
	case *array.LargeBinary:
		off := a.ValueOffsets()
		return validity + (n+1)*8 + off[hi] - off[lo]
	case *array.List:
		start, _ := a.ValueOffsets(int(lo))
		_, end := a.ValueOffsets(int(hi - 1))
		return validity + (n+1)*4 + arrayBytes(a.ListValues(), start, end)
	case *array.Struct:
		total := validity
		for i := 0; i < a.NumField(); i++ {
			total += arrayBytes(a.Field(i), lo, hi)
		}
		return total
	case *array.Dictionary:
		return arrayBytes(a.Indices(), lo, hi)
	}
	if fw, ok := arr.DataType().(arrow.FixedWidthDataType); ok {
		return validity + (n*int64(fw.BitWidth())+7)/8
	}
	// Other nested or variable-width types: assume their bytes spread evenly over the rows.
	if arr.Len() == 0 {
		return 0
	}
	return dataBytes(arr.Data()) * n / int64(arr.Len())
}

// dataBytes is the size of every buffer of an array, children and dictionary included.
func dataBytes(d arrow.ArrayData) int64 {
	var total int64
	for _, b := range d.Buffers() {
		if b != nil {
			total += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		total += dataBytes(c)
	}
	if dict := d.Dictionary(); dict != nil {
		total += dataBytes(dict)
	}
	return total
}
