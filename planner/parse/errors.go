package parse

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/errs"
)

// SyntaxError is SQL text PostgreSQL's grammar rejects. Parse returns it wrapped so that
// errs.KindOf(err) is errs.KindInvalidArgument; errors.As(err, &syntaxErr) reaches it.
type SyntaxError struct {
	// Message is PostgreSQL's message without the position, e.g.
	// `syntax error at or near "FORM"`.
	Message string
	// Line and Column are 1-based; Column counts characters, not bytes. Both are 0 when the
	// parser reported no position.
	Line, Column int
	// Offset is the byte offset into the original SQL text, -1 when unknown.
	Offset int
}

func (e *SyntaxError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s at line %d, column %d", e.Message, e.Line, e.Column)
}

// LineCol returns the 1-based line and column (in characters) of byte offset pos in sql.
// It returns 0, 0 for a negative (unknown) position and clamps positions past the end.
func LineCol(sql string, pos int) (line, col int) {
	if pos < 0 {
		return 0, 0
	}
	if pos > len(sql) {
		pos = len(sql)
	}
	line, lineStart := 1, 0
	for i := 0; i < pos; i++ {
		if sql[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return line, utf8.RuneCountInString(sql[lineStart:pos]) + 1
}

// Where describes byte offset pos of sql as "line L, column C" for error messages, or ""
// when the position is unknown.
func Where(sql string, pos int) string {
	line, col := LineCol(sql, pos)
	if line == 0 {
		return ""
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

// at appends " at line L, column C" to a message when pos is known.
func at(sql string, pos int) string {
	if w := Where(sql, pos); w != "" {
		return " at " + w
	}
	return ""
}

func invalidArgument(sql string, pos int, format string, args ...any) error {
	return errs.New(errs.KindInvalidArgument, "%s", placeAt(sql, pos, fmt.Sprintf(format, args...)))
}

func notSupported(sql string, pos int, format string, args ...any) error {
	return errs.NotSupportedf("%s", placeAt(sql, pos, fmt.Sprintf(format, args...)))
}

// placeAt adds the position to a message. A message may end in a hint after "; " ("OVERLAY;
// use substring and ||"): the position goes before the hint, next to what it locates.
func placeAt(sql string, pos int, msg string) string {
	what, hint, found := strings.Cut(msg, "; ")
	if !found {
		return msg + at(sql, pos)
	}
	return what + at(sql, pos) + "; " + hint
}

// byteOffsetOfChar converts PostgreSQL's 1-based character cursor position into a byte
// offset into text (PostgreSQL counts UTF-8 characters). It returns -1 for 0 (no position).
func byteOffsetOfChar(text string, cursor int) int {
	if cursor <= 0 {
		return -1
	}
	chars := 0
	for i := range text {
		if chars == cursor-1 {
			return i
		}
		chars++
	}
	return len(text)
}
