package tpch

import (
	"embed"
	"fmt"
	"strings"
)

// QueryCount is the number of TPC-H queries.
const QueryCount = 22

// queryFiles holds queries/qNN.sql: the spec's query text with its validation parameters
// (clause 2.4, "Validation"), tables named as mesh datasets (sales.lineitem), in SQL that
// PostgreSQL and meshgate both accept. Q15's view is a common table expression. Each file
// starts with a comment naming the query and its parameters and has no trailing semicolon.
//
//go:embed queries/*.sql
var queryFiles embed.FS

// Query returns the text of TPC-H query n (1..22), or "" when there is no such query.
//
// With the validation parameters every query returns rows at SF 0.01 except Q18: it needs an
// order of 7 lines with sum(l_quantity) > 300, of which 0.64 are expected among SF 0.01's
// 15000 orders and the generated data has none. At SF 0.05 Q18 returns 2 rows.
func Query(n int) string {
	if n < 1 || n > QueryCount {
		return ""
	}
	data, err := queryFiles.ReadFile(fmt.Sprintf("queries/q%02d.sql", n))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// Queries returns all 22 queries keyed by number.
func Queries() map[int]string {
	out := make(map[int]string, QueryCount)
	for n := 1; n <= QueryCount; n++ {
		out[n] = Query(n)
	}
	return out
}

// orderKeys are the result columns each ordered query sorts by, in ORDER BY order. Q6, Q14,
// Q17 and Q19 return one row and are absent.
var orderKeys = map[int][]int{
	1: {0, 1}, 2: {0, 2, 1, 3}, 3: {1, 2}, 4: {0}, 5: {1}, 7: {0, 1, 2}, 8: {0}, 9: {0, 1},
	10: {2}, 11: {1}, 12: {0}, 13: {1, 0}, 15: {0}, 16: {3, 0, 1, 2}, 18: {4, 3}, 20: {0},
	21: {1, 0}, 22: {0},
}

// OrderKeys returns the result column positions query n orders by, in ORDER BY order, and
// whether its result is ordered at all. Rows tied on these columns may come in any order, so
// comparisons of two engines' answers must accept any order among ties.
func OrderKeys(n int) ([]int, bool) {
	k, ok := orderKeys[n]
	return k, ok
}
