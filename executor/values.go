package executor

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Values produces literal rows, one partition. Rows hold canonical Go values as in
// expr.Literal (nil for NULL, bool, int64 for every integer width, float64, string, []byte,
// decimal128.Num, arrow.Date32, arrow.Timestamp, arrow.MonthDayNanoInterval). Arrays are
// built from tc.Alloc at each execution.
type Values struct {
	schema *arrow.Schema
	rows   [][]any
}

var _ Plan = (*Values)(nil)

// NewValues checks every value against its column type.
func NewValues(schema *arrow.Schema, rows [][]any) (*Values, error) {
	v := &Values{schema: schema, rows: rows}
	for i, r := range rows {
		if len(r) != schema.NumFields() {
			return nil, internalf("Values row %d has %d values for %d columns", i, len(r), schema.NumFields())
		}
	}
	// Building once with a scratch allocator validates every value with the same code that
	// runs at execution.
	b, err := v.build(memory.NewGoAllocator(), 0, len(rows))
	if err != nil {
		return nil, err
	}
	b.Release()
	return v, nil
}

// NewEmptyRelation returns a relation of schema without rows (WHERE false, LIMIT 0).
func NewEmptyRelation(schema *arrow.Schema) *Values { return &Values{schema: schema} }

// NewSingleRow returns one row without columns: the input of SELECT without FROM, on which
// Project evaluates the select list.
func NewSingleRow() *Values {
	return &Values{schema: arrow.NewSchema(nil, nil), rows: [][]any{{}}}
}

func (v *Values) Schema() *arrow.Schema { return v.schema }
func (v *Values) Partitions() int       { return 1 }
func (v *Values) Children() []Plan      { return nil }
func (v *Values) Describe() (string, string) {
	if len(v.rows) == 0 {
		return "EmptyRelation", ""
	}
	return "Values", fmt.Sprintf("rows=%d", len(v.rows))
}

func (v *Values) Execute(_ context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(v, p); err != nil {
		return nil, err
	}
	return &lazyStream{open: func() (Stream, error) {
		var out []arrow.RecordBatch
		step := tc.batchRows()
		for from := 0; from < len(v.rows); from += step {
			b, err := v.build(tc.Alloc, from, min(from+step, len(v.rows)))
			if err != nil {
				releaseBatches(out)
				return nil, err
			}
			out = append(out, b)
		}
		return &batchStream{batches: out}, nil
	}}, nil
}

func (v *Values) build(alloc memory.Allocator, from, to int) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, v.schema.NumFields())
	for c, f := range v.schema.Fields() {
		bld := array.NewBuilder(alloc, f.Type)
		for r := from; r < to; r++ {
			if err := appendCanonical(bld, v.rows[r][c]); err != nil {
				bld.Release()
				releaseArrays(cols)
				return nil, internalf("Values row %d column %s: %v", r, f.Name, err)
			}
		}
		cols[c] = bld.NewArray()
		bld.Release()
	}
	return makeBatch(v.schema, cols, to-from), nil
}

// appendCanonical appends a canonical literal value (see Values) to a builder.
func appendCanonical(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("a %T value does not fit type %s", v, b.Type()) }
	switch b := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Int8Builder:
		x, ok := v.(int64)
		if !ok || x < math.MinInt8 || x > math.MaxInt8 {
			return bad()
		}
		b.Append(int8(x))
	case *array.Int16Builder:
		x, ok := v.(int64)
		if !ok || x < math.MinInt16 || x > math.MaxInt16 {
			return bad()
		}
		b.Append(int16(x))
	case *array.Int32Builder:
		x, ok := v.(int64)
		if !ok || x < math.MinInt32 || x > math.MaxInt32 {
			return bad()
		}
		b.Append(int32(x))
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Float32Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(float32(x))
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.StringBuilder:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.LargeStringBuilder:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.Decimal128Builder:
		x, ok := v.(decimal128.Num)
		if !ok || !x.FitsInPrecision(b.Type().(*arrow.Decimal128Type).Precision) {
			return bad()
		}
		b.Append(x)
	case *array.Date32Builder:
		x, ok := v.(arrow.Date32)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.TimestampBuilder:
		x, ok := v.(arrow.Timestamp)
		if !ok {
			return bad()
		}
		b.Append(x)
	case *array.MonthDayNanoIntervalBuilder:
		x, ok := v.(arrow.MonthDayNanoInterval)
		if !ok {
			return bad()
		}
		b.Append(x)
	default:
		return fmt.Errorf("literal values of type %s are not supported", b.Type())
	}
	return nil
}
