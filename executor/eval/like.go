package eval

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// LIKE patterns compile to the cheapest matcher that decides them: exact, prefix, suffix,
// contains, an ordered list of %-separated pieces (TPC-H's '%special%requests%'), or a general
// matcher for patterns with '_'. '%' and '_' work on characters; ILIKE folds both sides with
// Unicode simple case folding.

type likeKind int

const (
	likeAll      likeKind = iota // '%'
	likeExact                    // no wildcard
	likePrefix                   // 'abc%'
	likeSuffix                   // '%abc'
	likeContains                 // '%abc%'
	likePieces                   // 'a%b%c', any of a and c may be empty
	likeGeneral                  // patterns with '_'
)

type tokKind int

const (
	tokLit tokKind = iota
	tokAny1
	tokAnyN
)

type likeTok struct {
	kind tokKind
	lit  []byte
}

type likePattern struct {
	kind    likeKind
	lit     []byte   // exact, prefix, suffix, contains
	first   []byte   // pieces: required prefix
	last    []byte   // pieces: required suffix
	middles [][]byte // pieces: in order between them
	toks    []likeTok
	fold    bool
}

func errLikeEscape() error {
	return errs.New(errs.KindInvalidArgument, "LIKE pattern must not end with escape character")
}

func errInvalidEscape() error {
	return errs.New(errs.KindInvalidArgument, "invalid escape string: it must be empty or one character")
}

// escapeRune returns the escape character of an ESCAPE argument; -1 for none (”).
func escapeRune(esc string) (rune, error) {
	switch utf8.RuneCountInString(esc) {
	case 0:
		return -1, nil
	case 1:
		r, _ := utf8.DecodeRuneInString(esc)
		return r, nil
	}
	return 0, errInvalidEscape()
}

// compileLike parses a pattern with the given escape character (-1: none).
func compileLike(pattern string, esc rune, fold bool) (*likePattern, error) {
	if fold {
		pattern = string(foldAppend(nil, pattern))
		if esc >= 0 {
			esc = foldRune(esc)
		}
	}
	var toks []likeTok
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			toks = append(toks, likeTok{kind: tokLit, lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch {
		case r == esc:
			if i >= len(pattern) {
				return nil, errLikeEscape()
			}
			r2, size2 := utf8.DecodeRuneInString(pattern[i:])
			i += size2
			lit = utf8.AppendRune(lit, r2)
		case r == '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokAnyN {
				toks = append(toks, likeTok{kind: tokAnyN})
			}
		case r == '_':
			flush()
			toks = append(toks, likeTok{kind: tokAny1})
		default:
			lit = utf8.AppendRune(lit, r)
		}
	}
	flush()
	p := &likePattern{toks: toks, fold: fold}
	p.classify()
	return p, nil
}

func (p *likePattern) classify() {
	toks := p.toks
	for _, t := range toks {
		if t.kind == tokAny1 {
			p.kind = likeGeneral
			return
		}
	}
	isPct := func(i int) bool { return i >= 0 && i < len(toks) && toks[i].kind == tokAnyN }
	switch {
	case len(toks) == 0:
		p.kind, p.lit = likeExact, nil
		return
	case len(toks) == 1 && isPct(0):
		p.kind = likeAll
		return
	case len(toks) == 1:
		p.kind, p.lit = likeExact, toks[0].lit
		return
	case len(toks) == 2 && isPct(1):
		p.kind, p.lit = likePrefix, toks[0].lit
		return
	case len(toks) == 2 && isPct(0):
		p.kind, p.lit = likeSuffix, toks[1].lit
		return
	case len(toks) == 3 && isPct(0) && isPct(2):
		p.kind, p.lit = likeContains, toks[1].lit
		return
	}
	p.kind = likePieces
	rest := toks
	if rest[0].kind == tokLit {
		p.first = rest[0].lit
		rest = rest[1:]
	}
	if rest[len(rest)-1].kind == tokLit {
		p.last = rest[len(rest)-1].lit
		rest = rest[:len(rest)-1]
	}
	for _, t := range rest {
		if t.kind == tokLit {
			p.middles = append(p.middles, t.lit)
		}
	}
}

// match reports whether s (already folded for ILIKE) matches.
func (p *likePattern) match(s []byte) bool {
	switch p.kind {
	case likeAll:
		return true
	case likeExact:
		return bytes.Equal(s, p.lit)
	case likePrefix:
		return bytes.HasPrefix(s, p.lit)
	case likeSuffix:
		return bytes.HasSuffix(s, p.lit)
	case likeContains:
		return bytes.Contains(s, p.lit)
	case likePieces:
		return p.matchPieces(s)
	}
	return matchGeneral(p.toks, s)
}

func (p *likePattern) matchPieces(s []byte) bool {
	if len(s) < len(p.first)+len(p.last) || !bytes.HasPrefix(s, p.first) || !bytes.HasSuffix(s, p.last) {
		return false
	}
	s = s[len(p.first) : len(s)-len(p.last)]
	for _, m := range p.middles {
		k := bytes.Index(s, m)
		if k < 0 {
			return false
		}
		s = s[k+len(m):]
	}
	return true
}

// matchGeneral is glob matching with backtracking to the last '%' only, which is complete for
// patterns of literals, '_' and '%' and linear in practice.
func matchGeneral(toks []likeTok, s []byte) bool {
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokAnyN:
				starTi, starSi = ti, si
				ti++
				continue
			case tokAny1:
				if si < len(s) {
					_, size := utf8.DecodeRune(s[si:])
					si += size
					ti++
					continue
				}
			case tokLit:
				if bytes.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, size := utf8.DecodeRune(s[starSi:])
		starSi += size
		si, ti = starSi, starTi+1
	}
}

// foldRune maps a rune to the smallest member of its simple case-folding orbit, so runes that
// fold together map to the same rune.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	lowest := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lowest = min(lowest, f)
	}
	return lowest
}

// foldAppend appends the case-folded s to dst.
func foldAppend(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			}
			dst = append(dst, b)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// likeKernel binds LIKE/ILIKE. A constant pattern (and escape) is compiled once here; other
// patterns are compiled per row, reusing the last one while it repeats.
func likeKernel(fold bool, nodes []node, args []expr.Expr) (kernel, error) {
	esc := rune('\\')
	escConst := true
	if len(nodes) == 3 {
		v, ok := constOf(nodes[2])
		escConst = ok
		if ok && v != nil {
			var err error
			if esc, err = escapeRune(v.(string)); err != nil {
				return nil, err
			}
		}
	}
	var fixed *likePattern
	if v, ok := constOf(nodes[1]); ok && escConst && v != nil {
		var err error
		if fixed, err = compileLike(v.(string), esc, fold); err != nil {
			return nil, err
		}
	}
	return func(c *evalCtx, n int, vs []vec) (vec, error) {
		validity, nulls := andValidity(c.alloc, n, vs...)
		valid := bufBits(validity)
		buf := newBitmap(c.alloc, n)
		out := buf.Bytes()
		fail := func(err error) (vec, error) {
			buf.Release()
			releaseBuf(validity)
			return vec{}, err
		}
		val := newStrAcc(vs[0])
		if fixed != nil && !fixed.fold && vs[0].arr != nil {
			matchColumn(fixed, val.offs, val.data, n, out)
		} else {
			pat := newStrAcc(vs[1])
			var escAcc strAcc
			if len(vs) == 3 {
				escAcc = newStrAcc(vs[2])
			}
			var scratch []byte
			p := fixed
			lastPat, lastEsc := "", ""
			for i := 0; i < n; i++ {
				if !valid.ok(i) {
					continue
				}
				if fixed == nil {
					ps := pat.at(i)
					e := "\\"
					if len(vs) == 3 {
						e = escAcc.at(i)
					}
					if p == nil || ps != lastPat || e != lastEsc {
						r, err := escapeRune(e)
						if err != nil {
							return fail(err)
						}
						if p, err = compileLike(ps, r, fold); err != nil {
							return fail(err)
						}
						lastPat, lastEsc = string([]byte(ps)), string([]byte(e))
					}
				}
				s := val.bytesAt(i)
				if fold {
					scratch = foldAppend(scratch[:0], bytesToString(s))
					s = scratch
				}
				if p.match(s) {
					out[i>>3] |= 1 << (uint(i) & 7)
				}
			}
		}
		return arrayVec(makeArray(expr.Bool, n, validity, nulls, buf)), nil
	}, nil
}

// matchColumn matches every row of a string column against a compiled pattern, one tight loop
// per pattern kind. NULL rows get arbitrary bits (the validity bitmap hides them).
func matchColumn(p *likePattern, offs []int32, data []byte, n int, out []byte) {
	set := func(i int) { out[i>>3] |= 1 << (uint(i) & 7) }
	lit := p.lit
	switch p.kind {
	case likeAll:
		for i := range out {
			out[i] = 0xFF
		}
	case likeExact:
		for i := 0; i < n; i++ {
			if int(offs[i+1]-offs[i]) == len(lit) && string(data[offs[i]:offs[i+1]]) == string(lit) {
				set(i)
			}
		}
	case likePrefix:
		for i := 0; i < n; i++ {
			if bytes.HasPrefix(data[offs[i]:offs[i+1]], lit) {
				set(i)
			}
		}
	case likeSuffix:
		for i := 0; i < n; i++ {
			if bytes.HasSuffix(data[offs[i]:offs[i+1]], lit) {
				set(i)
			}
		}
	case likeContains:
		for i := 0; i < n; i++ {
			if bytes.Contains(data[offs[i]:offs[i+1]], lit) {
				set(i)
			}
		}
	case likePieces:
		for i := 0; i < n; i++ {
			if p.matchPieces(data[offs[i]:offs[i+1]]) {
				set(i)
			}
		}
	default:
		for i := 0; i < n; i++ {
			if matchGeneral(p.toks, data[offs[i]:offs[i+1]]) {
				set(i)
			}
		}
	}
}
