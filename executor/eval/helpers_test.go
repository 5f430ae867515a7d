package eval

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// column builds an array of type t from canonical values (nil for NULL).
func column(t testing.TB, alloc memory.Allocator, typ arrow.DataType, vals ...any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(alloc, typ)
	defer b.Release()
	for _, v := range vals {
		require.NoError(t, expr.AppendValue(b, v))
	}
	return b.NewArray()
}

// slicedColumn builds the values with padding rows around them and returns the slice holding
// just the values, so kernels see a non-zero offset.
func slicedColumn(t testing.TB, alloc memory.Allocator, typ arrow.DataType, pad any, vals ...any) arrow.Array {
	t.Helper()
	padded := append(append([]any{pad, pad, pad}, vals...), pad, pad)
	full := column(t, alloc, typ, padded...)
	defer full.Release()
	return array.NewSlice(full, 3, int64(3+len(vals)))
}

// recordOf wraps columns c0, c1, … in a batch; it takes over the arrays.
func recordOf(cols []arrow.Array, n int) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: c.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func ref(i int, typ arrow.DataType) *expr.ColumnRef {
	return &expr.ColumnRef{ID: expr.ColumnID(i), Name: fmt.Sprintf("c%d", i), Type: typ}
}

func layoutN(n int) Layout {
	l := Layout{}
	for i := 0; i < n; i++ {
		l[expr.ColumnID(i)] = i
	}
	return l
}

// values reads an array back as canonical values.
func values(a arrow.Array) []any {
	out := make([]any, a.Len())
	for i := range out {
		out[i] = expr.ValueAt(a, i)
	}
	return out
}

// evalExpr compiles e and evaluates it on rec with alloc.
func evalExpr(t testing.TB, alloc memory.Allocator, e expr.Expr, rec arrow.RecordBatch) ([]any, error) {
	t.Helper()
	ev, err := Compile(e, layoutN(int(rec.NumCols())))
	if err != nil {
		return nil, err
	}
	res, err := ev.Eval(alloc, rec)
	if err != nil {
		return nil, err
	}
	defer res.Release()
	require.Equal(t, int(rec.NumRows()), res.Len())
	require.True(t, arrow.TypeEqual(e.DataType(), res.DataType()) || sameColumnType(e.DataType(), res.DataType()),
		"result type %s, want %s", res.DataType(), e.DataType())
	if v, ok := res.(interface{ ValidateFull() error }); ok {
		require.NoError(t, v.ValidateFull())
	}
	return values(res), nil
}

// normalize makes floats comparable (NaN equals NaN).
func normalize(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		if f, ok := v.(float64); ok && math.IsNaN(f) {
			out[i] = "NaN"
			continue
		}
		out[i] = v
	}
	return out
}

// callCase tests one function over rows of argument values.
type callCase struct {
	name  string
	fn    string
	types []arrow.DataType
	rows  [][]any // argument values per row
	want  []any   // result per row
	err   string  // expected error (substring) instead of want
	kind  errs.Kind
	// consts lists argument positions given as literals rather than columns.
	consts []int
}

// runCallCases evaluates each case four ways that must agree: on plain columns, on sliced
// columns, row by row with every argument a literal (constant folding), and row by row with
// the first argument a column and the others literals (array–scalar kernels). Each also runs
// on an empty batch.
func runCallCases(t *testing.T, cases []callCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc := testutil.CheckedAllocator(t)
			isConst := map[int]bool{}
			for _, k := range tc.consts {
				isConst[k] = true
			}
			build := func(sliced bool, rows [][]any) (expr.Expr, arrow.RecordBatch) {
				var cols []arrow.Array
				args := make([]expr.Expr, len(tc.types))
				for k, typ := range tc.types {
					if isConst[k] {
						l, err := expr.LiteralFromValue(typ, tc.rows[0][k])
						require.NoError(t, err)
						args[k] = l
						continue
					}
					vals := make([]any, len(rows))
					for r := range rows {
						vals[r] = rows[r][k]
					}
					var pad any
					if len(rows) > 0 {
						pad = rows[0][k]
					}
					if sliced {
						cols = append(cols, slicedColumn(t, alloc, typ, pad, vals...))
					} else {
						cols = append(cols, column(t, alloc, typ, vals...))
					}
					args[k] = ref(len(cols)-1, typ)
				}
				call, err := expr.ResolveCall(tc.fn, args)
				require.NoError(t, err)
				return call, recordOf(cols, len(rows))
			}
			check := func(what string, got []any, err error, want []any) {
				if tc.err != "" {
					require.Error(t, err, what)
					require.Contains(t, err.Error(), tc.err, what)
					require.Equal(t, tc.kind, errs.KindOf(err), what)
					// Errors never carry data: a value may be masked or secret.
					for _, r := range tc.rows {
						for _, v := range r {
							if s, ok := v.(string); ok && len(s) > 3 {
								require.NotContains(t, err.Error(), s, "%s: error leaks a value", what)
							}
						}
					}
					return
				}
				require.NoError(t, err, what)
				require.Equal(t, normalize(want), normalize(got), what)
			}
			for _, sliced := range []bool{false, true} {
				e, rec := build(sliced, tc.rows)
				got, err := evalExpr(t, alloc, e, rec)
				rec.Release()
				check(fmt.Sprintf("columns (sliced=%v)", sliced), got, err, tc.want)
			}
			// Row by row: all literals, then first column + literals.
			for r, row := range tc.rows {
				if tc.err != "" && r > 0 {
					break
				}
				lits := make([]expr.Expr, len(row))
				for k, v := range row {
					l, err := expr.LiteralFromValue(tc.types[k], v)
					require.NoError(t, err)
					lits[k] = l
				}
				call, err := expr.ResolveCall(tc.fn, lits)
				require.NoError(t, err)
				var want []any
				if tc.err == "" {
					want = []any{tc.want[r]}
				}
				lit, err := FoldConstant(call)
				var got []any
				if err == nil {
					got = []any{lit.Value}
					require.True(t, arrow.TypeEqual(call.DataType(), lit.Type))
				}
				if tc.err != "" && err == nil {
					continue // the error may come from another row
				}
				check(fmt.Sprintf("folded row %d", r), got, err, want)

				if len(row) > 1 && !isConst[0] {
					col := column(t, alloc, tc.types[0], row[0])
					lits[0] = ref(0, tc.types[0])
					call, err := expr.ResolveCall(tc.fn, lits)
					require.NoError(t, err)
					rec := recordOf([]arrow.Array{col}, 1)
					got, err := evalExpr(t, alloc, call, rec)
					rec.Release()
					check(fmt.Sprintf("column+literals row %d", r), got, err, want)
				}
			}
			if tc.err == "" && len(tc.rows) > 0 {
				e, rec := build(false, tc.rows[:0])
				got, err := evalExpr(t, alloc, e, rec)
				rec.Release()
				require.NoError(t, err)
				require.Empty(t, got)
			}
		})
	}
}

// row is shorthand for one row of arguments.
func row(vs ...any) []any { return vs }

func rows(vs ...[]any) [][]any { return vs }

func i64s(vs ...any) []any { return vs }
