package eval

import (
	"encoding/hex"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func mustHex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestStringFunctions(t *testing.T) {
	s1 := []arrow.DataType{str}
	si := []arrow.DataType{str, i64}
	ss := []arrow.DataType{str, str}
	bad := errs.KindInvalidArgument
	runCallCases(t, []callCase{
		{name: "length counts characters", fn: "length", types: s1, rows: rows(row("héllo"), row(""), row(nil)), want: i64s(int64(5), int64(0), nil)},
		{name: "octet_length", fn: "octet_length", types: s1, rows: rows(row("héllo")), want: i64s(int64(6))},
		{name: "substring", fn: "substring", types: []arrow.DataType{str, i64, i64},
			rows: rows(row("hello", int64(2), int64(3)), row("hello", int64(0), int64(3)), row("hello", int64(-1), int64(3)),
				row("héllo", int64(2), int64(2)), row("hello", int64(4), int64(100)), row("hello", int64(9), int64(1)), row(nil, int64(1), int64(1))),
			want: i64s("ell", "he", "h", "él", "lo", "", nil)},
		{name: "substring without count", fn: "substring", types: si,
			rows: rows(row("hello", int64(3)), row("hello", int64(-5)), row("hello", int64(10)), row("日本語テキスト", int64(3))),
			want: i64s("llo", "hello", "", "語テキスト")},
		{name: "substring negative length", fn: "substring", types: []arrow.DataType{str, i64, i64},
			rows: rows(row("hello", int64(1), int64(-1))), err: "negative substring length not allowed", kind: bad},
		{name: "strpos", fn: "strpos", types: ss, rows: rows(row("héllo", "l"), row("abc", ""), row("abc", "z")), want: i64s(int64(3), int64(1), int64(0))},
		{name: "left", fn: "left", types: si,
			rows: rows(row("hello", int64(2)), row("hello", int64(-2)), row("héllo", int64(2)), row("hi", int64(-5)), row("hi", int64(9))),
			want: i64s("he", "hel", "hé", "", "hi")},
		{name: "right", fn: "right", types: si,
			rows: rows(row("hello", int64(2)), row("hello", int64(-2)), row("héllo", int64(4)), row("hi", int64(-5))),
			want: i64s("lo", "llo", "éllo", "")},
		{name: "lpad", fn: "lpad", types: []arrow.DataType{str, i64, str},
			rows: rows(row("hi", int64(5), "xy"), row("hello", int64(2), "x"), row("hi", int64(0), "x"), row("hi", int64(5), ""), row("é", int64(3), "ü")),
			want: i64s("xyxhi", "he", "", "hi", "üüé")},
		{name: "lpad default fill", fn: "lpad", types: si, rows: rows(row("hi", int64(4))), want: i64s("  hi")},
		{name: "rpad", fn: "rpad", types: []arrow.DataType{str, i64, str}, rows: rows(row("hi", int64(5), "xy"), row("hello", int64(2), "x")), want: i64s("hixyx", "he")},
		{name: "rpad too large", fn: "rpad", types: si, rows: rows(row("hi", int64(1)<<40)), err: "requested length too large", kind: bad},
		{name: "trim spaces only", fn: "trim", types: s1, rows: rows(row("  x \t"), row("")), want: i64s("x \t", "")},
		{name: "trim set", fn: "trim", types: ss, rows: rows(row("xyxaxyx", "xy"), row("ééaé", "é")), want: i64s("a", "a")},
		{name: "ltrim", fn: "ltrim", types: ss, rows: rows(row("xxaxx", "x")), want: i64s("axx")},
		{name: "rtrim", fn: "rtrim", types: ss, rows: rows(row("xxaxx", "x")), want: i64s("xxa")},
		{name: "replace", fn: "replace", types: []arrow.DataType{str, str, str},
			rows: rows(row("abcabc", "b", "XY"), row("abc", "", "x"), row("aaa", "aa", "b")), want: i64s("aXYcaXYc", "abc", "ba")},
		{name: "split_part", fn: "split_part", types: []arrow.DataType{str, str, i64},
			rows: rows(row("a,b,c", ",", int64(2)), row("a,b,c", ",", int64(4)), row("a,b,c", ",", int64(-1)), row("a,b,c", ",", int64(-3)),
				row("a,b,c", ",", int64(-4)), row("abc", "", int64(1)), row("abc", "", int64(2)), row("", ",", int64(1)), row("a::b", "::", int64(2))),
			want: i64s("b", "", "c", "a", "", "abc", "", "", "b")},
		{name: "split_part zero", fn: "split_part", types: []arrow.DataType{str, str, i64}, rows: rows(row("a,b", ",", int64(0))),
			err: "field position must not be zero", kind: bad},
		{name: "starts_with", fn: "starts_with", types: ss, rows: rows(row("hello", "he"), row("hello", "lo")), want: i64s(true, false)},
		{name: "lower", fn: "lower", types: s1, rows: rows(row("HÉLLO World"), row("ABC")), want: i64s("héllo world", "abc")},
		{name: "upper", fn: "upper", types: s1, rows: rows(row("héllo"), row("abc")), want: i64s("HÉLLO", "ABC")},
		{name: "initcap", fn: "initcap", types: s1, rows: rows(row("hello wORLD 2nd-place"), row("élan vital")), want: i64s("Hello World 2nd-Place", "Élan Vital")},
		{name: "reverse", fn: "reverse", types: s1, rows: rows(row("héllo"), row("")), want: i64s("olléh", "")},
		{name: "repeat", fn: "repeat", types: si, rows: rows(row("ab", int64(3)), row("ab", int64(0)), row("ab", int64(-1))), want: i64s("ababab", "", "")},
		{name: "concat skips NULL", fn: "concat", types: []arrow.DataType{str, str, str},
			rows: rows(row("a", nil, "b"), row(nil, nil, nil)), want: i64s("ab", "")},
		{name: "concat operator", fn: "||", types: ss, rows: rows(row("a", "b"), row("a", nil)), want: i64s("ab", nil)},
		{name: "concat operator bytea", fn: "||", types: []arrow.DataType{expr.Binary, expr.Binary},
			rows: rows(row([]byte{1}, []byte{2})), want: i64s([]byte{1, 2})},
		{name: "md5", fn: "md5", types: s1, rows: rows(row("abc")), want: i64s("900150983cd24fb0d6963f7d28e17f72")},
		{name: "sha256", fn: "sha256", types: []arrow.DataType{expr.Binary}, rows: rows(row([]byte("abc"))),
			want: i64s(mustHex(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))},
		{name: "encode", fn: "encode", types: []arrow.DataType{expr.Binary, str},
			rows: rows(row([]byte{1, 2}, "hex"), row([]byte{1, 2}, "base64"), row([]byte{0, 'a', '\\'}, "escape")),
			want: i64s("0102", "AQI=", `\000a\\`)},
		{name: "encode unknown", fn: "encode", types: []arrow.DataType{expr.Binary, str}, rows: rows(row([]byte{1}, "rot13")),
			err: "unrecognized encoding", kind: bad},
	})
}

func TestLike(t *testing.T) {
	ss := []arrow.DataType{str, str}
	values := []string{"", "a", "abc", "xabcx", "special requests", "very special and urgent requests",
		"requests special", "a_c", "a%c", "ABC", "日本語", "日x語", "zabc"}
	patterns := map[string][]bool{
		// pattern: expected per value above
		"abc":                 {false, false, true, false, false, false, false, false, false, false, false, false, false},
		"a%":                  {false, true, true, false, false, false, false, true, true, false, false, false, false},
		"%c":                  {false, false, true, false, false, false, false, true, true, false, false, false, true},
		"%abc%":               {false, false, true, true, false, false, false, false, false, false, false, false, true},
		"%special%requests%":  {false, false, false, false, true, true, false, false, false, false, false, false, false},
		"a_c":                 {false, false, true, false, false, false, false, true, true, false, false, false, false},
		"a\\_c":               {false, false, false, false, false, false, false, true, false, false, false, false, false},
		"a\\%c":               {false, false, false, false, false, false, false, false, true, false, false, false, false},
		"%":                   {true, true, true, true, true, true, true, true, true, true, true, true, true},
		"":                    {true, false, false, false, false, false, false, false, false, false, false, false, false},
		"日_語":                 {false, false, false, false, false, false, false, false, false, false, true, true, false},
		"_":                   {false, true, false, false, false, false, false, false, false, false, false, false, false},
		"%a_c%":               {false, false, true, true, false, false, false, true, true, false, false, false, true},
		"s%s":                 {false, false, false, false, true, false, false, false, false, false, false, false, false},
		"%e%e%e%e%":           {false, false, false, false, false, true, false, false, false, false, false, false, false},
		"v%y%ts":              {false, false, false, false, false, true, false, false, false, false, false, false, false},
		"__c":                 {false, false, true, false, false, false, false, true, true, false, false, false, false},
		"%_%_%_%_%_%_%_%_%_%": {false, false, false, false, true, true, true, false, false, false, false, false, false},
	}
	var cases []callCase
	for p, want := range patterns {
		var rs [][]any
		var w []any
		for i, v := range values {
			rs = append(rs, row(v, p))
			w = append(w, want[i])
		}
		rs = append(rs, row(nil, p))
		w = append(w, nil)
		cases = append(cases,
			callCase{name: "like " + p, fn: "like", types: ss, rows: rs, want: w, consts: []int{1}},
			callCase{name: "like column pattern " + p, fn: "like", types: ss, rows: rs, want: w})
	}
	cases = append(cases,
		callCase{name: "ilike", fn: "ilike", types: ss, rows: rows(row("ABC", "a%"), row("Straße", "%SSE"), row("ÉCOLE", "é%"), row("abc", "%B_")),
			want: i64s(true, false, true, true)},
		callCase{name: "ilike constant", fn: "ilike", types: ss, rows: rows(row("ABC", "a%"), row("xyz", "a%"), row("Ä", "a%")),
			want: i64s(true, false, false), consts: []int{1}},
		callCase{name: "ilike kelvin", fn: "ilike", types: ss, rows: rows(row("\u212a", "k")), want: i64s(true)},
		callCase{name: "escape", fn: "like", types: []arrow.DataType{str, str, str},
			rows: rows(row("a%c", "a#%c", "#"), row("abc", "a#%c", "#"), row("a\\c", "a\\c", "")), want: i64s(true, false, true)},
		callCase{name: "trailing escape", fn: "like", types: ss, rows: rows(row("a", "a\\")),
			err: "must not end with escape character", kind: errs.KindInvalidArgument},
		callCase{name: "bad escape", fn: "like", types: []arrow.DataType{str, str, str}, rows: rows(row("a", "a", "xy")),
			err: "invalid escape string", kind: errs.KindInvalidArgument},
	)
	runCallCases(t, cases)
}
