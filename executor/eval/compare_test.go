package eval

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

func TestComparisons(t *testing.T) {
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	// truth[op] for (a, b) with a < b, a = b, a > b.
	truth := map[string][3]bool{
		"=": {false, true, false}, "<>": {true, false, true}, "<": {true, false, false},
		"<=": {true, true, false}, ">": {false, false, true}, ">=": {false, true, true},
	}
	type triple struct {
		typ     arrow.DataType
		lo, hi  any
		name    string
		extraLo any // a second value below hi, to fill more than 8 rows
	}
	d := func(s string) any { return dec(t, s, 15, 2) }
	triples := []triple{
		{typ: i32, lo: int64(-3), hi: int64(7), name: "int"},
		{typ: expr.Int8, lo: int64(-128), hi: int64(127), name: "tinyint"},
		{typ: i64, lo: int64(math.MinInt64), hi: int64(math.MaxInt64), name: "bigint"},
		{typ: f64, lo: -0.5, hi: math.NaN(), name: "float NaN is largest"},
		{typ: f64, lo: math.Inf(-1), hi: 2.5, name: "float"},
		{typ: f32, lo: 1.5, hi: 2.5, name: "real"},
		{typ: expr.Decimal(15, 2), lo: d("-1.05"), hi: d("1.04"), name: "decimal"},
		{typ: expr.Decimal(38, 0), lo: dec(t, "-99999999999999999999999999999999999999", 38, 0), hi: dec(t, "12345678901234567890123", 38, 0), name: "wide decimal"},
		{typ: str, lo: "ab", hi: "abc", name: "text prefix"},
		{typ: str, lo: "B", hi: "a", name: "text bytewise"},
		{typ: str, lo: "", hi: "é", name: "text utf8"},
		{typ: expr.Binary, lo: []byte{0x00}, hi: []byte{0xff}, name: "bytea"},
		{typ: expr.Bool, lo: false, hi: true, name: "bool"},
		{typ: expr.Date, lo: date(1998, 9, 2), hi: date(1998, 12, 1), name: "date"},
		{typ: expr.Timestamp, lo: ts(2024, 1, 1, 0, 0, 0, 1), hi: ts(2024, 1, 1, 0, 0, 1, 0), name: "timestamp"},
		{typ: expr.TimestampTZ, lo: ts(1969, 12, 31, 23, 59, 59, 0), hi: ts(1970, 1, 1, 0, 0, 0, 0), name: "timestamptz"},
	}
	var cases []callCase
	for _, tr := range triples {
		for _, op := range ops {
			tt := truth[op]
			// 10 rows so the packed loops run a full byte and a tail.
			var rs [][]any
			var want []any
			for k := 0; k < 10; k++ {
				switch k % 4 {
				case 0:
					rs = append(rs, row(tr.lo, tr.hi))
					want = append(want, tt[0])
				case 1:
					rs = append(rs, row(tr.hi, tr.hi))
					want = append(want, tt[1])
				case 2:
					rs = append(rs, row(tr.hi, tr.lo))
					want = append(want, tt[2])
				default:
					rs = append(rs, row(nil, tr.lo))
					want = append(want, nil)
				}
			}
			cases = append(cases, callCase{name: tr.name + " " + op, fn: op, types: []arrow.DataType{tr.typ, tr.typ}, rows: rs, want: want})
			// Column against a literal, the common filter shape.
			lits := make([][]any, 0, 9)
			litWant := make([]any, 0, 9)
			for k := 0; k < 9; k++ {
				switch k % 3 {
				case 0:
					lits = append(lits, row(tr.lo, tr.hi))
					litWant = append(litWant, tt[0])
				case 1:
					lits = append(lits, row(tr.hi, tr.hi))
					litWant = append(litWant, tt[1])
				default:
					lits = append(lits, row(nil, tr.hi))
					litWant = append(litWant, nil)
				}
			}
			cases = append(cases, callCase{name: tr.name + " " + op + " literal", fn: op, types: []arrow.DataType{tr.typ, tr.typ},
				rows: lits, want: litWant, consts: []int{1}})
			cases = append(cases, callCase{name: tr.name + " literal " + op, fn: op, types: []arrow.DataType{tr.typ, tr.typ},
				rows: rows(row(tr.hi, tr.lo), row(tr.hi, tr.hi), row(tr.hi, nil)), want: i64s(tt[2], tt[1], nil), consts: []int{0}})
		}
	}
	runCallCases(t, cases)
}

func TestDistinctFrom(t *testing.T) {
	ii := []arrow.DataType{i32, i32}
	rs := rows(row(int64(1), int64(1)), row(int64(1), int64(2)), row(nil, int64(2)), row(int64(1), nil), row(nil, nil))
	runCallCases(t, []callCase{
		{name: "is distinct from", fn: "is_distinct_from", types: ii, rows: rs, want: i64s(false, true, true, true, false)},
		{name: "is not distinct from", fn: "is_not_distinct_from", types: ii, rows: rs, want: i64s(true, false, false, false, true)},
		{name: "text", fn: "is_distinct_from", types: []arrow.DataType{str, str}, rows: rows(row("a", "a"), row("a", nil)), want: i64s(false, true)},
	})
}

func TestLogic(t *testing.T) {
	bb := []arrow.DataType{expr.Bool, expr.Bool}
	var all [][]any
	for _, a := range []any{true, false, nil} {
		for _, b := range []any{true, false, nil} {
			all = append(all, row(a, b))
		}
	}
	runCallCases(t, []callCase{
		{name: "and", fn: "and", types: bb, rows: all, want: i64s(true, false, nil, false, false, false, nil, false, nil)},
		{name: "or", fn: "or", types: bb, rows: all, want: i64s(true, true, true, true, false, nil, true, nil, nil)},
		{name: "not", fn: "not", types: []arrow.DataType{expr.Bool}, rows: rows(row(true), row(false), row(nil)), want: i64s(false, true, nil)},
		{name: "is null", fn: "is_null", types: []arrow.DataType{str}, rows: rows(row("x"), row(nil)), want: i64s(false, true)},
		{name: "is not null", fn: "is_not_null", types: []arrow.DataType{str}, rows: rows(row("x"), row(nil)), want: i64s(true, false)},
	})
}
