package mysql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/planner/expr"
)

// myColumn is one column as information_schema (or result metadata) reports it.
type myColumn struct {
	name       string
	dataType   string // lower-case DATA_TYPE: int, varchar, decimal, ...
	columnType string // lower-case COLUMN_TYPE: "int(10) unsigned", "tinyint(1)", ...
	precision  int64  // NUMERIC_PRECISION (decimal), or the width of bit(n)
	scale      int64
	charset    string // CHARACTER_SET_NAME; "" for non-text or unknown
	collation  string // COLLATION_NAME; "" for non-text or unknown
}

func (c myColumn) unsigned() bool { return strings.Contains(c.columnType, "unsigned") }

// natural returns the Arrow type a MySQL type maps to, and whether the mapping is defined
// (false: read as utf8 text, with a warning from Describe).
func (c myColumn) natural() (arrow.DataType, bool) {
	switch c.dataType {
	case "tinyint":
		switch {
		case strings.HasPrefix(c.columnType, "tinyint(1)") && !c.unsigned():
			return expr.Bool, true
		case c.unsigned():
			return expr.Int16, true
		}
		return expr.Int8, true
	case "smallint":
		if c.unsigned() {
			return expr.Int32, true
		}
		return expr.Int16, true
	case "mediumint":
		return expr.Int32, true
	case "int", "integer":
		if c.unsigned() {
			return expr.Int64, true
		}
		return expr.Int32, true
	case "bigint":
		if c.unsigned() {
			return expr.Decimal(20, 0), true
		}
		return expr.Int64, true
	case "year":
		return expr.Int16, true
	case "bit":
		if c.precision == 1 {
			return expr.Bool, true
		}
		if c.precision == 64 {
			return expr.Decimal(20, 0), true
		}
		return expr.Int64, true
	case "decimal", "numeric":
		p, s := int32(c.precision), int32(c.scale)
		if p > expr.MaxDecimalPrecision {
			p = expr.MaxDecimalPrecision
		}
		return expr.Decimal(p, s), true
	case "float":
		return expr.Float32, true
	case "double", "real":
		return expr.Float64, true
	case "date":
		return expr.Date, true
	case "datetime":
		return expr.Timestamp, true
	case "timestamp":
		return expr.TimestampTZ, true
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json":
		return expr.String, true
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return expr.Binary, true
	}
	return expr.String, false
}

// caps returns what the source computes exactly like the gateway on a column read as its
// natural type.
func (c myColumn) caps() sqlgen.Caps {
	switch c.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		t, _ := c.natural()
		switch {
		case t.ID() == arrow.BOOL:
			// TINYINT(1) may hold any small integer; only its use as a condition (non-zero
			// is true, as the decoder reads it) is exact.
			return sqlgen.CapNone
		case c.unsigned():
			// UNSIGNED arithmetic fails where the gateway's would not; comparisons are fine.
			return sqlgen.CapCompare | sqlgen.CapOrder
		}
		return sqlgen.CapAll
	case "decimal", "numeric", "float", "double", "real", "date", "datetime", "timestamp", "year":
		return sqlgen.CapAll
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		// Binary strings compare bytewise without padding.
		return sqlgen.CapAll
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "json":
		return textCaps(c.charset, c.collation)
	}
	return sqlgen.CapNone
}

// textCaps derives a text column's caps from its character set and collation. Only a binary
// collation without padding compares like the gateway (bytewise, trailing spaces
// significant); every other collation finds a superset for equality (it ignores case,
// accents or trailing spaces), so equality is Inexact and nothing is ordered or grouped.
// LIKE is rendered under utf8mb4_bin, which needs a utf8mb4 column.
func textCaps(charset, collation string) sqlgen.Caps {
	utf8 := charset == "utf8mb4" || charset == "utf8mb3" || charset == "utf8" || charset == "ascii"
	if utf8 && noPadBinary(collation) {
		return sqlgen.CapAll
	}
	caps := sqlgen.CapPrune | sqlgen.CapValue
	if charset == "utf8mb4" {
		caps |= sqlgen.CapLike
	}
	return caps
}

// noPadBinary reports whether a collation compares code points without padding: MariaDB's
// *_nopad_bin and MySQL 8's utf8mb4_0900_bin.
func noPadBinary(collation string) bool {
	return strings.HasSuffix(collation, "_nopad_bin") || collation == "utf8mb4_0900_bin" || collation == "binary"
}

type binding struct {
	caps  sqlgen.Caps
	widen bool
}

// bind checks that a column can be read as the declared type and returns the pushdown
// capabilities that remain (none unless the mapping is the natural one or a lossless
// widening).
func (c myColumn) bind(declared arrow.DataType) (binding, error) {
	nat, _ := c.natural()
	if arrow.TypeEqual(nat, declared) {
		return binding{caps: c.caps()}, nil
	}
	if !convertible(nat, declared) {
		return binding{}, fmt.Errorf("its type %s cannot be read as %s", c.columnType, expr.SQLTypeName(declared))
	}
	if losslessWidening(nat, declared) && c.caps() == sqlgen.CapAll {
		return binding{caps: sqlgen.CapAll, widen: true}, nil
	}
	return binding{caps: sqlgen.CapNone}, nil
}

// convertible reports whether the decoders can read values of natural type from as to.
func convertible(from, to arrow.DataType) bool {
	switch {
	case expr.IsString(to), to.ID() == arrow.BINARY && (from.ID() == arrow.BINARY || expr.IsString(from)):
		return true
	case expr.IsInteger(to) || expr.IsDecimal(to) || to.ID() == arrow.FLOAT64:
		return expr.IsInteger(from) || expr.IsDecimal(from) || (to.ID() == arrow.FLOAT64 && expr.IsFloat(from))
	case to.ID() == arrow.BOOL:
		return from.ID() == arrow.BOOL || expr.IsInteger(from)
	case to.ID() == arrow.TIMESTAMP:
		return from.ID() == arrow.TIMESTAMP || from.ID() == arrow.DATE32
	}
	return false
}

func losslessWidening(from, to arrow.DataType) bool {
	switch {
	case expr.IsInteger(from) && expr.IsInteger(to):
		return intBytes(to) >= intBytes(from)
	case expr.IsInteger(from) && expr.IsDecimal(to), expr.IsDecimal(from) && expr.IsDecimal(to):
		pf, sf, _ := expr.DecimalOf(from)
		pt, st, _ := expr.DecimalOf(to)
		return st >= sf && pt-st >= pf-sf
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP:
		return to.(*arrow.TimestampType).TimeZone == ""
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		return true
	}
	return false
}

func intBytes(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32:
		return 4
	}
	return 8
}
