package sqllogic

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/meshgate/meshgate/planner/plannertest"
)

// Engine runs one statement and returns its result as text.
type Engine func(ctx context.Context, sql string) (*plannertest.Result, error)

// Failure is one record whose outcome differs from its expectation.
type Failure struct {
	Path string
	Line int
	SQL  string
	Msg  string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: %s\n%s", f.Path, f.Line, f.Msg, indent(f.SQL))
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// Check runs every record of s on meshgate and returns the failures.
func Check(ctx context.Context, s *Script, meshgate Engine) []Failure {
	var out []Failure
	for _, r := range s.Records {
		if msg := check(ctx, r, meshgate); msg != "" {
			out = append(out, Failure{Path: s.Path, Line: r.Line, SQL: r.SQL, Msg: msg})
		}
	}
	return out
}

func check(ctx context.Context, r *Record, meshgate Engine) string {
	res, err := meshgate(ctx, r.SQL)
	switch r.Kind {
	case StatementOK:
		if err != nil {
			return "statement failed: " + err.Error()
		}
		return ""
	case StatementError, QueryError:
		if err == nil {
			return fmt.Sprintf("expected an error containing %q, but it succeeded with %d rows", r.Error, len(res.Rows))
		}
		if !strings.Contains(err.Error(), r.Error) {
			return fmt.Sprintf("expected an error containing %q, got: %v", r.Error, err)
		}
		return ""
	}
	if err != nil {
		return "query failed: " + err.Error()
	}
	if msg := checkTypes(r, res.Kinds, "meshgate"); msg != "" {
		return msg
	}
	want, err := parseExpected(r)
	if err != nil {
		return err.Error()
	}
	return compare(r, want, res)
}

var kindLetters = map[plannertest.Kind]byte{
	plannertest.KindInteger: 'I', plannertest.KindNumber: 'R', plannertest.KindText: 'T',
	plannertest.KindPaddedText: 'T', plannertest.KindBool: 'B', plannertest.KindOther: 'D',
}

var letterKinds = map[byte]plannertest.Kind{
	'I': plannertest.KindInteger, 'R': plannertest.KindNumber, 'T': plannertest.KindText,
	'B': plannertest.KindBool, 'D': plannertest.KindOther,
}

// checkTypes compares a result's column kinds with the record's type letters.
func checkTypes(r *Record, kinds []plannertest.Kind, who string) string {
	if len(kinds) != len(r.Types) {
		return fmt.Sprintf("%s returned %d columns, the record declares %d (%s)", who, len(kinds), len(r.Types), r.Types)
	}
	got := make([]byte, len(kinds))
	for i, k := range kinds {
		got[i] = kindLetters[k]
	}
	if string(got) != r.Types {
		return fmt.Sprintf("%s returned column types %s, the record declares %s", who, got, r.Types)
	}
	return ""
}

// parseExpected turns the expected lines into a result.
func parseExpected(r *Record) (*plannertest.Result, error) {
	res := &plannertest.Result{}
	for i := range r.Types {
		res.Kinds = append(res.Kinds, letterKinds[r.Types[i]])
		res.Columns = append(res.Columns, fmt.Sprintf("column%d", i+1))
	}
	if r.Sort == ValueSort {
		return res, nil
	}
	for _, line := range r.Expected {
		cells := strings.Split(line, "\t")
		if len(cells) != len(r.Types) {
			return nil, fmt.Errorf("expected row %q has %d values, the record declares %d columns", line, len(cells), len(r.Types))
		}
		row := make([]*string, len(cells))
		for i, c := range cells {
			if c == "NULL" {
				continue
			}
			v := unescapeCell(c)
			row[i] = &v
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func compare(r *Record, want, got *plannertest.Result) string {
	if r.Sort == ValueSort {
		w := append([]string(nil), r.Expected...)
		g := valueLines(got)
		if len(w) != len(g) {
			return fmt.Sprintf("want %d values, got %d:\n%s", len(w), len(g), indent(strings.Join(g, "\n")))
		}
		for i := range w {
			if w[i] != g[i] {
				return fmt.Sprintf("value %d: want %q, got %q; got:\n%s", i, w[i], g[i], indent(strings.Join(g, "\n")))
			}
		}
		return ""
	}
	got.Kinds = want.Kinds // the letters decide how values compare
	diff := plannertest.Compare(want, got, plannertest.CompareOptions{Ordered: r.Sort == NoSort})
	if diff == "" {
		return ""
	}
	return diff + "\ngot:\n" + indent(strings.Join(resultLines(got, r.Sort), "\n"))
}

// resultLines renders a result as expected lines in the record's sort mode.
func resultLines(res *plannertest.Result, mode SortMode) []string {
	if mode == ValueSort {
		return valueLines(res)
	}
	lines := make([]string, len(res.Rows))
	for i, row := range res.Rows {
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = formatCell(c, res.Kinds[j])
		}
		lines[i] = strings.Join(cells, "\t")
	}
	if mode == RowSort {
		sort.Strings(lines)
	}
	return lines
}

func valueLines(res *plannertest.Result) []string {
	var out []string
	for _, row := range res.Rows {
		for j, c := range row {
			out = append(out, formatCell(c, res.Kinds[j]))
		}
	}
	sort.Strings(out)
	return out
}

func formatCell(c *string, k plannertest.Kind) string {
	switch {
	case c == nil:
		return "NULL"
	case *c == "":
		return "(empty)"
	}
	v := *c
	if k == plannertest.KindPaddedText {
		v = strings.TrimRight(v, " ")
	}
	return escapeCell(v)
}

var cellEscaper = strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n")

func escapeCell(s string) string { return cellEscaper.Replace(s) }

func unescapeCell(s string) string {
	if s == "(empty)" {
		return ""
	}
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Update computes every query's expectation from PostgreSQL (from meshgate for departures) and
// returns the rewritten script. Problems are records where PostgreSQL and meshgate disagree
// (bugs to fix or departures to declare), departures PostgreSQL now agrees with, and error
// records that PostgreSQL accepts.
func Update(ctx context.Context, s *Script, meshgate, postgres Engine) ([]byte, []Failure) {
	var problems []Failure
	fail := func(r *Record, format string, args ...any) {
		problems = append(problems, Failure{Path: s.Path, Line: r.Line, SQL: r.SQL, Msg: fmt.Sprintf(format, args...)})
	}
	expected := map[*Record][]string{}
	for _, r := range s.Records {
		pgRes, pgErr := postgres(ctx, r.SQL)
		switch r.Kind {
		case StatementOK:
			if pgErr != nil {
				fail(r, "PostgreSQL rejects this statement: %v", pgErr)
			}
			continue
		case StatementError, QueryError:
			if pgErr == nil && !r.Departure {
				fail(r, "PostgreSQL accepts this statement, which meshgate is expected to reject; declare the departure or fix the record")
			}
			continue
		}
		mgRes, mgErr := meshgate(ctx, r.SQL)
		if r.Departure {
			if mgErr != nil {
				fail(r, "meshgate fails on a departure record: %v", mgErr)
				continue
			}
			expected[r] = resultLines(mgRes, r.Sort)
			if pgErr == nil && len(pgRes.Kinds) == len(r.Types) {
				pgRes.Kinds = mgRes.Kinds
				if equalLines(resultLines(pgRes, r.Sort), expected[r]) {
					fail(r, "PostgreSQL now gives meshgate's answer: drop the departure mark")
				}
			}
			continue
		}
		if pgErr != nil {
			fail(r, "PostgreSQL fails: %v", pgErr)
			continue
		}
		if msg := checkTypes(r, postgresKinds(r, pgRes.Kinds), "PostgreSQL"); msg != "" {
			fail(r, "%s", msg)
		}
		expected[r] = resultLines(pgRes, r.Sort)
		if mgErr != nil {
			fail(r, "meshgate fails where PostgreSQL answers: %v", mgErr)
			continue
		}
		probe := *r
		probe.Expected = expected[r]
		if len(pgRes.Kinds) == len(r.Types) {
			if want, err := parseExpected(&probe); err == nil {
				if msg := compare(&probe, want, mgRes); msg != "" {
					fail(r, "meshgate differs from PostgreSQL: %s", msg)
				}
			}
		}
	}
	return s.Rewrite(expected), problems
}

// postgresKinds reads PostgreSQL's numeric columns as integers where the record says I:
// PostgreSQL 14+ gives EXTRACT and date_part's integral fields as numeric, meshgate as bigint
// (compared as numbers either way).
func postgresKinds(r *Record, kinds []plannertest.Kind) []plannertest.Kind {
	out := append([]plannertest.Kind(nil), kinds...)
	for i := range out {
		if i < len(r.Types) && r.Types[i] == 'I' && out[i] == plannertest.KindNumber {
			out[i] = plannertest.KindInteger
		}
	}
	return out
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
