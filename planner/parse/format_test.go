package parse

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// requireRoundTrip checks that Format(stmt) parses back to the same tree, positions aside.
func requireRoundTrip(t testing.TB, sql string, parsed *Parsed) {
	t.Helper()
	formatted := Format(parsed.Stmt)
	again, err := Parse(formatted)
	require.NoError(t, err, "original: %s\nformatted: %s", sql, formatted)
	require.Equal(t, dumpShape(parsed.Stmt), dumpShape(again.Stmt), "original: %s\nformatted: %s", sql, formatted)
	require.Equal(t, formatted, Format(again.Stmt), "formatting is not stable")
}

// TestFormatRoundTrip formats every statement of the test scripts and TPC-H and parses it
// again: the tree must not change.
func TestFormatRoundTrip(t *testing.T) {
	queries := scriptSQL(t)
	for _, q := range tpchQueries(t) {
		queries = append(queries, q)
	}
	for _, sql := range queries {
		parsed, err := Parse(sql)
		if err != nil {
			continue
		}
		requireRoundTrip(t, sql, parsed)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		sql  string
		want string
	}{
		{"select a, b as bee from sales.orders o where a > 1 and b like 'x%'",
			"SELECT a, b AS bee FROM sales.orders AS o WHERE (a > 1) AND (b LIKE 'x%')"},
		{`select "Mixed", "select", x::numeric(15,2) from t`,
			`SELECT "Mixed", "select", CAST(x AS numeric(15, 2)) FROM t`},
		{"select date '1998-12-01' - interval '90' day",
			"SELECT DATE '1998-12-01' - INTERVAL '90' DAY"},
		{"select extract(year from d), position('a' in s), current_date, coalesce(a, 0)",
			"SELECT EXTRACT('year' FROM d), POSITION('a' IN s), CURRENT_DATE, COALESCE(a, 0)"},
		{"select -x, + -5, 2 - -1.5",
			"SELECT -x, +(-5), 2 - (-1.5)"},
		{"select count(*) over w, sum(x) filter (where y) over (partition by a order by b rows 2 preceding) from t window w as (order by c)",
			"SELECT count(*) OVER w, sum(x) FILTER (WHERE y) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t WINDOW w AS (ORDER BY c)"},
		{"with c as (select 1) select * from c union all select 2 order by 1 limit 3",
			"WITH c AS (SELECT 1) (SELECT * FROM c) UNION ALL (SELECT 2) ORDER BY 1 LIMIT 3"},
		{"select * from a left join b using (x) cross join c",
			"SELECT * FROM (a LEFT JOIN b USING (x)) CROSS JOIN c"},
		{"set search_path to a, b", "SET search_path TO 'a, b'"},
		{"reset all", "RESET ALL"},
		{"show time zone", "SHOW timezone"},
		{"explain analyze select 1", "EXPLAIN ANALYZE SELECT 1"},
		{"begin", "BEGIN"},
		{`select 'a\b', E'c\\d', 'it''s'`, `SELECT 'a\b', 'c\d', 'it''s'`},
		{"select char 'a', bit '1', cast(x as char), cast(y as bit), 'z'::char(3)",
			`SELECT CAST('a' AS bpchar), CAST('1' AS "bit"), CAST(x AS character(1)), CAST(y AS bit(1)), CAST('z' AS character(3))`},
		{"select interval '1' day to second(3), x::interval year, time(2) with time zone '1:00'",
			"SELECT INTERVAL '1' DAY TO SECOND(3), CAST(x AS interval year), TIME(2) WITH TIME ZONE '1:00'"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			parsed, err := Parse(tt.sql)
			require.NoError(t, err)
			require.Equal(t, tt.want, Format(parsed.Stmt))
			requireRoundTrip(t, tt.sql, parsed)
		})
	}
}

func TestQuoteIdent(t *testing.T) {
	tests := map[string]string{
		"orders":   "orders",
		"l_2":      "l_2",
		"Orders":   `"Orders"`,
		"select":   `"select"`,
		"user":     `"user"`,
		"name":     "name", // unreserved keyword
		"a b":      `"a b"`,
		`say "hi"`: `"say ""hi"""`,
		"1abc":     `"1abc"`,
		"été":      `"été"`,
	}
	for in, want := range tests {
		require.Equal(t, want, QuoteIdent(in), in)
	}
}
