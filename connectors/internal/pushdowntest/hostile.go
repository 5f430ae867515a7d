package pushdowntest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/planner/expr"
)

// Hostile column names and values: quotes of every dialect, statement separators,
// comments, placeholders, backslashes and non-ASCII text. A source that splices any of them
// into SQL text either fails or, worse, runs something else.
const (
	colQuoted  = `it's "quoted"`
	colSemi    = `semi;colon -- and /* comment */`
	colTick    = "back`tick\\"
	colUnicode = "ünïcödé 日本"
)

var hostileValues = []string{
	`'; DROP TABLE hostile; --`,
	`" OR "1"="1`,
	"`; DELETE FROM hostile; #",
	`/* comment */ SELECT 1`,
	`\'; \\ backslash \`,
	`$1 ? :name %s`,
	"日本語 ☕ é",
	"line\nbreak\ttab",
}

// HostileTable is a table with hostile column names holding hostile values.
func HostileTable() Table {
	tbl := Table{Name: "hostile", Columns: []Column{
		{Name: "id", SQLType: "bigint", Type: expr.Int64},
		{Name: colQuoted, SQLType: "varchar(100)", Type: expr.String},
		{Name: colSemi, SQLType: "varchar(100)", Type: expr.String},
		{Name: colTick, SQLType: "varchar(100)", Type: expr.String},
		{Name: colUnicode, SQLType: "integer", Type: expr.Int32},
	}}
	for i, v := range hostileValues {
		w := hostileValues[(i+1)%len(hostileValues)]
		tbl.Rows = append(tbl.Rows, []any{int64(i + 1), v, w, v + w, int64(i % 3)})
	}
	return tbl
}

// pgIdent quotes an identifier in the gateway's SQL.
func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// pgString quotes a string literal in the gateway's SQL.
func pgString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

var scanLine = regexp.MustCompile(`(?m)^\s*Scan .*$`)

// RunHostile registers the hostile table and queries it through the planner with hostile
// identifiers and literals (and bind parameters): every answer must equal the gateway's own
// over the Parquet copy, the SQL sent to the source must carry the values only as
// placeholders, and the table must be intact afterwards.
func RunHostile(t *testing.T, h *Harness) {
	env := NewEnv(t, h)
	tbl := HostileTable()
	env.AddProduct(t, "odd", tbl)
	type query struct {
		sql    string
		params []any
	}
	var queries []query
	for _, v := range hostileValues {
		queries = append(queries,
			query{sql: fmt.Sprintf("SELECT id, %s, %s FROM shop.hostile WHERE %s = %s", pgIdent(colQuoted), pgIdent(colUnicode), pgIdent(colQuoted), pgString(v))},
			query{sql: fmt.Sprintf("SELECT id FROM shop.hostile WHERE %s = $1 OR %s IN (%s, $1)", pgIdent(colSemi), pgIdent(colTick), pgString(v)), params: []any{v}},
		)
	}
	queries = append(queries,
		query{sql: fmt.Sprintf("SELECT %s AS %s, count(*) AS %s, max(id) FROM shop.hostile GROUP BY %s",
			pgIdent(colUnicode), pgIdent(colSemi), pgIdent(colTick), pgIdent(colUnicode))},
		query{sql: fmt.Sprintf("SELECT id, %s FROM shop.hostile WHERE %s LIKE %s ORDER BY id DESC LIMIT 3",
			pgIdent(colTick), pgIdent(colTick), pgString(`%\%s%`))},
		query{sql: fmt.Sprintf("SELECT a.id, b.%s FROM shop.hostile a JOIN shop.hostile b ON a.%s = b.%s WHERE a.%s <> %s",
			pgIdent(colQuoted), pgIdent(colQuoted), pgIdent(colSemi), pgIdent(colQuoted), pgString(hostileValues[0]))},
	)
	for i, q := range queries {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got := env.Mesh.Query(t, q.sql, q.params...)
			want := env.Mesh.Query(t, strings.ReplaceAll(q.sql, " shop.", " ref."), q.params...)
			require.Equal(t, want.SortedLines(), got.SortedLines(), q.sql)
			if len(q.params) > 0 {
				return // EXPLAIN does not take parameters
			}
			explain := env.Mesh.Explain(t, q.sql)
			for _, line := range scanLine.FindAllString(explain, -1) {
				for _, v := range hostileValues {
					require.NotContains(t, line, v, "a value reached the source's SQL text instead of a bind parameter")
				}
			}
		})
	}
	// Nothing ran but the queries: every row is still there.
	all := env.Mesh.Query(t, "SELECT * FROM shop.hostile")
	require.Len(t, all.Rows, len(tbl.Rows))
	require.Equal(t, env.Mesh.Query(t, "SELECT * FROM ref.hostile").SortedLines(), all.SortedLines())
}
