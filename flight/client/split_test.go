package client

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitter(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
		rest  string // flush at end of input
	}{
		{"one statement", "SELECT 1;", []string{"SELECT 1"}, ""},
		{"several on a line", "SELECT 1; SELECT 2;SELECT 3", []string{"SELECT 1", "SELECT 2"}, "SELECT 3"},
		{"multi-line statement", "SELECT a,\n  b\nFROM t\nWHERE x = 1;", []string{"SELECT a,\n  b\nFROM t\nWHERE x = 1"}, ""},
		{"semicolon in a string", "SELECT 'a;b', 'it''s; fine';", []string{"SELECT 'a;b', 'it''s; fine'"}, ""},
		{"semicolon in a quoted identifier", `SELECT "we;ird" FROM t;`, []string{`SELECT "we;ird" FROM t`}, ""},
		{"escape string with backslash quote", `SELECT E'it\'s; here';`, []string{`SELECT E'it\'s; here'`}, ""},
		{"backslash is plain in a standard string", `SELECT 'C:\';`, []string{`SELECT 'C:\'`}, ""},
		{"dollar quoting", "SELECT $$a;b$$, $tag$x;$$;y$tag$;", []string{"SELECT $$a;b$$, $tag$x;$$;y$tag$"}, ""},
		{"parameters are not dollar quotes", "SELECT $1, $2;", []string{"SELECT $1, $2"}, ""},
		{"line comment", "SELECT 1 -- not here; really\n;", []string{"SELECT 1 -- not here; really"}, ""},
		{"leading comments are dropped", "-- why\n/* what */ SELECT 1;", []string{"SELECT 1"}, ""},
		{"nested block comment", "SELECT /* a; /* b; */ c; */ 1;", []string{"SELECT /* a; /* b; */ c; */ 1"}, ""},
		{"comment-only statements are dropped", "-- just a note;\n/* and; this */;\n;;SELECT 1;", []string{"SELECT 1"}, ""},
		{"unterminated string waits", "SELECT 'abc;\n", nil, "SELECT 'abc;"},
		{"unterminated block comment waits", "SELECT 1 /* ;\n", nil, "SELECT 1 /* ;"},
		{"whitespace only", "  \n\t\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sp splitter
			var got []string
			for _, line := range strings.Split(strings.TrimSuffix(tt.input, "\n"), "\n") {
				got = append(got, sp.feed(line)...)
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.rest != "", sp.inStatement())
			require.Equal(t, tt.rest, sp.flush())
		})
	}
}

func TestIsQuit(t *testing.T) {
	for _, line := range []string{`\q`, "quit", "EXIT;", "  exit  "} {
		require.True(t, isQuit(line), line)
	}
	for _, line := range []string{"SELECT 1", "quitting", `\qq`} {
		require.False(t, isQuit(line), line)
	}
}
