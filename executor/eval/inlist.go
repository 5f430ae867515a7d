package eval

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// IN lists follow SQL's three-valued logic: x IN (…) is true when some element equals x, NULL
// when none does but x or some element is NULL, false otherwise; NOT IN negates that. Constant
// elements are checked with one typed membership test (a linear scan up to 8 elements, a hash
// set beyond); other elements are compared one by one and combined with OR.

const inListLinearMax = 8

type inListNode struct {
	arg      node
	t        arrow.DataType
	member   memberFn // constant elements; nil when there are none
	hasNull  bool     // some constant element is NULL
	elems    []node   // non-constant elements
	eq       kernel
	negated  bool
	constLen int
}

// memberFn sets bit i of out for every row whose value is one of the constants.
type memberFn func(v vec, n int, out []byte)

func (c *compiler) compileInList(x *expr.InList) (node, error) {
	arg, err := c.compile(x.Arg)
	if err != nil {
		return nil, err
	}
	t := x.Arg.DataType()
	nd := &inListNode{arg: arg, t: t, negated: x.Negated}
	var consts []any
	for _, e := range x.List {
		en, err := c.compile(expr.CastTo(e, t))
		if err != nil {
			return nil, err
		}
		if v, ok := constOf(en); ok {
			if v == nil {
				nd.hasNull = true
			} else {
				consts = append(consts, v)
			}
			continue
		}
		nd.elems = append(nd.elems, en)
	}
	if t.ID() == arrow.NULL {
		return &litNode{t: expr.Bool}, nil
	}
	if len(nd.elems) > 0 {
		if nd.eq, err = compareKernel(expr.FnEq, t); err != nil {
			return nil, err
		}
	}
	if len(consts) > 0 {
		if nd.member, err = memberOf(t, consts); err != nil {
			return nil, err
		}
	}
	nd.constLen = len(consts)
	return nd, nil
}

func (nd *inListNode) eval(c *evalCtx, in *input) (vec, error) {
	av, err := nd.arg.eval(c, in)
	if err != nil {
		return vec{}, err
	}
	defer av.release()
	n := in.n
	if av.arr == nil {
		// A scalar argument with column elements: spread it so the kernels see an array.
		if av.val == nil {
			return scalarVec(nil), nil
		}
		if len(nd.elems) == 0 {
			one := arrayVec(expr.MakeArray(c.alloc, nd.t, av.val, 1))
			res := nd.constResult(c, one, 1)
			one.release()
			v := expr.ValueAt(res.arr, 0)
			res.release()
			if v != nil && nd.negated {
				v = !v.(bool)
			}
			return scalarVec(v), nil
		}
		spread := arrayVec(expr.MakeArray(c.alloc, nd.t, av.val, n))
		defer spread.release()
		av = spread
	} else if av.arr.DataType().ID() == arrow.NULL {
		return scalarVec(nil), nil
	}
	var res vec
	switch {
	case nd.member != nil:
		res = nd.constResult(c, av, n)
	case nd.hasNull:
		res = scalarVec(nil)
	default:
		res = scalarVec(false)
	}
	for _, e := range nd.elems {
		ev, err := e.eval(c, in)
		if err != nil {
			res.release()
			return vec{}, err
		}
		var eq vec
		if ev.isNullScalar() || (ev.arr != nil && ev.arr.DataType().ID() == arrow.NULL) {
			eq = scalarVec(nil)
		} else {
			eq, err = nd.eq(c, n, []vec{av, ev})
		}
		ev.release()
		if err != nil {
			res.release()
			return vec{}, err
		}
		next := or3(c.alloc, n, res, eq)
		res.release()
		eq.release()
		res = next
	}
	if !nd.negated {
		return res, nil
	}
	defer res.release()
	if res.arr == nil {
		if res.val == nil {
			return res, nil
		}
		return scalarVec(!res.val.(bool)), nil
	}
	return notKernel(c, n, []vec{res})
}

// constResult computes the 3VL membership of av in the constant elements.
func (nd *inListNode) constResult(c *evalCtx, av vec, n int) vec {
	vals := newBitmap(c.alloc, n)
	out := vals.Bytes()
	nd.member(av, n, out)
	var validity = newBitmap(c.alloc, n)
	vb := validity.Bytes()
	// Valid where x is valid and (found or no NULL element).
	var xValid []byte
	if av.arr.NullN() > 0 {
		_, xValid = boolBitsValidity(av.arr, n)
	}
	for i := range vb {
		v := byte(0xFF)
		if xValid != nil {
			v = xValid[i]
		}
		if nd.hasNull {
			v &= out[i]
		}
		vb[i] = v
	}
	return arrayVec(boolArray(vals, validity, n))
}

// memberOf builds the membership test for constants of type t.
func memberOf(t arrow.DataType, consts []any) (memberFn, error) {
	switch t.ID() {
	case arrow.INT8:
		return intMember[int8](consts, func(v any) int64 { return v.(int64) }), nil
	case arrow.INT16:
		return intMember[int16](consts, func(v any) int64 { return v.(int64) }), nil
	case arrow.INT32:
		return intMember[int32](consts, func(v any) int64 { return v.(int64) }), nil
	case arrow.INT64:
		return intMember[int64](consts, func(v any) int64 { return v.(int64) }), nil
	case arrow.DATE32:
		return intMember[int32](consts, func(v any) int64 { return int64(v.(arrow.Date32)) }), nil
	case arrow.TIMESTAMP:
		return intMember[int64](consts, func(v any) int64 { return int64(v.(arrow.Timestamp)) }), nil
	case arrow.FLOAT32:
		return floatMember[float32](consts), nil
	case arrow.FLOAT64:
		return floatMember[float64](consts), nil
	case arrow.DECIMAL128:
		set := make(map[decNum]struct{}, len(consts))
		for _, v := range consts {
			set[v.(decNum)] = struct{}{}
		}
		return func(v vec, n int, out []byte) {
			xs := fixedValues[decNum](v.arr)
			for i, x := range xs {
				if _, ok := set[x]; ok {
					out[i>>3] |= 1 << (uint(i) & 7)
				}
			}
		}, nil
	case arrow.STRING, arrow.BINARY:
		keys := make([]string, 0, len(consts))
		set := make(map[string]struct{}, len(consts))
		for _, v := range consts {
			s := bytesToString(scalarBytes(v))
			keys = append(keys, s)
			set[s] = struct{}{}
		}
		return func(v vec, n int, out []byte) {
			offs, data := binCols(v.arr)
			for i := 0; i < n; i++ {
				s := bytesToString(data[offs[i]:offs[i+1]])
				found := false
				if len(keys) <= inListLinearMax {
					for _, k := range keys {
						if s == k {
							found = true
							break
						}
					}
				} else {
					_, found = set[s]
				}
				if found {
					out[i>>3] |= 1 << (uint(i) & 7)
				}
			}
		}, nil
	case arrow.BOOL:
		hasTrue, hasFalse := false, false
		for _, v := range consts {
			if v.(bool) {
				hasTrue = true
			} else {
				hasFalse = true
			}
		}
		return func(v vec, n int, out []byte) {
			vals, _ := boolBits(v.arr, n)
			for i := range out {
				var b byte
				if hasTrue {
					b |= vals[i]
				}
				if hasFalse {
					b |= ^vals[i]
				}
				out[i] = b
			}
		}, nil
	}
	return nil, errs.NotSupportedf("IN lists of type %s", expr.SQLTypeName(t))
}

func intMember[T integer](consts []any, key func(any) int64) memberFn {
	list := make([]T, 0, len(consts))
	set := make(map[T]struct{}, len(consts))
	for _, v := range consts {
		k := T(key(v))
		list = append(list, k)
		set[k] = struct{}{}
	}
	if len(list) <= inListLinearMax {
		return func(v vec, n int, out []byte) {
			xs := fixedValues[T](v.arr)
			for i, x := range xs {
				var hit byte
				for _, k := range list {
					hit |= b2u(x == k)
				}
				out[i>>3] |= hit << (uint(i) & 7)
			}
		}
	}
	return func(v vec, n int, out []byte) {
		xs := fixedValues[T](v.arr)
		for i, x := range xs {
			if _, ok := set[x]; ok {
				out[i>>3] |= 1 << (uint(i) & 7)
			}
		}
	}
}

// floatMember compares with PostgreSQL's float equality: NaN equals NaN, -0 equals 0.
func floatMember[T float](consts []any) memberFn {
	set := make(map[uint64]struct{}, len(consts))
	for _, v := range consts {
		set[floatKey(v.(float64))] = struct{}{}
	}
	return func(v vec, n int, out []byte) {
		xs := fixedValues[T](v.arr)
		for i, x := range xs {
			if _, ok := set[floatKey(float64(x))]; ok {
				out[i>>3] |= 1 << (uint(i) & 7)
			}
		}
	}
}

func floatKey(f float64) uint64 {
	switch {
	case f != f:
		return math.Float64bits(math.NaN())
	case f == 0:
		return 0
	}
	return math.Float64bits(f)
}
