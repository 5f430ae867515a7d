package eval

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Dates are days since 1970-01-01 and timestamps microseconds since 1970-01-01 00:00 UTC,
// proleptic Gregorian with astronomical years (year 0 is 1 BC). A timestamp with time zone is
// computed in the session zone, which is UTC, so both kinds share every kernel.

const (
	usPerSec  = int64(1_000_000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
)

// PostgreSQL's date range is 4713-11-24 BC to 5874897-12-31; timestamps start at the same day
// and end where microseconds since 1970 run out of int64 (late in year 294246, 30 years before
// PostgreSQL's end, whose epoch is 2000).
var (
	minDate      = daysFromCivil(-4713, 11, 24)
	maxDate      = daysFromCivil(5874897, 12, 31)
	minTimestamp = daysFromCivil(-4713, 11, 24) * usPerDay
	maxTimestamp = math.MaxInt64/usPerDay*usPerDay - 1
)

func errDateRange() error      { return errs.New(errs.KindInvalidArgument, "date out of range") }
func errTimestampRange() error { return errs.New(errs.KindInvalidArgument, "timestamp out of range") }
func errIntervalRange() error  { return errs.New(errs.KindInvalidArgument, "interval out of range") }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// civilFromDays converts days since the epoch to year, month, day (H. Hinnant's algorithm).
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civilFromDays.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era-- // floor division for BC years
	}
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// addMonths adds months to a day number, clamping the day of month as PostgreSQL does
// (2024-01-31 + 1 month = 2024-02-29).
func addMonths(days int64, months int64) int64 {
	if months == 0 {
		return days
	}
	y, m, d := civilFromDays(days)
	total := y*12 + int64(m-1) + months
	ny := floorDiv(total, 12)
	nm := int(total-ny*12) + 1
	if dim := daysInMonth(ny, nm); d > dim {
		d = dim
	}
	return daysFromCivil(ny, nm, d)
}

// splitTimestamp returns the day number and the microseconds into that day.
func splitTimestamp(ts int64) (days, us int64) {
	days = floorDiv(ts, usPerDay)
	return days, ts - days*usPerDay
}

// addInterval adds an interval to a timestamp: months (clamping the day), then days, then the
// time part, as PostgreSQL's timestamp + interval.
func addInterval(ts int64, iv arrow.MonthDayNanoInterval) (int64, error) {
	if iv.Months != 0 {
		days, us := splitTimestamp(ts)
		days = addMonths(days, int64(iv.Months))
		if days < minDate || days > maxTimestamp/usPerDay {
			return 0, errTimestampRange()
		}
		ts = days*usPerDay + us
	}
	// |Days| < 2^31 days is below 2^68 µs: check each step for int64 overflow.
	dayUs, ok1 := mulI64Signed(int64(iv.Days), usPerDay)
	ts, ok2 := addI64(ts, dayUs)
	ts, ok3 := addI64(ts, iv.Nanoseconds/1000)
	if !ok1 || !ok2 || !ok3 || ts < minTimestamp || ts > maxTimestamp {
		return 0, errTimestampRange()
	}
	return ts, nil
}

func negInterval(iv arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
	if iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Nanoseconds == math.MinInt64 {
		return iv, errIntervalRange()
	}
	return arrow.MonthDayNanoInterval{Months: -iv.Months, Days: -iv.Days, Nanoseconds: -iv.Nanoseconds}, nil
}

func ivOf(v any) arrow.MonthDayNanoInterval { return v.(arrow.MonthDayNanoInterval) }
func dateOf(v any) int32                    { return int32(v.(arrow.Date32)) }
func tsOf(v any) int64                      { return int64(v.(arrow.Timestamp)) }
func i32Of(v any) int32                     { return int32(v.(int64)) }
func i64Of(v any) int64                     { return v.(int64) }

func addIntervals(a, b arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
	m := int64(a.Months) + int64(b.Months)
	d := int64(a.Days) + int64(b.Days)
	ns := a.Nanoseconds + b.Nanoseconds
	if m != int64(int32(m)) || d != int64(int32(d)) || (a.Nanoseconds^ns)&(b.Nanoseconds^ns) < 0 {
		return a, errIntervalRange()
	}
	return arrow.MonthDayNanoInterval{Months: int32(m), Days: int32(d), Nanoseconds: ns}, nil
}

func mulInterval(a arrow.MonthDayNanoInterval, k int64) (arrow.MonthDayNanoInterval, error) {
	m, ok1 := mulI64(int64(a.Months), k)
	d, ok2 := mulI64(int64(a.Days), k)
	ns, ok3 := mulI64Signed(a.Nanoseconds, k)
	if !ok1 || !ok2 || !ok3 || m != int64(int32(m)) || d != int64(int32(d)) {
		return a, errIntervalRange()
	}
	return arrow.MonthDayNanoInterval{Months: int32(m), Days: int32(d), Nanoseconds: ns}, nil
}

// mulI64Signed multiplies two int64 with overflow detection.
func mulI64Signed(x, y int64) (int64, bool) {
	if x == 0 || y == 0 {
		return 0, true
	}
	r := x * y
	if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
		return 0, false
	}
	return r, true
}

// binaryFixed applies f to every valid row of two fixed-width operands (arrays or scalars).
// NULL rows are skipped so their arbitrary slot values never raise an error.
func binaryFixed[A, B, R any](rt arrow.DataType, ca func(any) A, cb func(any) B, f func(A, B) (R, error)) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		xs, xm := operand(args[0], ca)
		ys, ym := operand(args[1], cb)
		validity, nulls := andValidity(c.alloc, n, args[0], args[1])
		valid := bufBits(validity)
		buf, out := newFixed[R](c.alloc, n)
		var zero R
		for i := range out {
			if !valid.ok(i) {
				out[i] = zero
				continue
			}
			r, err := f(xs[i&xm], ys[i&ym])
			if err != nil {
				buf.Release()
				releaseBuf(validity)
				return vec{}, err
			}
			out[i] = r
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}
}

func errDateTimePart() error {
	return errs.New(errs.KindInvalidArgument,
		"adding an interval with a time part to a date gives a timestamp; cast the date to timestamp first")
}

func dateRange(d int64) (int32, error) {
	if d < minDate || d > maxDate {
		return 0, errDateRange()
	}
	return int32(d), nil
}

// temporalArith binds the date, timestamp and interval operators of the registry.
func temporalArith(op string, a, b, r arrow.DataType) (kernel, error) {
	ida, idb := a.ID(), b.ID()
	const (
		date = arrow.DATE32
		ts   = arrow.TIMESTAMP
		iv   = arrow.INTERVAL_MONTH_DAY_NANO
	)
	switch {
	case ida == date && idb == arrow.INT32 && (op == expr.FnAdd || op == expr.FnSub):
		sign := int64(1)
		if op == expr.FnSub {
			sign = -1
		}
		return binaryFixed(r, dateOf, i32Of, func(d, k int32) (int32, error) {
			return dateRange(int64(d) + sign*int64(k))
		}), nil
	case ida == arrow.INT32 && idb == date && op == expr.FnAdd:
		return binaryFixed(r, i32Of, dateOf, func(k, d int32) (int32, error) {
			return dateRange(int64(d) + int64(k))
		}), nil
	case ida == date && idb == date && op == expr.FnSub:
		return binaryFixed(r, dateOf, dateOf, func(x, y int32) (int32, error) {
			d := int64(x) - int64(y)
			if d != int64(int32(d)) {
				return 0, errIntRange(expr.Int32)
			}
			return int32(d), nil
		}), nil
	case ida == date && idb == iv && (op == expr.FnAdd || op == expr.FnSub):
		sub := op == expr.FnSub
		return binaryFixed(r, dateOf, ivOf, func(d int32, v arrow.MonthDayNanoInterval) (int32, error) {
			return dateAddInterval(d, v, sub)
		}), nil
	case ida == iv && idb == date && op == expr.FnAdd:
		return binaryFixed(r, ivOf, dateOf, func(v arrow.MonthDayNanoInterval, d int32) (int32, error) {
			return dateAddInterval(d, v, false)
		}), nil
	case ida == ts && idb == iv && (op == expr.FnAdd || op == expr.FnSub):
		sub := op == expr.FnSub
		return binaryFixed(r, tsOf, ivOf, func(t int64, v arrow.MonthDayNanoInterval) (int64, error) {
			if sub {
				var err error
				if v, err = negInterval(v); err != nil {
					return 0, err
				}
			}
			return addInterval(t, v)
		}), nil
	case ida == iv && idb == ts && op == expr.FnAdd:
		return binaryFixed(r, ivOf, tsOf, func(v arrow.MonthDayNanoInterval, t int64) (int64, error) {
			return addInterval(t, v)
		}), nil
	case ida == ts && idb == ts && op == expr.FnSub:
		// PostgreSQL justifies the difference into days and a time below 24 hours.
		return binaryFixed(r, tsOf, tsOf, func(x, y int64) (arrow.MonthDayNanoInterval, error) {
			d, ok := subI64(x, y)
			if !ok {
				return arrow.MonthDayNanoInterval{}, errIntervalRange()
			}
			days := d / usPerDay
			rest := d - days*usPerDay
			return arrow.MonthDayNanoInterval{Days: int32(days), Nanoseconds: rest * 1000}, nil
		}), nil
	case ida == iv && idb == iv && (op == expr.FnAdd || op == expr.FnSub):
		sub := op == expr.FnSub
		return binaryFixed(r, ivOf, ivOf, func(x, y arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
			if sub {
				var err error
				if y, err = negInterval(y); err != nil {
					return x, err
				}
			}
			return addIntervals(x, y)
		}), nil
	case ida == iv && idb == arrow.INT64 && op == expr.FnMul:
		return binaryFixed(r, ivOf, i64Of, mulInterval), nil
	case ida == arrow.INT64 && idb == iv && op == expr.FnMul:
		return binaryFixed(r, i64Of, ivOf, func(k int64, v arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
			return mulInterval(v, k)
		}), nil
	}
	return nil, errs.NotSupportedf("operator %s for %s and %s", op, expr.SQLTypeName(a), expr.SQLTypeName(b))
}

func subI64(x, y int64) (int64, bool) {
	r := x - y
	return r, (x^y)&(x^r) >= 0
}

// dateAddInterval adds (or subtracts) a day/month interval to a date; a time part is an error.
func dateAddInterval(d int32, v arrow.MonthDayNanoInterval, sub bool) (int32, error) {
	if v.Nanoseconds != 0 {
		return 0, errDateTimePart()
	}
	months, days := int64(v.Months), int64(v.Days)
	if sub {
		months, days = -months, -days
	}
	return dateRange(addMonths(int64(d), months) + days)
}

// ---- EXTRACT / date_part ----

// timeFields is a broken-down timestamp.
type timeFields struct {
	year       int64 // astronomical
	month, day int
	days       int64 // day number
	usOfDay    int64
	ts         int64 // microseconds since the epoch; unset for dates (it could overflow)
	isDate     bool
}

func fieldsOfTimestamp(ts int64) timeFields {
	days, us := splitTimestamp(ts)
	y, m, d := civilFromDays(days)
	return timeFields{year: y, month: m, day: d, days: days, usOfDay: us, ts: ts}
}

func fieldsOfDate(days int64) timeFields {
	y, m, d := civilFromDays(days)
	return timeFields{year: y, month: m, day: d, days: days, isDate: true}
}

// pgYear is the year as PostgreSQL shows it: there is no year 0, 1 BC is -1.
func pgYear(y int64) int64 {
	if y > 0 {
		return y
	}
	return y - 1
}

// dayOfWeek is 0 for Sunday.
func dayOfWeek(days int64) int64 { return floorMod(days+4, 7) }

// isoWeek returns the ISO 8601 year and week of a day number.
func isoWeek(days int64) (year int64, week int64) {
	isoDow := (dayOfWeek(days)+6)%7 + 1 // Monday = 1
	thursday := days + 4 - isoDow
	y, _, _ := civilFromDays(thursday)
	jan1 := daysFromCivil(y, 1, 1)
	return y, (thursday-jan1)/7 + 1
}

func decadeOf(y int64) int64 {
	if y > 0 {
		return y / 10
	}
	return -((8 - (y - 1)) / 10)
}

func centuryOf(y int64) int64 {
	if y > 0 {
		return (y + 99) / 100
	}
	return -((99 - (y - 1)) / 100)
}

func millenniumOf(y int64) int64 {
	if y > 0 {
		return (y + 999) / 1000
	}
	return -((999 - (y - 1)) / 1000)
}

// extractTimestamp computes an EXTRACT field; the bool result says whether it is fractional.
func extractTimestamp(field string, f timeFields) (float64, bool) {
	switch field {
	case "year":
		return float64(pgYear(f.year)), true
	case "quarter":
		return float64((f.month-1)/3 + 1), true
	case "month":
		return float64(f.month), true
	case "week":
		_, w := isoWeek(f.days)
		return float64(w), true
	case "day":
		return float64(f.day), true
	case "dow":
		return float64(dayOfWeek(f.days)), true
	case "isodow":
		d := dayOfWeek(f.days)
		if d == 0 {
			d = 7
		}
		return float64(d), true
	case "doy":
		return float64(f.days - daysFromCivil(f.year, 1, 1) + 1), true
	case "isoyear":
		y, _ := isoWeek(f.days)
		return float64(pgYear(y)), true
	case "decade":
		return float64(decadeOf(f.year)), true
	case "century":
		return float64(centuryOf(f.year)), true
	case "millennium":
		return float64(millenniumOf(f.year)), true
	case "hour":
		return float64(f.usOfDay / usPerHour), true
	case "minute":
		return float64(f.usOfDay % usPerHour / usPerMin), true
	case "second":
		return float64(f.usOfDay%usPerMin) / 1e6, true
	case "milliseconds":
		return float64(f.usOfDay%usPerMin) / 1e3, true
	case "microseconds":
		return float64(f.usOfDay % usPerMin), true
	case "epoch":
		if f.isDate {
			return float64(f.days) * 86400, true
		}
		return float64(f.ts) / 1e6, true
	}
	return 0, false
}

func extractInterval(field string, v arrow.MonthDayNanoInterval) (float64, bool) {
	us := v.Nanoseconds / 1000
	years := int64(v.Months) / 12
	switch field {
	case "year":
		return float64(years), true
	case "quarter":
		return float64(int64(v.Months)%12/3 + 1), true
	case "month":
		return float64(int64(v.Months) % 12), true
	case "day":
		return float64(v.Days), true
	case "decade":
		return float64(years / 10), true
	case "century":
		return float64(years / 100), true
	case "millennium":
		return float64(years / 1000), true
	case "hour":
		return float64(us / usPerHour), true
	case "minute":
		return float64(us % usPerHour / usPerMin), true
	case "second":
		return float64(us%usPerMin) / 1e6, true
	case "milliseconds":
		return float64(us%usPerMin) / 1e3, true
	case "microseconds":
		return float64(us % usPerMin), true
	case "epoch":
		return float64(us)/1e6 + 365.25*86400*float64(years) +
			30*86400*float64(int64(v.Months)%12) + 86400*float64(v.Days), true
	}
	return 0, false
}

var dateOnlyFields = map[string]bool{
	"year": true, "quarter": true, "month": true, "week": true, "day": true, "dow": true,
	"isodow": true, "doy": true, "isoyear": true, "decade": true, "century": true,
	"millennium": true, "epoch": true,
}

// extractKernel binds EXTRACT(field FROM t) (asFloat: date_part, always double precision).
func extractKernel(field string, t arrow.DataType, rt arrow.DataType, datePart bool) (kernel, error) {
	var get func(i int, vals any) float64
	switch t.ID() {
	case arrow.DATE32:
		if !datePart && !dateOnlyFields[field] {
			return nil, errs.New(errs.KindInvalidArgument, "unit %q not supported for type date", field)
		}
		if _, ok := extractTimestamp(field, timeFields{}); !ok {
			return nil, errs.New(errs.KindInvalidArgument, "unit %q not supported for type date", field)
		}
		get = func(i int, vals any) float64 {
			v, _ := extractTimestamp(field, fieldsOfDate(int64(vals.([]int32)[i])))
			return v
		}
	case arrow.TIMESTAMP:
		if _, ok := extractTimestamp(field, timeFields{}); !ok {
			return nil, errs.New(errs.KindInvalidArgument, "unit %q not supported for type %s", field, expr.SQLTypeName(t))
		}
		get = func(i int, vals any) float64 {
			v, _ := extractTimestamp(field, fieldsOfTimestamp(vals.([]int64)[i]))
			return v
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		if _, ok := extractInterval(field, arrow.MonthDayNanoInterval{}); !ok {
			return nil, errs.New(errs.KindInvalidArgument, "unit %q not supported for type interval", field)
		}
		get = func(i int, vals any) float64 {
			v, _ := extractInterval(field, vals.([]arrow.MonthDayNanoInterval)[i])
			return v
		}
	default:
		return nil, errs.NotSupportedf("EXTRACT from %s", expr.SQLTypeName(t))
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[1]
		var vals any
		switch t.ID() {
		case arrow.DATE32:
			vals = fixedValues[int32](a.arr)
		case arrow.TIMESTAMP:
			vals = fixedValues[int64](a.arr)
		default:
			vals = fixedValues[arrow.MonthDayNanoInterval](a.arr)
		}
		validity, nulls := andValidity(c.alloc, n, a)
		valid := bufBits(validity)
		if rt.ID() == arrow.FLOAT64 {
			buf, out := newFixed[float64](c.alloc, n)
			for i := range out {
				if valid.ok(i) {
					out[i] = get(i, vals)
				} else {
					out[i] = 0
				}
			}
			return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
		}
		buf, out := newFixed[int64](c.alloc, n)
		for i := range out {
			if valid.ok(i) {
				out[i] = int64(get(i, vals))
			} else {
				out[i] = 0
			}
		}
		return arrayVec(makeArray(rt, n, validity, nulls, buf)), nil
	}, nil
}

// ---- date_trunc ----

// truncTimestamp truncates a timestamp to unit in UTC, as PostgreSQL's date_trunc (weeks start
// on Monday; centuries and millennia start at years ending in 01).
func truncTimestamp(ts int64, unit string) int64 {
	switch unit {
	case "microseconds":
		return ts
	case "milliseconds":
		return floorDiv(ts, 1000) * 1000
	case "second":
		return floorDiv(ts, usPerSec) * usPerSec
	case "minute":
		return floorDiv(ts, usPerMin) * usPerMin
	case "hour":
		return floorDiv(ts, usPerHour) * usPerHour
	case "day":
		return floorDiv(ts, usPerDay) * usPerDay
	case "week":
		days := floorDiv(ts, usPerDay)
		return (days - floorMod(days+3, 7)) * usPerDay
	}
	days := floorDiv(ts, usPerDay)
	return truncDays(days, unit) * usPerDay
}

// truncDays truncates a day number to month, quarter, year, decade, century or millennium.
func truncDays(days int64, unit string) int64 {
	y, m, _ := civilFromDays(days)
	switch unit {
	case "month":
		return daysFromCivil(y, m, 1)
	case "quarter":
		return daysFromCivil(y, (m-1)/3*3+1, 1)
	case "year":
		return daysFromCivil(y, 1, 1)
	case "decade":
		if y > 0 {
			y = y / 10 * 10
		} else {
			y = -((8 - (y - 1)) / 10) * 10
		}
	case "century":
		if y > 0 {
			y = (y+99)/100*100 - 99
		} else {
			y = -((99-(y-1))/100)*100 + 1
		}
	case "millennium":
		if y > 0 {
			y = (y+999)/1000*1000 - 999
		} else {
			y = -((999-(y-1))/1000)*1000 + 1
		}
	case "week":
		return days - floorMod(days+3, 7)
	default:
		return days
	}
	return daysFromCivil(y, 1, 1)
}

func dateTruncKernel(unit string, t arrow.DataType) (kernel, error) {
	valid := false
	for _, u := range expr.DateTruncUnits {
		valid = valid || u == unit
	}
	if !valid || t.ID() != arrow.TIMESTAMP {
		return nil, errs.New(errs.KindInvalidArgument, "date_trunc: unit %q is not supported for %s", unit, expr.SQLTypeName(t))
	}
	trunc := unaryFixed(t, func(ts int64) (int64, error) {
		r := truncTimestamp(ts, unit)
		if r < minTimestamp {
			return 0, errTimestampRange()
		}
		return r, nil
	})
	// The unit is argument 0; the kernel works on the timestamp.
	return func(c *evalCtx, n int, args []vec) (vec, error) { return trunc(c, n, args[1:]) }, nil
}

// makeDateKernel is make_date(year, month, day); negative years are BC, as in PostgreSQL.
func makeDateKernel(c *evalCtx, n int, args []vec) (vec, error) {
	ys, ym := operand(args[0], i32Of)
	ms, mm := operand(args[1], i32Of)
	ds, dm := operand(args[2], i32Of)
	validity, nulls := andValidity(c.alloc, n, args...)
	valid := bufBits(validity)
	buf, out := newFixed[int32](c.alloc, n)
	for i := range out {
		out[i] = 0
		if !valid.ok(i) {
			continue
		}
		y, m, d := int64(ys[i&ym]), int(ms[i&mm]), int(ds[i&dm])
		if y < 0 {
			y++ // astronomical numbering: 1 BC is year 0
		}
		if ys[i&ym] == 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
			buf.Release()
			releaseBuf(validity)
			return vec{}, errs.New(errs.KindInvalidArgument, "date field value out of range in make_date")
		}
		v, err := dateRange(daysFromCivil(y, m, d))
		if err != nil {
			buf.Release()
			releaseBuf(validity)
			return vec{}, err
		}
		out[i] = v
	}
	return arrayVec(makeArray(expr.Date, n, validity, nulls, buf)), nil
}
