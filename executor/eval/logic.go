package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// ---- boolean bitmaps ----

// boolBits returns a boolean array's values and validity as offset-0 bitmaps covering n rows
// (validity nil when there are no NULLs). Aligned arrays are read in place; the slices must
// not be written.
func boolBits(a arrow.Array, n int) (vals, valid []byte) {
	nb := int(bitutil.BytesForBits(int64(n)))
	off := a.Data().Offset()
	src := dataBytes(a)
	if off%8 == 0 {
		vals = src[off/8 : off/8+nb]
	} else {
		vals = make([]byte, nb)
		bitutil.CopyBitmap(src, off, n, vals, 0)
	}
	if a.NullN() > 0 {
		vb, voff := bitsOf(a)
		if voff%8 == 0 {
			valid = vb[voff/8 : voff/8+nb]
		} else {
			valid = make([]byte, nb)
			bitutil.CopyBitmap(vb, voff, n, valid, 0)
		}
	}
	return vals, valid
}

// boolArray builds a boolean array from a value bitmap and an optional validity bitmap (both
// offset 0, owned by the caller's allocator).
func boolArray(vals, valid *memory.Buffer, n int) arrow.Array {
	nulls := 0
	if valid != nil {
		nulls = n - bitutil.CountSetBits(valid.Bytes(), 0, n)
		if nulls == 0 {
			valid.Release()
			valid = nil
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, valid, nulls, vals)
}

// and3 / or3 combine two booleans with SQL three-valued logic: false AND NULL is false, true
// OR NULL is true.
func and3(alloc memory.Allocator, n int, a, b vec) vec { return logic3(alloc, n, a, b, false) }
func or3(alloc memory.Allocator, n int, a, b vec) vec  { return logic3(alloc, n, a, b, true) }

// logic3 consumes neither argument.
func logic3(alloc memory.Allocator, n int, a, b vec, or bool) vec {
	if a.arr == nil && b.arr != nil {
		a, b = b, a
	}
	// The dominant value decides alone: false for AND, true for OR.
	if b.arr == nil {
		if b.val != nil {
			if b.val.(bool) == or {
				return b
			}
			return a.retained()
		}
		if a.arr == nil {
			if a.val != nil && a.val.(bool) == or {
				return a
			}
			return scalarVec(nil)
		}
		// x op NULL: the dominant value where x has it, NULL elsewhere.
		vals, valid := boolBits(a.arr, n)
		nb := len(vals)
		outVals := newBitmap(alloc, n)
		outValid := newBitmap(alloc, n)
		ov, ovd := outVals.Bytes(), outValid.Bytes()
		for i := 0; i < nb; i++ {
			v := vals[i]
			vd := byte(0xFF)
			if valid != nil {
				vd = valid[i]
			}
			ov[i] = v
			if or {
				ovd[i] = vd & v
			} else {
				ovd[i] = vd &^ v
			}
		}
		return arrayVec(boolArray(outVals, outValid, n))
	}
	av, ad := boolBits(a.arr, n)
	bv, bd := boolBits(b.arr, n)
	nb := len(av)
	outVals := newBitmap(alloc, n)
	ov := outVals.Bytes()
	if ad == nil && bd == nil {
		for i := 0; i < nb; i++ {
			if or {
				ov[i] = av[i] | bv[i]
			} else {
				ov[i] = av[i] & bv[i]
			}
		}
		return arrayVec(boolArray(outVals, nil, n))
	}
	outValid := newBitmap(alloc, n)
	ovd := outValid.Bytes()
	for i := 0; i < nb; i++ {
		x, y := av[i], bv[i]
		xd, yd := byte(0xFF), byte(0xFF)
		if ad != nil {
			xd = ad[i]
		}
		if bd != nil {
			yd = bd[i]
		}
		if or {
			ov[i] = x | y
			ovd[i] = (xd & yd) | (xd & x) | (yd & y)
		} else {
			ov[i] = x & y
			ovd[i] = (xd & yd) | (xd &^ x) | (yd &^ y)
		}
	}
	return arrayVec(boolArray(outVals, outValid, n))
}

// notKernel negates a boolean; NULL stays NULL.
func notKernel(c *evalCtx, n int, args []vec) (vec, error) {
	a := args[0].arr
	vals, _ := boolBits(a, n)
	out := newBitmap(c.alloc, n)
	ob := out.Bytes()
	for i := range ob {
		ob[i] = ^vals[i]
	}
	validity, nulls := andValidity(c.alloc, n, args[0])
	return arrayVec(makeArray(arrow.FixedWidthTypes.Boolean, n, validity, nulls, out)), nil
}

// isNullKernel implements IS NULL / IS NOT NULL; never NULL itself.
func isNullKernel(negated bool) kernel {
	return func(c *evalCtx, n int, args []vec) (vec, error) {
		a := args[0]
		if a.arr == nil {
			return scalarVec((a.val == nil) != negated), nil
		}
		out := newBitmap(c.alloc, n)
		ob := out.Bytes()
		if a.arr.DataType().ID() == arrow.NULL || a.arr.NullN() == a.arr.Len() {
			if negated {
				clear(ob)
			} else {
				bitutil.SetBitsTo(ob, 0, int64(n), true)
			}
		} else if bits, off := bitsOf(a.arr); bits == nil {
			bitutil.SetBitsTo(ob, 0, int64(n), negated)
		} else if negated {
			bitutil.CopyBitmap(bits, off, n, ob, 0)
		} else {
			bitutil.InvertBitmap(bits, off, n, ob, 0)
		}
		return arrayVec(makeArray(arrow.FixedWidthTypes.Boolean, n, nil, 0, out)), nil
	}
}

// ---- lazy AND / OR ----

// logicNode is AND/OR. When the right side can fail it runs only on the rows the left side
// leaves undecided, so `x <> 0 AND 10 / x > 1` never divides by zero (as in PostgreSQL).
type logicNode struct {
	or    bool
	l, r  node
	rLazy bool
	rCols []int
}

func (c *compiler) compileLogic(name string, args []expr.Expr) (node, error) {
	nodes, err := c.compileArgs(args)
	if err != nil {
		return nil, err
	}
	n := &logicNode{or: name == expr.FnOr, l: nodes[0], r: nodes[1], rLazy: fallible(args[1]), rCols: c.positions(args[1])}
	lc, lok := constOf(n.l)
	rc, rok := constOf(n.r)
	switch {
	case lok && rok:
		v := logic3(memory.NewGoAllocator(), 1, scalarVec(lc), scalarVec(rc), n.or)
		return &litNode{val: v.val, t: expr.Bool}, nil
	case lok && lc != nil && lc.(bool) == n.or:
		return &litNode{val: lc, t: expr.Bool}, nil
	case lok && lc != nil:
		return n.r, nil
	case rok && rc != nil && rc.(bool) != n.or:
		return n.l, nil
	}
	return n, nil
}

func (n *logicNode) eval(c *evalCtx, in *input) (vec, error) {
	lv, err := n.l.eval(c, in)
	if err != nil {
		return vec{}, err
	}
	defer lv.release()
	if lv.arr == nil && lv.val != nil {
		if lv.val.(bool) == n.or {
			return lv, nil
		}
		return n.r.eval(c, in)
	}
	var rv vec
	if !n.rLazy || lv.arr == nil {
		rv, err = n.r.eval(c, in)
	} else {
		rv, err = n.evalUndecided(c, in, lv)
	}
	if err != nil {
		return vec{}, err
	}
	defer rv.release()
	return logic3(c.alloc, in.n, lv, rv, n.or), nil
}

// evalUndecided evaluates the right side on the rows where the left one is not the dominant
// value; the other rows come back NULL, which the combination ignores.
func (n *logicNode) evalUndecided(c *evalCtx, in *input, lv vec) (vec, error) {
	vals, valid := boolBits(lv.arr, in.n)
	decided := make([]byte, len(vals))
	for i := range decided {
		d := byte(0xFF)
		if valid != nil {
			d = valid[i]
		}
		if n.or {
			decided[i] = d & vals[i]
		} else {
			decided[i] = d &^ vals[i]
		}
	}
	rows := rowsWhere(decided, nil, in.n, false)
	switch len(rows) {
	case in.n:
		return n.r.eval(c, in)
	case 0:
		return scalarVec(nil), nil
	}
	sub := selectRows(c, in, rows, n.rCols)
	defer sub.release()
	rv, err := n.r.eval(c, sub)
	if err != nil {
		return vec{}, err
	}
	if rv.arr == nil {
		return rv, nil
	}
	defer rv.release()
	asm := newAssembler(in.n)
	asm.add(c, expr.Bool, rv, rowSet{idx: rows}, true)
	return arrayVec(asm.finish(c.alloc, expr.Bool)), nil
}

// ---- row sets and assembly (CASE, COALESCE) ----

// rowSet is a set of rows of the input: every row, or the listed ones in ascending order.
type rowSet struct {
	all bool
	idx []int32
}

func (s rowSet) len(n int) int {
	if s.all {
		return n
	}
	return len(s.idx)
}

func (s rowSet) row(k int) int {
	if s.all {
		return k
	}
	return int(s.idx[k])
}

// evalOn evaluates nd for the rows in rows. A lazy (fallible) node sees only those rows and its
// result is compact (one row per selected row); other nodes are evaluated on the whole input.
func evalOn(c *evalCtx, in *input, nd node, rows rowSet, lazy bool, cols []int) (v vec, compact bool, err error) {
	if rows.all || !lazy {
		v, err = nd.eval(c, in)
		return v, false, err
	}
	sub := selectRows(c, in, rows.idx, cols)
	defer sub.release()
	v, err = nd.eval(c, sub)
	return v, true, err
}

// assembler collects, per output row, which source array and row it comes from.
type assembler struct {
	n        int
	which    []int32
	pos      []int32
	srcs     []arrow.Array
	identity bool // one full-length source supplies every row in place
	filled   int
}

func newAssembler(n int) *assembler {
	a := &assembler{n: n, which: make([]int32, n), pos: make([]int32, n)}
	for i := range a.which {
		a.which[i] = -1
	}
	return a
}

// add makes the rows of rows take their value from v: compact results hold one row per
// selected row, full ones are indexed by row. A NULL scalar leaves the rows NULL. v is not
// consumed.
func (a *assembler) add(c *evalCtx, t arrow.DataType, v vec, rows rowSet, compact bool) {
	m := rows.len(a.n)
	if m == 0 || v.isNullScalar() {
		return
	}
	var src arrow.Array
	if v.arr == nil {
		src = expr.MakeArray(c.alloc, t, v.val, 1)
	} else {
		src = v.arr
		src.Retain()
	}
	k := int32(len(a.srcs))
	a.srcs = append(a.srcs, src)
	a.identity = len(a.srcs) == 1 && rows.all && v.arr != nil && !compact && a.filled == 0
	a.filled += m
	for j := 0; j < m; j++ {
		r := rows.row(j)
		a.which[r] = k
		switch {
		case v.arr == nil:
			a.pos[r] = 0
		case compact:
			a.pos[r] = int32(j)
		default:
			a.pos[r] = int32(r)
		}
	}
}

// finish builds the result and releases the sources.
func (a *assembler) finish(alloc memory.Allocator, t arrow.DataType) arrow.Array {
	defer a.release()
	if a.identity && a.filled == a.n && len(a.srcs) == 1 {
		a.srcs[0].Retain()
		return a.srcs[0]
	}
	if len(a.srcs) == 0 {
		return expr.MakeArray(alloc, t, nil, a.n)
	}
	return interleave(alloc, t, a.n, a.which, a.pos, a.srcs)
}

func (a *assembler) release() {
	for _, s := range a.srcs {
		s.Release()
	}
	a.srcs = nil
}

// splitByTruth splits rows by a boolean result over them (compact or full): rows where it is
// true, and the others.
func splitByTruth(v vec, compact bool, rows rowSet, n int) (yes, no rowSet) {
	if v.arr == nil {
		if b, _ := v.val.(bool); b {
			return rows, rowSet{}
		}
		return rowSet{}, rows
	}
	a := v.arr
	off := a.Data().Offset()
	vals := dataBytes(a)
	valid := validOf(a)
	m := rows.len(n)
	yesIdx := make([]int32, 0, m)
	noIdx := make([]int32, 0, m)
	for j := 0; j < m; j++ {
		r := rows.row(j)
		k := r
		if compact {
			k = j
		}
		if valid.ok(k) && bitutil.BitIsSet(vals, off+k) {
			yesIdx = append(yesIdx, int32(r))
		} else {
			noIdx = append(noIdx, int32(r))
		}
	}
	if len(yesIdx) == n {
		return rowSet{all: true}, rowSet{}
	}
	if len(noIdx) == n {
		return rowSet{}, rowSet{all: true}
	}
	return rowSet{idx: yesIdx}, rowSet{idx: noIdx}
}

// ---- CASE ----

type caseArm struct {
	cond, result         node
	condLazy, resultLazy bool
	condCols, resultCols []int
}

type caseNode struct {
	arms     []caseArm
	els      node // nil: ELSE NULL
	elseLazy bool
	elseCols []int
	t        arrow.DataType
}

func (c *compiler) compileCase(x *expr.Case) (node, error) {
	cn := &caseNode{t: x.Type}
	for _, w := range x.Whens {
		if w.Cond.DataType().ID() != arrow.BOOL && w.Cond.DataType().ID() != arrow.NULL {
			return nil, errs.New(errs.KindInternal, "CASE condition %s is not boolean", w.Cond)
		}
		cond, err := c.compile(w.Cond)
		if err != nil {
			return nil, err
		}
		res, err := c.compile(expr.CastTo(w.Result, x.Type))
		if err != nil {
			return nil, err
		}
		// A constant false or NULL condition drops its arm; a constant true one ends the CASE.
		if v, ok := constOf(cond); ok {
			if b, _ := v.(bool); !b {
				continue
			}
			if len(cn.arms) == 0 {
				return res, nil
			}
			cn.els = res
			cn.elseLazy, cn.elseCols = fallible(w.Result), c.positions(w.Result)
			return cn, nil
		}
		cn.arms = append(cn.arms, caseArm{
			cond: cond, result: res,
			condLazy: fallible(w.Cond), resultLazy: fallible(w.Result),
			condCols: c.positions(w.Cond), resultCols: c.positions(w.Result),
		})
	}
	if x.Else != nil {
		els, err := c.compile(expr.CastTo(x.Else, x.Type))
		if err != nil {
			return nil, err
		}
		if len(cn.arms) == 0 {
			return els, nil
		}
		cn.els = els
		cn.elseLazy, cn.elseCols = fallible(x.Else), c.positions(x.Else)
	}
	if len(cn.arms) == 0 {
		return &litNode{t: x.Type}, nil
	}
	return cn, nil
}

func (cn *caseNode) eval(c *evalCtx, in *input) (vec, error) {
	n := in.n
	asm := newAssembler(n)
	defer asm.release()
	remaining := rowSet{all: true}
	for _, arm := range cn.arms {
		if remaining.len(n) == 0 {
			break
		}
		cv, compact, err := evalOn(c, in, arm.cond, remaining, arm.condLazy, arm.condCols)
		if err != nil {
			return vec{}, err
		}
		matched, rest := splitByTruth(cv, compact, remaining, n)
		cv.release()
		if matched.len(n) > 0 {
			rv, rcompact, err := evalOn(c, in, arm.result, matched, arm.resultLazy, arm.resultCols)
			if err != nil {
				return vec{}, err
			}
			if matched.all && rv.arr == nil {
				return rv, nil
			}
			asm.add(c, cn.t, rv, matched, rcompact)
			rv.release()
		}
		remaining = rest
	}
	if cn.els != nil && remaining.len(n) > 0 {
		ev, compact, err := evalOn(c, in, cn.els, remaining, cn.elseLazy, cn.elseCols)
		if err != nil {
			return vec{}, err
		}
		if remaining.all && ev.arr == nil {
			return ev, nil
		}
		asm.add(c, cn.t, ev, remaining, compact)
		ev.release()
	}
	return arrayVec(asm.finish(c.alloc, cn.t)), nil
}

// ---- COALESCE ----

type coalesceNode struct {
	args []node
	lazy []bool
	cols [][]int
	t    arrow.DataType
}

func (c *compiler) compileCoalesce(args []expr.Expr, t arrow.DataType) (node, error) {
	cn := &coalesceNode{t: t}
	for _, a := range args {
		nd, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		if v, ok := constOf(nd); ok {
			if v == nil {
				continue // a NULL constant never supplies a value
			}
			if len(cn.args) == 0 {
				return nd, nil
			}
			cn.args = append(cn.args, nd)
			cn.lazy = append(cn.lazy, false)
			cn.cols = append(cn.cols, nil)
			break // later arguments are never reached
		}
		cn.args = append(cn.args, nd)
		cn.lazy = append(cn.lazy, fallible(a))
		cn.cols = append(cn.cols, c.positions(a))
	}
	switch len(cn.args) {
	case 0:
		return &litNode{t: t}, nil
	case 1:
		return cn.args[0], nil
	}
	return cn, nil
}

// eval evaluates each argument only on the rows still NULL, as PostgreSQL does.
func (cn *coalesceNode) eval(c *evalCtx, in *input) (vec, error) {
	n := in.n
	first, err := cn.args[0].eval(c, in)
	if err != nil {
		return vec{}, err
	}
	if (first.arr == nil && first.val != nil) || (first.arr != nil && first.arr.NullN() == 0) {
		return first, nil
	}
	asm := newAssembler(n)
	defer asm.release()
	remaining := rowSet{all: true}
	cur, compact := first, false
	for k := 0; ; k++ {
		if cur.arr != nil || cur.val != nil {
			var valid arrValid
			if cur.arr != nil {
				valid = validOf(cur.arr)
			}
			m := remaining.len(n)
			have := make([]int32, 0, m)
			missing := make([]int32, 0, m)
			for j := 0; j < m; j++ {
				r := remaining.row(j)
				idx := r
				if compact {
					idx = j
				}
				if cur.arr == nil || valid.ok(idx) {
					have = append(have, int32(r))
				} else {
					missing = append(missing, int32(r))
				}
			}
			if compact {
				// A compact result is indexed by position in remaining; keep only the rows it
				// supplies by gathering them.
				sel := make([]int32, 0, len(have))
				for j := 0; j < m; j++ {
					idx := j
					if cur.arr == nil || valid.ok(idx) {
						sel = append(sel, int32(j))
					}
				}
				if cur.arr != nil {
					picked := take(c.alloc, cur.arr, sel)
					asm.add(c, cn.t, arrayVec(picked), rowSet{idx: have}, true)
					picked.Release()
				} else {
					asm.add(c, cn.t, cur, rowSet{idx: have}, true)
				}
			} else {
				asm.add(c, cn.t, cur, rowSet{idx: have}, false)
			}
			remaining = rowSet{idx: missing}
		}
		cur.release()
		if k+1 >= len(cn.args) || remaining.len(n) == 0 {
			break
		}
		cur, compact, err = evalOn(c, in, cn.args[k+1], remaining, cn.lazy[k+1], cn.cols[k+1])
		if err != nil {
			return vec{}, err
		}
	}
	return arrayVec(asm.finish(c.alloc, cn.t)), nil
}
