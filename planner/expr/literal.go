package expr

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Lit builds a literal of type t. The value must already be in canonical form (see Literal).
func Lit(t arrow.DataType, v any) *Literal { return &Literal{Type: t, Value: v} }

// NullOf returns a NULL literal of type t.
func NullOf(t arrow.DataType) *Literal { return &Literal{Type: t} }

func BoolLit(v bool) *Literal     { return &Literal{Type: Bool, Value: v} }
func Int64Lit(v int64) *Literal   { return &Literal{Type: Int64, Value: v} }
func Int32Lit(v int64) *Literal   { return &Literal{Type: Int32, Value: v} }
func FloatLit(v float64) *Literal { return &Literal{Type: Float64, Value: v} }
func StringLit(v string) *Literal { return &Literal{Type: String, Value: v} }
func DateLit(v arrow.Date32) *Literal {
	return &Literal{Type: Date, Value: v}
}

// FormatLiteral renders a literal as SQL text, the way EXPLAIN shows it.
func FormatLiteral(l *Literal) string {
	if l.Value == nil {
		if IsNull(l.Type) {
			return "NULL"
		}
		return "CAST(NULL AS " + SQLTypeName(l.Type) + ")"
	}
	switch v := l.Value.(type) {
	case bool:
		if v {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if l.Type.ID() == arrow.FLOAT32 {
			s = strconv.FormatFloat(v, 'g', -1, 32)
		}
		return "CAST(" + s + " AS " + SQLTypeName(l.Type) + ")"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case []byte:
		return "'\\x" + hex.EncodeToString(v) + "'::bytea"
	case decimal128.Num:
		return FormatDecimal(v, l.Type.(*arrow.Decimal128Type).Scale)
	case arrow.Date32:
		return "DATE '" + v.FormattedString() + "'"
	case arrow.Timestamp:
		return FormatTimestampLiteral(v, l.Type.(*arrow.TimestampType))
	case arrow.MonthDayNanoInterval:
		return "INTERVAL '" + FormatInterval(v) + "'"
	}
	return fmt.Sprintf("%v", l.Value)
}

// FormatDecimal renders n with the given scale as plain decimal text (no exponent).
func FormatDecimal(n decimal128.Num, scale int32) string {
	bi := n.BigInt()
	neg := bi.Sign() < 0
	s := new(big.Int).Abs(bi).String()
	if scale > 0 {
		if len(s) <= int(scale) {
			s = strings.Repeat("0", int(scale)-len(s)+1) + s
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// FormatTimestampLiteral renders a microsecond timestamp as a typed SQL literal.
func FormatTimestampLiteral(ts arrow.Timestamp, t *arrow.TimestampType) string {
	tm := time.UnixMicro(int64(ts)).UTC()
	if t.TimeZone != "" {
		return "TIMESTAMP WITH TIME ZONE '" + tm.Format("2006-01-02 15:04:05.999999Z07:00") + "'"
	}
	return "TIMESTAMP '" + tm.Format("2006-01-02 15:04:05.999999") + "'"
}

// FormatInterval renders an interval in PostgreSQL's verbose style ("1 year 2 mons 3 days").
func FormatInterval(v arrow.MonthDayNanoInterval) string {
	var parts []string
	if y, m := v.Months/12, v.Months%12; y != 0 || m != 0 {
		if y != 0 {
			parts = append(parts, fmt.Sprintf("%d year", y))
		}
		if m != 0 {
			parts = append(parts, fmt.Sprintf("%d mons", m))
		}
	}
	if v.Days != 0 {
		parts = append(parts, fmt.Sprintf("%d days", v.Days))
	}
	if v.Nanoseconds != 0 {
		parts = append(parts, (time.Duration(v.Nanoseconds)).String())
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
}
