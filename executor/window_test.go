package executor

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

func TestWindowFunctions(t *testing.T) {
	// id, p, o, v, w (= v as numeric(10,2)), n (constant 2), def (-1)
	schema := schemaOf(i64, i64, i64, i64, &arrow.Decimal128Type{Precision: 10, Scale: 2}, i64, i64)
	raw := [][]any{
		{1, 1, 10}, {1, 2, 20}, {1, 2, 30}, {1, 3, nil}, {1, 5, 50},
		{2, 1, 2}, {2, 1, 3}, {2, nil, 1},
	}
	var rows [][]any
	for i, r := range raw {
		var o, v, w any
		if r[1] != nil {
			o = int64(r[1].(int))
		}
		if r[2] != nil {
			v = int64(r[2].(int))
			w = dec(int64(r[2].(int)) * 100)
		}
		rows = append(rows, []any{int64(i), int64(r[0].(int)), o, v, w, int64(2), int64(-1)})
	}
	rowsFrame := func(s, e FrameBound) *WindowFrame { return &WindowFrame{Mode: FrameRows, Start: s, End: e} }
	rangeFrame := func(s, e FrameBound) *WindowFrame { return &WindowFrame{Mode: FrameRange, Start: s, End: e} }
	prec := func(n int64) FrameBound { return FrameBound{Kind: Preceding, Offset: n} }
	foll := func(n int64) FrameBound { return FrameBound{Kind: Following, Offset: n} }
	up, uf, cur := FrameBound{Kind: UnboundedPreceding}, FrameBound{Kind: UnboundedFollowing}, FrameBound{Kind: CurrentRow}
	N := any(nil)
	I := func(vs ...any) []any {
		for i, v := range vs {
			if x, ok := v.(int); ok {
				vs[i] = int64(x)
			}
		}
		return vs
	}
	tests := []struct {
		fn   WindowFunc
		want []any
	}{
		{WindowFunc{Func: "row_number"}, I(1, 2, 3, 4, 5, 1, 2, 3)},
		{WindowFunc{Func: "rank"}, I(1, 2, 2, 4, 5, 1, 1, 3)},
		{WindowFunc{Func: "dense_rank"}, I(1, 2, 2, 3, 4, 1, 1, 2)},
		{WindowFunc{Func: "percent_rank"}, []any{0.0, 0.25, 0.25, 0.75, 1.0, 0.0, 0.0, 1.0}},
		{WindowFunc{Func: "cume_dist"}, []any{0.2, 0.6, 0.6, 0.8, 1.0, 2.0 / 3, 2.0 / 3, 1.0}},
		{WindowFunc{Func: "ntile", Args: []int{5}}, []any{int64(1), int64(1), int64(1), int64(2), int64(2), int64(1), int64(1), int64(2)}},
		{WindowFunc{Func: "lag", Args: []int{3}}, I(N, 10, 20, 30, N, N, 2, 3)},
		{WindowFunc{Func: "lag", Args: []int{3, 5, 6}}, I(-1, -1, 10, 20, 30, -1, -1, 2)},
		{WindowFunc{Func: "lead", Args: []int{3}}, I(20, 30, N, 50, N, 3, 1, N)},
		{WindowFunc{Func: "sum", Args: []int{3}}, []any{dec(10), dec(60), dec(60), dec(60), dec(110), dec(5), dec(5), dec(6)}},
		{WindowFunc{Func: "count", Args: []int{3}}, I(1, 3, 3, 3, 4, 2, 2, 3)},
		{WindowFunc{Func: "count"}, I(1, 3, 3, 4, 5, 2, 2, 3)},
		{WindowFunc{Func: "sum", Args: []int{3}, Frame: rowsFrame(prec(1), foll(1))}, []any{dec(30), dec(60), dec(50), dec(80), dec(50), dec(5), dec(6), dec(4)}},
		{WindowFunc{Func: "sum", Args: []int{4}, Frame: rowsFrame(prec(1), cur)}, []any{dec(1000), dec(3000), dec(5000), dec(3000), dec(5000), dec(200), dec(500), dec(400)}},
		{WindowFunc{Func: "avg", Args: []int{4}, Frame: rowsFrame(prec(1), cur)}, []any{dec(10000000), dec(15000000), dec(25000000), dec(30000000), dec(50000000), dec(2000000), dec(2500000), dec(2000000)}},
		{WindowFunc{Func: "first_value", Args: []int{3}}, I(10, 10, 10, 10, 10, 2, 2, 2)},
		{WindowFunc{Func: "last_value", Args: []int{3}}, I(10, 30, 30, N, 50, 3, 3, 1)},
		{WindowFunc{Func: "nth_value", Args: []int{3, 5}, Frame: rowsFrame(up, uf)}, I(20, 20, 20, 20, 20, 3, 3, 3)},
		{WindowFunc{Func: "min", Args: []int{3}, Frame: rangeFrame(prec(1), foll(1))}, I(10, 10, 10, 20, 50, 2, 2, 1)},
		{WindowFunc{Func: "max", Args: []int{3}, Frame: rangeFrame(prec(1), foll(1))}, I(30, 30, 30, 30, 50, 3, 3, 1)},
		{WindowFunc{Func: "avg", Args: []int{3}, Frame: rowsFrame(up, uf)}, []any{27.5, 27.5, 27.5, 27.5, 27.5, 2.0, 2.0, 2.0}},
		{WindowFunc{Func: "sum", Args: []int{3}, Frame: rowsFrame(foll(1), foll(2))}, []any{dec(50), dec(30), dec(50), dec(50), nil, dec(4), dec(1), nil}},
		{WindowFunc{Func: "count", Args: []int{3}, Frame: rangeFrame(cur, uf)}, I(4, 3, 3, 1, 1, 3, 3, 1)},
		{WindowFunc{Func: "count", HasFilter: true, Filter: 7}, I(0, 2, 2, 2, 3, 0, 0, 0)},
		{WindowFunc{Func: "var_pop", Args: []int{3}, Frame: rowsFrame(up, cur)}, []any{0.0, 25.0, 66.66666666666667, 66.66666666666667, 218.75, 0.0, 0.25, 2.0 / 3}},
	}
	// A FILTER column: v > 15 (NULL false).
	for i := range rows {
		v, _ := rows[i][3].(int64)
		rows[i] = append(rows[i], v > 15 || (rows[i][3] == nil && false))
	}
	schema = arrow.NewSchema(append(schema.Fields(), arrow.Field{Name: "f", Type: boolT, Nullable: true}), nil)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s%v%v", tt.fn.Func, tt.fn.Args, tt.fn.Frame), func(t *testing.T) {
			for _, parts := range []int{1, 3} {
				tc := newTC(t)
				tc.BatchRows = 3
				var input Plan = rowsSource(schema, rows, 1, 3)
				if parts > 1 {
					ex, err := NewRepartition(input, []int{1}, parts)
					require.NoError(t, err)
					input, err = NewSort(ex, []SortColumn{{Column: 1}, {Column: 2}})
					require.NoError(t, err)
				}
				w, err := NewWindow(input, WindowOptions{PartitionBy: []int{1}, OrderBy: []SortColumn{{Column: 2}}, Funcs: []WindowFunc{tt.fn}})
				require.NoError(t, err)
				got := run(t, tc, w)
				require.Len(t, got, len(rows))
				byID := map[int64]any{}
				for _, r := range got {
					byID[r[0].(int64)] = r[len(r)-1]
				}
				for i, want := range tt.want {
					requireValue(t, want, byID[int64(i)], "row %d", i)
				}
			}
		})
	}
}

func TestWindowNoOrderAndDesc(t *testing.T) {
	schema := schemaOf(i64, f64)
	rows := [][]any{{int64(1), 1.0}, {int64(1), 2.0}, {int64(2), 4.0}, {int64(2), nil}, {int64(3), 8.0}}
	tc := newTC(t)
	w, err := NewWindow(rowsSource(schema, rows, 1, 2), WindowOptions{PartitionBy: []int{0}, Funcs: []WindowFunc{
		{Func: "sum", Args: []int{1}, Name: "total"}, {Func: "row_number"}, {Func: "rank"},
	}})
	require.NoError(t, err)
	got := run(t, tc, w)
	require.Equal(t, [][]any{
		{int64(1), 1.0, 3.0, int64(1), int64(1)}, {int64(1), 2.0, 3.0, int64(2), int64(1)},
		{int64(2), 4.0, 4.0, int64(1), int64(1)}, {int64(2), nil, 4.0, int64(2), int64(1)},
		{int64(3), 8.0, 8.0, int64(1), int64(1)},
	}, got)
	require.Equal(t, "total", w.Schema().Field(2).Name)

	// ORDER BY o DESC with RANGE 2 PRECEDING: preceding means larger keys.
	schema2 := schemaOf(i64)
	desc := rowsSource(schema2, intRows(9, 8, 6, 5, 1), 1, 2)
	w2, err := NewWindow(desc, WindowOptions{OrderBy: []SortColumn{{Column: 0, Desc: true}}, Funcs: []WindowFunc{
		{Func: "count", Frame: &WindowFrame{Mode: FrameRange, Start: FrameBound{Kind: Preceding, Offset: int64(2)}, End: FrameBound{Kind: CurrentRow}}},
	}})
	require.NoError(t, err)
	got = run(t, tc, w2)
	counts := []any{}
	for _, r := range got {
		counts = append(counts, r[1])
	}
	require.Equal(t, []any{int64(1), int64(2), int64(2), int64(2), int64(1)}, counts)
}

func TestWindowErrors(t *testing.T) {
	schema := schemaOf(i64, i64)
	src := rowsSource(schema, intRows(), 1, 1)
	_, err := NewWindow(src, WindowOptions{Funcs: []WindowFunc{{Func: "percentile_cont", Args: []int{0}}}})
	require.ErrorIs(t, err, errs.NotSupported)
	_, err = NewWindow(src, WindowOptions{OrderBy: []SortColumn{{Column: 0}, {Column: 1}}, Funcs: []WindowFunc{{Func: "count",
		Frame: &WindowFrame{Mode: FrameRange, Start: FrameBound{Kind: Preceding, Offset: int64(1)}, End: FrameBound{Kind: CurrentRow}}}}})
	require.ErrorIs(t, err, errs.InvalidArgument)
	_, err = NewWindow(src, WindowOptions{Funcs: []WindowFunc{{Func: "sum", Args: []int{0},
		Frame: &WindowFrame{Mode: FrameRows, Start: FrameBound{Kind: Preceding, Offset: int64(-1)}, End: FrameBound{Kind: CurrentRow}}}}})
	require.ErrorIs(t, err, errs.InvalidArgument)
}
