package parse

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

var update = flag.Bool("update", false, "rewrite golden files and script expectations from actual output")

// scriptCase is one case of a testdata/parse/*.txt script:
//
//	parse
//	SELECT …            (one or more lines of SQL)
//	----
//	expected output     (up to the next blank line)
//
// Lines starting with # between cases are comments.
type scriptCase struct {
	line     int // 1-based line of the directive, for failure messages
	comments []string
	sql      string
	expected string
}

func readScript(t testing.TB, path string) []scriptCase {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(data), "\n")
	var cases []scriptCase
	var comments []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			comments = append(comments, line)
			continue
		case line != "parse":
			t.Fatalf("%s:%d: expected a directive (parse), found %q", path, i+1, line)
		}
		c := scriptCase{line: i + 1, comments: comments}
		comments = nil
		var sql []string
		for i++; i < len(lines) && lines[i] != "----"; i++ {
			sql = append(sql, lines[i])
		}
		require.Less(t, i, len(lines), "%s:%d: case without ----", path, c.line)
		var expected []string
		for i++; i < len(lines) && lines[i] != ""; i++ {
			expected = append(expected, lines[i])
		}
		c.sql, c.expected = strings.Join(sql, "\n"), strings.Join(expected, "\n")
		cases = append(cases, c)
	}
	return cases
}

func writeScript(t testing.TB, path string, cases []scriptCase) {
	t.Helper()
	var b strings.Builder
	for i, c := range cases {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, comment := range c.comments {
			b.WriteString(comment + "\n")
		}
		b.WriteString("parse\n" + c.sql + "\n----\n" + c.expected + "\n")
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// describeResult is what a script expects for sql: the dumped tree and parameter count, or
// the error's kind and message.
func describeResult(sql string) string {
	parsed, err := Parse(sql)
	if err != nil {
		return "error (" + errs.KindOf(err).String() + "): " + err.Error()
	}
	out := Dump(parsed.Stmt)
	if parsed.NumParams > 0 {
		out += "\nparams: " + strconv.Itoa(parsed.NumParams)
	}
	return out
}

// TestParseScripts runs every case of testdata/parse/*.txt: each statement's AST (or error)
// must match the expectation written under it. Run with -update to rewrite expectations.
func TestParseScripts(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			cases := readScript(t, path)
			for i := range cases {
				c := &cases[i]
				got := describeResult(c.sql)
				if *update {
					c.expected = got
					continue
				}
				require.Equal(t, c.expected, got, "%s:%d:\n%s", path, c.line, c.sql)
			}
			if *update {
				writeScript(t, path, cases)
			}
		})
	}
}

// scriptSQL returns the SQL of every script case, for the fuzz seed corpus.
func scriptSQL(t testing.TB) []string {
	paths, err := filepath.Glob(filepath.Join("testdata", "parse", "*.txt"))
	require.NoError(t, err)
	var out []string
	for _, path := range paths {
		for _, c := range readScript(t, path) {
			out = append(out, c.sql)
		}
	}
	return out
}
