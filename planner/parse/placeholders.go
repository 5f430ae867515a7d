package parse

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/meshgate/meshgate/internal/errs"
)

// MaxParams is the largest parameter number a statement may use; it is the limit of the
// PostgreSQL wire protocol, which JDBC drivers and BI tools are built around.
const MaxParams = 65535

// RewritePlaceholders rewrites JDBC-style `?` placeholders into PostgreSQL's `$1, $2, …` in
// order of appearance and returns the new text and the number of parameters it takes (the
// highest $n; for text already using $n that is the highest n referenced).
//
// It runs PostgreSQL's own scanner, so a `?` inside a string literal (including E'…' and
// dollar-quoted strings), a quoted identifier or a comment is left alone, and so is `?` glued
// to other operator characters by the scanner (`a=?` is `a=$1`). As in pgjdbc, `??` is an
// escaped `?` and becomes a literal `?` (for operators such as jsonb's `?`). All other text is
// kept byte for byte, except that a space is added where `$n` would otherwise run into an
// adjacent identifier or number (`x?` → `x $1`). Mixing `?` and `$n` in one statement is an
// InvalidArgument error.
func RewritePlaceholders(sql string) (string, int, error) {
	r, err := rewritePlaceholders(sql)
	if err != nil {
		return "", 0, err
	}
	return r.text, r.numParams, nil
}

// rewritten is SQL text after placeholder rewriting, with the map back to the original.
type rewritten struct {
	text      string
	numParams int
	offsets   offsetMap
}

func rewritePlaceholders(sql string) (rewritten, error) {
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return rewritten{}, syntaxError(err, sql, sql, offsetMap{})
	}
	var (
		questionTokens []*pg_query.ScanToken
		highestDollar  int
		firstDollarPos = -1
	)
	for _, tok := range scan.GetTokens() {
		start, end := int(tok.GetStart()), int(tok.GetEnd())
		text := sql[start:end]
		switch tok.GetToken() {
		case pg_query.Token_PARAM:
			n, convErr := strconv.Atoi(text[1:])
			if convErr != nil || n < 1 || n > MaxParams {
				return rewritten{}, invalidArgument(sql, start,
					"parameter %s is out of range; parameters are numbered $1 to $%d", text, MaxParams)
			}
			highestDollar = max(highestDollar, n)
			if firstDollarPos < 0 {
				firstDollarPos = start
			}
		case pg_query.Token_Op, pg_query.Token_ASCII_63:
			if strings.Contains(text, "?") {
				questionTokens = append(questionTokens, tok)
			}
		}
	}
	if len(questionTokens) == 0 {
		return rewritten{text: sql, numParams: highestDollar}, nil
	}

	var (
		out     strings.Builder
		offsets offsetMap
		count   int
		copied  int // bytes of sql already copied to out
	)
	out.Grow(len(sql) + 8*len(questionTokens))
	for _, tok := range questionTokens {
		start, end := int(tok.GetStart()), int(tok.GetEnd())
		for i := start; i < end; i++ {
			if sql[i] != '?' {
				continue
			}
			out.WriteString(sql[copied:i])
			newStart := out.Len()
			if i+1 < end && sql[i+1] == '?' {
				out.WriteByte('?')
				offsets.add(i, i+2, newStart, out.Len())
				copied = i + 2
				i++
				continue
			}
			if firstDollarPos >= 0 {
				return rewritten{}, errs.New(errs.KindInvalidArgument,
					"? placeholder%s mixed with $n placeholders; use one style per statement", at(sql, i))
			}
			count++
			if count > MaxParams {
				return rewritten{}, invalidArgument(sql, i, "more than %d ? placeholders", MaxParams)
			}
			// $n must not fuse with a neighbouring identifier or number: `x$1` is an
			// identifier and `$12` a different parameter.
			if newStart > 0 && continuesIdentifier(out.String()[newStart-1]) {
				out.WriteByte(' ')
			}
			out.WriteString("$" + strconv.Itoa(count))
			if i+1 < len(sql) && continuesIdentifier(sql[i+1]) {
				out.WriteByte(' ')
			}
			offsets.add(i, i+1, newStart, out.Len())
			copied = i + 1
		}
	}
	out.WriteString(sql[copied:])
	numParams := count
	if count == 0 {
		numParams = highestDollar // only `??` escapes were rewritten
	}
	return rewritten{text: out.String(), numParams: numParams, offsets: offsets}, nil
}

// continuesIdentifier reports whether PostgreSQL's scanner would read byte b as part of an
// identifier, number or parameter that a `$n` placed next to it would fuse with.
func continuesIdentifier(b byte) bool {
	return b == '_' || b == '$' || b >= 0x80 ||
		('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

// offsetMap maps byte offsets of rewritten text back to the original text.
type offsetMap struct {
	edits []edit // in increasing order
}

// edit replaces original[origStart:origEnd] by rewritten[newStart:newEnd].
type edit struct {
	origStart, origEnd int
	newStart, newEnd   int
}

func (m *offsetMap) add(origStart, origEnd, newStart, newEnd int) {
	m.edits = append(m.edits, edit{origStart, origEnd, newStart, newEnd})
}

// original returns the original offset of rewritten offset pos; a position inside a
// replacement maps to the start of the text it replaced. Negative positions stay -1.
func (m offsetMap) original(pos int) int {
	if pos < 0 {
		return -1
	}
	// The last edit starting at or before pos decides the shift.
	i := sort.Search(len(m.edits), func(i int) bool { return m.edits[i].newStart > pos }) - 1
	if i < 0 {
		return pos
	}
	e := m.edits[i]
	if pos < e.newEnd {
		return e.origStart
	}
	return pos - e.newEnd + e.origEnd
}

// syntaxError converts a pg_query error on text (the rewritten form of original) into a
// *SyntaxError about the original text, wrapped as an InvalidArgument error.
func syntaxError(err error, original, text string, offsets offsetMap) error {
	var pgErr *parser.Error
	if !errors.As(err, &pgErr) {
		return errs.Wrap(errs.KindInternal, err, "parsing SQL")
	}
	se := &SyntaxError{Message: pgErr.Message, Offset: -1}
	if newPos := byteOffsetOfChar(text, pgErr.Cursorpos); newPos >= 0 {
		se.Offset = offsets.original(newPos)
		se.Line, se.Column = LineCol(original, se.Offset)
		se.Message = quoteOriginalToken(se.Message, text, newPos, original, offsets)
	}
	return errs.Wrap(errs.KindInvalidArgument, se, "")
}

// quoteOriginalToken makes `at or near "$3"` read `at or near "?"` when the token PostgreSQL
// quotes is a placeholder this package wrote, so the message matches what the user typed.
func quoteOriginalToken(msg, text string, newPos int, original string, offsets offsetMap) string {
	i := sort.Search(len(offsets.edits), func(i int) bool { return offsets.edits[i].newEnd > newPos })
	if i == len(offsets.edits) || offsets.edits[i].newStart > newPos {
		return msg
	}
	e := offsets.edits[i]
	written := strings.TrimSpace(text[e.newStart:e.newEnd])
	return strings.Replace(msg, `"`+written+`"`, `"`+original[e.origStart:e.origEnd]+`"`, 1)
}
