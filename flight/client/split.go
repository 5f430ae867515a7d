package client

import (
	"strings"
	"unicode"
)

// splitter cuts SQL text into statements at semicolons outside string literals ('...',
// E'...' with backslash escapes, $tag$...$tag$), quoted identifiers ("...") and comments
// (-- to end of line, nested /* */), the way PostgreSQL's psql does. Text is fed line by
// line; an unfinished statement waits for more lines.
type splitter struct {
	pending strings.Builder
}

// feed adds a line and returns the statements it completed, trimmed and without their
// semicolon. Statements holding only comments and whitespace are dropped.
func (s *splitter) feed(line string) []string {
	s.pending.WriteString(line)
	s.pending.WriteByte('\n')
	stmts, rest := splitStatements(s.pending.String())
	s.pending.Reset()
	s.pending.WriteString(rest)
	return stmts
}

// inStatement reports whether an unfinished statement with content is waiting.
func (s *splitter) inStatement() bool {
	return hasContent(s.pending.String())
}

// flush returns the unfinished statement at end of input (a last statement may omit its
// semicolon), or "" when there is none.
func (s *splitter) flush() string {
	rest := s.pending.String()
	s.pending.Reset()
	if !hasContent(rest) {
		return ""
	}
	return trimStatement(rest)
}

// trimStatement drops the whitespace and comments before a statement's first token (psql
// does not send them either) and the whitespace after its end.
func trimStatement(stmt string) string {
	sc := scanner{src: stmt}
	for sc.pos < len(stmt) {
		rest := stmt[sc.pos:]
		switch {
		case strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "/*"):
			sc.skipQuotedOrComment()
		case unicode.IsSpace(rune(rest[0])):
			sc.pos++
		default:
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// splitStatements returns the complete statements of text and the unfinished rest.
func splitStatements(text string) (stmts []string, rest string) {
	start := 0
	sc := scanner{src: text}
	for sc.pos < len(text) {
		if sc.skipQuotedOrComment() {
			continue
		}
		if text[sc.pos] == ';' {
			if stmt := text[start:sc.pos]; hasContent(stmt) {
				stmts = append(stmts, trimStatement(stmt))
			}
			start = sc.pos + 1
		}
		sc.pos++
	}
	return stmts, text[start:]
}

// hasContent reports whether text holds anything but whitespace and comments. An
// unterminated literal or comment counts as content: the statement is not finished.
func hasContent(text string) bool {
	sc := scanner{src: text}
	for sc.pos < len(text) {
		rest := text[sc.pos:]
		switch {
		case strings.HasPrefix(rest, "--") || strings.HasPrefix(rest, "/*"):
			sc.skipQuotedOrComment()
			if sc.unterminated {
				return true
			}
		case unicode.IsSpace(rune(rest[0])):
			sc.pos++
		default:
			return true
		}
	}
	return false
}

type scanner struct {
	src          string
	pos          int
	unterminated bool
}

// skipQuotedOrComment moves past a literal, quoted identifier or comment starting at pos
// and reports whether it did. At end of input inside one it stops at the end and marks
// the scan unterminated.
func (sc *scanner) skipQuotedOrComment() bool {
	src, i := sc.src, sc.pos
	switch {
	case strings.HasPrefix(src[i:], "--"):
		end := strings.IndexByte(src[i:], '\n')
		if end < 0 {
			sc.pos = len(src)
		} else {
			sc.pos = i + end + 1
		}
	case strings.HasPrefix(src[i:], "/*"):
		depth, j := 0, i
		for j < len(src) {
			switch {
			case strings.HasPrefix(src[j:], "/*"):
				depth++
				j += 2
			case strings.HasPrefix(src[j:], "*/"):
				depth--
				j += 2
			default:
				j++
			}
			if depth == 0 {
				break
			}
		}
		sc.unterminated = depth > 0
		sc.pos = j
	case src[i] == '\'':
		escapes := i > 0 && (src[i-1] == 'E' || src[i-1] == 'e') && (i == 1 || !isIdentChar(src[i-2]))
		sc.pos = sc.closeQuote(i+1, '\'', escapes)
	case src[i] == '"':
		sc.pos = sc.closeQuote(i+1, '"', false)
	case src[i] == '$':
		tag, ok := dollarTag(src[i:])
		if !ok || (i > 0 && isIdentChar(src[i-1])) {
			return false
		}
		end := strings.Index(src[i+len(tag):], tag)
		if end < 0 {
			sc.unterminated = true
			sc.pos = len(src)
		} else {
			sc.pos = i + len(tag) + end + len(tag)
		}
	default:
		return false
	}
	return true
}

// closeQuote returns the position after the quote closing a literal opened before from. A
// doubled quote is an escaped quote; with escapes a backslash escapes the next byte.
func (sc *scanner) closeQuote(from int, quote byte, escapes bool) int {
	src := sc.src
	for j := from; j < len(src); j++ {
		switch {
		case escapes && src[j] == '\\':
			j++
		case src[j] == quote && j+1 < len(src) && src[j+1] == quote:
			j++
		case src[j] == quote:
			return j + 1
		}
	}
	sc.unterminated = true
	return len(src)
}

// dollarTag returns the $tag$ opening a dollar-quoted string at the start of s.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		switch {
		case s[j] == '$':
			return s[:j+1], true
		case !isIdentChar(s[j]) || (j == 1 && s[j] >= '0' && s[j] <= '9'):
			return "", false
		}
	}
	return "", false
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
