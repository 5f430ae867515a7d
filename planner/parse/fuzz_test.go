package parse

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

// fuzzExtraSeeds cover inputs the scripts do not: placeholder edge cases, odd whitespace and
// near-misses of valid SQL.
var fuzzExtraSeeds = []string{
	"SELECT ? FROM t WHERE a = ? AND b = '?' AND \"?\" = ?",
	"SELECT a ?? 'k', ?",
	"SELECT x?FROM t",
	"SELECT $1, ?",
	"SELECT E'\\'?', $$?$$, $t$?$t$, ? /* ? */ -- ?",
	"SELECT 'unterminated",
	"SELECT /* unterminated",
	"SELECT 1 FORM t",
	"\tSELECT\r\n1\n;",
	"SELECT 'été' FROM \"ünï\" WHERE ü = ?",
	"SELECT 0x, 1e, 1_, 0b2",
	"SELECT $99999999999",
	"SELECT interval '1' day to second(7)",
	"SELECT CAST(a AS interval(3))",
	"SELECT a::\"char\", b::bpchar(3)[][]",
	"((SELECT 1))",
	"SELECT (SELECT (SELECT 1))",
	"SELECT * FROM ((a JOIN b ON true) JOIN (c JOIN d USING (x)) ON false)",
	"SELECT a IN ((SELECT 1), 2)",
}

// FuzzParse checks that Parse never panics, classifies every error, keeps positions inside
// the text, and that Format of every accepted statement parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, sql := range scriptSQL(f) {
		f.Add(sql)
	}
	for _, sql := range tpchQueries(f) {
		f.Add(sql)
	}
	for _, sql := range fuzzExtraSeeds {
		f.Add(sql)
	}
	f.Fuzz(checkParse)
}

// checkParse is the property FuzzParse checks for one input.
func checkParse(t *testing.T, sql string) {
	_, _, _ = RewritePlaceholders(sql)
	parsed, err := Parse(sql)
	if err != nil {
		kind := errs.KindOf(err)
		require.Contains(t, []errs.Kind{errs.KindInvalidArgument, errs.KindNotSupported}, kind,
			"unexpected error kind %s for %q: %v", kind, sql, err)
		var se *SyntaxError
		if errors.As(err, &se) && se.Offset >= 0 {
			require.LessOrEqual(t, se.Offset, len(sql))
			line, col := LineCol(sql, se.Offset)
			require.Equal(t, [2]int{line, col}, [2]int{se.Line, se.Column})
		}
		return
	}
	Walk(parsed.Stmt, func(n Node) bool {
		require.Less(t, n.Position(), len(sql), "%T position outside the text of %q", n, sql)
		return true
	})
	requireRoundTrip(t, sql, parsed)
}

// TestParsePrefixes runs the fuzz property on prefixes of the extra seeds (every one) and of
// the TPC-H queries (every fourth, to keep the test fast): deterministic coverage of truncated
// input such as unterminated strings, half keywords and cut UTF-8.
func TestParsePrefixes(t *testing.T) {
	for _, sql := range fuzzExtraSeeds {
		for end := 0; end <= len(sql); end++ {
			checkParse(t, sql[:end])
		}
	}
	for _, sql := range tpchQueries(t) {
		for end := 0; end <= len(sql); end += 4 {
			checkParse(t, sql[:end])
		}
	}
}
