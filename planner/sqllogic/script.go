package sqllogic

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// RecordKind is the kind of a script record.
type RecordKind int

const (
	// StatementOK expects the statement to succeed.
	StatementOK RecordKind = iota
	// StatementError expects the statement to fail.
	StatementError
	// Query expects rows.
	Query
	// QueryError expects the query to fail.
	QueryError
)

// SortMode says how a query's rows are compared.
type SortMode int

const (
	NoSort SortMode = iota
	RowSort
	ValueSort
)

var sortModes = map[string]SortMode{"nosort": NoSort, "rowsort": RowSort, "valuesort": ValueSort}

// Record is one statement or query of a script.
type Record struct {
	// Line is the 1-based line of the record's header.
	Line int
	Kind RecordKind
	SQL  string
	// Types are the result column letters of a query.
	Types string
	Sort  SortMode
	// Departure marks a query whose expectation is meshgate's own answer.
	Departure bool
	// Error is the expected error substring of a statement or query error record.
	Error string
	// Expected are the expected result lines of a query.
	Expected []string
	// Comment is the comment block right above the record.
	Comment string

	// expectedStart and expectedEnd delimit the expected lines in the file (0-based line
	// indexes, end exclusive), for rewriting.
	expectedStart, expectedEnd int
}

// Script is a parsed script file.
type Script struct {
	Path    string
	Records []*Record
	lines   []string
}

// ParseFile reads and parses a script.
func ParseFile(path string) (*Script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses script text; path names it in errors.
func Parse(path string, data []byte) (*Script, error) {
	s := &Script{Path: path}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		s.lines = append(s.lines, sc.Text())
	}
	var comment []string
	for i := 0; i < len(s.lines); {
		line := s.lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			comment = nil
			i++
			continue
		case strings.HasPrefix(trimmed, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(trimmed, "#")))
			i++
			continue
		}
		rec := &Record{Line: i + 1, Comment: strings.Join(comment, "\n")}
		comment = nil
		fields := strings.Fields(line)
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", path, i+1, fmt.Sprintf(format, args...))
		}
		switch {
		case fields[0] == "statement" && len(fields) >= 2 && fields[1] == "ok":
			rec.Kind = StatementOK
		case fields[0] == "statement" && len(fields) >= 2 && fields[1] == "error":
			rec.Kind = StatementError
			rec.Error, rec.Departure = errorSubstring(line, "statement error")
		case fields[0] == "query" && len(fields) >= 2 && fields[1] == "error":
			rec.Kind = QueryError
			rec.Error, rec.Departure = errorSubstring(line, "query error")
		case fields[0] == "query" && len(fields) >= 2:
			rec.Kind = Query
			rec.Types = fields[1]
			for _, c := range rec.Types {
				if !strings.ContainsRune("IRTBD", c) {
					return nil, bad("unknown column type %q; use I, R, T, B or D", c)
				}
			}
			for _, f := range fields[2:] {
				if m, ok := sortModes[f]; ok {
					rec.Sort = m
					continue
				}
				if f == "departure" {
					rec.Departure = true
					continue
				}
				return nil, bad("unknown query option %q", f)
			}
		default:
			return nil, bad("expected statement or query, found %q", line)
		}
		if rec.Departure && rec.Comment == "" {
			return nil, bad("a departure from PostgreSQL needs a comment above it saying why")
		}
		if (rec.Kind == StatementError || rec.Kind == QueryError) && rec.Error == "" {
			return nil, bad("an error record needs the expected message substring")
		}
		i++
		var sql []string
		for i < len(s.lines) && strings.TrimSpace(s.lines[i]) != "" && s.lines[i] != "----" {
			sql = append(sql, s.lines[i])
			i++
		}
		if len(sql) == 0 {
			return nil, bad("the record has no SQL")
		}
		rec.SQL = strings.Join(sql, "\n")
		if rec.Kind == Query {
			if i >= len(s.lines) || s.lines[i] != "----" {
				return nil, bad("query without a ---- line before its expected rows")
			}
			i++
			rec.expectedStart = i
			for i < len(s.lines) && s.lines[i] != "" {
				rec.Expected = append(rec.Expected, s.lines[i])
				i++
			}
			rec.expectedEnd = i
		} else if i < len(s.lines) && s.lines[i] == "----" {
			return nil, bad("only queries have expected rows")
		}
		s.Records = append(s.Records, rec)
	}
	return s, nil
}

// errorSubstring splits "query error [departure] <substring>".
func errorSubstring(line, prefix string) (string, bool) {
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), prefix))
	if after, ok := strings.CutPrefix(rest, "departure "); ok {
		return strings.TrimSpace(after), true
	}
	return rest, false
}

// Rewrite returns the script's text with each query's expected lines replaced by
// expected[record] where given.
func (s *Script) Rewrite(expected map[*Record][]string) []byte {
	var out bytes.Buffer
	next := 0
	for _, r := range s.Records {
		lines, ok := expected[r]
		if !ok || r.Kind != Query {
			continue
		}
		for ; next < r.expectedStart; next++ {
			out.WriteString(s.lines[next] + "\n")
		}
		for _, l := range lines {
			out.WriteString(l + "\n")
		}
		next = r.expectedEnd
	}
	for ; next < len(s.lines); next++ {
		out.WriteString(s.lines[next] + "\n")
	}
	return out.Bytes()
}
