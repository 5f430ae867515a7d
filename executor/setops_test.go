package executor

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

func TestSetOps(t *testing.T) {
	schema := schemaOf(i64, str)
	row := func(k any, s any) []any {
		if x, ok := k.(int); ok {
			k = int64(x)
		}
		return []any{k, s}
	}
	left := [][]any{row(1, "a"), row(1, "a"), row(1, "a"), row(2, "b"), row(nil, "n"), row(nil, "n"), row(3, nil), row(4, "d")}
	right := [][]any{row(1, "a"), row(1, "a"), row(nil, "n"), row(3, nil), row(3, nil), row(5, "e")}
	tests := []struct {
		kind SetOpKind
		all  bool
		want [][]any
	}{
		{Intersect, false, [][]any{row(1, "a"), row(nil, "n"), row(3, nil)}},
		{Intersect, true, [][]any{row(1, "a"), row(1, "a"), row(nil, "n"), row(3, nil)}},
		{Except, false, [][]any{row(2, "b"), row(4, "d")}},
		{Except, true, [][]any{row(1, "a"), row(2, "b"), row(nil, "n"), row(4, "d")}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.describe(tt.all), func(t *testing.T) {
			for _, parts := range []int{1, 3} {
				tc := newTC(t)
				tc.BatchRows = 2
				op, err := NewSetOp(tt.kind, tt.all, rowsSource(schema, left, parts, 2), rowsSource(schema, right, parts, 1))
				require.NoError(t, err)
				require.Equal(t, sorted(tt.want), sorted(run(t, tc, op)))
			}
		})
	}
	t.Run("UNION", func(t *testing.T) {
		tc := newTC(t)
		u, err := NewUnion(rowsSource(schema, left, 2, 2), rowsSource(schema, right, 1, 2))
		require.NoError(t, err)
		require.Equal(t, sorted([][]any{row(1, "a"), row(2, "b"), row(nil, "n"), row(3, nil), row(4, "d"), row(5, "e")}), sorted(run(t, tc, u)))
	})
	t.Run("large ALL counts span batches", func(t *testing.T) {
		var many [][]any
		for range 25 {
			many = append(many, row(7, "x"))
		}
		tc := newTC(t)
		tc.BatchRows = 4
		op, err := NewSetOp(Except, true, rowsSource(schema, many, 1, 5), rowsSource(schema, many[:3], 1, 5))
		require.NoError(t, err)
		require.Len(t, run(t, tc, op), 22)
	})
	_, err := NewSetOp(Intersect, false, rowsSource(schema, nil, 1, 1), rowsSource(schemaOf(str, i64), nil, 1, 1))
	require.ErrorIs(t, err, errs.Internal)
	_ = fmt.Sprint
}
