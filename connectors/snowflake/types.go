package snowflake

import (
	"context"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// column is one column as INFORMATION_SCHEMA.COLUMNS describes it.
type column struct {
	name      string
	dataType  string // NUMBER, FLOAT, TEXT, BOOLEAN, DATE, TIMESTAMP_NTZ, ...
	precision int32
	scale     int32
	collation string
}

// arrowType maps a Snowflake column to the gateway's type; known is false for types read as
// text.
func (c column) arrowType() (t arrow.DataType, known bool) {
	switch strings.ToUpper(c.dataType) {
	case "NUMBER", "DECIMAL", "NUMERIC", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT":
		p := c.precision
		if p <= 0 {
			p = 38
		}
		if c.scale == 0 && p <= 18 {
			return expr.Int64, true
		}
		return expr.Decimal(p, c.scale), true
	case "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION", "REAL":
		return expr.Float64, true
	case "TEXT", "VARCHAR", "STRING", "CHAR", "CHARACTER", "NCHAR", "NVARCHAR":
		return expr.String, true
	case "BINARY", "VARBINARY":
		return expr.Binary, true
	case "BOOLEAN":
		return expr.Bool, true
	case "DATE":
		return expr.Date, true
	case "TIMESTAMP_NTZ", "DATETIME", "TIMESTAMP":
		return expr.Timestamp, true
	case "TIMESTAMP_LTZ", "TIMESTAMP_TZ":
		return expr.TimestampTZ, true
	}
	return expr.String, false
}

// fits reports whether values of the column can be read as declared type t: its own
// mapping, a wider integer or decimal, text for unmapped types, or an integer for a
// NUMBER(p,0) whose values are checked when read.
func (c column) fits(t arrow.DataType) bool {
	own, known := c.arrowType()
	switch {
	case arrow.TypeEqual(own, t):
		return true
	case !known:
		return t.ID() == arrow.STRING
	case expr.IsInteger(own) || (expr.IsDecimal(own) && c.scale == 0):
		if expr.IsInteger(t) {
			return true
		}
		if expr.IsDecimal(t) {
			p, s, _ := expr.DecimalOf(t)
			return p-s >= c.precision-c.scale || p-s >= 19 && expr.IsInteger(own)
		}
	case expr.IsDecimal(own) && expr.IsDecimal(t):
		p, s, _ := expr.DecimalOf(t)
		return s >= c.scale && p-s >= c.precision-c.scale
	case own.ID() == arrow.TIMESTAMP && t.ID() == arrow.TIMESTAMP:
		return (own.(*arrow.TimestampType).TimeZone == "") == (t.(*arrow.TimestampType).TimeZone == "")
	}
	return false
}

// caps are what Snowflake computes on the column exactly like the gateway.
func (c column) caps(declared arrow.DataType) sqlgen.Caps {
	own, known := c.arrowType()
	switch {
	case !known:
		return sqlgen.CapNone
	case expr.IsString(own) && c.collation != "":
		// A collation may ignore case, accents or trailing spaces.
		return sqlgen.CapNone
	case arrow.TypeEqual(own, declared):
		return sqlgen.CapAll
	case expr.IsNumeric(own) && expr.IsNumeric(declared):
		// Values compare alike; arithmetic would run in the source's wider type.
		return sqlgen.CapCompare | sqlgen.CapOrder
	}
	return sqlgen.CapNone
}

// convertColumn turns one column of a gosnowflake Arrow batch (read WithHigherPrecision and
// microsecond timestamps) into the declared type. NUMBER columns arrive as the narrowest
// integer that holds the batch's unscaled values, or as decimal128, with the scale in the
// field metadata ("scale") or, failing that, the described scale.
func convertColumn(ctx context.Context, mem memory.Allocator, field arrow.Field, col arrow.Array, want arrow.DataType, describedScale int32) (arrow.Array, error) {
	if arrow.TypeEqual(col.DataType(), want) {
		col.Retain()
		return col, nil
	}
	scale := describedScale
	if v, ok := field.Metadata.GetValue("scale"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			scale = int32(n)
		}
	}
	switch {
	case expr.IsDecimal(want):
		return toDecimal(mem, col, scale, want.(*arrow.Decimal128Type))
	case expr.IsInteger(want) && (expr.IsInteger(col.DataType()) || col.DataType().ID() == arrow.DECIMAL128):
		if scale != 0 {
			return nil, errs.New(errs.KindInvalidArgument, "column %s has %d decimal places and cannot be read as %s; declare it as numeric", field.Name, scale, expr.SQLTypeName(want))
		}
		return compute.CastArray(compute.WithAllocator(ctx, mem), col, compute.SafeCastOptions(want))
	case want.ID() == arrow.TIMESTAMP && col.DataType().ID() == arrow.TIMESTAMP:
		ts := col.DataType().(*arrow.TimestampType)
		if ts.Unit != arrow.Microsecond {
			return compute.CastArray(compute.WithAllocator(ctx, mem), col, compute.SafeCastOptions(want))
		}
		// Same instants in microseconds; only the time zone label changes (TIMESTAMP_LTZ
		// arrives labelled with the session's zone, TIMESTAMP_TZ without one).
		d := array.NewData(want, col.Len(), col.Data().Buffers(), nil, col.NullN(), col.Data().Offset())
		defer d.Release()
		return array.MakeFromData(d), nil
	case want.ID() == arrow.STRING:
		if col.DataType().ID() == arrow.LARGE_STRING || col.DataType().ID() == arrow.STRING_VIEW {
			return compute.CastArray(compute.WithAllocator(ctx, mem), col, compute.SafeCastOptions(want))
		}
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Reserve(col.Len())
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(col.ValueStr(i))
			}
		}
		return b.NewArray(), nil
	case want.ID() == arrow.FLOAT64 && expr.IsNumeric(col.DataType()):
		return compute.CastArray(compute.WithAllocator(ctx, mem), col, compute.SafeCastOptions(want))
	}
	return nil, errs.New(errs.KindFailedPrecondition, "column %s arrived as %s, which cannot be read as %s; the table changed since the dataset was registered",
		field.Name, col.DataType(), expr.SQLTypeName(want))
}

// toDecimal builds decimal128(p, s) from unscaled values at scale from (integers or
// decimal128), rescaling up to s exactly.
func toDecimal(mem memory.Allocator, col arrow.Array, from int32, want *arrow.Decimal128Type) (arrow.Array, error) {
	if from > want.Scale {
		return nil, errs.New(errs.KindInvalidArgument, "a NUMBER with %d decimal places cannot be read as %s without rounding", from, expr.SQLTypeName(want))
	}
	mul := decimal128.FromBigInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(want.Scale-from)), nil))
	b := array.NewDecimal128Builder(mem, want)
	defer b.Release()
	b.Reserve(col.Len())
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			b.AppendNull()
			continue
		}
		var v decimal128.Num
		switch x := col.(type) {
		case *array.Int8:
			v = decimal128.FromI64(int64(x.Value(i)))
		case *array.Int16:
			v = decimal128.FromI64(int64(x.Value(i)))
		case *array.Int32:
			v = decimal128.FromI64(int64(x.Value(i)))
		case *array.Int64:
			v = decimal128.FromI64(x.Value(i))
		case *array.Decimal128:
			v = x.Value(i)
		default:
			return nil, errs.New(errs.KindFailedPrecondition, "a NUMBER column arrived as %s, which the connector does not read", col.DataType())
		}
		v = v.Mul(mul)
		if !v.FitsInPrecision(want.Precision) {
			return nil, errs.New(errs.KindInvalidArgument, "a value has more than %d digits and does not fit %s", want.Precision, expr.SQLTypeName(want))
		}
		b.Append(v)
	}
	return b.NewArray(), nil
}
