package executor

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

var (
	i32   = arrow.PrimitiveTypes.Int32
	i64   = arrow.PrimitiveTypes.Int64
	f64   = arrow.PrimitiveTypes.Float64
	str   = arrow.BinaryTypes.String
	boolT = arrow.FixedWidthTypes.Boolean
	d152  = &arrow.Decimal128Type{Precision: 15, Scale: 2}
	date  = arrow.FixedWidthTypes.Date32
)

func aggPlan(t *testing.T, input Plan, keys []int, aggs ...Aggregate) Plan {
	t.Helper()
	h, err := NewHashAggregate(input, HashAggregateOptions{GroupKeys: keys, Aggregates: aggs})
	require.NoError(t, err)
	return h
}

func TestAggregateFunctions(t *testing.T) {
	// k, i32, i64, dec(15,2), f64, str, bool, date
	schema := schemaOf(i64, i32, i64, d152, f64, str, boolT, date)
	rows := [][]any{
		{int64(1), int64(3), int64(10), dec(150), 1.5, "b", true, arrow.Date32(10)},
		{int64(1), int64(4), nil, dec(-25), 2.5, "a", false, arrow.Date32(5)},
		{int64(1), nil, int64(7), nil, nil, nil, nil, nil},
		{int64(2), int64(-1), int64(1), dec(1), 4.0, "zz", true, arrow.Date32(-3)},
		{nil, int64(5), int64(5), dec(5), nan, "n", true, arrow.Date32(0)},
		{nil, int64(6), int64(6), dec(6), 1.0, "m", true, arrow.Date32(1)},
	}
	tests := []struct {
		name string
		agg  Aggregate
		want map[any]any // group key → value
	}{
		{"count(*)", Aggregate{Func: "count"}, map[any]any{int64(1): int64(3), int64(2): int64(1), nil: int64(2)}},
		{"count(x)", Aggregate{Func: "count", Args: []int{1}}, map[any]any{int64(1): int64(2), int64(2): int64(1), nil: int64(2)}},
		{"sum(int)", Aggregate{Func: "sum", Args: []int{1}}, map[any]any{int64(1): int64(7), int64(2): int64(-1), nil: int64(11)}},
		{"sum(bigint)", Aggregate{Func: "sum", Args: []int{2}}, map[any]any{int64(1): dec(17), int64(2): dec(1), nil: dec(11)}},
		{"sum(numeric)", Aggregate{Func: "sum", Args: []int{3}}, map[any]any{int64(1): dec(125), int64(2): dec(1), nil: dec(11)}},
		{"sum(float)", Aggregate{Func: "sum", Args: []int{4}}, map[any]any{int64(1): 4.0, int64(2): 4.0, nil: nan}},
		// avg(numeric(15,2)) is numeric(38,6): 62.5 cents → 0.625000.
		{"avg(numeric)", Aggregate{Func: "avg", Args: []int{3}}, map[any]any{int64(1): dec(625000), int64(2): dec(10000), nil: dec(55000)}},
		{"avg(float)", Aggregate{Func: "avg", Args: []int{4}}, map[any]any{int64(1): 2.0, int64(2): 4.0, nil: nan}},
		{"min(int)", Aggregate{Func: "min", Args: []int{1}}, map[any]any{int64(1): int64(3), int64(2): int64(-1), nil: int64(5)}},
		{"max(numeric)", Aggregate{Func: "max", Args: []int{3}}, map[any]any{int64(1): dec(150), int64(2): dec(1), nil: dec(6)}},
		{"max(float) NaN is largest", Aggregate{Func: "max", Args: []int{4}}, map[any]any{int64(1): 2.5, int64(2): 4.0, nil: nan}},
		{"min(float) skips NaN", Aggregate{Func: "min", Args: []int{4}}, map[any]any{int64(1): 1.5, int64(2): 4.0, nil: 1.0}},
		{"min(text)", Aggregate{Func: "min", Args: []int{5}}, map[any]any{int64(1): "a", int64(2): "zz", nil: "m"}},
		{"max(text)", Aggregate{Func: "max", Args: []int{5}}, map[any]any{int64(1): "b", int64(2): "zz", nil: "n"}},
		{"min(bool)", Aggregate{Func: "min", Args: []int{6}}, map[any]any{int64(1): false, int64(2): true, nil: true}},
		{"max(date)", Aggregate{Func: "max", Args: []int{7}}, map[any]any{int64(1): arrow.Date32(10), int64(2): arrow.Date32(-3), nil: arrow.Date32(1)}},
		{"bool_and", Aggregate{Func: "bool_and", Args: []int{6}}, map[any]any{int64(1): false, int64(2): true, nil: true}},
		{"bool_or", Aggregate{Func: "bool_or", Args: []int{6}}, map[any]any{int64(1): true, int64(2): true, nil: true}},
		{"var_pop", Aggregate{Func: "var_pop", Args: []int{1}}, map[any]any{int64(1): 0.25, int64(2): 0.0, nil: 0.25}},
		{"var_samp", Aggregate{Func: "var_samp", Args: []int{1}}, map[any]any{int64(1): 0.5, int64(2): nil, nil: 0.5}},
		{"stddev_samp", Aggregate{Func: "stddev_samp", Args: []int{1}}, map[any]any{int64(1): math.Sqrt(0.5), int64(2): nil, nil: math.Sqrt(0.5)}},
		{"stddev_pop", Aggregate{Func: "stddev_pop", Args: []int{1}}, map[any]any{int64(1): 0.5, int64(2): 0.0, nil: 0.5}},
		{"count(DISTINCT)", Aggregate{Func: "count", Args: []int{6}, Distinct: true}, map[any]any{int64(1): int64(2), int64(2): int64(1), nil: int64(1)}},
		{"sum FILTER", Aggregate{Func: "sum", Args: []int{2}, HasFilter: true, Filter: 6}, map[any]any{int64(1): dec(10), int64(2): dec(1), nil: dec(11)}},
		{"array_agg", Aggregate{Func: "array_agg", Args: []int{1}}, map[any]any{int64(1): []any{int64(3), int64(4), nil}, int64(2): []any{int64(-1)}, nil: []any{int64(5), int64(6)}}},
		{"array_agg ORDER BY DESC", Aggregate{Func: "array_agg", Args: []int{1}, OrderBy: []SortColumn{{Column: 1, Desc: true, NullsFirst: true}}},
			map[any]any{int64(1): []any{nil, int64(4), int64(3)}, int64(2): []any{int64(-1)}, nil: []any{int64(6), int64(5)}}},
	}
	for _, tt := range tests {
		for _, parts := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/%dparts", tt.name, parts), func(t *testing.T) {
				tc := newTC(t)
				src := rowsSource(schema, rows, parts, 2)
				plan := singleOrTwoPhase(t, src, []int{0}, tt.agg)
				got := map[any]any{}
				for _, r := range run(t, tc, plan) {
					_, dup := got[r[0]]
					require.False(t, dup, "group %v twice", r[0])
					got[r[0]] = r[1]
				}
				require.Len(t, got, len(tt.want))
				for k, w := range tt.want {
					requireValue(t, w, got[k], "group %v", k)
				}
			})
		}
	}
}

// singleOrTwoPhase aggregates a one-partition input in Single mode, and a multi-partition
// one as Partial → Repartition → Final when possible (else Repartition → Single).
func singleOrTwoPhase(t *testing.T, src Plan, keys []int, aggs ...Aggregate) Plan {
	t.Helper()
	if src.Partitions() == 1 {
		return aggPlan(t, src, keys, aggs...)
	}
	partial, err := NewHashAggregate(src, HashAggregateOptions{Mode: AggregatePartial, GroupKeys: keys, Aggregates: aggs})
	if errs.KindOf(err) == errs.KindNotSupported {
		ex, err := NewRepartition(src, keys, 2)
		require.NoError(t, err)
		return aggPlan(t, ex, keys, aggs...)
	}
	require.NoError(t, err)
	pk := make([]int, len(keys))
	for i := range pk {
		pk[i] = i
	}
	var in Plan
	if len(keys) == 0 {
		in = NewCoalesce(partial)
	} else {
		in, err = NewRepartition(partial, pk, 2)
		require.NoError(t, err)
	}
	final, err := NewFinalAggregate(partial, in)
	require.NoError(t, err)
	return final
}

func requireValue(t *testing.T, want, got any, msgAndArgs ...any) {
	t.Helper()
	if w, ok := want.(float64); ok {
		g, ok := got.(float64)
		require.True(t, ok, msgAndArgs...)
		if math.IsNaN(w) {
			require.True(t, math.IsNaN(g), msgAndArgs...)
			return
		}
		require.InDelta(t, w, g, 1e-9, msgAndArgs...)
		return
	}
	require.Equal(t, want, got, msgAndArgs...)
}

func TestAggregateNoGroupKeys(t *testing.T) {
	schema := schemaOf(i64, d152, str)
	aggs := []Aggregate{
		{Func: "count"}, {Func: "count", Args: []int{0}}, {Func: "sum", Args: []int{0}}, {Func: "avg", Args: []int{1}},
		{Func: "min", Args: []int{2}}, {Func: "string_agg", Args: []int{2, 2}}, {Func: "array_agg", Args: []int{0}}, {Func: "bool_or", Args: []int{}},
	}
	aggs = aggs[:len(aggs)-1]
	tests := []struct {
		name string
		rows [][]any
		want []any
	}{
		{"empty", nil, []any{int64(0), int64(0), nil, nil, nil, nil, nil}},
		{"all NULL", [][]any{{nil, nil, nil}, {nil, nil, nil}}, []any{int64(2), int64(0), nil, nil, nil, nil, []any{nil, nil}}},
		{"values", [][]any{{int64(2), dec(100), "x"}, {int64(3), dec(200), "y"}},
			[]any{int64(2), int64(2), dec(5), dec(1500000), "x", "xyy", []any{int64(2), int64(3)}}},
	}
	for _, tt := range tests {
		for _, parts := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, parts), func(t *testing.T) {
				tc := newTC(t)
				plan := singleOrTwoPhase(t, rowsSource(schema, tt.rows, parts, 1), nil, aggs...)
				got := run(t, tc, plan)
				require.Len(t, got, 1, "exactly one row without GROUP BY")
				if parts > 1 {
					// Partitions arrive in any order: compare collected values as multisets.
					// string_agg(x, x) of x then y is "xyy", of y then x "yxx".
					if got[0][5] == "yxx" {
						got[0][5] = "xyy"
					}
					got[0][6] = sorted1(got[0][6])
				}
				require.Equal(t, tt.want, got[0])
			})
		}
	}
}

func TestAggregateKeyTypes(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	tests := []struct {
		name string
		dt   arrow.DataType
		vals []any // keys; each appears twice in the input
	}{
		{"int8", arrow.PrimitiveTypes.Int8, []any{int64(-128), int64(0), int64(127), nil}},
		{"int16", arrow.PrimitiveTypes.Int16, []any{int64(-300), int64(0), int64(300), nil}},
		{"int32", i32, []any{int64(1), int64(-1), nil}},
		{"int64", i64, []any{int64(math.MinInt64), int64(0), int64(math.MaxInt64), nil}},
		{"float64 NaN and -0", f64, []any{nan, 0.0, math.Inf(1), nil}},
		{"decimal", d152, []any{dec(1), dec(-1), dec(0), nil}},
		{"string", str, []any{"", "a", "a\x00", nil}},
		{"binary", arrow.BinaryTypes.Binary, []any{[]byte{}, []byte{0}, []byte{1, 2}, nil}},
		{"bool", boolT, []any{true, false, nil}},
		{"date", date, []any{arrow.Date32(0), arrow.Date32(19000), nil}},
		{"timestamp", ts, []any{arrow.Timestamp(0), arrow.Timestamp(-5), nil}},
		{"null", arrow.Null, []any{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := schemaOf(tt.dt, i64)
			var rows [][]any
			for _, v := range tt.vals {
				rows = append(rows, []any{v, int64(1)})
			}
			for _, v := range tt.vals {
				if f, ok := v.(float64); ok && f == 0 {
					v = math.Copysign(0, -1) // -0 groups with 0
				}
				rows = append(rows, []any{v, int64(2)})
			}
			for _, parts := range []int{1, 2} {
				tc := newTC(t)
				plan := singleOrTwoPhase(t, rowsSource(schema, rows, parts, 3), []int{0}, Aggregate{Func: "count"}, Aggregate{Func: "sum", Args: []int{1}})
				got := run(t, tc, plan)
				require.Len(t, got, len(tt.vals), "%v", got)
				for _, r := range got {
					require.Equal(t, int64(2), r[1])
					require.Equal(t, dec(3), r[2])
				}
			}
		})
	}
}

func TestAggregateMultipleKeysWithNulls(t *testing.T) {
	schema := schemaOf(str, i64, i64)
	rows := [][]any{
		{"a", int64(1), int64(1)}, {"a", nil, int64(2)}, {nil, int64(1), int64(3)}, {nil, nil, int64(4)},
		{"a", int64(1), int64(5)}, {nil, nil, int64(6)}, {"b", int64(1), int64(7)},
	}
	tc := newTC(t)
	got := run(t, tc, aggPlan(t, rowsSource(schema, rows, 1, 2), []int{0, 1}, Aggregate{Func: "sum", Args: []int{2}}))
	require.Equal(t, sorted([][]any{
		{"a", int64(1), dec(6)}, {"a", nil, dec(2)}, {nil, int64(1), dec(3)}, {nil, nil, dec(10)}, {"b", int64(1), dec(7)},
	}), sorted(got))
}

func TestAggregateStringAgg(t *testing.T) {
	schema := schemaOf(i64, str, str, i64)
	rows := [][]any{
		{int64(1), "a", ",", int64(3)}, {int64(1), nil, ",", int64(1)}, {int64(1), "b", ";", int64(2)},
		{int64(1), "c", nil, int64(0)}, {int64(2), nil, ",", int64(0)}, {int64(1), "a", "-", int64(9)},
	}
	tests := []struct {
		name string
		agg  Aggregate
		want map[any]any
	}{
		{"input order", Aggregate{Func: "string_agg", Args: []int{1, 2}}, map[any]any{int64(1): "a;bc-a", int64(2): nil}},
		{"ORDER BY", Aggregate{Func: "string_agg", Args: []int{1, 2}, OrderBy: []SortColumn{{Column: 3}}}, map[any]any{int64(1): "c;b,a-a", int64(2): nil}},
		{"DISTINCT", Aggregate{Func: "string_agg", Args: []int{1, 2}, Distinct: true}, map[any]any{int64(1): "a;bc-a", int64(2): nil}},
		{"DISTINCT values", Aggregate{Func: "array_agg", Args: []int{1}, Distinct: true}, map[any]any{int64(1): []any{"a", nil, "b", "c"}, int64(2): []any{nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newTC(t)
			got := map[any]any{}
			for _, r := range run(t, tc, aggPlan(t, rowsSource(schema, rows, 1, 2), []int{0}, tt.agg)) {
				got[r[0]] = r[1]
			}
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("two-phase keeps every value", func(t *testing.T) {
		tc := newTC(t)
		plan := singleOrTwoPhase(t, rowsSource(schema, rows, 3, 1), []int{0}, Aggregate{Func: "string_agg", Args: []int{1, 2}})
		for _, r := range run(t, tc, plan) {
			if r[0] == int64(1) {
				require.Len(t, r[1], 6)
			}
		}
	})
}

func TestAggregateOverflow(t *testing.T) {
	big := decimal128.GetMaxValue(38)
	schema := schemaOf(&arrow.Decimal128Type{Precision: 38, Scale: 0})
	tc := newTC(t)
	_, err := Collect(context.Background(), tc, aggPlan(t, rowsSource(schema, [][]any{{big}, {big}}, 1, 1), nil, Aggregate{Func: "sum", Args: []int{0}}))
	require.ErrorIs(t, err, errs.InvalidArgument)
	require.ErrorContains(t, err, "sum(c0) is out of range for numeric(38,0)")

	// Small-integer sums merge partial int64 states with an overflow check.
	acc := &sumIntAcc{sums: newVec[int64](tc.Alloc), seen: newVec[bool](tc.Alloc), label: "sum(x)"}
	defer acc.release()
	acc.resize(1)
	bld := array.NewInt64Builder(tc.Alloc)
	bld.AppendValues([]int64{math.MaxInt64, 1}, nil)
	arr := bld.NewArray()
	bld.Release()
	defer arr.Release()
	require.ErrorContains(t, acc.merge([]uint32{0, 0}, []arrow.Array{arr}), "out of range for bigint")
}

func TestAggregateErrors(t *testing.T) {
	schema := schemaOf(i64, arrow.FixedWidthTypes.MonthDayNanoInterval)
	src := rowsSource(schema, nil, 2, 1)
	_, err := NewHashAggregate(src, HashAggregateOptions{Mode: AggregatePartial, Aggregates: []Aggregate{{Func: "count", Args: []int{0}, Distinct: true}}})
	require.ErrorIs(t, err, errs.NotSupported)
	_, err = NewHashAggregate(src, HashAggregateOptions{Aggregates: []Aggregate{{Func: "min", Args: []int{1}}}})
	require.ErrorIs(t, err, errs.NotSupported)
	_, err = NewHashAggregate(src, HashAggregateOptions{Aggregates: []Aggregate{{Func: "median", Args: []int{0}}}})
	require.ErrorIs(t, err, errs.NotSupported)
	_, err = NewHashAggregate(src, HashAggregateOptions{GroupKeys: []int{5}})
	require.ErrorIs(t, err, errs.Internal)
}

func TestAggregateBudget(t *testing.T) {
	schema := schemaOf(i64, str)
	var rows [][]any
	for i := range 20000 {
		rows = append(rows, []any{int64(i), fmt.Sprintf("value-%d", i)})
	}
	tc := newTC(t)
	tc.Budget = NewBudget(tc.Alloc, 64*1024)
	tc.Alloc = tc.Budget
	_, err := Collect(context.Background(), tc, aggPlan(t, rowsSource(schema, rows, 1, 1000), []int{0, 1}, Aggregate{Func: "count"}))
	require.ErrorIs(t, err, errs.ResourceExhausted)
	require.ErrorContains(t, err, "HashAggregate")
}

// TestAggregateTwoPhaseMatchesSingle compares Partial→Repartition→Final with Single on
// random data with many groups, NULLs and several partitions.
func TestAggregateTwoPhaseMatchesSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	schema := schemaOf(i64, str, i32, d152, f64)
	var rows [][]any
	for range 3000 {
		row := []any{int64(rng.IntN(50)), fmt.Sprintf("k%d", rng.IntN(3)), int64(rng.IntN(1000) - 500), dec(rng.Int64N(1e6)), rng.Float64()}
		for c := range row {
			if rng.IntN(10) == 0 {
				row[c] = nil
			}
		}
		rows = append(rows, row)
	}
	aggs := []Aggregate{
		{Func: "count"}, {Func: "sum", Args: []int{2}}, {Func: "sum", Args: []int{3}}, {Func: "avg", Args: []int{3}},
		{Func: "avg", Args: []int{4}}, {Func: "min", Args: []int{1}}, {Func: "max", Args: []int{3}},
		{Func: "var_samp", Args: []int{4}}, {Func: "count", Args: []int{2}, HasFilter: false},
	}
	tc := newTC(t)
	want := run(t, tc, aggPlan(t, rowsSource(schema, rows, 1, 100), []int{0, 1}, aggs...))
	got := run(t, tc, singleOrTwoPhase(t, rowsSource(schema, rows, 4, 97), []int{0, 1}, aggs...))
	require.Equal(t, len(want), len(got))
	ws, gs := sorted(want), sorted(got)
	for i := range ws {
		for c := range ws[i] {
			requireValue(t, roundFloat(ws[i][c]), roundFloat(gs[i][c]), "row %v col %d", ws[i], c)
		}
	}
}

func roundFloat(v any) any {
	if f, ok := v.(float64); ok {
		return math.Round(f*1e6) / 1e6
	}
	return v
}

func TestDistinct(t *testing.T) {
	schema := schemaOf(i64, str)
	rows := [][]any{{int64(1), "a"}, {int64(1), "a"}, {nil, "a"}, {nil, "a"}, {int64(1), nil}, {int64(1), nil}, {int64(2), "b"}}
	for _, parts := range []int{1, 3} {
		tc := newTC(t)
		d, err := NewDistinct(rowsSource(schema, rows, parts, 1))
		require.NoError(t, err)
		require.Equal(t, sorted([][]any{{int64(1), "a"}, {nil, "a"}, {int64(1), nil}, {int64(2), "b"}}), sorted(run(t, tc, d)))
	}
}

func sorted1(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	out := slices.Clone(l)
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}
