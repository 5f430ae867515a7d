package flight

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// sqlTypeName is the SQL spelling of an Arrow type as meshgate's SQL dialect (PostgreSQL)
// writes it. It mirrors the planner's naming without importing the planner.
func sqlTypeName(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.NullType:
		return "unknown"
	case *arrow.BooleanType:
		return "boolean"
	case *arrow.Int8Type, *arrow.Uint8Type:
		return "tinyint"
	case *arrow.Int16Type, *arrow.Uint16Type:
		return "smallint"
	case *arrow.Int32Type, *arrow.Uint32Type:
		return "integer"
	case *arrow.Int64Type, *arrow.Uint64Type:
		return "bigint"
	case *arrow.Float16Type, *arrow.Float32Type:
		return "real"
	case *arrow.Float64Type:
		return "double precision"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case *arrow.Decimal256Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "varchar"
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return "bytea"
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date"
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamp with time zone"
		}
		return "timestamp"
	case *arrow.MonthDayNanoIntervalType:
		return "interval"
	case *arrow.DictionaryType:
		return sqlTypeName(t.ValueType)
	case *arrow.ListType:
		return sqlTypeName(t.Elem()) + "[]"
	}
	return t.String()
}
