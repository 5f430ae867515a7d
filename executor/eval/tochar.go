package eval

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// to_char formats dates, timestamps and numbers with PostgreSQL's template patterns. A
// constant format is compiled once; an unsupported pattern is reported by name.

// toCharKernel binds to_char(value of type t, format).
func toCharKernel(t arrow.DataType, format node) (kernel, error) {
	var compile func(string) (charFormatter, error)
	switch {
	case expr.IsTemporal(t):
		tz := t.ID() == arrow.TIMESTAMP && t.(*arrow.TimestampType).TimeZone != ""
		compile = func(f string) (charFormatter, error) { return compileDateFormat(f, tz) }
	case expr.IsNumeric(t):
		compile = func(f string) (charFormatter, error) { return compileNumFormat(f) }
	default:
		return nil, errs.NotSupportedf("to_char of %s", expr.SQLTypeName(t))
	}
	var fixed charFormatter
	if v, ok := constOf(format); ok && v != nil {
		var err error
		if fixed, err = compile(v.(string)); err != nil {
			return nil, err
		}
	}
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		values := args[0].arr
		get := valueReader(t, values)
		fmtAcc := newStrAcc(args[1])
		validity, _ := andValidity(c.alloc, n, args...)
		valid := bufBits(validity)
		releaseBuf(validity)
		o := newVarOut(c.alloc, expr.String, n, 16*n)
		f := fixed
		last := ""
		for i := 0; i < n; i++ {
			if !valid.ok(i) {
				o.appendNull()
				continue
			}
			if fixed == nil {
				if s := fmtAcc.at(i); f == nil || s != last {
					var err error
					if f, err = compile(s); err != nil {
						o.release()
						return vec{}, err
					}
					last = string([]byte(s))
				}
			}
			o.appendBytes(f.format(nil, get(i)))
		}
		arr, err := o.finish()
		if err != nil {
			return vec{}, err
		}
		return arrayVec(arr), nil
	}, nil
}

// charValue is one value to format: a broken-down time or a number's digits.
type charValue struct {
	time timeFields
	num  numValue
}

type numValue struct {
	t   arrow.DataType
	i   int64
	f   float64
	d   decNum
	dsc int32
}

// valueReader reads row i of a to_char argument.
func valueReader(t arrow.DataType, a arrow.Array) func(i int) charValue {
	switch t.ID() {
	case arrow.DATE32:
		v := fixedValues[int32](a)
		return func(i int) charValue { return charValue{time: fieldsOfDate(int64(v[i]))} }
	case arrow.TIMESTAMP:
		v := fixedValues[int64](a)
		return func(i int) charValue { return charValue{time: fieldsOfTimestamp(v[i])} }
	case arrow.INT8:
		v := fixedValues[int8](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, i: int64(v[i])}} }
	case arrow.INT16:
		v := fixedValues[int16](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, i: int64(v[i])}} }
	case arrow.INT32:
		v := fixedValues[int32](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, i: int64(v[i])}} }
	case arrow.INT64:
		v := fixedValues[int64](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, i: v[i]}} }
	case arrow.FLOAT32:
		v := fixedValues[float32](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, f: float64(v[i])}} }
	case arrow.FLOAT64:
		v := fixedValues[float64](a)
		return func(i int) charValue { return charValue{num: numValue{t: t, f: v[i]}} }
	case arrow.DECIMAL128:
		v := fixedValues[decNum](a)
		s := t.(*arrow.Decimal128Type).Scale
		return func(i int) charValue { return charValue{num: numValue{t: t, d: v[i], dsc: s}} }
	}
	return nil
}

type charFormatter interface {
	format(dst []byte, v charValue) []byte
}

// ---- dates and times ----

type dtKind int

const (
	dtLiteral dtKind = iota
	dtHH12
	dtHH24
	dtMI
	dtSS
	dtMS
	dtUS
	dtFF
	dtSSSS
	dtMeridiem
	dtYearComma
	dtYYYY
	dtYYY
	dtYY
	dtY
	dtIYYY
	dtIYY
	dtIY
	dtI
	dtEra
	dtMonthName
	dtMonthAbbr
	dtMM
	dtDayName
	dtDayAbbr
	dtDDD
	dtIDDD
	dtDD
	dtD
	dtID
	dtW
	dtWW
	dtIW
	dtCC
	dtJ
	dtQ
	dtRM
	dtTZ
	dtOF
	dtTZH
	dtTZM
)

// dtCase says how a name-producing keyword capitalises: as written in the keyword.
type dtCase int

const (
	caseUpper dtCase = iota
	caseTitle
	caseLower
)

type dtKeyword struct {
	word string
	kind dtKind
	cs   dtCase
	dots bool // A.M., B.C. style
	n    int  // FF digits
}

// dtKeywords lists PostgreSQL's template patterns, longest first so that matching is greedy.
var dtKeywords = func() []dtKeyword {
	kw := []dtKeyword{
		{word: "HH24", kind: dtHH24}, {word: "HH12", kind: dtHH12}, {word: "HH", kind: dtHH12},
		{word: "MI", kind: dtMI}, {word: "SSSSS", kind: dtSSSS}, {word: "SSSS", kind: dtSSSS},
		{word: "SS", kind: dtSS}, {word: "MS", kind: dtMS}, {word: "US", kind: dtUS},
		{word: "Y,YYY", kind: dtYearComma}, {word: "YYYY", kind: dtYYYY}, {word: "YYY", kind: dtYYY},
		{word: "YY", kind: dtYY}, {word: "Y", kind: dtY},
		{word: "IYYY", kind: dtIYYY}, {word: "IYY", kind: dtIYY}, {word: "IY", kind: dtIY},
		{word: "IDDD", kind: dtIDDD}, {word: "ID", kind: dtID}, {word: "IW", kind: dtIW}, {word: "I", kind: dtI},
		{word: "MM", kind: dtMM}, {word: "DDD", kind: dtDDD}, {word: "DD", kind: dtDD}, {word: "D", kind: dtD},
		{word: "WW", kind: dtWW}, {word: "W", kind: dtW}, {word: "CC", kind: dtCC}, {word: "J", kind: dtJ},
		{word: "Q", kind: dtQ}, {word: "OF", kind: dtOF}, {word: "TZH", kind: dtTZH}, {word: "TZM", kind: dtTZM},
	}
	// Numeric patterns are case-insensitive in output; accept their lower-case spellings.
	n := len(kw)
	for _, k := range kw[:n] {
		kw = append(kw, dtKeyword{word: strings.ToLower(k.word), kind: k.kind})
	}
	for d := 1; d <= 6; d++ {
		ds := strconv.Itoa(d)
		kw = append(kw, dtKeyword{word: "FF" + ds, kind: dtFF, n: d}, dtKeyword{word: "ff" + ds, kind: dtFF, n: d})
	}
	named := []struct {
		word string
		kind dtKind
	}{{"MONTH", dtMonthName}, {"MON", dtMonthAbbr}, {"DAY", dtDayName}, {"DY", dtDayAbbr}, {"RM", dtRM}, {"TZ", dtTZ}}
	for _, w := range named {
		kw = append(kw,
			dtKeyword{word: w.word, kind: w.kind, cs: caseUpper},
			dtKeyword{word: w.word[:1] + strings.ToLower(w.word[1:]), kind: w.kind, cs: caseTitle},
			dtKeyword{word: strings.ToLower(w.word), kind: w.kind, cs: caseLower})
	}
	for _, w := range []string{"AM", "PM"} {
		kw = append(kw, dtKeyword{word: w, kind: dtMeridiem}, dtKeyword{word: strings.ToLower(w), kind: dtMeridiem, cs: caseLower},
			dtKeyword{word: w[:1] + "." + w[1:] + ".", kind: dtMeridiem, dots: true},
			dtKeyword{word: strings.ToLower(w[:1] + "." + w[1:] + "."), kind: dtMeridiem, cs: caseLower, dots: true})
	}
	for _, w := range []string{"AD", "BC"} {
		kw = append(kw, dtKeyword{word: w, kind: dtEra}, dtKeyword{word: strings.ToLower(w), kind: dtEra, cs: caseLower},
			dtKeyword{word: w[:1] + "." + w[1:] + ".", kind: dtEra, dots: true},
			dtKeyword{word: strings.ToLower(w[:1] + "." + w[1:] + "."), kind: dtEra, cs: caseLower, dots: true})
	}
	sort.SliceStable(kw, func(i, j int) bool { return len(kw[i].word) > len(kw[j].word) })
	return kw
}()

type dtToken struct {
	kw  dtKeyword
	lit string
	fm  bool
	th  int // 0 none, 1 TH, 2 th
}

type dateFormat struct {
	toks []dtToken
	tz   bool
}

func compileDateFormat(f string, tz bool) (*dateFormat, error) {
	df := &dateFormat{tz: tz}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			df.toks = append(df.toks, dtToken{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(f); {
		switch {
		case f[i] == '"':
			j := i + 1
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				lit.WriteByte(f[j])
				j++
			}
			i = j + 1
			continue
		case f[i] == '\\' && i+1 < len(f):
			lit.WriteByte(f[i+1])
			i += 2
			continue
		}
		fm := false
		// Prefix modifiers: FM (fill mode), TM (translation: English only here), FX (ignored).
		for {
			switch {
			case strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm"):
				fm = true
				i += 2
				continue
			case strings.HasPrefix(f[i:], "TM") || strings.HasPrefix(f[i:], "tm"),
				strings.HasPrefix(f[i:], "FX") || strings.HasPrefix(f[i:], "fx"):
				i += 2
				continue
			}
			break
		}
		if i >= len(f) {
			break
		}
		matched := false
		for _, k := range dtKeywords {
			if strings.HasPrefix(f[i:], k.word) {
				flush()
				tok := dtToken{kw: k, fm: fm}
				i += len(k.word)
				switch {
				case strings.HasPrefix(f[i:], "TH"):
					tok.th = 1
					i += 2
				case strings.HasPrefix(f[i:], "th"):
					tok.th = 2
					i += 2
				}
				if strings.HasPrefix(f[i:], "SP") || strings.HasPrefix(f[i:], "sp") {
					return nil, errs.NotSupportedf("to_char pattern suffix SP")
				}
				df.toks = append(df.toks, tok)
				matched = true
				break
			}
		}
		if !matched {
			// Like PostgreSQL, any other character is copied as is.
			lit.WriteByte(f[i])
			i++
		}
	}
	flush()
	return df, nil
}

var (
	monthFull = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	dayFull     = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	romanMonths = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
)

func applyCase(s string, cs dtCase) string {
	switch cs {
	case caseUpper:
		return strings.ToUpper(s)
	case caseLower:
		return strings.ToLower(s)
	}
	return s
}

func ordinalSuffix(v int64, upper bool) string {
	s := "th"
	if v%100 < 11 || v%100 > 13 {
		switch v % 10 {
		case 1:
			s = "st"
		case 2:
			s = "nd"
		case 3:
			s = "rd"
		}
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

func (df *dateFormat) format(dst []byte, cv charValue) []byte {
	f := cv.time
	num := func(tok dtToken, v int64, width int) {
		if tok.fm {
			width = 0
		}
		dst = appendPadded(dst, v, width)
		if tok.th != 0 {
			dst = append(dst, ordinalSuffix(v, tok.th == 1)...)
		}
	}
	text := func(tok dtToken, s string, width int) {
		s = applyCase(s, tok.kw.cs)
		dst = append(dst, s...)
		if !tok.fm {
			for k := len(s); k < width; k++ {
				dst = append(dst, ' ')
			}
		}
	}
	hour := f.usOfDay / usPerHour
	y := f.year
	if y <= 0 {
		y = 1 - y // BC years print as positive numbers
	}
	for _, tok := range df.toks {
		switch tok.kw.kind {
		case dtLiteral:
			dst = append(dst, tok.lit...)
		case dtHH12:
			h := hour % 12
			if h == 0 {
				h = 12
			}
			num(tok, h, 2)
		case dtHH24:
			num(tok, hour, 2)
		case dtMI:
			num(tok, f.usOfDay%usPerHour/usPerMin, 2)
		case dtSS:
			num(tok, f.usOfDay%usPerMin/usPerSec, 2)
		case dtMS:
			num(tok, f.usOfDay%usPerSec/1000, 3)
		case dtUS:
			num(tok, f.usOfDay%usPerSec, 6)
		case dtFF:
			num(tok, f.usOfDay%usPerSec/pow10I64[6-tok.kw.n], tok.kw.n)
		case dtSSSS:
			num(tok, f.usOfDay/usPerSec, 0)
		case dtMeridiem:
			m := "AM"
			if hour >= 12 {
				m = "PM"
			}
			if tok.kw.dots {
				m = m[:1] + "." + m[1:] + "."
			}
			text(tok, m, 0)
		case dtYearComma:
			dst = strconv.AppendInt(dst, y/1000, 10)
			dst = append(dst, ',')
			dst = appendPadded(dst, y%1000, 3)
		case dtYYYY:
			num(tok, y, 4)
		case dtYYY:
			num(tok, y%1000, 3)
		case dtYY:
			num(tok, y%100, 2)
		case dtY:
			num(tok, y%10, 1)
		case dtIYYY, dtIYY, dtIY, dtI:
			iy, _ := isoWeek(f.days)
			if iy <= 0 {
				iy = 1 - iy
			}
			switch tok.kw.kind {
			case dtIYYY:
				num(tok, iy, 4)
			case dtIYY:
				num(tok, iy%1000, 3)
			case dtIY:
				num(tok, iy%100, 2)
			default:
				num(tok, iy%10, 1)
			}
		case dtEra:
			e := "AD"
			if f.year <= 0 {
				e = "BC"
			}
			if tok.kw.dots {
				e = e[:1] + "." + e[1:] + "."
			}
			text(tok, e, 0)
		case dtMonthName:
			text(tok, monthFull[f.month-1], 9)
		case dtMonthAbbr:
			text(tok, monthFull[f.month-1][:3], 0)
		case dtMM:
			num(tok, int64(f.month), 2)
		case dtDayName:
			text(tok, dayFull[dayOfWeek(f.days)], 9)
		case dtDayAbbr:
			text(tok, dayFull[dayOfWeek(f.days)][:3], 0)
		case dtDDD:
			num(tok, f.days-daysFromCivil(f.year, 1, 1)+1, 3)
		case dtIDDD:
			iy, _ := isoWeek(f.days)
			// Day 1 is the Monday of ISO week 1.
			jan4 := daysFromCivil(iy, 1, 4)
			week1 := jan4 - floorMod(jan4+3, 7)
			num(tok, f.days-week1+1, 3)
		case dtDD:
			num(tok, int64(f.day), 2)
		case dtD:
			num(tok, dayOfWeek(f.days)+1, 0)
		case dtID:
			d := dayOfWeek(f.days)
			if d == 0 {
				d = 7
			}
			num(tok, d, 0)
		case dtW:
			num(tok, int64(f.day-1)/7+1, 0)
		case dtWW:
			num(tok, (f.days-daysFromCivil(f.year, 1, 1))/7+1, 2)
		case dtIW:
			_, w := isoWeek(f.days)
			num(tok, w, 2)
		case dtCC:
			num(tok, centuryOf(f.year), 2)
		case dtJ:
			num(tok, f.days+2440588, 0)
		case dtQ:
			num(tok, int64((f.month-1)/3+1), 0)
		case dtRM:
			text(tok, romanMonths[f.month-1], 4)
		case dtTZ:
			if df.tz {
				text(tok, "UTC", 0)
			}
		case dtOF, dtTZH:
			dst = append(dst, "+00"...)
		case dtTZM:
			dst = append(dst, "00"...)
		}
	}
	return dst
}

// ---- numbers ----

type numTokKind int

const (
	numDigit9 numTokKind = iota
	numDigit0
	numPoint
	numGroup
	numLiteral
)

type numToken struct {
	kind numTokKind
	lit  string
}

type numFormat struct {
	toks      []numToken
	fm        bool
	intPos    int // digit positions before the decimal point
	fracPos   int // digit positions after it
	zeroStart int // first '0' among the integer positions, -1 if none
}

func compileNumFormat(f string) (*numFormat, error) {
	nf := &numFormat{zeroStart: -1}
	seenPoint := false
	for i := 0; i < len(f); {
		c := f[i]
		switch {
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				b.WriteByte(f[j])
				j++
			}
			nf.toks = append(nf.toks, numToken{kind: numLiteral, lit: b.String()})
			i = j + 1
			continue
		case strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm"):
			nf.fm = true
			i += 2
			continue
		case c == '9' || c == '0':
			kind := numDigit9
			if c == '0' {
				kind = numDigit0
			}
			if seenPoint {
				nf.fracPos++
			} else {
				if kind == numDigit0 && nf.zeroStart < 0 {
					nf.zeroStart = nf.intPos
				}
				nf.intPos++
			}
			nf.toks = append(nf.toks, numToken{kind: kind})
		case c == '.' || c == 'D' || c == 'd':
			if seenPoint {
				return nil, errs.New(errs.KindInvalidArgument, "to_char: multiple decimal points")
			}
			seenPoint = true
			nf.toks = append(nf.toks, numToken{kind: numPoint})
		case c == ',' || c == 'G' || c == 'g':
			nf.toks = append(nf.toks, numToken{kind: numGroup})
		default:
			if p := unsupportedNumPattern(f[i:]); p != "" {
				return nil, errs.NotSupportedf("to_char numeric pattern %s", p)
			}
			nf.toks = append(nf.toks, numToken{kind: numLiteral, lit: f[i : i+1]})
		}
		i++
	}
	return nf, nil
}

// unsupportedNumPattern names numeric template patterns this formatter does not implement.
func unsupportedNumPattern(s string) string {
	u := strings.ToUpper(s)
	for _, p := range []string{"EEEE", "MI", "PL", "PR", "RN", "SG", "SP", "TH", "S", "V", "L", "B", "C", "E"} {
		if strings.HasPrefix(u, p) {
			return p
		}
	}
	return ""
}

// digits returns the value rounded to frac fractional digits as integer digits (no leading
// zeros, "0" for zero), exactly frac fractional digits, and the sign.
func (v numValue) digits(frac int) (intDigits, fracDigits string, neg, ok bool) {
	var s string
	switch {
	case expr.IsInteger(v.t):
		neg = v.i < 0
		s = strconv.FormatUint(absU64(v.i), 10)
		if frac > 0 {
			s += "." + strings.Repeat("0", frac)
		}
	case expr.IsFloat(v.t):
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return "", "", false, false
		}
		bits := 64
		if v.t.ID() == arrow.FLOAT32 {
			bits = 32
		}
		s = strconv.FormatFloat(math.Abs(v.f), 'f', frac, bits)
		neg = v.f < 0
	default:
		r, ok := decRescale(v.d, v.dsc, int32(frac))
		if !ok {
			return "", "", false, false
		}
		neg = r.Sign() < 0
		s = string(appendDecimal(nil, r.Abs(), int32(frac)))
	}
	intDigits, fracDigits, _ = strings.Cut(s, ".")
	if strings.Trim(intDigits+fracDigits, "0") == "" {
		neg = false // no negative zero after rounding
	}
	return intDigits, fracDigits, neg, true
}

func (nf *numFormat) format(dst []byte, cv charValue) []byte {
	intDigits, fracDigits, neg, ok := cv.num.digits(nf.fracPos)
	if intDigits == "0" && nf.fracPos > 0 {
		intDigits = "" // PostgreSQL shows 0.5 as ".5" under a 9 pattern
	}
	if !ok || len(intDigits) > nf.intPos {
		return nf.overflow(dst)
	}
	lastRelevant := -1
	if nf.fm {
		lastRelevant = strings.LastIndexFunc(fracDigits, func(r rune) bool { return r != '0' })
	}
	sigStart := nf.intPos - len(intDigits)
	if nf.zeroStart >= 0 && nf.zeroStart < sigStart {
		sigStart = nf.zeroStart
	}
	signDone := false
	sign := func() {
		if signDone {
			return
		}
		signDone = true
		if neg {
			dst = append(dst, '-')
		} else if !nf.fm {
			dst = append(dst, ' ')
		}
	}
	ip, fp := 0, 0
	inFrac := false
	for _, t := range nf.toks {
		switch t.kind {
		case numLiteral:
			dst = append(dst, t.lit...)
		case numPoint:
			if nf.fm && intDigits == "" && sigStart >= nf.intPos && lastRelevant < 0 {
				sign()
				dst = append(dst, '0') // PostgreSQL's "total zero with FM"
			}
			sign()
			dst = append(dst, '.')
			inFrac = true
		case numGroup:
			switch {
			case inFrac || ip > sigStart:
				dst = append(dst, ',')
			case !nf.fm:
				dst = append(dst, ' ')
			}
		case numDigit9, numDigit0:
			if inFrac {
				if nf.fm && fp > lastRelevant && t.kind == numDigit9 {
					fp++
					continue
				}
				dst = append(dst, fracDigits[fp])
				fp++
				continue
			}
			if ip < sigStart {
				if !nf.fm {
					dst = append(dst, ' ')
				}
			} else {
				sign()
				k := ip - (nf.intPos - len(intDigits))
				if k < 0 {
					dst = append(dst, '0')
				} else {
					dst = append(dst, intDigits[k])
				}
			}
			ip++
		}
	}
	sign()
	return dst
}

// overflow fills every digit position with '#', as PostgreSQL does for values too wide.
func (nf *numFormat) overflow(dst []byte) []byte {
	if !nf.fm {
		dst = append(dst, ' ')
	}
	for _, t := range nf.toks {
		switch t.kind {
		case numLiteral:
			dst = append(dst, t.lit...)
		case numPoint:
			dst = append(dst, '.')
		case numGroup:
			dst = append(dst, ',')
		default:
			dst = append(dst, '#')
		}
	}
	return dst
}
