package snowflake

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/planner/expr"
)

// Dialect returns the Snowflake dialect. Values are bound as text or numbers with an
// explicit CAST(? AS type), so Snowflake compares them with the column's semantics; text
// compares and orders by its UTF-8 bytes unless the column has a collation (such columns
// get no capabilities); integer arithmetic is pushed on integers only (Snowflake computes
// in NUMBER(38,0), and a result outside the gateway's type fails when read, as it would in
// the gateway), no division (Snowflake's integer division returns a decimal).
func Dialect() *sqlgen.Dialect {
	arith := func(op string) sqlgen.FuncRule {
		return sqlgen.FuncRule{Template: "({0} " + op + " {1})", Accept: func(c *expr.Call) bool {
			return len(c.Args) == 2 && expr.IsInteger(c.Args[0].DataType()) && expr.IsInteger(c.Args[1].DataType()) &&
				c.Type.ID() == arrow.INT64
		}}
	}
	text := func(n int) func(c *expr.Call) bool {
		return func(c *expr.Call) bool {
			if len(c.Args) != n {
				return false
			}
			for _, a := range c.Args {
				if !expr.IsString(a.DataType()) {
					return false
				}
			}
			return true
		}
	}
	return &sqlgen.Dialect{
		Name:        "snowflake",
		Quote:       '"',
		Placeholder: func(int) string { return "?" },
		BindParam: func(ph string, t arrow.DataType) (string, bool) {
			name, ok := typeName(t)
			if !ok {
				return "", false
			}
			return "CAST(" + ph + " AS " + name + ")", true
		},
		TypeName:         typeName,
		NativeNullsOrder: true,
		DistinctFrom: func(a, b string, not bool) string {
			if not {
				return "(" + a + " IS NOT DISTINCT FROM " + b + ")"
			}
			return "(" + a + " IS DISTINCT FROM " + b + ")"
		},
		Like:            func(v, p, e string) string { return "(" + v + " LIKE " + p + " ESCAPE " + e + ")" },
		LikeLiteralOnly: true,
		TextExprCaps:    sqlgen.CapAll,
		Functions: map[string]sqlgen.FuncRule{
			expr.FnAdd:      arith("+"),
			expr.FnSub:      arith("-"),
			expr.FnMul:      arith("*"),
			expr.FnConcatOp: {Template: "({0} || {1})", Accept: text(2)},
			"coalesce":      {Template: "COALESCE({*})"},
			"nullif":        {Template: "NULLIF({0}, {1})", Needs: sqlgen.CapCompare | sqlgen.CapValue},
			"length":        {Template: "LENGTH({0})", Accept: text(1)},
		},
		Aggregates:   map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true},
		FullJoin:     true,
		LimitParam:   true,
		LimitLiteral: true,
	}
}

// typeName spells t as a Snowflake CAST target.
func typeName(t arrow.DataType) (string, bool) {
	switch t.ID() {
	case arrow.BOOL:
		return "BOOLEAN", true
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return "NUMBER(38,0)", true
	case arrow.FLOAT64:
		return "DOUBLE", true
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("NUMBER(%d,%d)", d.Precision, d.Scale), true
	case arrow.STRING:
		return "VARCHAR", true
	case arrow.BINARY:
		return "BINARY", true
	case arrow.DATE32:
		return "DATE", true
	case arrow.TIMESTAMP:
		ts := t.(*arrow.TimestampType)
		if ts.Unit != arrow.Microsecond {
			return "", false
		}
		if ts.TimeZone != "" {
			return "TIMESTAMP_TZ(6)", true
		}
		return "TIMESTAMP_NTZ(6)", true
	}
	return "", false
}
