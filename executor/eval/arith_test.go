package eval

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func dec(t testing.TB, s string, p, sc int32) decimal128.Num {
	t.Helper()
	n, err := decimal128.FromString(s, p, sc)
	require.NoError(t, err)
	return n
}

func date(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func ts(y int, m time.Month, d, h, mi, s, us int) arrow.Timestamp {
	return arrow.Timestamp(time.Date(y, m, d, h, mi, s, us*1000, time.UTC).UnixMicro())
}

func iv(months, days int32, d time.Duration) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: int64(d)}
}

var (
	i16 = expr.Int16
	i32 = expr.Int32
	i64 = expr.Int64
	f64 = expr.Float64
	f32 = expr.Float32
	str = expr.String
)

func TestIntegerArithmetic(t *testing.T) {
	ii := []arrow.DataType{i32, i32}
	runCallCases(t, []callCase{
		{name: "add", fn: "+", types: ii, rows: rows(row(int64(1), int64(2)), row(nil, int64(2)), row(int64(-5), int64(3))),
			want: i64s(int64(3), nil, int64(-2))},
		{name: "add overflow", fn: "+", types: ii, rows: rows(row(int64(math.MaxInt32), int64(1))),
			err: "integer out of range", kind: errs.KindInvalidArgument},
		{name: "smallint overflow names smallint", fn: "-", types: []arrow.DataType{i16, i16},
			rows: rows(row(int64(math.MinInt16), int64(1))), err: "smallint out of range", kind: errs.KindInvalidArgument},
		{name: "bigint mul", fn: "*", types: []arrow.DataType{i64, i64},
			rows: rows(row(int64(3037000499), int64(3037000499)), row(int64(-4), int64(5))),
			want: i64s(int64(9223372030926249001), int64(-20))},
		{name: "bigint mul overflow", fn: "*", types: []arrow.DataType{i64, i64},
			rows: rows(row(int64(3037000500), int64(3037000500))), err: "bigint out of range", kind: errs.KindInvalidArgument},
		{name: "bigint mul min", fn: "*", types: []arrow.DataType{i64, i64},
			rows: rows(row(int64(-1), int64(math.MinInt64))), err: "bigint out of range", kind: errs.KindInvalidArgument},
		{name: "div truncates toward zero", fn: "/", types: ii,
			rows: rows(row(int64(7), int64(2)), row(int64(-7), int64(2)), row(int64(7), int64(-2)), row(nil, int64(0)), row(int64(5), nil)),
			want: i64s(int64(3), int64(-3), int64(-3), nil, nil)},
		{name: "div by zero", fn: "/", types: ii, rows: rows(row(int64(1), int64(0))), err: "division by zero", kind: errs.KindInvalidArgument},
		{name: "div min by -1", fn: "/", types: ii, rows: rows(row(int64(math.MinInt32), int64(-1))), err: "integer out of range", kind: errs.KindInvalidArgument},
		{name: "mod sign of dividend", fn: "%", types: ii,
			rows: rows(row(int64(7), int64(3)), row(int64(-7), int64(3)), row(int64(7), int64(-3)), row(int64(math.MinInt32), int64(-1))),
			want: i64s(int64(1), int64(-1), int64(1), int64(0))},
		{name: "mod function", fn: "mod", types: ii, rows: rows(row(int64(10), int64(4))), want: i64s(int64(2))},
		{name: "mod by zero", fn: "%", types: ii, rows: rows(row(int64(1), int64(0))), err: "division by zero", kind: errs.KindInvalidArgument},
		{name: "neg", fn: "neg", types: []arrow.DataType{i32}, rows: rows(row(int64(5)), row(nil)), want: i64s(int64(-5), nil)},
		{name: "neg min", fn: "neg", types: []arrow.DataType{i32}, rows: rows(row(int64(math.MinInt32))), err: "integer out of range", kind: errs.KindInvalidArgument},
		{name: "widening int16+int64", fn: "+", types: []arrow.DataType{i16, i64}, rows: rows(row(int64(1), int64(math.MaxInt64-1))),
			want: i64s(int64(math.MaxInt64))},
	})
}

func TestFloatArithmetic(t *testing.T) {
	ff := []arrow.DataType{f64, f64}
	runCallCases(t, []callCase{
		{name: "add", fn: "+", types: ff, rows: rows(row(1.5, 2.25), row(nil, 1.0), row(math.Inf(1), 1.0)), want: i64s(3.75, nil, math.Inf(1))},
		{name: "overflow", fn: "*", types: ff, rows: rows(row(1e308, 10.0)), err: "value out of range: overflow", kind: errs.KindInvalidArgument},
		{name: "underflow", fn: "*", types: ff, rows: rows(row(1e-300, 1e-300)), err: "value out of range: underflow", kind: errs.KindInvalidArgument},
		{name: "div", fn: "/", types: ff, rows: rows(row(1.0, 4.0), row(math.NaN(), 0.0)), want: i64s(0.25, math.NaN())},
		{name: "div by zero", fn: "/", types: ff, rows: rows(row(0.0, 0.0)), err: "division by zero", kind: errs.KindInvalidArgument},
		{name: "real", fn: "-", types: []arrow.DataType{f32, f32}, rows: rows(row(1.5, 0.25)), want: i64s(1.25)},
		{name: "mod", fn: "%", types: ff, rows: rows(row(7.5, 2.0), row(-7.5, 2.0)), want: i64s(1.5, -1.5)},
	})
}

func TestDecimalArithmetic(t *testing.T) {
	d152 := expr.Decimal(15, 2)
	d104 := expr.Decimal(10, 4)
	d380 := expr.Decimal(38, 0)
	d3810 := expr.Decimal(38, 10)
	runCallCases(t, []callCase{
		{name: "mul keeps scale s1+s2", fn: "*", types: []arrow.DataType{d152, d152},
			rows: rows(row(dec(t, "1.50", 15, 2), dec(t, "2.25", 15, 2)), row(dec(t, "-0.01", 15, 2), dec(t, "0.01", 15, 2)), row(nil, dec(t, "1", 15, 2))),
			want: i64s(dec(t, "3.3750", 31, 4), dec(t, "-0.0001", 31, 4), nil)},
		{name: "add rescales", fn: "+", types: []arrow.DataType{d152, d104},
			rows: rows(row(dec(t, "1.25", 15, 2), dec(t, "0.0001", 10, 4)), row(dec(t, "-1.25", 15, 2), dec(t, "1.2500", 10, 4))),
			want: i64s(dec(t, "1.2501", 18, 4), dec(t, "0", 18, 4))},
		{name: "sub", fn: "-", types: []arrow.DataType{d152, d152},
			rows: rows(row(dec(t, "1", 15, 2), dec(t, "0.05", 15, 2))), want: i64s(dec(t, "0.95", 16, 2))},
		{name: "div rounds half away", fn: "/", types: []arrow.DataType{d152, d152},
			rows: rows(row(dec(t, "1", 15, 2), dec(t, "3", 15, 2)), row(dec(t, "2", 15, 2), dec(t, "3", 15, 2)), row(dec(t, "-2", 15, 2), dec(t, "3", 15, 2))),
			want: i64s(dec(t, "0.333333333333333333", 33, 18), dec(t, "0.666666666666666667", 33, 18), dec(t, "-0.666666666666666667", 33, 18))},
		{name: "div by zero", fn: "/", types: []arrow.DataType{d152, d152},
			rows: rows(row(dec(t, "1", 15, 2), dec(t, "0", 15, 2))), err: "division by zero", kind: errs.KindInvalidArgument},
		{name: "mod", fn: "%", types: []arrow.DataType{d152, d152},
			rows: rows(row(dec(t, "7.5", 15, 2), dec(t, "2", 15, 2)), row(dec(t, "-7.5", 15, 2), dec(t, "2", 15, 2))),
			want: i64s(dec(t, "1.5", 15, 2), dec(t, "-1.5", 15, 2))},
		{name: "overflow", fn: "*", types: []arrow.DataType{d380, d380},
			rows: rows(row(dec(t, "100000000000000000000", 38, 0), dec(t, "100000000000000000000", 38, 0))),
			err:  "numeric field overflow", kind: errs.KindInvalidArgument},
		{name: "128-bit values", fn: "+", types: []arrow.DataType{d3810, d3810},
			rows: rows(row(dec(t, "1234567890123456789012345.1234567890", 38, 10), dec(t, "1", 38, 10))),
			want: i64s(dec(t, "1234567890123456789012346.1234567890", 38, 10))},
		{name: "128-bit mul", fn: "*", types: []arrow.DataType{d380, d152},
			rows: rows(row(dec(t, "12345678901234567890123", 38, 0), dec(t, "-2.50", 15, 2))),
			want: i64s(dec(t, "-30864197253086419725307.50", 38, 2))},
		{name: "128-bit div", fn: "/", types: []arrow.DataType{d3810, d152},
			rows: rows(row(dec(t, "1234567890123456789012345.1234567890", 38, 10), dec(t, "7", 15, 2))),
			want: i64s(dec(t, "176366841446208112716049.30335097", 38, 8))},
		{name: "int with decimal", fn: "*", types: []arrow.DataType{i32, d152},
			rows: rows(row(int64(3), dec(t, "1.10", 15, 2))), want: i64s(dec(t, "3.30", 26, 2))},
		{name: "neg and abs", fn: "abs", types: []arrow.DataType{d152}, rows: rows(row(dec(t, "-1.10", 15, 2))), want: i64s(dec(t, "1.10", 15, 2))},
	})
}

func TestTemporalArithmetic(t *testing.T) {
	dt := expr.Date
	runCallCases(t, []callCase{
		{name: "date plus days", fn: "+", types: []arrow.DataType{dt, i32},
			rows: rows(row(date(2024, 1, 31), int64(1)), row(date(2024, 3, 1), int64(-1))), want: i64s(date(2024, 2, 1), date(2024, 2, 29))},
		{name: "days plus date", fn: "+", types: []arrow.DataType{i32, dt}, rows: rows(row(int64(10), date(2024, 1, 1))), want: i64s(date(2024, 1, 11))},
		{name: "date minus date", fn: "-", types: []arrow.DataType{dt, dt},
			rows: rows(row(date(2024, 3, 1), date(2024, 2, 1))), want: i64s(int64(29))},
		{name: "date plus month clamps", fn: "+", types: []arrow.DataType{dt, expr.Interval},
			rows: rows(row(date(2024, 1, 31), iv(1, 0, 0)), row(date(2023, 1, 31), iv(1, 0, 0)), row(date(1998, 12, 1), iv(0, 90, 0))),
			want: i64s(date(2024, 2, 29), date(2023, 2, 28), date(1998, 12, 1)+90)},
		{name: "date minus interval", fn: "-", types: []arrow.DataType{dt, expr.Interval},
			rows: rows(row(date(1998, 12, 1), iv(0, 90, 0)), row(date(2024, 3, 31), iv(1, 0, 0))), want: i64s(date(1998, 9, 2), date(2024, 2, 29))},
		{name: "date plus time part", fn: "+", types: []arrow.DataType{dt, expr.Interval},
			rows: rows(row(date(2024, 1, 1), iv(0, 0, time.Hour))), err: "cast the date to timestamp", kind: errs.KindInvalidArgument},
		{name: "timestamp plus interval", fn: "+", types: []arrow.DataType{expr.Timestamp, expr.Interval},
			rows: rows(row(ts(2024, 1, 31, 10, 0, 0, 0), iv(1, 1, 90*time.Minute))), want: i64s(ts(2024, 3, 1, 11, 30, 0, 0))},
		{name: "timestamp minus timestamp justifies days", fn: "-", types: []arrow.DataType{expr.Timestamp, expr.Timestamp},
			rows: rows(row(ts(2024, 1, 2, 3, 0, 0, 0), ts(2024, 1, 1, 0, 0, 0, 0)), row(ts(2024, 1, 1, 0, 0, 0, 0), ts(2024, 1, 2, 3, 0, 0, 0))),
			want: i64s(iv(0, 1, 3*time.Hour), iv(0, -1, -3*time.Hour))},
		{name: "interval arithmetic", fn: "+", types: []arrow.DataType{expr.Interval, expr.Interval},
			rows: rows(row(iv(1, 2, time.Second), iv(-1, 3, time.Minute))), want: i64s(iv(0, 5, time.Minute+time.Second))},
		{name: "interval times int", fn: "*", types: []arrow.DataType{expr.Interval, i32},
			rows: rows(row(iv(1, 2, time.Second), int64(3))), want: i64s(iv(3, 6, 3*time.Second))},
		{name: "neg interval", fn: "neg", types: []arrow.DataType{expr.Interval}, rows: rows(row(iv(1, -2, time.Second))), want: i64s(iv(-1, 2, -time.Second))},
		{name: "date out of range", fn: "+", types: []arrow.DataType{dt, i32},
			rows: rows(row(date(2024, 1, 1), int64(math.MaxInt32))), err: "date out of range", kind: errs.KindInvalidArgument},
	})
}

// TestArithmeticSkipsNullRows checks that a NULL row whose slot holds a zero divisor or an
// overflowing value raises nothing.
func TestArithmeticSkipsNullRows(t *testing.T) {
	runCallCases(t, []callCase{
		{name: "int", fn: "/", types: []arrow.DataType{i32, i32}, rows: rows(row(int64(1), nil), row(nil, int64(0))), want: i64s(nil, nil)},
		{name: "decimal", fn: "/", types: []arrow.DataType{expr.Decimal(10, 2), expr.Decimal(10, 2)},
			rows: rows(row(dec(t, "1", 10, 2), nil)), want: i64s(nil)},
	})
}
