package sqlgen_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestCutRange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lo, hi int64
		n      int
		want   []int64
	}{
		{"even", 0, 99, 4, []int64{0, 25, 50, 75, 100}},
		{"uneven", 1, 10, 3, []int64{1, 4, 7, 11}},
		{"fewer values than splits", 5, 6, 8, []int64{5, 6, 7}},
		{"one value", 7, 7, 4, []int64{7, 8}},
		{"negative", -10, -1, 2, []int64{-10, -5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, sqlgen.CutRange(tc.lo, tc.hi, tc.n))
		})
	}
	// The whole int64 range is cut without overflow, in increasing bounds.
	b := sqlgen.CutRange(math.MinInt64, math.MaxInt64, 8)
	require.Len(t, b, 9)
	for i := 1; i < len(b); i++ {
		require.Less(t, b[i-1], b[i])
	}
}

// Key ranges render as open-ended first and last ranges; the first takes NULL keys.
func TestKeyRangePredicates(t *testing.T) {
	q, err := sqlgen.Table(sqlgen.Postgres(), "t", []sqlgen.Column{{ID: 1, Name: "k", Type: expr.Int64, Caps: sqlgen.CapAll}})
	require.NoError(t, err)
	ranges := sqlgen.KeyRanges("k", 0, 299, 3)
	require.Len(t, ranges, 3)
	want := []string{
		`SELECT "k" FROM "t" WHERE ("k" < $1::bigint OR "k" IS NULL)`,
		`SELECT "k" FROM "t" WHERE ("k" >= $1::bigint AND "k" < $2::bigint)`,
		`SELECT "k" FROM "t" WHERE "k" >= $1::bigint`,
	}
	for i, k := range ranges {
		sql, args, err := q.Render(sqlgen.RenderOptions{Split: k.Predicate})
		require.NoError(t, err)
		require.Equal(t, want[i], sql)
		require.NotEmpty(t, args)
	}
	require.Equal(t, "k [100, 200) (2 of 3)", ranges[1].String())
	require.Nil(t, sqlgen.KeyRanges("k", 5, 5, 4), "a single key is not split")
	// A split predicate on a query that cannot be split is refused.
	agg := q.Aggregate(nil, []expr.AggCall{{ID: 2, Func: "count", Type: expr.Int64}})
	_, _, err = agg.Render(sqlgen.RenderOptions{Split: ranges[0].Predicate})
	require.Error(t, err)
}
