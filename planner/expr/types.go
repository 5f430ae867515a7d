package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// The SQL types meshgate computes with. Timestamps are microseconds; a timestamp with time
// zone is an instant stored in UTC with TimeZone "UTC"; without time zone, TimeZone is "".
var (
	Bool        arrow.DataType = arrow.FixedWidthTypes.Boolean
	Int8        arrow.DataType = arrow.PrimitiveTypes.Int8
	Int16       arrow.DataType = arrow.PrimitiveTypes.Int16
	Int32       arrow.DataType = arrow.PrimitiveTypes.Int32
	Int64       arrow.DataType = arrow.PrimitiveTypes.Int64
	Float32     arrow.DataType = arrow.PrimitiveTypes.Float32
	Float64     arrow.DataType = arrow.PrimitiveTypes.Float64
	String      arrow.DataType = arrow.BinaryTypes.String
	Binary      arrow.DataType = arrow.BinaryTypes.Binary
	Date        arrow.DataType = arrow.FixedWidthTypes.Date32
	Timestamp   arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
	TimestampTZ arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	Interval    arrow.DataType = arrow.FixedWidthTypes.MonthDayNanoInterval
	Null        arrow.DataType = arrow.Null
)

// MaxDecimalPrecision is the largest decimal128 precision.
const MaxDecimalPrecision = 38

// Decimal returns decimal128(p, s), clamping p to 38.
func Decimal(p, s int32) arrow.DataType {
	if p > MaxDecimalPrecision {
		p = MaxDecimalPrecision
	}
	if s > p {
		s = p
	}
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

func IsInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func IsFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

func IsDecimal(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }

func IsNumeric(t arrow.DataType) bool { return IsInteger(t) || IsFloat(t) || IsDecimal(t) }

func IsString(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

func IsTemporal(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}

func IsNull(t arrow.DataType) bool { return t.ID() == arrow.NULL }

// DecimalOf returns precision and scale of a decimal type, or of the decimal that holds every
// value of an integer type exactly.
func DecimalOf(t arrow.DataType) (p, s int32, ok bool) {
	switch t.ID() {
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return d.Precision, d.Scale, true
	case arrow.INT8:
		return 3, 0, true
	case arrow.INT16:
		return 5, 0, true
	case arrow.INT32:
		return 10, 0, true
	case arrow.INT64:
		return 19, 0, true
	}
	return 0, 0, false
}

func intRank(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32:
		return 3
	case arrow.INT64:
		return 4
	}
	return 0
}

// CommonType returns the type both a and b are implicitly cast to where SQL needs one type for
// both (comparison, CASE arms, UNION columns, COALESCE, IN lists), following PostgreSQL's
// resolution: NULL adopts the other type; integers widen; integer with decimal gives a decimal
// wide enough for both; anything with a float gives float64 (float32 with float32 stays);
// date with timestamp gives timestamp; timestamp with timestamptz gives timestamptz.
func CommonType(a, b arrow.DataType) (arrow.DataType, error) {
	switch {
	case arrow.TypeEqual(a, b):
		return a, nil
	case IsNull(a):
		return b, nil
	case IsNull(b):
		return a, nil
	case IsInteger(a) && IsInteger(b):
		if intRank(a) >= intRank(b) {
			return a, nil
		}
		return b, nil
	case IsFloat(a) && IsNumeric(b), IsNumeric(a) && IsFloat(b):
		if a.ID() == arrow.FLOAT32 && b.ID() == arrow.FLOAT32 {
			return Float32, nil
		}
		return Float64, nil
	case IsNumeric(a) && IsNumeric(b):
		pa, sa, _ := DecimalOf(a)
		pb, sb, _ := DecimalOf(b)
		s := max(sa, sb)
		return Decimal(max(pa-sa, pb-sb)+s, s), nil
	case IsString(a) && IsString(b):
		return String, nil
	case a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP:
		return b, nil
	case a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32:
		return a, nil
	case a.ID() == arrow.TIMESTAMP && b.ID() == arrow.TIMESTAMP:
		return TimestampTZ, nil
	}
	return nil, fmt.Errorf("types %s and %s cannot be matched", SQLTypeName(a), SQLTypeName(b))
}

// SQLTypeName is the SQL spelling of an Arrow type, as users write it in CAST and as EXPLAIN
// and errors show it.
func SQLTypeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.NULL:
		return "unknown"
	case arrow.BOOL:
		return "boolean"
	case arrow.INT8:
		return "tinyint"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "real"
	case arrow.FLOAT64:
		return "double precision"
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("numeric(%d,%d)", d.Precision, d.Scale)
	case arrow.STRING, arrow.LARGE_STRING:
		return "varchar"
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "bytea"
	case arrow.DATE32:
		return "date"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "timestamp with time zone"
		}
		return "timestamp"
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return "interval"
	case arrow.LIST:
		return SQLTypeName(t.(*arrow.ListType).Elem()) + "[]"
	}
	return t.String()
}
