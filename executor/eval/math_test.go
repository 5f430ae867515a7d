package eval

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestMathFunctions(t *testing.T) {
	f1 := []arrow.DataType{f64}
	d103 := expr.Decimal(10, 3)
	bad := errs.KindInvalidArgument
	runCallCases(t, []callCase{
		{name: "abs int", fn: "abs", types: []arrow.DataType{i32}, rows: rows(row(int64(-5)), row(int64(5)), row(nil)), want: i64s(int64(5), int64(5), nil)},
		{name: "abs min", fn: "abs", types: []arrow.DataType{i64}, rows: rows(row(int64(math.MinInt64))), err: "bigint out of range", kind: bad},
		{name: "abs float", fn: "abs", types: f1, rows: rows(row(-1.5)), want: i64s(1.5)},
		{name: "sign", fn: "sign", types: []arrow.DataType{i32}, rows: rows(row(int64(-3)), row(int64(0)), row(int64(9))), want: i64s(int64(-1), int64(0), int64(1))},
		{name: "sign float NaN is 0", fn: "sign", types: f1, rows: rows(row(math.NaN()), row(-0.5)), want: i64s(0.0, -1.0)},
		{name: "sign decimal keeps scale", fn: "sign", types: []arrow.DataType{expr.Decimal(10, 2)},
			rows: rows(row(dec(t, "-2.5", 10, 2))), want: i64s(dec(t, "-1", 10, 2))},
		{name: "round float half even", fn: "round", types: f1, rows: rows(row(2.5), row(3.5), row(-2.5), row(math.Inf(1))),
			want: i64s(2.0, 4.0, -2.0, math.Inf(1))},
		{name: "round float digits", fn: "round", types: []arrow.DataType{f64, i32},
			rows: rows(row(2.675, int64(2)), row(1234.5678, int64(-2)), row(-0.5, int64(0)), row(9.995, int64(2)), row(0.1, int64(5)), row(5.0, int64(-1))),
			want: i64s(2.68, 1200.0, -1.0, 10.0, 0.1, 10.0)},
		{name: "trunc float", fn: "trunc", types: f1, rows: rows(row(2.99), row(-2.99)), want: i64s(2.0, -2.0)},
		{name: "trunc float digits", fn: "trunc", types: []arrow.DataType{f64, i32}, rows: rows(row(2.999, int64(2)), row(-2.999, int64(1))), want: i64s(2.99, -2.9)},
		{name: "round decimal", fn: "round", types: []arrow.DataType{d103},
			rows: rows(row(dec(t, "2.5", 10, 3)), row(dec(t, "-2.5", 10, 3)), row(dec(t, "2.499", 10, 3))),
			want: i64s(dec(t, "3", 8, 0), dec(t, "-3", 8, 0), dec(t, "2", 8, 0))},
		{name: "round decimal digits", fn: "round", types: []arrow.DataType{d103, i32},
			rows: rows(row(dec(t, "2.345", 10, 3), int64(2)), row(dec(t, "1234.567", 10, 3), int64(-2)), row(dec(t, "-1.005", 10, 3), int64(2)), row(dec(t, "1.5", 10, 3), int64(5))),
			want: i64s(dec(t, "2.350", 10, 3), dec(t, "1200.000", 10, 3), dec(t, "-1.010", 10, 3), dec(t, "1.500", 10, 3))},
		{name: "round decimal carries into one more digit", fn: "round", types: []arrow.DataType{expr.Decimal(3, 1), i32},
			rows: rows(row(dec(t, "99.9", 3, 1), int64(0))), want: i64s(dec(t, "100.0", 4, 1))},
		{name: "round decimal overflow", fn: "round", types: []arrow.DataType{expr.Decimal(38, 1), i32},
			rows: rows(row(dec(t, "9999999999999999999999999999999999999.9", 38, 1), int64(0))), err: "numeric field overflow", kind: bad},
		{name: "trunc decimal digits", fn: "trunc", types: []arrow.DataType{d103, i32}, rows: rows(row(dec(t, "-2.999", 10, 3), int64(2))), want: i64s(dec(t, "-2.990", 10, 3))},
		{name: "round int digits", fn: "round", types: []arrow.DataType{i32, i32},
			rows: rows(row(int64(15), int64(-1)), row(int64(-15), int64(-1)), row(int64(14), int64(-1)), row(int64(7), int64(2))),
			want: i64s(int64(20), int64(-20), int64(10), int64(7))},
		{name: "trunc int digits", fn: "trunc", types: []arrow.DataType{i32, i32}, rows: rows(row(int64(19), int64(-1))), want: i64s(int64(10))},
		{name: "round int overflow", fn: "round", types: []arrow.DataType{i16, i32}, rows: rows(row(int64(32767), int64(-1))), err: "smallint out of range", kind: bad},
		{name: "floor decimal", fn: "floor", types: []arrow.DataType{expr.Decimal(10, 1)},
			rows: rows(row(dec(t, "-1.5", 10, 1)), row(dec(t, "1.5", 10, 1)), row(dec(t, "2.0", 10, 1))), want: i64s(dec(t, "-2", 10, 0), dec(t, "1", 10, 0), dec(t, "2", 10, 0))},
		{name: "ceil decimal", fn: "ceil", types: []arrow.DataType{expr.Decimal(10, 1)},
			rows: rows(row(dec(t, "-1.5", 10, 1)), row(dec(t, "1.1", 10, 1))), want: i64s(dec(t, "-1", 10, 0), dec(t, "2", 10, 0))},
		{name: "floor float", fn: "floor", types: f1, rows: rows(row(-1.5)), want: i64s(-2.0)},
		{name: "ceil float", fn: "ceil", types: f1, rows: rows(row(-1.5)), want: i64s(-1.0)},
		{name: "sqrt", fn: "sqrt", types: f1, rows: rows(row(4.0), row(nil)), want: i64s(2.0, nil)},
		{name: "sqrt negative", fn: "sqrt", types: f1, rows: rows(row(-1.0)), err: "cannot take square root of a negative number", kind: bad},
		{name: "ln", fn: "ln", types: f1, rows: rows(row(math.E)), want: i64s(1.0)},
		{name: "ln zero", fn: "ln", types: f1, rows: rows(row(0.0)), err: "cannot take logarithm of zero", kind: bad},
		{name: "log negative", fn: "log10", types: f1, rows: rows(row(-1.0)), err: "cannot take logarithm of a negative number", kind: bad},
		{name: "log10", fn: "log10", types: f1, rows: rows(row(1000.0)), want: i64s(3.0)},
		{name: "exp", fn: "exp", types: f1, rows: rows(row(0.0), row(math.Inf(-1))), want: i64s(1.0, 0.0)},
		{name: "exp overflow", fn: "exp", types: f1, rows: rows(row(1000.0)), err: "overflow", kind: bad},
		{name: "exp underflow", fn: "exp", types: f1, rows: rows(row(-1000.0)), err: "underflow", kind: bad},
		{name: "cbrt", fn: "cbrt", types: f1, rows: rows(row(27.0)), want: i64s(3.0)},
		{name: "power", fn: "power", types: []arrow.DataType{f64, f64}, rows: rows(row(2.0, 10.0), row(math.NaN(), 0.0), row(-8.0, 3.0)), want: i64s(1024.0, 1.0, -512.0)},
		{name: "power zero negative", fn: "power", types: []arrow.DataType{f64, f64}, rows: rows(row(0.0, -1.0)), err: "zero raised to a negative power", kind: bad},
		{name: "power complex", fn: "power", types: []arrow.DataType{f64, f64}, rows: rows(row(-8.0, 0.5)), err: "complex result", kind: bad},
		{name: "power overflow", fn: "power", types: []arrow.DataType{f64, f64}, rows: rows(row(10.0, 400.0)), err: "overflow", kind: bad},
		{name: "greatest ignores NULL", fn: "greatest", types: []arrow.DataType{i32, i32, i32},
			rows: rows(row(int64(1), nil, int64(3)), row(nil, nil, nil), row(int64(5), int64(2), nil)), want: i64s(int64(3), nil, int64(5))},
		{name: "least", fn: "least", types: []arrow.DataType{str, str}, rows: rows(row("b", "a"), row(nil, "z")), want: i64s("a", "z")},
		{name: "greatest NaN", fn: "greatest", types: []arrow.DataType{f64, f64}, rows: rows(row(1.0, math.NaN())), want: i64s(math.NaN())},
		{name: "nullif", fn: "nullif", types: []arrow.DataType{i32, i32},
			rows: rows(row(int64(1), int64(1)), row(int64(1), int64(2)), row(nil, int64(1)), row(int64(3), nil)), want: i64s(nil, int64(1), nil, int64(3))},
		{name: "coalesce", fn: "coalesce", types: []arrow.DataType{i32, i32, i32},
			rows: rows(row(nil, int64(2), int64(3)), row(int64(1), nil, nil), row(nil, nil, nil), row(nil, nil, int64(4))), want: i64s(int64(2), int64(1), nil, int64(4))},
	})
}
