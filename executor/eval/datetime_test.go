package eval

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestExtract(t *testing.T) {
	dt := []arrow.DataType{str, expr.Date}
	tt := []arrow.DataType{str, expr.Timestamp}
	it := []arrow.DataType{str, expr.Interval}
	leap := date(2024, 2, 29)
	ny := date(2021, 1, 1)
	field := func(f string, typ []arrow.DataType, in []any, want []any) callCase {
		var rs [][]any
		for _, v := range in {
			rs = append(rs, row(f, v))
		}
		return callCase{name: f + " " + expr.SQLTypeName(typ[1]), fn: "extract", types: typ, rows: rs, want: want, consts: []int{0}}
	}
	stamp := ts(2024, 1, 2, 3, 4, 5, 123456)
	ival := iv(14, 3, 4*time.Hour+5*time.Minute+6*time.Second)
	runCallCases(t, []callCase{
		field("year", dt, i64s(leap, nil, date(-43, 3, 15)), i64s(int64(2024), nil, int64(-44))),
		field("quarter", dt, i64s(leap), i64s(int64(1))),
		field("month", dt, i64s(leap), i64s(int64(2))),
		field("day", dt, i64s(leap), i64s(int64(29))),
		field("dow", dt, i64s(leap, ny, date(2024, 3, 3)), i64s(int64(4), int64(5), int64(0))),
		field("isodow", dt, i64s(date(2024, 3, 3)), i64s(int64(7))),
		field("doy", dt, i64s(leap), i64s(int64(60))),
		field("week", dt, i64s(leap, ny, date(2024, 12, 30)), i64s(int64(9), int64(53), int64(1))),
		field("isoyear", dt, i64s(ny, date(2024, 12, 30)), i64s(int64(2020), int64(2025))),
		field("decade", dt, i64s(leap), i64s(int64(202))),
		field("century", dt, i64s(leap, date(2000, 1, 1)), i64s(int64(21), int64(20))),
		field("millennium", dt, i64s(leap, date(2000, 1, 1)), i64s(int64(3), int64(2))),
		field("epoch", dt, i64s(date(1970, 1, 2)), i64s(86400.0)),
		field("hour", tt, i64s(stamp), i64s(int64(3))),
		field("minute", tt, i64s(stamp), i64s(int64(4))),
		field("second", tt, i64s(stamp), i64s(5.123456)),
		field("milliseconds", tt, i64s(stamp), i64s(5123.456)),
		field("microseconds", tt, i64s(stamp), i64s(int64(5123456))),
		field("epoch", tt, i64s(stamp), i64s(1704164645.123456)),
		field("year", tt, i64s(stamp), i64s(int64(2024))),
		field("year", it, i64s(ival), i64s(int64(1))),
		field("month", it, i64s(ival), i64s(int64(2))),
		field("day", it, i64s(ival), i64s(int64(3))),
		field("hour", it, i64s(ival), i64s(int64(4))),
		field("second", it, i64s(ival), i64s(6.0)),
		field("epoch", it, i64s(ival), i64s(37015506.0)),
		{name: "date_part", fn: "date_part", types: dt, rows: rows(row("year", leap)), want: i64s(2024.0), consts: []int{0}},
		{name: "date_part hour of date", fn: "date_part", types: dt, rows: rows(row("hour", leap)), want: i64s(0.0), consts: []int{0}},
	})
	_, err := expr.ResolveCall("extract", []expr.Expr{expr.StringLit("hour"), ref(0, expr.Date)})
	require.NoError(t, err)
	call, _ := expr.ResolveCall("extract", []expr.Expr{expr.StringLit("hour"), ref(0, expr.Date)})
	_, err = Compile(call, layoutN(1))
	require.ErrorContains(t, err, `unit "hour" not supported for type date`)
	call, _ = expr.ResolveCall("extract", []expr.Expr{expr.StringLit("dow"), ref(0, expr.Interval)})
	_, err = Compile(call, layoutN(1))
	require.ErrorContains(t, err, "not supported for type interval")
}

func TestDateTrunc(t *testing.T) {
	tt := []arrow.DataType{str, expr.Timestamp}
	at := ts(2024, 2, 29, 10, 11, 12, 345678)
	unit := func(u string, in, want arrow.Timestamp) callCase {
		return callCase{name: u, fn: "date_trunc", types: tt, rows: rows(row(u, in), row(u, nil)), want: i64s(want, nil), consts: []int{0}}
	}
	runCallCases(t, []callCase{
		unit("microseconds", at, at),
		unit("milliseconds", at, ts(2024, 2, 29, 10, 11, 12, 345000)),
		unit("second", ts(1969, 12, 31, 23, 59, 59, 500000), ts(1969, 12, 31, 23, 59, 59, 0)),
		unit("minute", at, ts(2024, 2, 29, 10, 11, 0, 0)),
		unit("hour", at, ts(2024, 2, 29, 10, 0, 0, 0)),
		unit("day", ts(1969, 12, 31, 23, 0, 0, 0), ts(1969, 12, 31, 0, 0, 0, 0)),
		unit("week", at, ts(2024, 2, 26, 0, 0, 0, 0)),
		unit("month", at, ts(2024, 2, 1, 0, 0, 0, 0)),
		unit("quarter", ts(2024, 8, 15, 0, 0, 0, 0), ts(2024, 7, 1, 0, 0, 0, 0)),
		unit("year", at, ts(2024, 1, 1, 0, 0, 0, 0)),
		unit("decade", at, ts(2020, 1, 1, 0, 0, 0, 0)),
		unit("century", at, ts(2001, 1, 1, 0, 0, 0, 0)),
		unit("millennium", at, ts(2001, 1, 1, 0, 0, 0, 0)),
		{name: "timestamptz keeps type", fn: "date_trunc", types: []arrow.DataType{str, expr.TimestampTZ}, rows: rows(row("day", at)),
			want: i64s(ts(2024, 2, 29, 0, 0, 0, 0)), consts: []int{0}},
		{name: "date becomes timestamp", fn: "date_trunc", types: []arrow.DataType{str, expr.Date}, rows: rows(row("month", date(2024, 2, 29))),
			want: i64s(ts(2024, 2, 1, 0, 0, 0, 0)), consts: []int{0}},
		{name: "make_date", fn: "make_date", types: []arrow.DataType{i32, i32, i32},
			rows: rows(row(int64(2024), int64(2), int64(29)), row(int64(-44), int64(3), int64(15)), row(nil, int64(1), int64(1))),
			want: i64s(date(2024, 2, 29), date(-43, 3, 15), nil)},
		{name: "make_date invalid", fn: "make_date", types: []arrow.DataType{i32, i32, i32}, rows: rows(row(int64(2023), int64(2), int64(29))),
			err: "date field value out of range", kind: errs.KindInvalidArgument},
	})
}

func TestToChar(t *testing.T) {
	d := date(2024, 2, 9)
	stamp := ts(2024, 2, 9, 15, 4, 5, 123456)
	df := func(f string, typ arrow.DataType, v any, want string) callCase {
		return callCase{name: f, fn: "to_char", types: []arrow.DataType{typ, str}, rows: rows(row(v, f), row(nil, f)), want: i64s(want, nil), consts: []int{1}}
	}
	num := func(v any, typ arrow.DataType, f, want string) callCase {
		return callCase{name: f + " " + want, fn: "to_char", types: []arrow.DataType{typ, str}, rows: rows(row(v, f)), want: i64s(want), consts: []int{1}}
	}
	runCallCases(t, []callCase{
		df("YYYY-MM-DD", expr.Date, d, "2024-02-09"),
		df("DD Mon YYYY", expr.Date, d, "09 Feb 2024"),
		df("FMDD Month YYYY", expr.Date, d, "9 February  2024"), // FM applies to the next pattern only
		df("FMDD FMMonth YYYY", expr.Date, d, "9 February 2024"),
		df("Day|DY|dy", expr.Date, d, "Friday   |FRI|fri"),
		df("FMDay, DDth", expr.Date, d, "Friday, 09th"),
		df("FMDDTH MONTH", expr.Date, date(2024, 2, 22), "22ND FEBRUARY "),
		df("Q WW IW D ID DDD J", expr.Date, d, "1 06 06 6 5 040 2460350"),
		df(`"Quarter" Q`, expr.Date, d, "Quarter 1"),
		df("RM|FMrm", expr.Date, d, "II  |ii"),
		df("YYYY BC", expr.Date, date(-43, 3, 15), "0044 BC"),
		df("Y,YYY YYY YY Y CC", expr.Date, d, "2,024 024 24 4 21"),
		df("HH24:MI:SS.US", expr.Timestamp, stamp, "15:04:05.123456"),
		df("HH12 AM|HH:MI am|a.m.", expr.Timestamp, stamp, "03 PM|03:04 pm|p.m."),
		df("MS SSSS FF3", expr.Timestamp, stamp, "123 54245 123"),
		df("YYYY-MM-DD HH24:MI:SS TZ OF", expr.TimestampTZ, stamp, "2024-02-09 15:04:05 UTC +00"),
		df("hh24:mi", expr.Timestamp, stamp, "15:04"),
		num(int64(1485), i32, "9,999", " 1,485"),
		num(int64(-485), i32, "999", "-485"),
		num(int64(5), i32, "999", "   5"),
		num(int64(-5), i32, "999", "  -5"),
		num(int64(5), i32, "009", " 005"),
		num(0.5, f64, "9.99", "  .50"),
		num(-0.1, f64, "99.99", "  -.10"),
		num(-0.1, f64, "FM9.99", "-.1"),
		num(-0.1, f64, "FM90.99", "-0.1"),
		num(0.1, f64, "0.9", " 0.1"),
		num(int64(12), i32, "9990999.9", "    0012.0"),
		num(int64(12), i32, "FM9990999.9", "0012."),
		num(148.5, f64, "999.999", " 148.500"),
		num(148.5, f64, "FM999.999", "148.5"),
		num(148.5, f64, "FM999.990", "148.50"),
		num(int64(12345), i32, "999", " ###"),
		num(int64(0), i32, "999", "   0"),
		num(int64(0), i32, "FM9.99", "0."),
		num(int64(485), i32, `"Good number:"999`, "Good number: 485"),
		num(int64(123), i32, "9,999", "   123"),
		num(dec(t, "1234.565", 10, 3), expr.Decimal(10, 3), "9999.99", " 1234.57"),
		num(dec(t, "-1234.565", 10, 3), expr.Decimal(10, 3), "FM9G999D99", "-1,234.57"),
	})
	call, err := expr.ResolveCall("to_char", []expr.Expr{ref(0, i32), expr.StringLit("S999")})
	require.NoError(t, err)
	_, err = Compile(call, layoutN(1))
	require.ErrorContains(t, err, "not supported yet: to_char numeric pattern S")
	require.Equal(t, errs.KindNotSupported, errs.KindOf(err))
}

// TestCivilCalendar checks the day-number conversions against the time package over ±20000
// years, and text round trips of dates and timestamps through PostgreSQL's formats.
func TestCivilCalendar(t *testing.T) {
	for days := int64(-7_400_000); days <= 7_400_000; days += 997 {
		tm := time.Unix(days*86400, 0).UTC()
		y, m, d := civilFromDays(days)
		require.Equal(t, [3]int64{int64(tm.Year()), int64(tm.Month()), int64(tm.Day())}, [3]int64{y, int64(m), int64(d)}, "day %d", days)
		require.Equal(t, days, daysFromCivil(y, m, d))
		if days >= minDate && days <= maxDate {
			txt := string(appendDate(nil, days))
			back, e := parseDate(txt)
			require.Equal(t, parseOK, e, txt)
			require.Equal(t, int32(days), back, txt)
		}
		if days >= minDate && days <= maxTimestamp/usPerDay-1 {
			ts := days*usPerDay + 3723_000_001
			txt := string(appendTimestamp(nil, ts, true))
			back, e := parseTimestamp(txt, true)
			require.Equal(t, parseOK, e, txt)
			require.Equal(t, ts, back, txt)
		}
	}
}
