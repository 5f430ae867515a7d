package executor

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

// refCompare orders two canonical values of one sort key as PostgreSQL does.
func refCompare(a, b any, k SortColumn) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if k.NullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if k.NullsFirst {
			return 1
		}
		return -1
	}
	var c int
	switch x := a.(type) {
	case int64:
		c = cmp.Compare(x, b.(int64))
	case float64:
		c = pgFloatCmp(x, b.(float64))
	case string:
		c = cmp.Compare(x, b.(string))
	case []byte:
		c = bytes.Compare(x, b.([]byte))
	case bool:
		c = cmp.Compare(boolInt(x), boolInt(b.(bool)))
	case decimal128.Num:
		c = x.Cmp(b.(decimal128.Num))
	case arrow.Date32:
		c = cmp.Compare(x, b.(arrow.Date32))
	case arrow.Timestamp:
		c = cmp.Compare(x, b.(arrow.Timestamp))
	default:
		panic(fmt.Sprintf("refCompare %T", a))
	}
	if k.Desc {
		c = -c
	}
	return c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func refSort(rows [][]any, keys []SortColumn) [][]any {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b []any) int {
		for _, k := range keys {
			if c := refCompare(a[k.Column], b[k.Column], k); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

var sortTypes = []arrow.DataType{
	i64, arrow.PrimitiveTypes.Int8, f64, str, arrow.BinaryTypes.Binary, boolT, d152, date,
	&arrow.TimestampType{Unit: arrow.Microsecond}, i32,
}

// randomValue returns a canonical value of dt from a small domain (to get ties), or NULL.
func randomValue(rng *rand.Rand, dt arrow.DataType) any {
	if rng.IntN(8) == 0 {
		return nil
	}
	n := rng.IntN(12) - 6
	switch dt.ID() {
	case arrow.INT64, arrow.INT32:
		if rng.IntN(20) == 0 {
			return int64(math.MinInt32)
		}
		return int64(n)
	case arrow.INT8:
		return int64(n * 20)
	case arrow.FLOAT64:
		switch rng.IntN(10) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(-1)
		case 2:
			return math.Copysign(0, -1)
		}
		return float64(n) / 4
	case arrow.STRING:
		return []string{"", "a", "a\x00", "ab", "b", "\xff", "A", "é"}[rng.IntN(8)]
	case arrow.BINARY:
		return [][]byte{{}, {0}, {0, 0}, {1}, {255}, {1, 0}}[rng.IntN(6)]
	case arrow.BOOL:
		return n > 0
	case arrow.DECIMAL128:
		return decimal128.FromI64(int64(n) * 12345)
	case arrow.DATE32:
		return arrow.Date32(n * 1000)
	case arrow.TIMESTAMP:
		return arrow.Timestamp(int64(n) * 1e12)
	}
	panic(dt)
}

func TestSortAllTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dt := range sortTypes {
		for _, desc := range []bool{false, true} {
			for _, nullsFirst := range []bool{false, true} {
				name := fmt.Sprintf("%s/desc=%v/nullsFirst=%v", dt, desc, nullsFirst)
				t.Run(name, func(t *testing.T) {
					schema := schemaOf(dt, i64)
					var rows [][]any
					for i := range 300 {
						rows = append(rows, []any{randomValue(rng, dt), int64(i)})
					}
					keys := []SortColumn{{Column: 0, Desc: desc, NullsFirst: nullsFirst}}
					tc := newTC(t)
					tc.BatchRows = 64
					s, err := NewSort(rowsSource(schema, rows, 1, 37), keys)
					require.NoError(t, err)
					// Stable: equal keys keep input order, which the reference sort also does.
					requireSameOrder(t, refSort(rows, keys), run(t, tc, s))
				})
			}
		}
	}
}

// requireSameOrder compares rows, treating NaN as equal to NaN.
func requireSameOrder(t *testing.T, want, got [][]any) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		require.Equal(t, fmt.Sprint(want[i]), fmt.Sprint(got[i]), "row %d", i)
	}
}

func TestSortMultiKeyMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	schema := schemaOf(str, i64, f64, i64)
	var rows [][]any
	for i := range 2000 {
		rows = append(rows, []any{randomValue(rng, str), randomValue(rng, i64), randomValue(rng, f64), int64(i)})
	}
	keys := []SortColumn{{Column: 0, NullsFirst: true}, {Column: 1, Desc: true, NullsFirst: true}, {Column: 2}, {Column: 3}}
	for _, parts := range []int{1, 4} {
		tc := newTC(t)
		tc.BatchRows = 100
		s, err := NewSort(rowsSource(schema, rows, parts, 53), keys)
		require.NoError(t, err)
		m, err := NewSortPreservingMerge(s, keys)
		require.NoError(t, err)
		requireSameOrder(t, refSort(rows, keys), run(t, tc, m))
	}
}

// TestTopNMatchesSortLimit is a property test: on random data TopN returns exactly what
// Sort + merge + Limit returns (a unique last key makes the order total).
func TestTopNMatchesSortLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	schema := schemaOf(i64, str, f64, i64)
	for trial := range 40 {
		n := rng.IntN(400)
		var rows [][]any
		for i := range n {
			rows = append(rows, []any{randomValue(rng, i64), randomValue(rng, str), randomValue(rng, f64), int64(i)})
		}
		keys := []SortColumn{{Column: rng.IntN(3), Desc: rng.IntN(2) == 0, NullsFirst: rng.IntN(2) == 0}, {Column: 3}}
		offset, fetch := int64(rng.IntN(30)), int64(rng.IntN(60))
		parts := 1 + rng.IntN(4)
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			tc := newTC(t)
			tc.BatchRows = 1 + rng.IntN(40)
			src := rowsSource(schema, rows, parts, 1+rng.IntN(30))
			top, err := NewTopN(src, keys, offset, fetch)
			require.NoError(t, err)
			s, err := NewSort(src, keys)
			require.NoError(t, err)
			m, err := NewSortPreservingMerge(s, keys)
			require.NoError(t, err)
			l, err := NewLimit(m, offset, fetch)
			require.NoError(t, err)
			requireSameOrder(t, run(t, tc, l), run(t, tc, top))
		})
	}
}

func TestSortBudget(t *testing.T) {
	schema := schemaOf(i64)
	var rows [][]any
	for i := range 50000 {
		rows = append(rows, []any{int64(i)})
	}
	tc := newTC(t)
	tc.Budget = NewBudget(tc.Alloc, 64*1024)
	tc.Alloc = tc.Budget
	s, err := NewSort(rowsSource(schema, rows, 1, 1000), []SortColumn{{Column: 0}})
	require.NoError(t, err)
	_, err = Collect(context.Background(), tc, s)
	require.ErrorIs(t, err, errs.ResourceExhausted)
	require.ErrorContains(t, err, "Sort (spilling to disk is not supported yet)")
}

func TestSortUnsupportedType(t *testing.T) {
	_, err := NewSort(rowsSource(schemaOf(arrow.FixedWidthTypes.MonthDayNanoInterval), nil, 1, 1), []SortColumn{{Column: 0}})
	require.ErrorIs(t, err, errs.NotSupported)
}

func TestMergeEarlyClose(t *testing.T) {
	schema := schemaOf(i64)
	var rows [][]any
	for i := range 1000 {
		rows = append(rows, []any{int64(i)})
	}
	before := runtime.NumGoroutine()
	tc := newTC(t)
	tc.BatchRows = 10
	keys := []SortColumn{{Column: 0}}
	s, err := NewSort(rowsSource(schema, rows, 4, 50), keys)
	require.NoError(t, err)
	m, err := NewSortPreservingMerge(s, keys)
	require.NoError(t, err)
	l, err := NewLimit(m, 0, 15)
	require.NoError(t, err)
	got := run(t, tc, l)
	require.Equal(t, rows[:15], got)
	waitGoroutines(t, before)
}
