package client

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// paramRecord builds the one-row batch that binds params. Go values map to Arrow types:
// signed and unsigned integers to int64, floats to float64, string to utf8, []byte to
// binary, bool to boolean, time.Time to timestamp[us, UTC]; nil is a NULL of the type the
// server inferred for the parameter. The server coerces each value to its parameter's type.
func paramRecord(mem memory.Allocator, params []any, inferred *arrow.Schema) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(params))
	cols := make([]arrow.Array, len(params))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, p := range params {
		name := "$" + strconv.Itoa(i+1)
		var nullType arrow.DataType = arrow.Null
		if inferred != nil && i < inferred.NumFields() {
			nullType = inferred.Field(i).Type
		}
		col, err := paramArray(mem, p, nullType)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", name, err)
		}
		cols[i] = col
		fields[i] = arrow.Field{Name: name, Type: col.DataType(), Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 1), nil
}

func paramArray(mem memory.Allocator, v any, nullType arrow.DataType) (arrow.Array, error) {
	switch x := v.(type) {
	case nil:
		return array.MakeArrayOfNull(mem, nullType, 1), nil
	case int:
		return intArray(mem, int64(x)), nil
	case int8:
		return intArray(mem, int64(x)), nil
	case int16:
		return intArray(mem, int64(x)), nil
	case int32:
		return intArray(mem, int64(x)), nil
	case int64:
		return intArray(mem, x), nil
	case uint8:
		return intArray(mem, int64(x)), nil
	case uint16:
		return intArray(mem, int64(x)), nil
	case uint32:
		return intArray(mem, int64(x)), nil
	case float32:
		return floatArray(mem, float64(x)), nil
	case float64:
		return floatArray(mem, x), nil
	case string:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Append(x)
		return b.NewArray(), nil
	case []byte:
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		defer b.Release()
		b.Append(x)
		return b.NewArray(), nil
	case bool:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Append(x)
		return b.NewArray(), nil
	case time.Time:
		b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
		defer b.Release()
		b.Append(arrow.Timestamp(x.UnixMicro()))
		return b.NewArray(), nil
	}
	return nil, fmt.Errorf("unsupported Go type %T: use an integer, float, string, []byte, bool, time.Time or nil", v)
}

func intArray(mem memory.Allocator, v int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Append(v)
	return b.NewArray()
}

func floatArray(mem memory.Allocator, v float64) arrow.Array {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Append(v)
	return b.NewArray()
}
