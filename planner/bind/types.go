package bind

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/parse"
)

// defaultNumeric is the type of a bare `numeric` cast target: PostgreSQL's numeric has no
// fixed precision, Arrow's decimal does, so keep 38 digits with 9 after the point.
var defaultNumeric = expr.Decimal(38, 9)

// typeOf maps a SQL type name to an Arrow type. arg is the type of the value being cast, used
// to size a bare numeric.
func (b *blockBinder) typeOf(t parse.TypeName, arg arrow.DataType) (arrow.DataType, error) {
	if t.Array {
		return nil, b.notSupported(t.Pos, "array types (%s[])", t.Name)
	}
	switch t.Name {
	case parse.TypeSmallint:
		return expr.Int16, nil
	case parse.TypeInteger:
		return expr.Int32, nil
	case parse.TypeBigint:
		return expr.Int64, nil
	case parse.TypeReal:
		return expr.Float32, nil
	case parse.TypeDouble:
		return expr.Float64, nil
	case parse.TypeNumeric:
		switch len(t.Modifiers) {
		case 0:
			if arg != nil {
				if p, s, ok := expr.DecimalOf(arg); ok {
					return expr.Decimal(p, s), nil
				}
			}
			return defaultNumeric, nil
		case 1, 2:
			p, s := int32(t.Modifiers[0]), int32(0)
			if len(t.Modifiers) == 2 {
				s = int32(t.Modifiers[1])
			}
			if p < 1 || p > expr.MaxDecimalPrecision || s < 0 || s > p {
				return nil, b.invalid(t.Pos, "numeric(%d,%d) is out of range: precision must be 1..38 and scale 0..precision", p, s)
			}
			return expr.Decimal(p, s), nil
		}
	case parse.TypeVarchar, parse.TypeChar, parse.TypeText, parse.TypeUUID, parse.TypeJSON, parse.TypeJSONB, "name", "string":
		return expr.String, nil
	case parse.TypeBoolean:
		return expr.Bool, nil
	case parse.TypeDate:
		return expr.Date, nil
	case parse.TypeTimestamp, "datetime":
		return expr.Timestamp, nil
	case parse.TypeTimestampTZ:
		return expr.TimestampTZ, nil
	case parse.TypeInterval:
		return expr.Interval, nil
	case parse.TypeBytea:
		return expr.Binary, nil
	case "tinyint":
		return expr.Int8, nil
	}
	return nil, b.notSupported(t.Pos, "type %s", t.Name)
}

// integerLiteral types an integer constant as PostgreSQL does: integer when it fits, else
// bigint.
func integerLiteral(v int64) *expr.Literal {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		return expr.Int32Lit(v)
	}
	return expr.Int64Lit(v)
}

// numericLiteral types an exact numeric constant ("0.05", "1e-3", "12345678901234567890") as
// numeric(p,s) with exactly its digits, falling back to double precision beyond 38 digits.
func numericLiteral(text string) (*expr.Literal, error) {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return nil, fmt.Errorf("invalid numeric literal %q", text)
	}
	scale := int32(0)
	mant, exp := text, 0
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		mant = text[:i]
		e, err := strconv.Atoi(text[i+1:])
		if err != nil {
			return nil, fmt.Errorf("invalid numeric literal %q", text)
		}
		exp = e
	}
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = int32(len(mant) - i - 1)
	}
	scale -= int32(exp)
	if scale < 0 {
		scale = 0
	}
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !scaled.IsInt() {
		return nil, fmt.Errorf("invalid numeric literal %q", text)
	}
	n := scaled.Num()
	digits := int32(len(new(big.Int).Abs(n).String()))
	prec := max(digits, scale+1)
	if prec > expr.MaxDecimalPrecision {
		f, _ := r.Float64()
		return expr.FloatLit(f), nil
	}
	return expr.Lit(expr.Decimal(prec, scale), decimal128.FromBigInt(n)), nil
}

// intervalLiteral decodes interval '90' day, interval '3' month, interval '1 year 2 months',
// interval '2 days 03:00:00'.
func intervalLiteral(value, fields string) (arrow.MonthDayNanoInterval, error) {
	var iv arrow.MonthDayNanoInterval
	value = strings.TrimSpace(strings.ToLower(value))
	unitField := strings.Fields(fields)
	if len(unitField) > 0 {
		// `interval '90' day`: a bare number in the unit of the qualifier's leading field.
		if n, err := strconv.ParseFloat(value, 64); err == nil {
			return addInterval(iv, n, unitField[0])
		}
	}
	toks := strings.Fields(value)
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if strings.Contains(tok, ":") {
			d, err := parseClock(tok)
			if err != nil {
				return iv, err
			}
			iv.Nanoseconds += d.Nanoseconds()
			continue
		}
		n, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return iv, fmt.Errorf("invalid interval %q", value)
		}
		unit := ""
		if i+1 < len(toks) {
			unit = toks[i+1]
			i++
		} else if len(unitField) > 0 {
			unit = unitField[0]
		} else {
			unit = "second"
		}
		if iv, err = addInterval(iv, n, unit); err != nil {
			return iv, err
		}
	}
	return iv, nil
}

func parseClock(s string) (time.Duration, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("invalid interval time %q", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec := 0.0
	var err3 error
	if len(parts) == 3 {
		sec, err3 = strconv.ParseFloat(parts[2], 64)
	}
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, fmt.Errorf("invalid interval time %q", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second))
	if neg {
		d = -d
	}
	return d, nil
}

func addInterval(iv arrow.MonthDayNanoInterval, n float64, unit string) (arrow.MonthDayNanoInterval, error) {
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, ","), "s")
	whole := func() (int32, error) {
		if n != math.Trunc(n) {
			return 0, fmt.Errorf("fractional %ss are not supported in intervals", unit)
		}
		return int32(n), nil
	}
	switch unit {
	case "year", "yr", "y":
		v, err := whole()
		iv.Months += 12 * v
		return iv, err
	case "mon", "month", "mo":
		v, err := whole()
		iv.Months += v
		return iv, err
	case "week", "w":
		v, err := whole()
		iv.Days += 7 * v
		return iv, err
	case "day", "d":
		v, err := whole()
		iv.Days += v
		return iv, err
	case "hour", "hr", "h":
		iv.Nanoseconds += int64(n * float64(time.Hour))
	case "minute", "min", "m":
		iv.Nanoseconds += int64(n * float64(time.Minute))
	case "second", "sec", "":
		iv.Nanoseconds += int64(n * float64(time.Second))
	case "millisecond", "msec", "ms":
		iv.Nanoseconds += int64(n * float64(time.Millisecond))
	default:
		return iv, fmt.Errorf("unknown interval unit %q", unit)
	}
	return iv, nil
}
