package eval

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

type castCase struct {
	from, to arrow.DataType
	in       []any
	want     []any
	err      string
}

// runCastCases checks each cast on a column, on a sliced column and folded per value. Error
// messages must name the column and must never contain the input text.
func runCastCases(t *testing.T, cases []castCase) {
	for _, tc := range cases {
		name := fmt.Sprintf("%s to %s %v", expr.SQLTypeName(tc.from), expr.SQLTypeName(tc.to), tc.in)
		t.Run(name, func(t *testing.T) {
			alloc := testutil.CheckedAllocator(t)
			e := &expr.Cast{Arg: ref(0, tc.from), Type: tc.to}
			for _, sliced := range []bool{false, true} {
				var col arrow.Array
				if sliced {
					col = slicedColumn(t, alloc, tc.from, tc.in[0], tc.in...)
				} else {
					col = column(t, alloc, tc.from, tc.in...)
				}
				rec := recordOf([]arrow.Array{col}, len(tc.in))
				got, err := evalExpr(t, alloc, e, rec)
				rec.Release()
				if tc.err != "" {
					require.Error(t, err)
					require.Contains(t, err.Error(), tc.err)
					require.Contains(t, err.Error(), `column "c0"`)
					for _, v := range tc.in {
						if s, ok := v.(string); ok && len(s) > 2 {
							require.NotContains(t, err.Error(), s, "error leaks the value")
						}
					}
					continue
				}
				require.NoError(t, err)
				require.Equal(t, normalize(tc.want), normalize(got))
			}
			if tc.err != "" {
				return
			}
			for i, v := range tc.in {
				l, err := expr.LiteralFromValue(tc.from, v)
				require.NoError(t, err)
				folded, err := FoldConstant(&expr.Cast{Arg: l, Type: tc.to})
				require.NoError(t, err)
				require.Equal(t, normalize(tc.want[i:i+1]), normalize([]any{folded.Value}))
			}
		})
	}
}

func TestCastNumeric(t *testing.T) {
	d102 := expr.Decimal(10, 2)
	runCastCases(t, []castCase{
		{from: i32, to: i16, in: i64s(int64(5), nil, int64(-32768)), want: i64s(int64(5), nil, int64(-32768))},
		{from: i32, to: i16, in: i64s(int64(40000)), err: "smallint out of range"},
		{from: i64, to: f64, in: i64s(int64(1) << 60), want: i64s(float64(int64(1) << 60))},
		{from: f64, to: i32, in: i64s(2.5, 3.5, -2.5, 2.4), want: i64s(int64(2), int64(4), int64(-2), int64(2))},
		{from: f64, to: i32, in: i64s(math.NaN()), err: "integer out of range"},
		{from: f64, to: i64, in: i64s(9.3e18), err: "bigint out of range"},
		{from: d102, to: i32, in: i64s(dec(t, "2.50", 10, 2), dec(t, "-2.50", 10, 2), dec(t, "2.49", 10, 2)), want: i64s(int64(3), int64(-3), int64(2))},
		{from: expr.Decimal(38, 0), to: i64, in: i64s(dec(t, "99999999999999999999", 38, 0)), err: "bigint out of range"},
		{from: f64, to: d102, in: i64s(0.1+0.2, 1.005, -1.005, 12345678.9), want: i64s(dec(t, "0.30", 10, 2), dec(t, "1.01", 10, 2), dec(t, "-1.01", 10, 2), dec(t, "12345678.90", 10, 2))},
		{from: f64, to: d102, in: i64s(1e10), err: "numeric field overflow"},
		{from: f64, to: d102, in: i64s(math.Inf(1)), err: "cannot convert NaN or infinity"},
		{from: expr.Decimal(10, 4), to: d102, in: i64s(dec(t, "1.2345", 10, 4), dec(t, "1.2350", 10, 4), dec(t, "-1.2350", 10, 4)),
			want: i64s(dec(t, "1.23", 10, 2), dec(t, "1.24", 10, 2), dec(t, "-1.24", 10, 2))},
		{from: d102, to: expr.Decimal(5, 2), in: i64s(dec(t, "12345678.90", 10, 2)), err: "numeric field overflow"},
		{from: i64, to: expr.Decimal(5, 2), in: i64s(int64(999), int64(-999)), want: i64s(dec(t, "999.00", 5, 2), dec(t, "-999.00", 5, 2))},
		{from: i64, to: expr.Decimal(5, 2), in: i64s(int64(1000)), err: "numeric field overflow"},
		{from: d102, to: f64, in: i64s(dec(t, "0.10", 10, 2), dec(t, "-123.45", 10, 2)), want: i64s(0.1, -123.45)},
		{from: f64, to: f32, in: i64s(1.5), want: i64s(1.5)},
		{from: f64, to: f32, in: i64s(1e300), err: "overflow"},
		{from: i32, to: expr.Bool, in: i64s(int64(0), int64(7), nil), want: i64s(false, true, nil)},
		{from: expr.Bool, to: i32, in: i64s(true, false), want: i64s(int64(1), int64(0))},
	})
}

func TestCastFromText(t *testing.T) {
	d102 := expr.Decimal(10, 2)
	runCastCases(t, []castCase{
		{from: str, to: i32, in: i64s(" 42 ", "-7", "+3", nil), want: i64s(int64(42), int64(-7), int64(3), nil)},
		{from: str, to: i32, in: i64s("4x2"), err: `invalid input syntax for type integer in CAST of column "c0"`},
		{from: str, to: i32, in: i64s("99999999999"), err: "value out of range for type integer"},
		{from: str, to: i64, in: i64s("-9223372036854775808"), want: i64s(int64(math.MinInt64))},
		{from: str, to: expr.Bool, in: i64s("t", "TRUE", "yes", "on", "1", "of", "n", " false "), want: i64s(true, true, true, true, true, false, false, false)},
		{from: str, to: expr.Bool, in: i64s("maybe"), err: "invalid input syntax for type boolean"},
		{from: str, to: f64, in: i64s("1.5", "NaN", "-Infinity", " 1e3"), want: i64s(1.5, math.NaN(), math.Inf(-1), 1000.0)},
		{from: str, to: f64, in: i64s("1e400"), err: "value out of range for type double precision"},
		{from: str, to: d102, in: i64s("1.005", "-1.005", "1e2", " 3 ", ".5", "0.004"),
			want: i64s(dec(t, "1.01", 10, 2), dec(t, "-1.01", 10, 2), dec(t, "100", 10, 2), dec(t, "3", 10, 2), dec(t, "0.5", 10, 2), dec(t, "0", 10, 2))},
		{from: str, to: d102, in: i64s("abc"), err: "invalid input syntax for type numeric"},
		{from: str, to: d102, in: i64s("123456789.00"), err: "numeric field overflow"},
		{from: str, to: expr.Date, in: i64s("1998-12-01", "19981201", "12/01/1998", "Dec 1, 1998", "1 December 1998", "1998-12-01 10:00:00", "0044-03-15 BC", "epoch"),
			want: i64s(date(1998, 12, 1), date(1998, 12, 1), date(1998, 12, 1), date(1998, 12, 1), date(1998, 12, 1), date(1998, 12, 1), date(-43, 3, 15), date(1970, 1, 1))},
		{from: str, to: expr.Date, in: i64s("2023-02-29"), err: "out of range for type date"},
		{from: str, to: expr.Date, in: i64s("yesterday-ish"), err: "invalid input syntax for type date"},
		{from: str, to: expr.Timestamp, in: i64s("2024-01-02 03:04:05.123456", "2024-01-02T03:04:05Z", "2024-01-02 03:04:05+02", "2024-01-02", "2024-01-02 03:04:05.1234565", "2024-01-02 03:04"),
			want: i64s(ts(2024, 1, 2, 3, 4, 5, 123456), ts(2024, 1, 2, 3, 4, 5, 0), ts(2024, 1, 2, 3, 4, 5, 0), ts(2024, 1, 2, 0, 0, 0, 0), ts(2024, 1, 2, 3, 4, 5, 123456), ts(2024, 1, 2, 3, 4, 0, 0))},
		{from: str, to: expr.TimestampTZ, in: i64s("2024-01-02 03:04:05+02", "2024-01-02 03:04:05", "2024-01-02 03:04:05-05:30"),
			want: i64s(ts(2024, 1, 2, 1, 4, 5, 0), ts(2024, 1, 2, 3, 4, 5, 0), ts(2024, 1, 2, 8, 34, 5, 0))},
		{from: str, to: expr.Timestamp, in: i64s("2024-01-02 25:00"), err: "out of range for type timestamp"},
		{from: str, to: expr.Interval, in: i64s("90 days", "1 year 2 months", "1 day 02:03:04.5", "1.5 days", "3", "-1 week ago", "1 mon -2 days", "P1Y2M3DT4H5M6S", "1.5 months", "2 hours 30 minutes", "@ 1 minute"),
			want: i64s(iv(0, 90, 0), iv(14, 0, 0), iv(0, 1, 2*time.Hour+3*time.Minute+4500*time.Millisecond), iv(0, 1, 12*time.Hour), iv(0, 0, 3*time.Second),
				iv(0, 7, 0), iv(1, -2, 0), iv(14, 3, 4*time.Hour+5*time.Minute+6*time.Second), iv(1, 15, 0), iv(0, 0, 150*time.Minute), iv(0, 0, time.Minute))},
		{from: str, to: expr.Interval, in: i64s("3 fortnights"), err: "invalid input syntax for type interval"},
		{from: str, to: expr.Binary, in: i64s(`\x0102`, `a\\b`, `\101`), want: i64s([]byte{1, 2}, []byte(`a\b`), []byte("A"))},
		{from: str, to: expr.Binary, in: i64s(`\x0`), err: "invalid input syntax for type bytea"},
	})
}

func TestCastToText(t *testing.T) {
	pointOne, pointTwo := 0.1, 0.2 // variables: constant arithmetic would be exact
	runCastCases(t, []castCase{
		{from: i32, to: str, in: i64s(int64(-42), nil), want: i64s("-42", nil)},
		{from: f64, to: str, in: i64s(1.5, 1e20, 0.0001, 1e-5, 123456789012345.0, 1e15, math.NaN(), math.Inf(1), pointOne+pointTwo, math.Copysign(0, -1)),
			want: i64s("1.5", "1e+20", "0.0001", "1e-05", "123456789012345", "1e+15", "NaN", "Infinity", "0.30000000000000004", "-0")},
		{from: f32, to: str, in: i64s(float64(float32(1.1)), 1234567.0, 123456.0), want: i64s("1.1", "1.234567e+06", "123456")},
		{from: expr.Decimal(10, 2), to: str, in: i64s(dec(t, "1.5", 10, 2), dec(t, "-0.05", 10, 2), dec(t, "0", 10, 2)), want: i64s("1.50", "-0.05", "0.00")},
		{from: expr.Decimal(38, 4), to: str, in: i64s(dec(t, "-12345678901234567890123.4567", 38, 4)), want: i64s("-12345678901234567890123.4567")},
		{from: expr.Date, to: str, in: i64s(date(1998, 12, 1), date(-43, 3, 15), date(12345, 1, 1)), want: i64s("1998-12-01", "0044-03-15 BC", "12345-01-01")},
		{from: expr.Timestamp, to: str, in: i64s(ts(2024, 1, 2, 3, 4, 5, 120000), ts(1969, 12, 31, 23, 59, 59, 1)), want: i64s("2024-01-02 03:04:05.12", "1969-12-31 23:59:59.000001")},
		{from: expr.TimestampTZ, to: str, in: i64s(ts(2024, 1, 2, 3, 4, 5, 0)), want: i64s("2024-01-02 03:04:05+00")},
		{from: expr.Interval, to: str, in: i64s(iv(14, 3, 4*time.Hour+5*time.Minute+6*time.Second), iv(0, -1, 2*time.Hour), iv(0, 0, 0), iv(1, 0, 0), iv(0, 0, -time.Second), iv(0, 0, 25*time.Hour+500*time.Millisecond)),
			want: i64s("1 year 2 mons 3 days 04:05:06", "-1 days +02:00:00", "00:00:00", "1 mon", "-00:00:01", "25:00:00.5")},
		{from: expr.Bool, to: str, in: i64s(true, false), want: i64s("true", "false")},
		{from: expr.Binary, to: str, in: i64s([]byte{1, 0xab}), want: i64s(`\x01ab`)},
	})
}

func TestCastTemporal(t *testing.T) {
	runCastCases(t, []castCase{
		{from: expr.Date, to: expr.Timestamp, in: i64s(date(1998, 12, 1)), want: i64s(ts(1998, 12, 1, 0, 0, 0, 0))},
		{from: expr.Timestamp, to: expr.Date, in: i64s(ts(1969, 12, 31, 23, 0, 0, 0), ts(2024, 1, 2, 3, 0, 0, 0)), want: i64s(date(1969, 12, 31), date(2024, 1, 2))},
		{from: expr.Timestamp, to: expr.TimestampTZ, in: i64s(ts(2024, 1, 2, 3, 0, 0, 0)), want: i64s(ts(2024, 1, 2, 3, 0, 0, 0))},
		{from: expr.Date, to: expr.Timestamp, in: i64s(arrow.Date32(math.MaxInt32)), err: "date out of range for timestamp"},
	})
}

func TestCastNotAllowed(t *testing.T) {
	_, err := Compile(&expr.Cast{Arg: ref(0, expr.Date), Type: i32}, layoutN(1))
	require.ErrorContains(t, err, "cannot cast type date to integer")
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
}
