package sqlgen

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

// Dialect is how one kind of SQL source spells what the builder renders, and what it computes
// exactly like the gateway (Trino's JdbcClient overrides). A Dialect is immutable once built:
// take one from Postgres or MySQL, or build one for a new source type.
type Dialect struct {
	// Name is shown in errors and EXPLAIN ("postgres", "mysql").
	Name string
	// Quote is the identifier quote character; it is doubled inside identifiers.
	Quote byte
	// Placeholder spells the n-th bound argument (1-based, in text order): "$1" or "?".
	Placeholder func(n int) string
	// BindParam spells a bound value of type t at placeholder ph with its type made explicit
	// ("$1::bigint", "CAST(? AS DECIMAL(15,2))", or ph itself), so the source compares it with
	// the right semantics. false: values of t cannot be bound exactly.
	BindParam func(ph string, t arrow.DataType) (string, bool)
	// PaddedParam, when set, spells a bound text value compared with a blank-padded CHAR(n)
	// column (Column.PadTo) so the source compares it as its own padded type and can use the
	// column's indexes ("$1::bpchar"). Unset: such comparisons are not pushed.
	PaddedParam func(ph string) string
	// LimitArg, when set, spells the bound LIMIT count (sources whose LIMIT takes only a
	// bare placeholder); default BindParam with bigint.
	LimitArg func(ph string) string
	// LimitLiteral: the LIMIT count is written as an integer literal (sources that accept
	// only a constant LIMIT, such as meshgate). The count is the planner's int64, never text
	// from a query, so nothing can be injected through it.
	LimitLiteral bool
	// GatewayDecimalAvg: avg over a decimal gives the gateway's result (decimal(38,
	// max(s,6)), rounded half away from zero) natively, as on a meshgate; otherwise it is
	// rendered as exact integer arithmetic over sum and count.
	GatewayDecimalAvg bool
	// TypeName spells t as a CAST target; false if the dialect has no exact equivalent.
	TypeName func(t arrow.DataType) (string, bool)
	// OrderCollate, when set, is put on every text operand of an ordering operation (<, >,
	// ORDER BY, min, max) so the source orders bytewise like the gateway ("C" in PostgreSQL).
	OrderCollate string
	// NativeNullsOrder: ORDER BY accepts NULLS FIRST/LAST. Otherwise NULLs sort lowest and the
	// builder adds an `x IS NULL` key where the gateway's order differs.
	NativeNullsOrder bool
	// DistinctFrom spells a IS [NOT] DISTINCT FROM b.
	DistinctFrom func(a, b string, not bool) string
	// Like spells value LIKE pattern ESCAPE escape (the escape is always given: the gateway's
	// default is backslash).
	Like func(value, pattern, escape string) string
	// LikeLiteralOnly: the source accepts patterns the gateway rejects (ending in the escape
	// character) or treats an empty escape specially, so only well-formed literal patterns
	// with a one-character escape are pushed.
	LikeLiteralOnly bool
	// TextExprCaps are the caps of text computed by an expression rather than read from a
	// column (the text inherits no collation guarantees beyond these).
	TextExprCaps Caps
	// Functions maps canonical function and operator names (expr.Fn*, "length", ...) to
	// their spelling. Missing names are not pushed.
	Functions map[string]FuncRule
	// Aggregates lists the aggregate functions pushed (count, sum, avg, min, max, ...).
	Aggregates map[string]bool
	// AggFilter: aggregates accept FILTER (WHERE ...); otherwise FILTER is rewritten into
	// CASE WHEN ... THEN x END inside the aggregate.
	AggFilter bool
	// FullJoin: FULL [OUTER] JOIN is available.
	FullJoin bool
	// LimitParam: LIMIT takes a bound argument. Without it limits are not pushed.
	LimitParam bool
}

// FuncRule renders one function or operator.
type FuncRule struct {
	// Template is the spelling with {0}, {1}, ... for the rendered arguments and {*} for all
	// of them, comma-separated.
	Template string
	// Accept, when set, restricts the rule to the calls it accepts (argument types and
	// counts for which the source computes exactly what the gateway does).
	Accept func(c *expr.Call) bool
	// Needs are the caps every argument must have; zero means CapValue.
	Needs Caps
	// Render, when set, replaces Template for calls needing syntax around constants (EXTRACT's
	// field keyword); it returns false to refuse the call. arg renders argument i; call it in
	// text order, once per occurrence.
	Render func(c *expr.Call, arg func(i int) (string, bool)) (string, bool)
}

func (d *Dialect) quote(name string) string { return quoteIdent(d.Quote, name) }

// QuoteIdent quotes one identifier for the dialect (for connectors that add their own
// predicates, such as key-range splits).
func (d *Dialect) QuoteIdent(name string) string { return d.quote(name) }

// ---- predicates on call arguments, shared by the dialect tables ----

func allArgs(c *expr.Call, ok func(arrow.DataType) bool) bool {
	for _, a := range c.Args {
		if !ok(a.DataType()) {
			return false
		}
	}
	return len(c.Args) > 0
}

func isInt64(t arrow.DataType) bool { return t.ID() == arrow.INT64 }
func isText(t arrow.DataType) bool  { return expr.IsString(t) }

func intArgs(c *expr.Call) bool     { return allArgs(c, expr.IsInteger) }
func floatArgs(c *expr.Call) bool   { return allArgs(c, expr.IsFloat) }
func decimalArgs(c *expr.Call) bool { return allArgs(c, expr.IsDecimal) }
func textArgs(c *expr.Call) bool    { return allArgs(c, isText) }
func anyOf(fs ...func(*expr.Call) bool) func(*expr.Call) bool {
	return func(c *expr.Call) bool {
		for _, f := range fs {
			if f(c) {
				return true
			}
		}
		return false
	}
}
func nArgs(n int, f func(*expr.Call) bool) func(*expr.Call) bool {
	return func(c *expr.Call) bool { return len(c.Args) == n && (f == nil || f(c)) }
}

// exactDecimalArith accepts decimal +, -, * whose gateway result type was not clamped to 38
// digits: then the gateway's result is exact and cannot overflow, like the source's.
func exactDecimalArith(c *expr.Call) bool {
	if len(c.Args) != 2 || !decimalArgs(c) {
		return false
	}
	p1, s1, _ := expr.DecimalOf(c.Args[0].DataType())
	p2, s2, _ := expr.DecimalOf(c.Args[1].DataType())
	switch c.Func {
	case expr.FnAdd, expr.FnSub:
		return max(p1-s1, p2-s2)+max(s1, s2)+1 <= expr.MaxDecimalPrecision
	case expr.FnMul:
		return p1+p2+1 <= expr.MaxDecimalPrecision
	}
	return false
}

func dateInt(c *expr.Call) bool {
	return len(c.Args) == 2 && c.Args[0].DataType().ID() == arrow.DATE32 && expr.IsInteger(c.Args[1].DataType())
}
func intDate(c *expr.Call) bool {
	return len(c.Args) == 2 && expr.IsInteger(c.Args[0].DataType()) && c.Args[1].DataType().ID() == arrow.DATE32
}
func dateDate(c *expr.Call) bool {
	return len(c.Args) == 2 && allArgs(c, func(t arrow.DataType) bool { return t.ID() == arrow.DATE32 })
}

// integralFields are the EXTRACT fields whose value is a whole number in both the gateway and
// the sources, mapped to their SQL keyword.
var integralFields = map[string]string{
	"year": "YEAR", "quarter": "QUARTER", "month": "MONTH", "day": "DAY", "hour": "HOUR", "minute": "MINUTE",
	"doy": "DOY", "dow": "DOW", "isodow": "ISODOW", "week": "WEEK", "isoyear": "ISOYEAR",
}

// mysqlFields are the EXTRACT fields MySQL computes like PostgreSQL (its WEEK and day-of-week
// numbering differ).
var mysqlFields = map[string]bool{"year": true, "quarter": true, "month": true, "day": true, "hour": true, "minute": true}

func extractKeyword(c *expr.Call) (string, bool) {
	if len(c.Args) != 2 {
		return "", false
	}
	field, ok := expr.ExtractField(c.Args[0])
	if !ok {
		return "", false
	}
	kw, ok := integralFields[field]
	return kw, ok
}

// ---- PostgreSQL ----

// Postgres returns the PostgreSQL dialect. The gateway's semantics follow PostgreSQL, so most
// operators push as they are; text ordering is forced bytewise with COLLATE "C".
func Postgres() *Dialect {
	return &Dialect{
		Name:        "postgres",
		Quote:       '"',
		Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
		BindParam: func(ph string, t arrow.DataType) (string, bool) {
			name, ok := pgParamType(t)
			if !ok {
				return "", false
			}
			return ph + "::" + name, true
		},
		PaddedParam:      func(ph string) string { return ph + "::bpchar" },
		TypeName:         pgTypeName,
		OrderCollate:     "C",
		NativeNullsOrder: true,
		DistinctFrom: func(a, b string, not bool) string {
			if not {
				return "(" + a + " IS NOT DISTINCT FROM " + b + ")"
			}
			return "(" + a + " IS DISTINCT FROM " + b + ")"
		},
		Like:         func(v, p, e string) string { return "(" + v + " LIKE " + p + " ESCAPE " + e + ")" },
		TextExprCaps: CapAll,
		Functions:    pgFunctions(),
		Aggregates:   map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true},
		AggFilter:    true,
		FullJoin:     true,
		LimitParam:   true,
	}
}

func pgTypeName(t arrow.DataType) (string, bool) {
	switch t.ID() {
	case arrow.BOOL:
		return "boolean", true
	case arrow.INT16:
		return "smallint", true
	case arrow.INT32:
		return "integer", true
	case arrow.INT64:
		return "bigint", true
	case arrow.FLOAT32:
		return "real", true
	case arrow.FLOAT64:
		return "double precision", true
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("numeric(%d,%d)", d.Precision, d.Scale), true
	case arrow.STRING:
		return "text", true
	case arrow.BINARY:
		return "bytea", true
	case arrow.DATE32:
		return "date", true
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).Unit != arrow.Microsecond {
			return "", false
		}
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "timestamptz", true
		}
		return "timestamp", true
	}
	return "", false
}

// pgParamType is the type a bound value is declared with: unconstrained numeric, so a value
// is never rounded by a typmod; a tinyint value travels as smallint.
func pgParamType(t arrow.DataType) (string, bool) {
	switch t.ID() {
	case arrow.INT8:
		return "smallint", true
	case arrow.DECIMAL128:
		return "numeric", true
	}
	return pgTypeName(t)
}

func pgFunctions() map[string]FuncRule {
	arith := func(op string, accept func(*expr.Call) bool) FuncRule {
		return FuncRule{Template: "({0} " + op + " {1})", Accept: nArgs(2, accept)}
	}
	return map[string]FuncRule{
		expr.FnAdd:      arith("+", anyOf(intArgs, floatArgs, exactDecimalArith, dateInt, intDate)),
		expr.FnSub:      arith("-", anyOf(intArgs, floatArgs, exactDecimalArith, dateInt, dateDate)),
		expr.FnMul:      arith("*", anyOf(intArgs, floatArgs, exactDecimalArith)),
		expr.FnDiv:      arith("/", anyOf(intArgs, floatArgs)),
		expr.FnMod:      arith("%", intArgs),
		expr.FnNeg:      {Template: "(- {0})", Accept: nArgs(1, anyOf(intArgs, floatArgs, decimalArgs))},
		expr.FnConcatOp: {Template: "({0} || {1})", Accept: nArgs(2, textArgs)},
		"concat":        {Template: "concat({*})", Accept: textArgs},
		"coalesce":      {Template: "COALESCE({*})"},
		"nullif":        {Template: "NULLIF({0}, {1})", Needs: CapCompare | CapValue},
		"length":        {Template: "char_length({0})", Accept: nArgs(1, textArgs)},
		"octet_length":  {Template: "octet_length({0})", Accept: nArgs(1, textArgs)},
		"strpos":        {Template: "strpos({0}, {1})", Accept: nArgs(2, textArgs), Needs: CapValue | CapLike},
		"starts_with":   {Template: "starts_with({0}, {1})", Accept: nArgs(2, textArgs), Needs: CapValue | CapLike},
		"replace":       {Template: "replace({0}, {1}, {2})", Accept: nArgs(3, textArgs), Needs: CapValue | CapLike},
		"trim":          {Template: "btrim({*})", Accept: textArgs},
		"ltrim":         {Template: "ltrim({*})", Accept: textArgs},
		"rtrim":         {Template: "rtrim({*})", Accept: textArgs},
		"md5":           {Template: "md5({0})", Accept: nArgs(1, textArgs)},
		"abs":           {Template: "abs({0})", Accept: nArgs(1, anyOf(intArgs, floatArgs, decimalArgs))},
		"round":         {Template: "round({*})", Accept: func(c *expr.Call) bool { return expr.IsDecimal(c.Args[0].DataType()) }},
		"trunc":         {Template: "trunc({*})", Accept: func(c *expr.Call) bool { return expr.IsDecimal(c.Args[0].DataType()) }},
		"floor":         {Template: "floor({0})", Accept: nArgs(1, decimalArgs)},
		"ceil":          {Template: "ceil({0})", Accept: nArgs(1, decimalArgs)},
		"date_trunc":    {Template: "date_trunc({0}, {1})", Accept: nArgs(2, nil)},
		"extract": {Render: func(c *expr.Call, arg func(int) (string, bool)) (string, bool) {
			kw, ok := extractKeyword(c)
			if !ok {
				return "", false
			}
			x, ok := arg(1)
			// EXTRACT returns numeric since PostgreSQL 14; integral fields fit bigint exactly.
			return "CAST(EXTRACT(" + kw + " FROM " + x + ") AS bigint)", ok
		}},
		"date_part": {Render: func(c *expr.Call, arg func(int) (string, bool)) (string, bool) {
			kw, ok := extractKeyword(c)
			if !ok {
				return "", false
			}
			x, ok := arg(1)
			return "CAST(EXTRACT(" + kw + " FROM " + x + ") AS double precision)", ok
		}},
	}
}

// ---- MySQL / MariaDB ----

// MySQL returns the MySQL/MariaDB dialect. MySQL differs from the gateway in many places
// (64-bit integer arithmetic, NULL on division by zero, collations that ignore case and
// trailing spaces), so far fewer operations push: integer arithmetic only on bigint, no
// division, text ordering only on binary no-pad collations, LIKE under utf8mb4_bin.
func MySQL() *Dialect {
	return &Dialect{
		Name:        "mysql",
		Quote:       '`',
		Placeholder: func(int) string { return "?" },
		BindParam: func(ph string, t arrow.DataType) (string, bool) {
			switch t.ID() {
			case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.BINARY:
				return ph, true
			case arrow.DECIMAL128, arrow.DATE32, arrow.TIMESTAMP:
				name, ok := mysqlTypeName(t)
				if !ok {
					return "", false
				}
				return "CAST(" + ph + " AS " + name + ")", true
			}
			return "", false
		},
		TypeName:     mysqlTypeName,
		DistinctFrom: mysqlDistinctFrom,
		// The column's own collation may ignore case; utf8mb4_bin matches code point by code
		// point and LIKE never pads, which is the gateway's LIKE.
		Like:            func(v, p, e string) string { return "(" + v + " COLLATE utf8mb4_bin LIKE " + p + " ESCAPE " + e + ")" },
		LikeLiteralOnly: true,
		TextExprCaps:    CapValue,
		Functions:       mysqlFunctions(),
		Aggregates:      map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true},
		LimitParam:      true,
	}
}

func mysqlDistinctFrom(a, b string, not bool) string {
	if not {
		return "(" + a + " <=> " + b + ")"
	}
	return "(NOT (" + a + " <=> " + b + "))"
}

func mysqlTypeName(t arrow.DataType) (string, bool) {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		// MySQL computes every integer as 64 bits; narrower results are range-checked when
		// decoded.
		return "SIGNED", true
	case arrow.FLOAT64:
		return "DOUBLE", true
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("DECIMAL(%d,%d)", d.Precision, d.Scale), true
	case arrow.STRING:
		return "CHAR CHARACTER SET utf8mb4", true
	case arrow.BINARY:
		return "BINARY", true
	case arrow.DATE32:
		return "DATE", true
	case arrow.TIMESTAMP:
		// Connections run with time_zone '+00:00', so DATETIME and TIMESTAMP values are UTC.
		return "DATETIME(6)", t.(*arrow.TimestampType).Unit == arrow.Microsecond
	}
	return "", false
}

func mysqlFunctions() map[string]FuncRule {
	// Integer arithmetic is exact only where the gateway also computes with 64 bits.
	bigints := func(c *expr.Call) bool { return allArgs(c, isInt64) }
	arith := func(op string) FuncRule {
		return FuncRule{Template: "({0} " + op + " {1})", Accept: nArgs(2, anyOf(bigints, exactDecimalArith))}
	}
	return map[string]FuncRule{
		expr.FnAdd:      arith("+"),
		expr.FnSub:      arith("-"),
		expr.FnMul:      arith("*"),
		expr.FnNeg:      {Template: "(- {0})", Accept: nArgs(1, anyOf(bigints, decimalArgs))},
		expr.FnConcatOp: {Template: "CONCAT({0}, {1})", Accept: nArgs(2, textArgs)},
		"coalesce":      {Template: "COALESCE({*})"},
		"nullif":        {Template: "NULLIF({0}, {1})", Needs: CapCompare | CapValue},
		"length":        {Template: "CHAR_LENGTH({0})", Accept: nArgs(1, textArgs)},
		"trim":          {Template: "TRIM({0})", Accept: nArgs(1, textArgs)},
		"ltrim":         {Template: "LTRIM({0})", Accept: nArgs(1, textArgs)},
		"rtrim":         {Template: "RTRIM({0})", Accept: nArgs(1, textArgs)},
		"abs":           {Template: "ABS({0})", Accept: nArgs(1, anyOf(bigints, decimalArgs))},
		"round":         {Template: "ROUND({0})", Accept: nArgs(1, decimalArgs)},
		"floor":         {Template: "FLOOR({0})", Accept: nArgs(1, decimalArgs)},
		"ceil":          {Template: "CEILING({0})", Accept: nArgs(1, decimalArgs)},
		"extract": {Render: func(c *expr.Call, arg func(int) (string, bool)) (string, bool) {
			field, ok := expr.ExtractField(c.Args[0])
			if !ok || !mysqlFields[field] {
				return "", false
			}
			x, ok := arg(1)
			return "EXTRACT(" + integralFields[field] + " FROM " + x + ")", ok
		}},
	}
}
