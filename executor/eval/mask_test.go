package eval

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func hmacHex(key, v string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

func TestMasks(t *testing.T) {
	mask := func(kind expr.MaskKind, argT, rt arrow.DataType, opts ...func(*expr.Mask)) func(testing.TB) expr.Expr {
		return func(testing.TB) expr.Expr {
			m := &expr.Mask{Arg: ref(0, argT), Kind: kind, Type: rt, Policy: "p"}
			for _, o := range opts {
				o(m)
			}
			return m
		}
	}
	keep := func(n int) func(*expr.Mask) { return func(m *expr.Mask) { m.N = n } }
	key := func(m *expr.Mask) { m.Key = []byte("secret") }
	ascii := [][]any{{"Hello World 123", "", nil, "555-123-4567", "ab"}}
	mixed := [][]any{{"Ünïcode 7", "héllo", nil, "日本語abc", "a"}}
	runExprCases(t, []exprCase{
		{name: "redact ascii", types: []arrow.DataType{str}, cols: ascii, build: mask(expr.MaskRedact, str, str),
			want: i64s("Xxxxx Xxxxx 000", "", nil, "000-000-0000", "xx")},
		{name: "redact unicode", types: []arrow.DataType{str}, cols: mixed, build: mask(expr.MaskRedact, str, str),
			want: i64s("xxxxxxx 0", "xxxxx", nil, "xxxxxx", "x")},
		{name: "show_first", types: []arrow.DataType{str}, cols: ascii, build: mask(expr.MaskShowFirst, str, str, keep(2)),
			want: i64s("Hexxx Xxxxx 000", "", nil, "550-000-0000", "ab")},
		{name: "show_last", types: []arrow.DataType{str}, cols: ascii, build: mask(expr.MaskShowLast, str, str, keep(4)),
			want: i64s("Xxxxx Xxxxx 123", "", nil, "000-000-4567", "ab")},
		{name: "show_last unicode", types: []arrow.DataType{str}, cols: mixed, build: mask(expr.MaskShowLast, str, str, keep(2)),
			want: i64s("xxxxxxx 7", "xxxlo", nil, "xxxxbc", "a")},
		{name: "show_first unicode", types: []arrow.DataType{str}, cols: mixed, build: mask(expr.MaskShowFirst, str, str, keep(2)),
			want: i64s("Ünxxxxx 0", "héxxx", nil, "日本xxxx", "a")},
		{name: "hash text", types: []arrow.DataType{str}, cols: [][]any{{"alice", nil, ""}}, build: mask(expr.MaskHash, str, str, key),
			want: i64s(hmacHex("secret", "alice"), nil, hmacHex("secret", ""))},
		{name: "hash integer uses its text", types: []arrow.DataType{i64}, cols: [][]any{{int64(42), int64(-7)}}, build: mask(expr.MaskHash, i64, str, key),
			want: i64s(hmacHex("secret", "42"), hmacHex("secret", "-7"))},
		{name: "hash date", types: []arrow.DataType{expr.Date}, cols: [][]any{{date(2024, 1, 2)}}, build: mask(expr.MaskHash, expr.Date, str, key),
			want: i64s(hmacHex("secret", "2024-01-02"))},
		{name: "null", types: []arrow.DataType{i32}, cols: [][]any{{int64(1), nil}}, build: mask(expr.MaskNull, i32, i32), want: i64s(nil, nil)},
		{name: "constant covers NULLs", types: []arrow.DataType{str}, cols: [][]any{{"x", nil}},
			build: mask(expr.MaskConstant, str, str, func(m *expr.Mask) { m.Constant = expr.StringLit("***") }), want: i64s("***", "***")},
		{name: "constant cast to column type", types: []arrow.DataType{expr.Date}, cols: [][]any{{date(2020, 5, 5)}},
			build: mask(expr.MaskConstant, expr.Date, expr.Date, func(m *expr.Mask) { m.Constant = expr.StringLit("1900-01-01") }),
			want:  i64s(date(1900, 1, 1))},
		{name: "date_trunc year", types: []arrow.DataType{expr.Date}, cols: [][]any{{date(2024, 5, 17), nil}},
			build: mask(expr.MaskDateTrunc, expr.Date, expr.Date, func(m *expr.Mask) { m.Unit = "year" }), want: i64s(date(2024, 1, 1), nil)},
		{name: "date_trunc month timestamp", types: []arrow.DataType{expr.TimestampTZ}, cols: [][]any{{ts(2024, 5, 17, 3, 4, 5, 6)}},
			build: mask(expr.MaskDateTrunc, expr.TimestampTZ, expr.TimestampTZ, func(m *expr.Mask) { m.Unit = "month" }), want: i64s(ts(2024, 5, 1, 0, 0, 0, 0))},
		{name: "redact integer keeps type", types: []arrow.DataType{i32}, cols: [][]any{{int64(42), nil}}, build: mask(expr.MaskRedact, i32, i32),
			want: i64s(int64(0), nil)},
		{name: "redact date keeps type", types: []arrow.DataType{expr.Date}, cols: [][]any{{date(2024, 5, 17)}}, build: mask(expr.MaskRedact, expr.Date, expr.Date),
			want: i64s(date(1970, 1, 1))},
		{name: "redact integer as text", types: []arrow.DataType{i32}, cols: [][]any{{int64(-42)}}, build: mask(expr.MaskRedact, i32, str),
			want: i64s("-00")},
		{name: "show_last integer", types: []arrow.DataType{i64}, cols: [][]any{{int64(123456789), int64(12), nil}}, build: mask(expr.MaskShowLast, i64, i64, keep(4)),
			want: i64s(int64(6789), int64(12), nil)},
		{name: "show_first decimal", types: []arrow.DataType{expr.Decimal(10, 2)}, cols: [][]any{{dec(t, "123.45", 10, 2)}},
			build: mask(expr.MaskShowFirst, expr.Decimal(10, 2), expr.Decimal(10, 2), keep(2)), want: i64s(dec(t, "120.00", 10, 2))},
	})
}

func TestMaskCompileErrors(t *testing.T) {
	cases := []struct {
		name string
		m    *expr.Mask
		kind errs.Kind
		msg  string
	}{
		{"hash without key", &expr.Mask{Arg: ref(0, str), Kind: expr.MaskHash, Type: str, Policy: "pii"}, errs.KindInvalidArgument, `policy "pii" has no key`},
		{"hash to integer", &expr.Mask{Arg: ref(0, i32), Kind: expr.MaskHash, Type: i32, Key: []byte("k")}, errs.KindNotSupported, "produces text"},
		{"show_last date", &expr.Mask{Arg: ref(0, expr.Date), Kind: expr.MaskShowLast, N: 2, Type: expr.Date}, errs.KindNotSupported, "show_last mask"},
		{"bad unit", &expr.Mask{Arg: ref(0, expr.Date), Kind: expr.MaskDateTrunc, Unit: "fortnight", Type: expr.Date}, errs.KindInvalidArgument, "unknown unit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.m, layoutN(1))
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, tc.kind, errs.KindOf(err))
			require.NotContains(t, err.Error(), "secret")
		})
	}
}
