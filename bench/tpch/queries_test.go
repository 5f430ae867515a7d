package tpch_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
)

func TestQueries(t *testing.T) {
	require.Empty(t, tpch.Query(0))
	require.Empty(t, tpch.Query(tpch.QueryCount+1))

	all := tpch.Queries()
	require.Len(t, all, tpch.QueryCount)

	// A table name not preceded by its domain would not resolve in the mesh. Q8 and Q9 name a
	// derived column "nation", which is not a table reference.
	bareTable := regexp.MustCompile(`(^|[^._a-z])(lineitem|orders|customer|nation|region|part|supplier|partsupp)\b`)
	bareTableButNation := regexp.MustCompile(`(^|[^._a-z])(lineitem|orders|customer|region|part|supplier|partsupp)\b`)
	qualified := regexp.MustCompile(`\b(sales|customers|supply)\.(lineitem|orders|customer|nation|region|part|supplier|partsupp)\b`)
	// Q6, Q14, Q17 and Q19 return one aggregate row and have no ORDER BY.
	unordered := map[int]bool{6: true, 14: true, 17: true, 19: true}
	limits := map[int]string{2: "limit 100", 3: "limit 10", 10: "limit 20", 18: "limit 100", 21: "limit 100"}

	for n := 1; n <= tpch.QueryCount; n++ {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			q := tpch.Query(n)
			require.Equal(t, all[n], q)
			require.True(t, strings.HasPrefix(q, fmt.Sprintf("-- TPC-H Q%d ", n)), "starts with its title comment")
			require.False(t, strings.HasSuffix(q, ";"))
			var body []string
			for _, line := range strings.Split(q, "\n") {
				if !strings.HasPrefix(line, "--") {
					body = append(body, line)
				}
			}
			sql := strings.Join(body, "\n")
			if n == 8 || n == 9 {
				require.NotRegexp(t, bareTableButNation, sql)
			} else {
				require.NotRegexp(t, bareTable, sql)
			}
			require.Regexp(t, qualified, sql)
			if unordered[n] {
				require.NotContains(t, sql, "order by")
			} else {
				require.Contains(t, sql, "order by")
			}
			if limit, ok := limits[n]; ok {
				require.True(t, strings.HasSuffix(sql, limit), "Q%d ends with %s", n, limit)
			} else {
				require.NotContains(t, sql, "limit")
			}
		})
	}
	require.Contains(t, tpch.Query(15), "with revenue0 (supplier_no, total_revenue) as (")
	require.NotContains(t, tpch.Query(15), "create view")
	require.Contains(t, tpch.Query(22), "substring(c_phone from 1 for 2) in ('13', '31', '23', '29', '30', '18', '17')")
	require.Contains(t, tpch.Query(1), "date '1998-12-01' - interval '90' day")
}
