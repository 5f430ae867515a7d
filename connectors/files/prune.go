package files

import (
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

// pred is a filter conjunct compiled for pruning: a tree that answers "may some row of this
// row group satisfy the conjunct?" from statistics and dictionaries. Every answer errs on
// the side of "yes": a false answer must be a proof.
type pred struct {
	kind predKind
	kids []*pred // and, or
	// Leaves: the bound column (index into the handle's columns), the conversions from its
	// declared type to the type the comparison is made in (casts seen through), the
	// operator and the literal(s).
	col   int
	convs []valueConv
	op    cmpOp
	lits  []value
	// negated is set on comparisons produced by pushing a NOT down and on NOT IN: with
	// IEEE comparisons a NaN satisfies those, and NaNs are absent from min/max statistics.
	negated bool
}

type predKind uint8

const (
	predUnknown   predKind = iota // may match any row group
	predNever                     // no row satisfies it (a comparison with NULL, FALSE)
	predAnd                       // all kids
	predOr                        // any kid
	predCompare                   // col op lits[0]
	predIn                        // col IN lits (NOT IN when negated)
	predIsNull                    // col IS NULL
	predIsNotNull                 // col IS NOT NULL
)

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opByFunc = map[string]cmpOp{
	expr.FnEq: opEq, expr.FnNotEq: opNe, expr.FnLt: opLt, expr.FnLtEq: opLe, expr.FnGt: opGt, expr.FnGtEq: opGe,
}

// flip is the operator with its operands swapped: lit < col is col > lit.
func (o cmpOp) flip() cmpOp {
	return [...]cmpOp{opEq, opNe, opGt, opGe, opLt, opLe}[o]
}

// negate is NOT (col o lit) for a non-NULL col: NOT (col < lit) is col >= lit.
func (o cmpOp) negate() cmpOp {
	return [...]cmpOp{opNe, opEq, opGe, opGt, opLe, opLt}[o]
}

func (o cmpOp) holds(c int) bool {
	switch o {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// columnLookup resolves a column ID to the handle's column index and declared type.
type columnLookup func(id expr.ColumnID) (idx int, declared arrow.DataType, ok bool)

// compilePred compiles one conjunct; negate asks for NOT e. The result is simplified:
// predUnknown means the conjunct cannot prune anything.
func compilePred(e expr.Expr, negate bool, cols columnLookup) *pred {
	unknown := &pred{kind: predUnknown}
	switch n := e.(type) {
	case *expr.Call:
		switch n.Func {
		case expr.FnAnd, expr.FnOr:
			kind := predAnd
			if (n.Func == expr.FnOr) != negate {
				kind = predOr
			}
			kids := make([]*pred, len(n.Args))
			for i, a := range n.Args {
				kids[i] = compilePred(a, negate, cols)
			}
			return simplify(kind, kids)
		case expr.FnNot:
			if len(n.Args) != 1 {
				return unknown
			}
			return compilePred(n.Args[0], !negate, cols)
		case expr.FnIsNull, expr.FnIsNotNull:
			if len(n.Args) != 1 {
				return unknown
			}
			col, _, ok := columnOf(n.Args[0], cols)
			if !ok {
				return unknown
			}
			isNull := (n.Func == expr.FnIsNull) != negate
			if isNull {
				return &pred{kind: predIsNull, col: col}
			}
			return &pred{kind: predIsNotNull, col: col}
		case expr.FnLike:
			if negate {
				return unknown
			}
			return compileLike(n, cols)
		}
		op, isCmp := opByFunc[n.Func]
		if !isCmp || len(n.Args) != 2 {
			return unknown
		}
		colSide, litSide := n.Args[0], n.Args[1]
		if isLiteral(colSide) {
			colSide, litSide = litSide, colSide
			op = op.flip()
		}
		col, convs, ok := columnOf(colSide, cols)
		if !ok {
			return unknown
		}
		v, isNull, ok := literalOf(litSide)
		switch {
		case !ok:
			return unknown
		case isNull:
			return &pred{kind: predNever}
		}
		if negate {
			op = op.negate()
		}
		return &pred{kind: predCompare, col: col, convs: convs, op: op, lits: []value{v}, negated: negate}
	case *expr.InList:
		col, convs, ok := columnOf(n.Arg, cols)
		if !ok {
			return unknown
		}
		negated := n.Negated != negate
		lits := make([]value, 0, len(n.List))
		for _, el := range n.List {
			v, isNull, ok := literalOf(el)
			if !ok {
				return unknown
			}
			if isNull {
				// x IN (..., NULL) is true only through the other elements; x NOT IN
				// (..., NULL) is never true.
				if negated {
					return &pred{kind: predNever}
				}
				continue
			}
			lits = append(lits, v)
		}
		if len(lits) == 0 {
			if negated {
				// x NOT IN () cannot be written in SQL; stay safe.
				return unknown
			}
			return &pred{kind: predNever}
		}
		return &pred{kind: predIn, col: col, convs: convs, lits: lits, negated: negated}
	case *expr.ColumnRef:
		// A boolean column used as a condition: WHERE flag, WHERE NOT flag.
		col, convs, ok := columnOf(n, cols)
		if !ok || n.Type.ID() != arrow.BOOL {
			return unknown
		}
		return &pred{kind: predCompare, col: col, convs: convs, op: opEq, lits: []value{{kind: kindBool, t: !negate}}}
	case *expr.Literal:
		if b, ok := n.Value.(bool); ok && b != negate {
			return unknown
		}
		if n.Value == nil || n.Type.ID() == arrow.BOOL {
			return &pred{kind: predNever}
		}
	}
	return unknown
}

func simplify(kind predKind, kids []*pred) *pred {
	out := make([]*pred, 0, len(kids))
	for _, k := range kids {
		switch {
		case kind == predAnd && k.kind == predNever, kind == predOr && k.kind == predUnknown:
			return k
		case kind == predAnd && k.kind == predUnknown, kind == predOr && k.kind == predNever:
			continue
		case k.kind == kind:
			out = append(out, k.kids...)
		default:
			out = append(out, k)
		}
	}
	switch len(out) {
	case 0:
		if kind == predAnd {
			return &pred{kind: predUnknown}
		}
		return &pred{kind: predNever}
	case 1:
		return out[0]
	}
	return &pred{kind: kind, kids: out}
}

// columnOf sees through lossless casts to a bound column: CAST(int32_col AS bigint) prunes
// like int32_col.
func columnOf(e expr.Expr, cols columnLookup) (int, []valueConv, bool) {
	switch n := e.(type) {
	case *expr.ColumnRef:
		idx, declared, ok := cols(n.ID)
		if !ok || (n.Type != nil && !arrow.TypeEqual(n.Type, declared)) {
			return 0, nil, false
		}
		return idx, nil, true
	case *expr.Cast:
		idx, convs, ok := columnOf(n.Arg, cols)
		if !ok {
			return 0, nil, false
		}
		conv, ok := castConv(n.Arg.DataType(), n.Type)
		if !ok {
			return 0, nil, false
		}
		if conv != nil {
			convs = append(append([]valueConv(nil), convs...), conv)
		}
		return idx, convs, true
	}
	return 0, nil, false
}

// literalOf returns e as a pruning value when it is a literal, folding the casts pruning
// understands (CAST(DATE '2020-01-01' AS timestamp)). isNull reports SQL NULL.
func literalOf(e expr.Expr) (v value, isNull, ok bool) {
	switch n := e.(type) {
	case *expr.Literal:
		if n.Value == nil {
			return value{}, true, true
		}
		v, ok := literalValue(n)
		return v, false, ok
	case *expr.Cast:
		inner, isNull, ok := literalOf(n.Arg)
		if !ok || isNull {
			return inner, isNull, ok
		}
		conv, ok := castConv(n.Arg.DataType(), n.Type)
		if !ok {
			return value{}, false, false
		}
		if conv != nil {
			if inner, ok = conv(inner); !ok {
				return value{}, false, false
			}
		}
		return inner, false, true
	}
	return value{}, false, false
}

func isLiteral(e expr.Expr) bool {
	_, _, ok := literalOf(e)
	return ok
}

// compileLike turns `col LIKE 'prefix%'` into prefix <= col < successor(prefix), and a
// pattern without wildcards into equality. Patterns starting with a wildcard cannot prune.
func compileLike(n *expr.Call, cols columnLookup) *pred {
	unknown := &pred{kind: predUnknown}
	if len(n.Args) < 2 || len(n.Args) > 3 {
		return unknown
	}
	col, convs, ok := columnOf(n.Args[0], cols)
	if !ok || !expr.IsString(n.Args[0].DataType()) {
		return unknown
	}
	pat, isNull, ok := literalOf(n.Args[1])
	switch {
	case !ok || (!isNull && pat.kind != kindBytes):
		return unknown
	case isNull:
		return &pred{kind: predNever}
	}
	pattern := string(pat.b)
	escape := '\\'
	if len(n.Args) == 3 {
		esc, isNull, ok := literalOf(n.Args[2])
		if !ok || isNull || esc.kind != kindBytes {
			return unknown
		}
		switch utf8.RuneCountInString(string(esc.b)) {
		case 0:
			escape = -1
		case 1:
			escape, _ = utf8.DecodeRune(esc.b)
		default:
			return unknown
		}
	}
	prefix, wildcard, ok := likePrefix(pattern, escape)
	if !ok {
		return unknown
	}
	if !wildcard {
		return &pred{kind: predCompare, col: col, convs: convs, op: opEq, lits: []value{{kind: kindBytes, b: prefix}}}
	}
	if len(prefix) == 0 {
		return unknown
	}
	lower := &pred{kind: predCompare, col: col, convs: convs, op: opGe, lits: []value{{kind: kindBytes, b: prefix}}}
	succ := successor(prefix)
	if succ == nil {
		return lower
	}
	upper := &pred{kind: predCompare, col: col, convs: convs, op: opLt, lits: []value{{kind: kindBytes, b: succ}}}
	return &pred{kind: predAnd, kids: []*pred{lower, upper}}
}

// likePrefix returns the literal text before the first unescaped wildcard, and whether a
// wildcard was found. ok is false for a malformed pattern (a trailing escape).
func likePrefix(pattern string, escape rune) (prefix []byte, wildcard, ok bool) {
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			prefix = utf8.AppendRune(prefix, r)
			escaped = false
		case r == escape:
			escaped = true
		case r == '%' || r == '_':
			return prefix, true, true
		default:
			prefix = utf8.AppendRune(prefix, r)
		}
	}
	if escaped {
		return nil, false, false
	}
	return prefix, false, true
}

// successor is the smallest byte string greater than every string starting with p, or nil
// when there is none (p is all 0xFF bytes).
func successor(p []byte) []byte {
	s := append([]byte(nil), p...)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xFF {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}

// dictColumns lists columns whose dictionaries are worth reading for p: those under an
// equality or IN leaf (not negated), where a dictionary proves absence that min/max cannot.
func (p *pred) dictColumns(into map[int]bool) {
	switch p.kind {
	case predAnd, predOr:
		for _, k := range p.kids {
			k.dictColumns(into)
		}
	case predCompare:
		if p.op == opEq && !p.negated {
			into[p.col] = true
		}
	case predIn:
		if !p.negated {
			into[p.col] = true
		}
	}
}

// chunkFacts is what is known about one column in one row group.
type chunkFacts struct {
	rows      int64
	nullCount int64 // -1: unknown
	hasMinMax bool
	min, max  value // in the column's declared type
	// exactBounds: min and max are values that occur (not truncated bounds), so
	// min == max proves every non-NULL value equals it.
	exactBounds bool
	// mayHaveNaN: the column holds floats and the file does not say there is no NaN; NaNs
	// are not part of min/max statistics.
	mayHaveNaN bool
	// dict holds every non-NULL value of the chunk when all its data pages are
	// dictionary-encoded and the dictionary was read; nil otherwise.
	dict []value
}

// mayMatch answers p for one row group; facts returns nil for a column with nothing known.
func (p *pred) mayMatch(facts func(col int) *chunkFacts) bool {
	switch p.kind {
	case predNever:
		return false
	case predAnd:
		for _, k := range p.kids {
			if !k.mayMatch(facts) {
				return false
			}
		}
		return true
	case predOr:
		for _, k := range p.kids {
			if k.mayMatch(facts) {
				return true
			}
		}
		return false
	case predIsNull, predIsNotNull, predCompare, predIn:
		f := facts(p.col)
		if f == nil {
			return true
		}
		return p.leafMayMatch(f)
	}
	return true
}

func (p *pred) leafMayMatch(f *chunkFacts) bool {
	allNull := f.nullCount >= 0 && f.nullCount >= f.rows
	switch p.kind {
	case predIsNull:
		return f.nullCount != 0
	case predIsNotNull:
		return !allNull
	}
	if allNull {
		// Every value is NULL, and a comparison with NULL is never true.
		return false
	}
	if !p.boundsMayMatch(f) {
		return false
	}
	if f.dict != nil {
		return p.dictMayMatch(f.dict)
	}
	return true
}

func (p *pred) boundsMayMatch(f *chunkFacts) bool {
	if !f.hasMinMax {
		return true
	}
	lo, ok1 := applyConvs(f.min, p.convs)
	hi, ok2 := applyConvs(f.max, p.convs)
	if !ok1 || !ok2 {
		return true
	}
	nanUnsafe := f.mayHaveNaN && (p.negated || (p.kind == predCompare && (p.op == opNe || p.op == opGt || p.op == opGe)))
	if nanUnsafe {
		return true
	}
	switch p.kind {
	case predIn:
		if p.negated {
			return !boundsSingleValueIn(lo, hi, f.exactBounds, p.lits)
		}
		for _, l := range p.lits {
			if inRange(lo, hi, l) {
				return true
			}
		}
		return false
	case predCompare:
		lit := p.lits[0]
		switch p.op {
		case opEq:
			return inRange(lo, hi, lit)
		case opNe:
			return !boundsSingleValueIn(lo, hi, f.exactBounds, p.lits)
		case opLt, opLe:
			c, ok := compareValues(lo, lit)
			return !ok || p.op.holds(c)
		case opGt, opGe:
			c, ok := compareValues(hi, lit)
			return !ok || p.op.holds(c)
		}
	}
	return true
}

// inRange reports whether lit may lie in [lo, hi].
func inRange(lo, hi, lit value) bool {
	c1, ok1 := compareValues(lo, lit)
	c2, ok2 := compareValues(lit, hi)
	return !ok1 || !ok2 || (c1 <= 0 && c2 <= 0)
}

// boundsSingleValueIn reports whether the bounds prove every value is one of lits.
func boundsSingleValueIn(lo, hi value, exact bool, lits []value) bool {
	if !exact {
		return false
	}
	if c, ok := compareValues(lo, hi); !ok || c != 0 {
		return false
	}
	for _, l := range lits {
		if c, ok := compareValues(lo, l); ok && c == 0 {
			return true
		}
	}
	return false
}

func (p *pred) dictMayMatch(dict []value) bool {
	for _, d := range dict {
		v, ok := applyConvs(d, p.convs)
		if !ok {
			return true
		}
		switch p.kind {
		case predCompare:
			c, ok := compareValues(v, p.lits[0])
			if !ok || p.op.holds(c) {
				return true
			}
		case predIn:
			found := false
			for _, l := range p.lits {
				c, ok := compareValues(v, l)
				if !ok {
					return true
				}
				if c == 0 {
					found = true
					break
				}
			}
			if found != p.negated {
				return true
			}
		default:
			return true
		}
	}
	return false
}
