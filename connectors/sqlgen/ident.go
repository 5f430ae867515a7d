package sqlgen

import (
	"strings"

	"github.com/meshgate/meshgate/internal/errs"
)

// quoteIdent quotes name with q, doubling every q inside it, so any text (quotes, semicolons,
// comment markers, unicode) stays one identifier.
func quoteIdent(q byte, name string) string {
	var b strings.Builder
	b.Grow(len(name) + 2)
	b.WriteByte(q)
	for i := 0; i < len(name); i++ {
		if name[i] == q {
			b.WriteByte(q)
		}
		b.WriteByte(name[i])
	}
	b.WriteByte(q)
	return b.String()
}

// ParseTableName splits a configured table name such as `public.orders` into its parts. Parts
// may be quoted with double quotes or backticks (a doubled quote inside stands for itself), so
// names containing dots can be written `"my.schema"."t"`; unquoted parts are taken as written
// (they are quoted on rendering, so their case is kept). At most three parts are accepted
// (catalog.schema.table).
func ParseTableName(s string) ([]string, error) {
	bad := func(why string) error {
		return errs.New(errs.KindInvalidArgument, "table name %q is not valid: %s; write schema.table, quoting parts that contain dots", s, why)
	}
	var parts []string
	i := 0
	for {
		if i >= len(s) {
			return nil, bad("a name part is empty")
		}
		var part strings.Builder
		if q := s[i]; q == '"' || q == '`' {
			i++
			closed := false
			for i < len(s) {
				if s[i] == q {
					if i+1 < len(s) && s[i+1] == q {
						part.WriteByte(q)
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				part.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, bad("a quote is not closed")
			}
		} else {
			for i < len(s) && s[i] != '.' {
				if s[i] == '"' || s[i] == '`' {
					return nil, bad("a quote starts in the middle of a part")
				}
				part.WriteByte(s[i])
				i++
			}
		}
		if part.Len() == 0 {
			return nil, bad("a name part is empty")
		}
		parts = append(parts, part.String())
		if i == len(s) {
			break
		}
		if s[i] != '.' {
			return nil, bad("parts must be separated by dots")
		}
		i++
	}
	if len(parts) > 3 {
		return nil, bad("more than three parts")
	}
	return parts, nil
}
