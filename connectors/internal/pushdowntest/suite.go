package pushdowntest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Case is one query of the suite. Its SQL reads domain "shop"; the reference answer is the
// same SQL over domain "ref".
type Case struct {
	Name string
	// Kind is the pushdown the case exercises, shown in the golden file.
	Kind string
	SQL  string
	// Ordered: compare rows in order (the query has ORDER BY over a unique key).
	Ordered bool
	// CountOnly: the query picks any n rows (LIMIT without ORDER BY); compare the row count
	// and check every row is one of the reference query's rows without the limit.
	CountOnly string
}

// Cases are the suite's queries: every pushdown kind the planner negotiates.
func Cases() []Case {
	return []Case{
		{Name: "projection", Kind: "projection", SQL: `SELECT c_name, c_nationkey FROM shop.customer`},
		{Name: "filter_exact", Kind: "filter exact (numbers, dates, IS NULL, IN)",
			SQL: `SELECT o_orderkey, o_totalprice, o_orderdate FROM shop.orders
WHERE o_orderdate >= DATE '1995-01-01' AND o_totalprice > 15000 AND o_comment IS NOT NULL AND o_custkey IN (1, 8, 22, 43)`},
		{Name: "filter_text_equality", Kind: "filter on text equality (exact or inexact by collation)",
			SQL: `SELECT o_orderkey, o_orderpriority FROM shop.orders WHERE o_orderpriority = '2-HIGH' AND o_orderkey < 100`},
		{Name: "filter_inexact_case_insensitive", Kind: "filter inexact (case-insensitive collation: the source prunes, the gateway re-checks)",
			SQL: `SELECT c_custkey, c_email FROM shop.customer WHERE c_email = 'c7@shop.example'`},
		{Name: "filter_unsupported", Kind: "filter unsupported (upper() is locale-dependent: evaluated by the gateway; the key range is pushed)",
			SQL: `SELECT o_orderkey, o_orderpriority FROM shop.orders WHERE upper(o_comment) = 'QUICK DELIVERY' AND o_orderkey <= 200`},
		{Name: "limit", Kind: "limit below exact filters",
			SQL:       `SELECT o_orderkey, o_orderstatus FROM shop.orders WHERE o_orderstatus = 'F' AND o_totalprice > 10000 LIMIT 7`,
			CountOnly: `SELECT o_orderkey, o_orderstatus FROM ref.orders WHERE o_orderstatus = 'F' AND o_totalprice > 10000`},
		{Name: "topn", Kind: "top-N", Ordered: true,
			SQL: `SELECT o_orderkey, o_totalprice FROM shop.orders WHERE o_orderdate < DATE '1996-01-01' ORDER BY o_totalprice DESC, o_orderkey LIMIT 5`},
		{Name: "aggregate_group_by", Kind: "aggregate with GROUP BY", Ordered: true,
			SQL: `SELECT o_custkey, count(*) AS orders, sum(o_totalprice) AS total, min(o_orderdate) AS first, max(o_orderdate) AS last
FROM shop.orders WHERE o_orderdate < DATE '1996-01-01' GROUP BY o_custkey ORDER BY o_custkey`},
		{Name: "aggregate_group_by_text", Kind: "aggregate with GROUP BY on text (pushed only where grouping is bytewise)", Ordered: true,
			SQL: `SELECT l_returnflag, l_linestatus, count(*) AS count_order, sum(l_quantity) AS sum_qty, avg(l_discount) AS avg_disc
FROM shop.lineitem WHERE l_shipdate <= DATE '1998-09-02' GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`},
		{Name: "aggregate_pricing_summary", Kind: "aggregate all or nothing (TPC-H Q1 shape: decimal division is not pushed, so the gateway aggregates)", Ordered: true,
			SQL: `SELECT l_returnflag, l_linestatus, count(*) AS count_order, sum(l_quantity) AS sum_qty,
  sum(l_extendedprice * (1 - l_discount / 100)) AS sum_disc_price, avg(l_discount) AS avg_disc
FROM shop.lineitem WHERE l_shipdate <= DATE '1998-09-02'
GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`},
		{Name: "join_same_source", Kind: "join within the source (pushed as one query)", Ordered: true,
			SQL: `SELECT c.c_custkey, c.c_name, count(*) AS orders, sum(o.o_totalprice) AS total
FROM shop.customer c JOIN shop.orders o ON o.o_custkey = c.c_custkey
WHERE o.o_orderstatus = 'F' AND c.c_nationkey < 10
GROUP BY c.c_custkey, c.c_name ORDER BY c.c_custkey`},
		{Name: "join_three_tables", Kind: "three-way join within the source", Ordered: true,
			SQL: `SELECT o.o_orderkey, c.c_name, sum(l.l_extendedprice) AS revenue
FROM shop.customer c JOIN shop.orders o ON o.o_custkey = c.c_custkey JOIN shop.lineitem l ON l.l_orderkey = o.o_orderkey
WHERE l.l_shipmode = 'AIR' AND o.o_orderdate >= DATE '1997-01-01'
GROUP BY o.o_orderkey, c.c_name ORDER BY revenue DESC, o.o_orderkey LIMIT 10`},
		{Name: "left_join_same_source", Kind: "outer join within the source", Ordered: true,
			SQL: `SELECT c.c_custkey, count(o.o_orderkey) AS orders FROM shop.customer c LEFT JOIN shop.orders o ON o.o_custkey = c.c_custkey
WHERE c.c_custkey <= 12 GROUP BY c.c_custkey ORDER BY c.c_custkey`},
		{Name: "join_cross_source", Kind: "join across sources (each side pushed on its own, joined by the gateway)", Ordered: true,
			SQL: `SELECT c.c_mktsegment, count(*) AS orders, sum(o.o_totalprice) AS total
FROM shop.orders o JOIN ref.customer c ON c.c_custkey = o.o_custkey
WHERE o.o_orderdate >= DATE '1996-01-01' GROUP BY c.c_mktsegment ORDER BY c.c_mktsegment`},
	}
}

// maxGoldenRows is how many result rows of a case the golden file shows.
const maxGoldenRows = 8

// Run runs every case through the planner against the harness's source: the result must
// equal the gateway's own answer over the Parquet copy, and the EXPLAIN text (the SQL sent
// to the source and its split count) must equal testdata/planner.golden.
func Run(t *testing.T, h *Harness) {
	env := Setup(t, h)
	var golden strings.Builder
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			got := env.Mesh.Query(t, c.SQL)
			refSQL := strings.ReplaceAll(c.SQL, " shop.", " ref.")
			var lines []string
			switch {
			case c.CountOnly != "":
				all := env.Mesh.Query(t, c.CountOnly).SortedLines()
				want := env.Mesh.Query(t, refSQL)
				require.Len(t, got.Rows, len(want.Rows))
				for _, l := range got.Lines() {
					require.Contains(t, all, l, "a row the query cannot return")
				}
				lines = []string{fmt.Sprintf("(%d rows, any of the matching ones)", len(got.Rows))}
			case c.Ordered:
				want := env.Mesh.Query(t, refSQL)
				require.Equal(t, want.Lines(), got.Lines())
				lines = got.Lines()
			default:
				want := env.Mesh.Query(t, refSQL)
				require.Equal(t, want.SortedLines(), got.SortedLines())
				lines = got.SortedLines()
			}
			require.NotEmpty(t, got.Rows, "a case must return rows to mean anything")
			explain := env.Normalize(env.Mesh.Explain(t, c.SQL))
			fmt.Fprintf(&golden, "=== %s: %s\n%s\n--- EXPLAIN\n%s\n--- result (%d rows)\n", c.Name, c.Kind, c.SQL, explain, len(got.Rows))
			for i, l := range lines {
				if i == maxGoldenRows {
					fmt.Fprintf(&golden, "...\n")
					break
				}
				fmt.Fprintf(&golden, "%s\n", l)
			}
			golden.WriteString("\n")
		})
	}
	if !t.Failed() {
		CheckGolden(t, "planner.golden", golden.String())
	}
}

// SelectiveSQL is a selective filter and aggregate over the shop's largest table.
const SelectiveSQL = `SELECT l_returnflag, count(*) AS lines, sum(l_extendedprice) AS revenue, max(l_discount) AS top_discount
FROM shop.lineitem WHERE l_orderkey BETWEEN 100 AND 300 AND l_shipmode = 'AIR' AND l_quantity >= 10 GROUP BY l_returnflag`

var scanBytes = regexp.MustCompile(`(?m)^\s*Scan .*\[rows=(\d+) batches=\d+ bytes=([0-9.]+) (B|KiB|MiB|GiB)\b`)

// RunSelective runs SelectiveSQL with EXPLAIN ANALYZE and checks that what crossed from the
// source (the Scan operator's output) is under 1 KB, against the same query over the
// Parquet copy, where the gateway reads and aggregates every matching row.
func RunSelective(t *testing.T, h *Harness) {
	env := Setup(t, h)
	want := env.Mesh.Query(t, strings.ReplaceAll(SelectiveSQL, " shop.", " ref."))
	got := env.Mesh.Query(t, SelectiveSQL)
	require.Equal(t, want.SortedLines(), got.SortedLines())
	explain := env.Normalize(env.Mesh.ExplainAnalyze(t, SelectiveSQL))
	t.Log("\n" + explain)
	m := scanBytes.FindAllStringSubmatch(explain, -1)
	require.Len(t, m, 1, "one scan of the source expected:\n%s", explain)
	require.Equal(t, "B", m[0][3], "more than 1 KiB crossed from the source:\n%s", explain)
	n, err := strconv.Atoi(m[0][2])
	require.NoError(t, err)
	require.Less(t, n, 1000, "bytes read from the source")
	require.Equal(t, strconv.Itoa(len(got.Rows)), m[0][1], "the source returned the groups, not the rows")
	ref := env.Mesh.ExplainAnalyze(t, strings.ReplaceAll(SelectiveSQL, " shop.", " ref."))
	t.Log("the same query over Parquet, aggregated by the gateway:\n" + ref)
}
