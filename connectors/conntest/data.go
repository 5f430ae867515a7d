package conntest

import (
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/planner/expr"
)

// Column positions of the typed table.
const (
	cID = iota
	cI16
	cI32
	cI64
	cF32
	cF64
	cD18
	cD38
	cDay
	cTS
	cTSTZ
	cTxt
	cBin
	cFlag
)

var (
	dec18 = expr.Decimal(18, 4)
	dec38 = expr.Decimal(38, 10)
)

var typedColumns = []ColumnSpec{
	{"id", expr.Int64}, {"i16", expr.Int16}, {"i32", expr.Int32}, {"i64", expr.Int64},
	{"f32", expr.Float32}, {"f64", expr.Float64}, {"d18", dec18}, {"d38", dec38},
	{"day", expr.Date}, {"ts", expr.Timestamp}, {"tstz", expr.TimestampTZ},
	{"txt", expr.String}, {"bin", expr.Binary}, {"flag", expr.Bool},
}

func dec(s string, scale int32) decimal128.Num {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", int(scale)-len(frac))
	bi, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		panic("bad decimal " + s)
	}
	if neg {
		bi.Neg(bi)
	}
	return decimal128.FromBigInt(bi)
}

func day(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func ts(y int, m time.Month, d, hh, mm, ss, us int) arrow.Timestamp {
	return arrow.Timestamp(time.Date(y, m, d, hh, mm, ss, us*1000, time.UTC).UnixMicro())
}

// f32 is a float32 value in canonical (float64) form.
func f32(v float32) float64 { return float64(v) }

// typedRows cover every mapped type with NULLs, extremes, dates before 1970 and after 2038,
// microseconds, empty strings, case and trailing-space variants, unicode with emoji and
// combining characters, and binary values with zero bytes. Rows 1, 8 and 9 repeat values so
// grouping has groups of several rows.
func typedRows() [][]any {
	return [][]any{
		{int64(1), int64(10), int64(100), int64(1000), f32(1.5), 2.25, dec("12.34", 4), dec("1.5", 10),
			day(2024, 2, 29), ts(2024, 2, 29, 12, 34, 56, 123456), ts(2024, 2, 29, 12, 34, 56, 123456), "alpha", []byte{1, 2, 3}, true},
		{int64(2), int64(math.MinInt16), int64(math.MinInt32), int64(math.MinInt64), f32(-math.MaxFloat32), -math.MaxFloat64,
			dec("-99999999999999.9999", 4), dec("-9999999999999999999999999999.9999999999", 10),
			day(1000, 1, 1), ts(1000, 1, 1, 0, 0, 0, 1), ts(1901, 12, 13, 20, 45, 52, 0), "", []byte{}, false},
		{int64(3), int64(math.MaxInt16), int64(math.MaxInt32), int64(math.MaxInt64), f32(math.MaxFloat32), math.MaxFloat64,
			dec("99999999999999.9999", 4), dec("9999999999999999999999999999.9999999999", 10),
			day(9999, 12, 31), ts(9999, 12, 31, 23, 59, 59, 999999), ts(2100, 1, 1, 0, 0, 0, 0), "zeta", []byte{0, 0, 255}, true},
		{int64(4), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(5), int64(0), int64(0), int64(0), f32(0), 0.0, dec("0.0001", 4), dec("0.0000000001", 10),
			day(1969, 12, 31), ts(1969, 12, 31, 23, 59, 59, 999999), ts(1960, 1, 1, 0, 0, 0, 0), "Alpha", []byte{0}, false},
		{int64(6), int64(7), int64(7), int64(7), f32(-0.5), 1e-300, dec("-0.0001", 4), dec("-0.0000000001", 10),
			day(2040, 1, 1), ts(2040, 6, 15, 1, 2, 3, 4), ts(2038, 1, 19, 3, 14, 8, 0), "alpha ", []byte{0, 1, 0}, true},
		{int64(7), int64(-7), int64(-7), int64(-7), f32(2.5), 2.5, dec("1", 4), dec("42", 10),
			day(2000, 1, 1), ts(2000, 1, 1, 0, 0, 0, 0), ts(1999, 12, 31, 23, 59, 59, 999999), "émoji 👍🏽 e\u0301 日本", []byte{0xff}, nil},
		{int64(8), int64(10), int64(100), int64(100), nil, 100.0, dec("12.34", 4), dec("1.5", 10),
			day(2024, 2, 29), nil, ts(2024, 2, 29, 12, 34, 56, 123456), "beta", nil, false},
		{int64(9), int64(10), int64(-100), int64(5), f32(1.5), 2.25, dec("0.5", 4), dec("-3.25", 10),
			day(1999, 12, 31), ts(1999, 12, 31, 23, 59, 59, 999999), nil, "alpha", []byte{1, 2, 3}, true},
		{int64(10), int64(-7), nil, int64(100), f32(3.25), nil, dec("7.0001", 4), nil,
			nil, ts(1969, 7, 20, 20, 17, 40, 0), ts(1969, 7, 20, 20, 17, 40, 0), "beta", []byte{9}, false},
	}
}

// largeText is a 1 MB string of mixed ASCII and multi-byte characters.
func largeText() string {
	var b strings.Builder
	for b.Len() < 1<<20 {
		b.WriteString("meshgate é 👍🏽 日本 ")
	}
	return b.String()
}

func largeBinary() []byte {
	out := make([]byte, 1<<20)
	for i := range out {
		out[i] = byte(i % 7) // every seventh byte is zero
	}
	return out
}

// Hostile names and values: quotes of every dialect, statement separators, comment
// markers, placeholders, backslashes and unicode. They must arrive as data.
var (
	hostileColumns = []string{`a"b`, "semi;colon--", "back`tick /*x*/", "dollar $1 ?", `back\slash`, "uni é日本"}
	hostileValues  = []string{`'; DROP TABLE x; --`, "$1", "?", `\`, "/* c */ --", "é👍🏽", `"q" 'q' ` + "`q`", ""}
)
