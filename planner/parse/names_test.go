package parse

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestColumnName checks the output names against what PostgreSQL 17 reports for the same
// select list.
func TestColumnName(t *testing.T) {
	tests := []struct {
		item string
		want string
	}{
		{"a", "a"},
		{"t.b", "b"},
		{"count(*)", "count"},
		{"sum(x) AS total", "total"},
		{`x AS "Total"`, "Total"},
		{"1", "?column?"},
		{"'x'", "?column?"},
		{"a + b", "?column?"},
		{"-a", "?column?"},
		{"$1", "?column?"},
		{"x::int", "x"},
		{"'1'::int", "int4"},
		{"cast(1 AS bigint)", "int8"},
		{"date '2020-01-01'", "date"},
		{"timestamptz '2020-01-01'", "timestamptz"},
		{"interval '1' day", "interval"},
		{"CASE WHEN a THEN b END", "case"},
		{"CASE WHEN a THEN 1 ELSE c END", "c"},
		{"EXISTS (SELECT 1)", "exists"},
		{"(SELECT max(y) FROM u)", "max"},
		{"(SELECT y AS z FROM u UNION SELECT 1)", "z"},
		{"(SELECT 1)", "?column?"},
		{"coalesce(a, b)", "coalesce"},
		{"nullif(a, b)", "nullif"},
		{"greatest(a, b)", "greatest"},
		{"trim(a)", "btrim"},
		{"extract(year FROM d)", "extract"},
		{"substring(a FROM 1 FOR 2)", "substring"},
		{"current_date", "current_date"},
		{"current_timestamp(3)", "current_timestamp"},
		{"x AT TIME ZONE 'UTC'", "timezone"},
		{"a = ANY(ARRAY[1])", "?column?"},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			sel := mustSelect(t, "SELECT "+tt.item+" FROM t")
			require.Equal(t, tt.want, ColumnName(sel.Targets[0]))
		})
	}
	sel := mustSelect(t, "SELECT t.* FROM t")
	require.Equal(t, "", ColumnName(sel.Targets[0]))
}
