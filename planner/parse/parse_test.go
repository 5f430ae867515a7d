package parse

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

// tpchQueries returns the 22 TPC-H queries of testdata/tpch by number (1-based).
func tpchQueries(t testing.TB) map[int]string {
	t.Helper()
	queries := map[int]string{}
	for n := 1; n <= 22; n++ {
		data, err := os.ReadFile(filepath.Join("testdata", "tpch", fmt.Sprintf("q%02d.sql", n)))
		require.NoError(t, err)
		queries[n] = string(data)
	}
	return queries
}

// TestTPCH parses all 22 TPC-H queries and compares each AST with its golden file.
func TestTPCH(t *testing.T) {
	for n, sql := range tpchQueries(t) {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			parsed, err := Parse(sql)
			require.NoError(t, err)
			require.Zero(t, parsed.NumParams)
			golden := filepath.Join("testdata", "tpch", fmt.Sprintf("q%02d.golden", n))
			got := Dump(parsed.Stmt) + "\n"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

func mustSelect(t *testing.T, sql string) *Select {
	t.Helper()
	parsed, err := Parse(sql)
	require.NoError(t, err)
	sel, ok := parsed.Stmt.(*Select)
	require.True(t, ok, "got %T", parsed.Stmt)
	return sel
}

// TestTPCHShapes checks the constructs the binder relies on in the queries with special
// shapes, independently of the golden files.
func TestTPCHShapes(t *testing.T) {
	queries := tpchQueries(t)

	t.Run("q01 interval day and count(*)", func(t *testing.T) {
		sel := mustSelect(t, queries[1])
		require.Equal(t, []string{"sales", "lineitem"}, sel.From[0].(*TableName).Parts)
		cmp := sel.Where.(*BinaryOp)
		require.Equal(t, "<=", cmp.Op)
		minus := cmp.Right.(*BinaryOp)
		require.Equal(t, "-", minus.Op)
		datePos := strings.Index(queries[1], "date '1998-12-01'")
		require.Equal(t, &TypedLiteral{Type: TypeName{Name: TypeDate, Pos: datePos}, Value: "1998-12-01", Pos: datePos},
			minus.Left)
		interval := minus.Right.(*TypedLiteral)
		require.Equal(t, "90", interval.Value)
		require.Equal(t, TypeInterval, interval.Type.Name)
		require.Equal(t, "day", interval.Type.IntervalFields)
		last := sel.Targets[len(sel.Targets)-1]
		require.Equal(t, "count_order", last.Alias)
		require.True(t, last.Expr.(*FuncCall).Star)
	})

	t.Run("q13 outer join and derived column aliases", func(t *testing.T) {
		sel := mustSelect(t, queries[13])
		sub := sel.From[0].(*SubqueryTable)
		require.Equal(t, &Alias{Name: "c_orders", Columns: []string{"c_custkey", "c_count"}}, sub.Alias)
		join := sub.Query.From[0].(*JoinTable)
		require.Equal(t, JoinLeft, join.Kind)
		on := join.On.(*BoolExpr)
		require.Equal(t, BoolAnd, on.Op)
		like := on.Args[1].(*Like)
		require.True(t, like.Not)
		require.Equal(t, "%special%requests%", like.Pattern.(*StringLit).Value)
		count := sub.Query.Targets[1].Expr.(*FuncCall)
		require.Equal(t, []string{"count"}, count.Name)
		require.False(t, count.Star)
		require.Len(t, count.Args, 1)
	})

	t.Run("q15 CTE with column aliases", func(t *testing.T) {
		sel := mustSelect(t, queries[15])
		require.Len(t, sel.With.CTEs, 1)
		cte := sel.With.CTEs[0]
		require.Equal(t, "revenue0", cte.Name)
		require.Equal(t, []string{"supplier_no", "total_revenue"}, cte.ColumnAliases)
		eq := sel.Where.(*BoolExpr).Args[1].(*BinaryOp)
		require.IsType(t, &ScalarSubquery{}, eq.Right)
	})

	t.Run("q16 NOT IN subquery and count(distinct)", func(t *testing.T) {
		sel := mustSelect(t, queries[16])
		conds := sel.Where.(*BoolExpr).Args
		in := conds[len(conds)-1].(*InSubquery)
		require.True(t, in.Not)
		require.Equal(t, []string{"ps_suppkey"}, in.Arg.(*ColumnRef).Parts)
		sizes := conds[3].(*InList)
		require.Len(t, sizes.List, 8)
		count := sel.Targets[3].Expr.(*FuncCall)
		require.True(t, count.Distinct)
		require.Equal(t, "supplier_cnt", sel.Targets[3].Alias)
	})

	t.Run("q21 EXISTS and NOT EXISTS with <> correlation", func(t *testing.T) {
		sel := mustSelect(t, queries[21])
		conds := sel.Where.(*BoolExpr).Args
		exists := conds[4].(*Exists)
		ne := exists.Query.Where.(*BoolExpr).Args[1].(*BinaryOp)
		require.Equal(t, "<>", ne.Op)
		require.Equal(t, []string{"l1", "l_suppkey"}, ne.Right.(*ColumnRef).Parts)
		not := conds[5].(*BoolExpr)
		require.Equal(t, BoolNot, not.Op)
		require.IsType(t, &Exists{}, not.Args[0])
		require.Equal(t, &Alias{Name: "l1"}, sel.From[1].(*TableName).Alias)
	})

	t.Run("q22 substring FROM FOR in a list", func(t *testing.T) {
		sel := mustSelect(t, queries[22])
		inner := sel.From[0].(*SubqueryTable).Query
		in := inner.Where.(*BoolExpr).Args[0].(*InList)
		sub := in.Arg.(*FuncCall)
		require.Equal(t, []string{"substring"}, sub.Name)
		require.Len(t, sub.Args, 3)
		require.Equal(t, int64(1), sub.Args[1].(*IntegerLit).Value)
		require.Equal(t, int64(2), sub.Args[2].(*IntegerLit).Value)
		require.Len(t, in.List, 7)
		require.Equal(t, "13", in.List[0].(*StringLit).Value)
	})
}

func TestRewritePlaceholders(t *testing.T) {
	tests := []struct {
		name      string
		sql       string
		want      string
		numParams int
	}{
		{"no placeholders", "SELECT 1", "SELECT 1", 0},
		{"in order", "SELECT ? FROM t WHERE a = ? AND b IN (?, ?)", "SELECT $1 FROM t WHERE a = $2 AND b IN ($3, $4)", 4},
		{"glued to operators", "a=? AND b<>? AND c>=?", "a=$1 AND b<>$2 AND c>=$3", 3},
		{"string literal", "SELECT '?', ?", "SELECT '?', $1", 1},
		{"doubled quote in string", "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1},
		{"escape string", `SELECT E'\'?', ?`, `SELECT E'\'?', $1`, 1},
		{"dollar-quoted string", "SELECT $$ ? $$, $q$ ? $q$, ?", "SELECT $$ ? $$, $q$ ? $q$, $1", 1},
		{"quoted identifier", `SELECT "a?b", ?`, `SELECT "a?b", $1`, 1},
		{"unicode identifier", `SELECT U&"?", ?`, `SELECT U&"?", $1`, 1},
		{"line comment", "SELECT ? -- what?\n, ?", "SELECT $1 -- what?\n, $2", 2},
		{"block comment", "SELECT /* ? /* nested ? */ */ ?", "SELECT /* ? /* nested ? */ */ $1", 1},
		{"escaped ??", "SELECT a ?? 'k', ?", "SELECT a ? 'k', $1", 1},
		{"only escaped ??", "SELECT a ?? 'k'", "SELECT a ? 'k'", 0},
		{"escaped ?? next to $n is no mix", "SELECT a ?? 'k', $2", "SELECT a ? 'k', $2", 2},
		{"space keeps identifier apart", "SELECT x?", "SELECT x $1", 1},
		{"space keeps following digits apart", "SELECT ?1", "SELECT $1 1", 1},
		{"non-ASCII text stays byte-identical", "SELECT 'é', ? AS ü", "SELECT 'é', $1 AS ü", 1},
		{"dollar params are counted", "SELECT $2, $7", "SELECT $2, $7", 7},
		{"ten or more", "SELECT ?,?,?,?,?,?,?,?,?,?,?", "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11", 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := RewritePlaceholders(tt.sql)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.numParams, n)
		})
	}
}

func TestRewritePlaceholdersErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"mixed styles", "SELECT $1, ?", "? placeholder at line 1, column 12 mixed with $n placeholders; use one style per statement"},
		{"mixed styles, ? first", "SELECT ?, $1", "? placeholder at line 1, column 8 mixed with $n placeholders; use one style per statement"},
		{"parameter zero", "SELECT $0", "parameter $0 is out of range at line 1, column 8; parameters are numbered $1 to $65535"},
		{"parameter too large", "SELECT $65536", "parameter $65536 is out of range at line 1, column 8; parameters are numbered $1 to $65535"},
		{"unterminated string", "SELECT ?, 'abc", `unterminated quoted string at or near "'abc" at line 1, column 11`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := RewritePlaceholders(tt.sql)
			require.EqualError(t, err, tt.want)
			require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name         string
		sql          string
		message      string
		line, column int
		offset       int
	}{
		{"misspelled keyword on line 2", "SELECT a, b\nFROM t WHERE x = 1 GROUPBY a", `syntax error at or near "GROUPBY"`, 2, 20, 31},
		{"FORM for FROM", "select 1\n  x FORM t", `syntax error at or near "FORM"`, 2, 5, 13},
		{"columns count characters, not bytes", "SELECT 'été' FROM FROM t", `syntax error at or near "FROM"`, 1, 19, 20},
		{"end of input", "SELECT a FROM", "syntax error at end of input", 1, 14, 13},
		{"unterminated string", "SELECT 'abc", `unterminated quoted string at or near "'abc"`, 1, 8, 7},
		{"unterminated comment", "SELECT 1 /* x", `unterminated /* comment at or near "/* x"`, 1, 10, 9},
		{"trailing junk", "SELECT 1a", `trailing junk after numeric literal at or near "1a"`, 1, 8, 7},
		{"grammar check with position", "SELECT 1 FROM t LIMIT 1, 2", "LIMIT #,# syntax is not supported", 1, 17, 16},
		{"positions after rewritten placeholders refer to the original", "SELECT ?, ?, ? FROM FROM t", `syntax error at or near "FROM"`, 1, 21, 20},
		{"error at a placeholder quotes it as written", "SELECT a FROM t WHERE a = ? ?", `syntax error at or near "?"`, 1, 29, 28},
		{"CRLF line ends", "SELECT 1\r\nFROM FROM t", `syntax error at or near "FROM"`, 2, 6, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.sql)
			require.Error(t, err)
			require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "got %T: %v", err, err)
			require.Equal(t, tt.message, se.Message)
			require.Equal(t, tt.line, se.Line, "line")
			require.Equal(t, tt.column, se.Column, "column")
			require.Equal(t, tt.offset, se.Offset, "offset")
			require.Equal(t, fmt.Sprintf("%s at line %d, column %d", tt.message, tt.line, tt.column), err.Error())
		})
	}
}

func TestParseRejectsMalformedText(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"NUL byte", "SELECT 1\x00; DROP TABLE t", "SQL text contains a NUL byte at line 1, column 9"},
		{"invalid UTF-8", "SELECT 'a\xffb'", "SQL text is not valid UTF-8 at line 1, column 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.sql)
			require.EqualError(t, err, tt.want)
			require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
		})
	}
}

func TestLineCol(t *testing.T) {
	const sql = "ab\nçd\r\n\te"
	tests := []struct {
		pos       int
		line, col int
	}{
		{-1, 0, 0},
		{0, 1, 1},
		{2, 1, 3},
		{3, 2, 1},
		{5, 2, 2}, // ç is two bytes, one character
		{6, 2, 3},
		{8, 3, 1},
		{9, 3, 2},
		{100, 3, 3}, // clamped to the end
	}
	for _, tt := range tests {
		line, col := LineCol(sql, tt.pos)
		require.Equal(t, [2]int{tt.line, tt.col}, [2]int{line, col}, "pos %d", tt.pos)
	}
	require.Equal(t, "line 2, column 2", Where(sql, 5))
	require.Equal(t, "", Where(sql, -1))
}

// TestPositionsPointAtTheirText checks, for every node with a position in every test query,
// that the position is inside the original text and, for names and literals, that the text
// there is what the node says — including after `?` rewriting shifted the parser's offsets.
func TestPositionsPointAtTheirText(t *testing.T) {
	queries := append(scriptSQL(t),
		"SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM t WHERE x = ? AND y = 'z'",
		"SELECT x?FROM t WHERE a IN (?, ?) AND \"b\" = ?")
	for _, q := range tpchQueries(t) {
		queries = append(queries, q)
	}
	for _, sql := range queries {
		parsed, err := Parse(sql)
		if err != nil {
			continue
		}
		Walk(parsed.Stmt, func(n Node) bool {
			pos := n.Position()
			require.Less(t, pos, len(sql), "%s: %T", sql, n)
			if pos < 0 {
				return true
			}
			rest := sql[pos:]
			switch n := n.(type) {
			case *ColumnRef:
				require.True(t, strings.HasPrefix(strings.ToLower(strings.TrimLeft(rest, `"`)), strings.ToLower(n.Parts[0])),
					"%s: column %v at %d: %q", sql, n.Parts, pos, rest)
			case *Param:
				require.True(t, rest[0] == '?' || strings.HasPrefix(rest, fmt.Sprintf("$%d", n.Index)),
					"%s: param $%d at %d: %q", sql, n.Index, pos, rest)
			case *TableName:
				require.True(t, strings.HasPrefix(strings.ToLower(strings.TrimLeft(rest, `"`)), strings.ToLower(n.Parts[0])),
					"%s: table %v at %d: %q", sql, n.Parts, pos, rest)
			}
			return true
		})
	}
}

func TestStatementKindFallback(t *testing.T) {
	_, err := Parse("ALTER SYSTEM SET work_mem = '1MB'")
	require.EqualError(t, err, "not supported yet: ALTER SYSTEM statements; meshgate serves read-only queries")
	require.Equal(t, errs.KindNotSupported, errs.KindOf(err))
}
