package flight

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// Parameters travel from DoPut to DoGet as a one-row Arrow IPC stream inside the ticket, so
// the bound types survive the trip to whichever node redeems it; they become canonical Go
// values (Query.Execute) only at execution.

// encodeParams returns the IPC stream of a one-row parameter batch.
func encodeParams(rec arrow.RecordBatch, mem memory.Allocator) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		return nil, errs.Wrap(errs.KindInternal, err, "encoding bound parameters")
	}
	if err := w.Close(); err != nil {
		return nil, errs.Wrap(errs.KindInternal, err, "encoding bound parameters")
	}
	return buf.Bytes(), nil
}

// decodeParams turns an encodeParams stream into canonical values for the statement's
// parameter schema.
func decodeParams(encoded []byte, paramSchema *arrow.Schema, mem memory.Allocator) ([]any, error) {
	if len(encoded) == 0 {
		return nil, checkParamCount(0, paramSchema)
	}
	r, err := ipc.NewReader(bytes.NewReader(encoded), ipc.WithAllocator(mem))
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "reading bound parameters")
	}
	defer r.Release()
	if !r.Next() {
		return nil, errs.New(errs.KindInvalidArgument, "bound parameters are empty: bind exactly one row")
	}
	return paramValues(r.RecordBatch(), paramSchema)
}

func checkParamCount(n int, paramSchema *arrow.Schema) error {
	want := 0
	if paramSchema != nil {
		want = paramSchema.NumFields()
	}
	if n != want {
		return errs.New(errs.KindInvalidArgument, "the statement takes %d parameter(s) but %d were bound", want, n)
	}
	return nil
}

// paramValues converts row 0 of a binding to canonical values, coerced to the types the
// planner inferred for each parameter.
func paramValues(rec arrow.RecordBatch, paramSchema *arrow.Schema) ([]any, error) {
	if err := checkParamCount(int(rec.NumCols()), paramSchema); err != nil {
		return nil, err
	}
	if rec.NumRows() != 1 {
		return nil, errs.New(errs.KindInvalidArgument, "bound parameters have %d rows: bind exactly one row", rec.NumRows())
	}
	out := make([]any, rec.NumCols())
	for i, col := range rec.Columns() {
		target := paramSchema.Field(i)
		v, err := naturalValue(col, 0)
		if err != nil {
			return nil, errs.Wrap(errs.KindOf(err), err, "parameter %s", paramName(target, i))
		}
		if out[i], err = coerceParam(v, target.Type); err != nil {
			err = errs.Wrap(errs.KindInvalidArgument, err, "parameter %s expects %s but was bound as %s",
				paramName(target, i), sqlTypeName(target.Type), sqlTypeName(col.DataType()))
			if errors.Is(err, errIncompatible) {
				// A placeholder with nothing to infer its type from (SELECT ?) is text, as in
				// PostgreSQL; clients bind their own types, so say how to declare one.
				err = fmt.Errorf("%w; declare the type you bind in SQL, e.g. CAST(%s AS %s)", err, paramName(target, i), sqlTypeName(col.DataType()))
			}
			return nil, err
		}
	}
	return out, nil
}

func paramName(f arrow.Field, i int) string {
	if f.Name != "" {
		return f.Name
	}
	return "$" + strconv.Itoa(i+1)
}

// decimalValue keeps a decimal's scale until it is coerced to the parameter's type.
type decimalValue struct {
	num   decimal128.Num
	scale int32
}

// naturalValue reads one value in the closest canonical form. Errors name types only, never
// the value.
func naturalValue(col arrow.Array, i int) (any, error) {
	// A NullType array has no validity bitmap, so IsNull reports false for its slots.
	if col.DataType().ID() == arrow.NULL || col.IsNull(i) {
		return nil, nil
	}
	switch a := col.(type) {
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Uint8:
		return int64(a.Value(i)), nil
	case *array.Uint16:
		return int64(a.Value(i)), nil
	case *array.Uint32:
		return int64(a.Value(i)), nil
	case *array.Uint64:
		if a.Value(i) > math.MaxInt64 {
			return nil, errs.New(errs.KindInvalidArgument, "unsigned value out of range for bigint")
		}
		return int64(a.Value(i)), nil
	case *array.Float16:
		return float64(a.Value(i).Float32()), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.String:
		return a.Value(i), nil
	case *array.LargeString:
		return a.Value(i), nil
	case *array.StringView:
		return a.Value(i), nil
	case *array.Binary:
		return bytes.Clone(a.Value(i)), nil
	case *array.LargeBinary:
		return bytes.Clone(a.Value(i)), nil
	case *array.BinaryView:
		return bytes.Clone(a.Value(i)), nil
	case *array.FixedSizeBinary:
		return bytes.Clone(a.Value(i)), nil
	case *array.Decimal128:
		return decimalValue{num: a.Value(i), scale: a.DataType().(*arrow.Decimal128Type).Scale}, nil
	case *array.Date32:
		return a.Value(i), nil
	case *array.Date64:
		return arrow.Date32FromTime(a.Value(i).ToTime()), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return arrow.Timestamp(a.Value(i).ToTime(unit).UnixMicro()), nil
	case *array.MonthDayNanoInterval:
		return a.Value(i), nil
	case *array.Dictionary:
		return naturalValue(a.Dictionary(), a.GetValueIndex(i))
	}
	return nil, errs.NotSupportedf("parameters of type %s", sqlTypeName(col.DataType()))
}

// coerceParam converts v to the canonical form of target, the way an implicit cast of a
// literal would: numbers widen or narrow when exact, text parses into numbers and dates.
// An unknown target type (arrow.Null) keeps v as it is.
func coerceParam(v any, target arrow.DataType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t := target.(type) {
	case nil, *arrow.NullType:
		if _, ok := v.(decimalValue); ok {
			return nil, errs.New(errs.KindInvalidArgument, "a decimal parameter needs a declared type; cast it in SQL, e.g. $1::numeric(18,2)")
		}
		return v, nil
	case *arrow.Int8Type:
		return toInt(v, math.MinInt8, math.MaxInt8)
	case *arrow.Int16Type:
		return toInt(v, math.MinInt16, math.MaxInt16)
	case *arrow.Int32Type:
		return toInt(v, math.MinInt32, math.MaxInt32)
	case *arrow.Int64Type:
		return toInt(v, math.MinInt64, math.MaxInt64)
	case *arrow.Float32Type, *arrow.Float64Type:
		return toFloat(v)
	case *arrow.Decimal128Type:
		return toDecimal(v, t.Precision, t.Scale)
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case *arrow.BooleanType:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			return strconv.ParseBool(strings.TrimSpace(b))
		}
	case *arrow.Date32Type:
		switch d := v.(type) {
		case arrow.Date32:
			return d, nil
		case string:
			tm, err := time.Parse("2006-01-02", strings.TrimSpace(d))
			if err != nil {
				return nil, errs.New(errs.KindInvalidArgument, "text is not a date (YYYY-MM-DD)")
			}
			return arrow.Date32FromTime(tm), nil
		}
	case *arrow.TimestampType:
		switch ts := v.(type) {
		case arrow.Timestamp:
			return ts, nil
		case arrow.Date32:
			return arrow.Timestamp(ts.ToTime().UnixMicro()), nil
		case string:
			tm, err := parseTimestamp(ts)
			if err != nil {
				return nil, err
			}
			return arrow.Timestamp(tm.UnixMicro()), nil
		}
	default:
		return v, nil
	}
	return nil, errIncompatible
}

// errIncompatible is coerceParam's error for a value no implicit cast converts.
var errIncompatible = errs.New(errs.KindInvalidArgument, "incompatible type")

func toInt(v any, lo, hi int64) (any, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || x < math.MinInt64 || x >= math.MaxInt64 {
			return nil, errs.New(errs.KindInvalidArgument, "value is not an integer")
		}
		n = int64(x)
	case decimalValue:
		whole, err := x.num.Rescale(x.scale, 0)
		if err != nil || !whole.BigInt().IsInt64() {
			return nil, errs.New(errs.KindInvalidArgument, "value is not an integer")
		}
		n = whole.BigInt().Int64()
	case string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64); err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "text is not an integer")
		}
	default:
		return nil, errs.New(errs.KindInvalidArgument, "incompatible type")
	}
	if n < lo || n > hi {
		return nil, errs.New(errs.KindInvalidArgument, "value out of range")
	}
	return n, nil
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case decimalValue:
		return x.num.ToFloat64(x.scale), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "text is not a number")
		}
		return f, nil
	}
	return nil, errs.New(errs.KindInvalidArgument, "incompatible type")
}

func toDecimal(v any, precision, scale int32) (any, error) {
	var (
		n   decimal128.Num
		err error
	)
	switch x := v.(type) {
	case int64:
		n, err = decimal128.FromI64(x).Rescale(0, scale)
	case float64:
		n, err = decimal128.FromFloat64(x, precision, scale)
	case decimalValue:
		n, err = x.num.Rescale(x.scale, scale)
	case string:
		n, err = decimal128.FromString(strings.TrimSpace(x), precision, scale)
	default:
		return nil, errs.New(errs.KindInvalidArgument, "incompatible type")
	}
	if err != nil || !n.FitsInPrecision(precision) {
		return nil, errs.New(errs.KindInvalidArgument, "value does not fit numeric(%d,%d)", precision, scale)
	}
	return n, nil
}

func parseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, errs.New(errs.KindInvalidArgument, "text is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM])")
}
