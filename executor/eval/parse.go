package eval

import (
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Parsers for PostgreSQL's text input formats. They report failure as a parseErr kind so the
// caller can build a message that names the column but never the value.

type parseErr int

const (
	parseOK parseErr = iota
	parseSyntax
	parseRange
	parseNotRepresentable
)

// trimSpace removes the whitespace PostgreSQL's input functions skip.
func trimSpace(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// parseInt reads an optionally signed decimal integer of the given bit size.
func parseInt(s string, bitSize int) (int64, parseErr) {
	s = trimSpace(s)
	if s == "" {
		return 0, parseSyntax
	}
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) {
		return 0, parseSyntax
	}
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, parseSyntax
		}
		if v > (math.MaxUint64-9)/10 {
			overflow = true
			continue
		}
		v = v*10 + uint64(c-'0')
	}
	limit := uint64(1) << (bitSize - 1)
	if overflow || (!neg && v >= limit) || (neg && v > limit) {
		return 0, parseRange
	}
	if neg {
		return -int64(v), parseOK
	}
	return int64(v), parseOK
}

// parseFloat reads a float in PostgreSQL's float8in syntax (NaN, Infinity, exponents).
func parseFloat(s string, bitSize int) (float64, parseErr) {
	s = trimSpace(s)
	if s == "" || strings.ContainsAny(s, "xX_") {
		return 0, parseSyntax
	}
	f, err := strconv.ParseFloat(s, bitSize)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, parseRange
		}
		return 0, parseSyntax
	}
	return f, parseOK
}

// parseBool accepts PostgreSQL's boolean spellings: unique prefixes of true/false/yes/no,
// on/off (at least two letters), 1 and 0, case-insensitively.
func parseBool(s string) (bool, parseErr) {
	s = strings.ToLower(trimSpace(s))
	if s == "" {
		return false, parseSyntax
	}
	switch {
	case strings.HasPrefix("true", s), strings.HasPrefix("yes", s), s == "1":
		return true, parseOK
	case strings.HasPrefix("false", s), strings.HasPrefix("no", s), s == "0":
		return false, parseOK
	case len(s) >= 2 && strings.HasPrefix("on", s):
		return true, parseOK
	case len(s) >= 2 && strings.HasPrefix("off", s):
		return false, parseOK
	}
	return false, parseSyntax
}

// parseDecimal reads a numeric literal ([sign] digits [. digits] [e [sign] digits]) and rounds
// it half away from zero to scale, checking precision.
func parseDecimal(s string, precision, scale int32) (decNum, parseErr) {
	s = trimSpace(s)
	if s == "" {
		return decNum{}, parseSyntax
	}
	switch strings.ToLower(s) {
	case "nan", "infinity", "+infinity", "-infinity", "inf", "+inf", "-inf":
		return decNum{}, parseNotRepresentable
	}
	neg := false
	i := 0
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i = 1
	}
	var digits []byte
	fracDigits := 0
	seenDigit, seenPoint := false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			if len(digits) > 0 || c != '0' {
				digits = append(digits, c)
			}
			if seenPoint {
				fracDigits++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			goto exponent
		}
	}
exponent:
	if !seenDigit {
		return decNum{}, parseSyntax
	}
	exp := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return decNum{}, parseSyntax
		}
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || strings.HasPrefix(s[i+1:], "+") && len(s) == i+2 {
			return decNum{}, parseSyntax
		}
		if e > 1000 || e < -1000 {
			if len(digits) == 0 {
				return decNum{}, parseOK
			}
			if e > 0 {
				return decNum{}, parseRange
			}
			return decNum{}, parseOK
		}
		exp = e
	}
	// value = digits × 10^(exp - fracDigits); we need it × 10^scale.
	shift := int(scale) + exp - fracDigits
	return digitsToDecimal(digits, shift, neg, precision)
}

// digitsToDecimal returns ±digits × 10^shift rounded half away from zero to an integer,
// checking it has at most precision digits.
func digitsToDecimal(digits []byte, shift int, neg bool, precision int32) (decNum, parseErr) {
	roundUp := false
	if shift < 0 {
		keep := len(digits) + shift
		if keep < 0 {
			return decNum{}, parseOK
		}
		roundUp = keep < len(digits) && digits[keep] >= '5'
		digits = digits[:keep]
		shift = 0
	}
	if len(digits)+shift > int(precision) {
		// Leading zeros were dropped, so this many digits cannot fit (rounding up can only
		// add one).
		return decNum{}, parseRange
	}
	var m u128
	for _, c := range digits {
		m, _ = mulU128By64(m, 10)
		m, _ = addU128(m, u128{0, uint64(c - '0')})
	}
	for k := 0; k < shift; k++ {
		m, _ = mulU128By64(m, 10)
	}
	if roundUp {
		m, _ = addU128(m, u128{0, 1})
	}
	if !m.fitsPrecision(precision) {
		return decNum{}, parseRange
	}
	return m.signed(neg), parseOK
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// monthByName matches a full month name or its three-letter (or longer) abbreviation.
func monthByName(s string) int {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if len(s) < 3 {
		return 0
	}
	for i, m := range monthNames {
		if strings.HasPrefix(m, s) {
			return i + 1
		}
	}
	return 0
}

func atoiDigits(s string) (int64, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, true
}

// parseDatePart reads the date of a date or timestamp literal and returns the rest of the
// text: ISO YYYY-MM-DD (any number of year digits), YYYYMMDD, MM/DD/YYYY (DateStyle MDY),
// "Mon DD[,] YYYY", "DD Mon YYYY" and YYYY-Mon-DD, with an optional trailing " BC".
func parseDatePart(s string) (days int64, rest string, e parseErr) {
	var y int64
	var m, d int
	ok := false
	// ISO fast path.
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		yy, ok1 := atoiDigits(s[:4])
		mm, ok2 := atoiDigits(s[5:7])
		dd, ok3 := atoiDigits(s[8:10])
		if ok1 && ok2 && ok3 {
			y, m, d, ok, rest = yy, int(mm), int(dd), true, s[10:]
		}
	}
	if !ok {
		field := s
		rest = ""
		if k := strings.IndexByte(s, ' '); k >= 0 {
			field, rest = s[:k], s[k:]
		}
		if k := strings.IndexAny(field, "Tt"); k > 0 && field[k-1] >= '0' && field[k-1] <= '9' {
			field, rest = field[:k], field[k:]+rest
		}
		switch {
		case strings.Count(field, "-") == 2:
			parts := strings.Split(field, "-")
			yy, ok1 := atoiDigits(parts[0])
			dd, ok3 := atoiDigits(parts[2])
			mm, ok2 := atoiDigits(parts[1])
			if !ok2 {
				mm, ok2 = int64(monthByName(parts[1])), monthByName(parts[1]) > 0
			}
			y, m, d, ok = yy, int(mm), int(dd), ok1 && ok2 && ok3
		case strings.Count(field, "/") == 2:
			parts := strings.Split(field, "/")
			mm, ok1 := atoiDigits(parts[0])
			dd, ok2 := atoiDigits(parts[1])
			yy, ok3 := atoiDigits(parts[2])
			y, m, d, ok = yy, int(mm), int(dd), ok1 && ok2 && ok3 && len(parts[2]) >= 3
		case len(field) == 8:
			v, ok1 := atoiDigits(field)
			y, m, d, ok = v/10000, int(v/100%100), int(v%100), ok1
		default:
			// Month names: "Jan 2 2024", "January 2, 2024", "2 Jan 2024".
			words := strings.Fields(strings.ReplaceAll(s, ",", " "))
			if len(words) >= 3 {
				if mm := monthByName(words[0]); mm > 0 {
					dd, ok1 := atoiDigits(words[1])
					yy, ok2 := atoiDigits(words[2])
					y, m, d, ok = yy, mm, int(dd), ok1 && ok2
				} else if mm := monthByName(words[1]); mm > 0 {
					dd, ok1 := atoiDigits(words[0])
					yy, ok2 := atoiDigits(words[2])
					y, m, d, ok = yy, mm, int(dd), ok1 && ok2
				}
				rest = " " + strings.Join(words[3:], " ")
			}
		}
	}
	if !ok {
		return 0, "", parseSyntax
	}
	if y == 0 {
		return 0, "", parseRange // there is no year 0
	}
	if t := strings.TrimRight(rest, " "); strings.HasSuffix(strings.ToUpper(t), " BC") || strings.EqualFold(t, "BC") {
		rest = strings.TrimSuffix(strings.TrimSuffix(t, "BC"), "bc")
		y = 1 - y
	}
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, "", parseRange
	}
	return daysFromCivil(y, m, d), rest, parseOK
}

// parseDate reads a date; a time part after the date is accepted and ignored, as PostgreSQL
// does.
func parseDate(s string) (int32, parseErr) {
	if d, ok := parseISODate(s); ok {
		return d, parseOK
	}
	s = trimSpace(s)
	switch strings.ToLower(s) {
	case "epoch":
		return 0, parseOK
	case "infinity", "-infinity", "today", "now", "tomorrow", "yesterday":
		return 0, parseNotRepresentable
	}
	days, rest, e := parseDatePart(s)
	if e != parseOK {
		return 0, e
	}
	if rest != "" {
		if _, _, e := parseTimePart(rest); e != parseOK {
			return 0, e
		}
	}
	if days < minDate || days > maxDate {
		return 0, parseRange
	}
	return int32(days), parseOK
}

// parseISODate is the fast path for exactly "YYYY-MM-DD", the form data files carry.
func parseISODate(s string) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	// Bytes below '0' wrap around to large values, so one comparison checks each digit.
	y0, y1, y2, y3 := s[0]-'0', s[1]-'0', s[2]-'0', s[3]-'0'
	m0, m1, d0, d1 := s[5]-'0', s[6]-'0', s[8]-'0', s[9]-'0'
	if max(y0, y1, y2, y3, m0, m1, d0, d1) > 9 {
		return 0, false
	}
	y := int64(y0)*1000 + int64(y1)*100 + int64(y2)*10 + int64(y3)
	m, d := int(m0)*10+int(m1), int(d0)*10+int(d1)
	if y == 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, false // let the general parser report it
	}
	return int32(daysFromCivil(y, m, d)), true
}

// parseTimePart reads "[ |T]HH:MM[:SS[.ffffff]] [zone]" and returns microseconds into the day
// and the zone offset in seconds (zero when absent).
func parseTimePart(s string) (us int64, offset int64, e parseErr) {
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "T") || strings.HasPrefix(s, "t") {
		s = s[1:]
	}
	if s == "" {
		return 0, 0, parseOK
	}
	// Split off the zone: Z, UTC, GMT or a numeric offset.
	zone := ""
	if k := strings.IndexAny(s, "+-Zz "); k >= 0 {
		zone, s = strings.TrimSpace(s[k:]), s[:k]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, parseSyntax
	}
	h, ok1 := atoiDigits(parts[0])
	mi, ok2 := atoiDigits(parts[1])
	if !ok1 || !ok2 || len(parts[1]) != 2 {
		return 0, 0, parseSyntax
	}
	var sec, frac int64
	if len(parts) == 3 {
		whole, fr, hasFrac := strings.Cut(parts[2], ".")
		var ok bool
		if sec, ok = atoiDigits(whole); !ok || len(whole) != 2 {
			return 0, 0, parseSyntax
		}
		if hasFrac {
			if frac, ok = parseMicros(fr); !ok {
				return 0, 0, parseSyntax
			}
		}
	}
	if mi > 59 || sec > 60 || h > 24 || (h == 24 && (mi != 0 || sec != 0 || frac != 0)) {
		return 0, 0, parseRange
	}
	us = h*usPerHour + mi*usPerMin + sec*usPerSec + frac
	offset, e = parseZone(zone)
	return us, offset, e
}

// parseMicros reads fractional-second digits as microseconds, rounding half to even past six
// digits (PostgreSQL uses rint).
func parseMicros(fr string) (int64, bool) {
	if fr == "" {
		return 0, true
	}
	var v int64
	for i := 0; i < len(fr); i++ {
		if fr[i] < '0' || fr[i] > '9' {
			return 0, false
		}
		if i < 6 {
			v = v*10 + int64(fr[i]-'0')
		}
	}
	for i := len(fr); i < 6; i++ {
		v *= 10
	}
	if len(fr) > 6 {
		next := fr[6]
		tail := strings.TrimRight(fr[7:], "0")
		if next > '5' || (next == '5' && (tail != "" || v%2 == 1)) {
			v++
		}
	}
	return v, true
}

// parseZone reads Z, UTC, GMT or ±HH[:MM[:SS]] / ±HHMM; the result is seconds east of UTC.
func parseZone(z string) (int64, parseErr) {
	switch strings.ToUpper(z) {
	case "", "Z", "UTC", "GMT", "+00", "-00":
		return 0, parseOK
	}
	sign := int64(1)
	switch z[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, parseSyntax
	}
	z = z[1:]
	var h, m, sec int64
	var ok bool
	switch {
	case strings.Contains(z, ":"):
		parts := strings.Split(z, ":")
		if len(parts) > 3 {
			return 0, parseSyntax
		}
		if h, ok = atoiDigits(parts[0]); !ok {
			return 0, parseSyntax
		}
		if m, ok = atoiDigits(parts[1]); !ok {
			return 0, parseSyntax
		}
		if len(parts) == 3 {
			if sec, ok = atoiDigits(parts[2]); !ok {
				return 0, parseSyntax
			}
		}
	case len(z) <= 2:
		if h, ok = atoiDigits(z); !ok {
			return 0, parseSyntax
		}
	case len(z) == 4:
		v, ok := atoiDigits(z)
		if !ok {
			return 0, parseSyntax
		}
		h, m = v/100, v%100
	default:
		return 0, parseSyntax
	}
	if h > 15 || m > 59 || sec > 59 {
		return 0, parseRange
	}
	return sign * (h*3600 + m*60 + sec), parseOK
}

// parseTimestamp reads a timestamp. With time zone, an offset in the text is applied and a
// missing one means the session zone (UTC); without, PostgreSQL ignores any offset.
func parseTimestamp(s string, withZone bool) (int64, parseErr) {
	s = trimSpace(s)
	switch strings.ToLower(s) {
	case "epoch":
		return 0, parseOK
	case "infinity", "-infinity", "now", "today", "tomorrow", "yesterday":
		return 0, parseNotRepresentable
	}
	days, rest, e := parseDatePart(s)
	if e != parseOK {
		return 0, e
	}
	us, offset, e := parseTimePart(rest)
	if e != parseOK {
		return 0, e
	}
	if days < minDate || days > maxTimestamp/usPerDay {
		return 0, parseRange
	}
	ts := days*usPerDay + us
	if withZone {
		ts -= offset * usPerSec
	}
	if ts < minTimestamp || ts > maxTimestamp {
		return 0, parseRange
	}
	return ts, parseOK
}

// intervalUnits maps unit spellings to a canonical unit.
var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us",
	"millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms",
	"second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
	"minute": "min", "minutes": "min", "m": "min", "min": "min", "mins": "min",
	"hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
	"decade": "dec", "decades": "dec", "dec": "dec", "decs": "dec",
	"century": "c", "centuries": "c", "c": "c", "cent": "c",
	"millennium": "mil", "millennia": "mil", "mil": "mil", "mils": "mil", "millenniums": "mil",
}

// intervalAcc accumulates an interval with PostgreSQL's cascade of fractional units: a
// fraction of a year becomes months, of a month 30 days, of a day 24 hours.
type intervalAcc struct {
	months, days int64
	us           float64
}

func (a *intervalAcc) add(v float64, unit string) {
	whole := math.Trunc(v)
	frac := v - whole
	switch unit {
	case "us":
		a.us += v
	case "ms":
		a.us += v * 1e3
	case "s":
		a.us += v * 1e6
	case "min":
		a.us += v * 6e7
	case "h":
		a.us += v * 3.6e9
	case "d":
		a.days += int64(whole)
		a.us += frac * 8.64e10
	case "w":
		a.add(v*7, "d")
	case "mon":
		a.months += int64(whole)
		a.add(frac*30, "d")
	case "y":
		a.months += int64(whole) * 12
		a.addMonthsFrac(frac * 12)
	case "dec":
		a.add(v*10, "y")
	case "c":
		a.add(v*100, "y")
	case "mil":
		a.add(v*1000, "y")
	}
}

func (a *intervalAcc) addMonthsFrac(m float64) {
	// PostgreSQL rounds fractional years to whole months.
	a.months += int64(math.Round(m))
}

// parseInterval reads PostgreSQL interval input: "1 year 2 months", "90 days", "1 day
// 02:03:04.5", "-1 week ago", "3" (seconds) and ISO 8601 "P1Y2M3DT4H5M6S".
func parseInterval(s string) (arrow.MonthDayNanoInterval, parseErr) {
	s = strings.ToLower(trimSpace(s))
	if s == "" {
		return arrow.MonthDayNanoInterval{}, parseSyntax
	}
	var acc intervalAcc
	if strings.HasPrefix(s, "p") {
		if e := parseISOInterval(s[1:], &acc); e != parseOK {
			return arrow.MonthDayNanoInterval{}, e
		}
		return acc.result()
	}
	s = strings.TrimPrefix(s, "@")
	fields := strings.Fields(s)
	ago := false
	if len(fields) > 0 && fields[len(fields)-1] == "ago" {
		ago = true
		fields = fields[:len(fields)-1]
	}
	if len(fields) == 0 {
		return arrow.MonthDayNanoInterval{}, parseSyntax
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			neg := strings.HasPrefix(f, "-")
			us, _, e := parseTimePart(strings.TrimLeft(f, "+-"))
			if e != parseOK {
				return arrow.MonthDayNanoInterval{}, e
			}
			if neg {
				us = -us
			}
			acc.us += float64(us)
			continue
		}
		// A number, possibly glued to its unit ("10d").
		k := 0
		for k < len(f) && (f[k] == '+' || f[k] == '-' || f[k] == '.' || (f[k] >= '0' && f[k] <= '9')) {
			k++
		}
		num, unitText := f[:k], f[k:]
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return arrow.MonthDayNanoInterval{}, parseSyntax
		}
		if unitText == "" && i+1 < len(fields) {
			if _, ok := intervalUnits[fields[i+1]]; ok {
				unitText = fields[i+1]
				i++
			}
		}
		unit := "s"
		if unitText != "" {
			u, ok := intervalUnits[unitText]
			if !ok {
				return arrow.MonthDayNanoInterval{}, parseSyntax
			}
			unit = u
		}
		acc.add(v, unit)
	}
	if ago {
		acc.months, acc.days, acc.us = -acc.months, -acc.days, -acc.us
	}
	return acc.result()
}

func parseISOInterval(s string, acc *intervalAcc) parseErr {
	inTime := false
	for s != "" {
		if s[0] == 't' {
			inTime = true
			s = s[1:]
			continue
		}
		k := 0
		for k < len(s) && (s[k] == '-' || s[k] == '+' || s[k] == '.' || (s[k] >= '0' && s[k] <= '9')) {
			k++
		}
		if k == 0 || k == len(s) {
			return parseSyntax
		}
		v, err := strconv.ParseFloat(s[:k], 64)
		if err != nil {
			return parseSyntax
		}
		unit := ""
		switch s[k] {
		case 'y':
			unit = "y"
		case 'm':
			unit = "mon"
			if inTime {
				unit = "min"
			}
		case 'w':
			unit = "w"
		case 'd':
			unit = "d"
		case 'h':
			unit = "h"
		case 's':
			unit = "s"
		default:
			return parseSyntax
		}
		acc.add(v, unit)
		s = s[k+1:]
	}
	return parseOK
}

func (a *intervalAcc) result() (arrow.MonthDayNanoInterval, parseErr) {
	us := math.Round(a.us)
	if a.months != int64(int32(a.months)) || a.days != int64(int32(a.days)) || math.Abs(us) > 9.2e15 {
		return arrow.MonthDayNanoInterval{}, parseRange
	}
	return arrow.MonthDayNanoInterval{Months: int32(a.months), Days: int32(a.days), Nanoseconds: int64(us) * 1000}, parseOK
}

// parseBytea reads PostgreSQL's bytea input: \x followed by hex digits, or the escape format
// where \\ is a backslash and \nnn an octal byte.
func parseBytea(s string) ([]byte, parseErr) {
	if strings.HasPrefix(s, `\x`) || strings.HasPrefix(s, `\X`) {
		h := s[2:]
		out := make([]byte, 0, len(h)/2)
		for i := 0; i < len(h); {
			if h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r' {
				i++
				continue
			}
			if i+1 >= len(h) {
				return nil, parseSyntax
			}
			hi, ok1 := hexVal(h[i])
			lo, ok2 := hexVal(h[i+1])
			if !ok1 || !ok2 {
				return nil, parseSyntax
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return out, parseOK
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3':
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return nil, parseSyntax
		}
	}
	return out, parseOK
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
