package executor

import (
	"bytes"
	"cmp"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// accumulator keeps one aggregate's running state for every group, in typed vectors from
// the query allocator, and updates it over whole arrays (one typed loop per batch).
type accumulator interface {
	// resize makes room for n groups; new groups start empty.
	resize(n int)
	// update feeds rows: row i of args belongs to group gids[i].
	update(gids []uint32, args []arrow.Array) error
	// merge feeds partial states (columns in state order): row i into group gids[i].
	merge(gids []uint32, states []arrow.Array) error
	// state returns the partial state of groups [from, to).
	state(alloc memory.Allocator, from, to int) ([]arrow.Array, error)
	// final returns the result of groups [from, to).
	final(alloc memory.Allocator, from, to int) (arrow.Array, error)
	release()
}

// aggFunc is an aggregate resolved for its argument types.
type aggFunc struct {
	label  string // "sum(price)", for errors
	result arrow.DataType
	state  []arrow.DataType
	// ordered: the accumulator needs all rows at once (ORDER BY); no partial state.
	ordered bool
	make    func(alloc memory.Allocator) accumulator
}

var (
	tInt64   = arrow.PrimitiveTypes.Int64
	tFloat64 = arrow.PrimitiveTypes.Float64
	tBool    = arrow.FixedWidthTypes.Boolean
)

func decimalType(p, s int32) *arrow.Decimal128Type {
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

// resolveAggFunc picks the accumulator of fn for argument types, with the result types of
// planner/expr's signatures.
func resolveAggFunc(fn string, args []arrow.DataType, orderBy []SortColumn, label string) (*aggFunc, error) {
	nargs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return internalf("%s takes %d to %d arguments, got %d", label, lo, hi, len(args))
		}
		return nil
	}
	unsupported := func() error {
		return errs.NotSupportedf("%s for an argument of type %s", label, args[0])
	}
	if len(orderBy) > 0 && fn != "string_agg" && fn != "array_agg" {
		return nil, errs.NotSupportedf("ORDER BY inside %s; only string_agg and array_agg use it", label)
	}
	switch fn {
	case "count":
		if err := nargs(0, 1); err != nil {
			return nil, err
		}
		star := len(args) == 0
		return &aggFunc{label: label, result: tInt64, state: []arrow.DataType{tInt64},
			make: func(a memory.Allocator) accumulator { return &countAcc{counts: newVec[int64](a), star: star} }}, nil
	case "sum":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		switch t := args[0]; t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32:
			return &aggFunc{label: label, result: tInt64, state: []arrow.DataType{tInt64},
				make: func(a memory.Allocator) accumulator {
					return &sumIntAcc{sums: newVec[int64](a), seen: newVec[bool](a), label: label}
				}}, nil
		case arrow.INT64, arrow.DECIMAL128:
			var scale int32
			if d, ok := t.(*arrow.Decimal128Type); ok {
				scale = d.Scale
			}
			rt := decimalType(38, scale)
			return &aggFunc{label: label, result: rt, state: []arrow.DataType{rt},
				make: func(a memory.Allocator) accumulator {
					return &sumI128Acc{sums: newVec[i128](a), seen: newVec[bool](a), dt: rt, label: label}
				}}, nil
		case arrow.FLOAT32, arrow.FLOAT64, arrow.NULL:
			return &aggFunc{label: label, result: tFloat64, state: []arrow.DataType{tFloat64},
				make: func(a memory.Allocator) accumulator {
					return &sumFloatAcc{sums: newVec[float64](a), seen: newVec[bool](a)}
				}}, nil
		}
		return nil, unsupported()
	case "avg":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		switch t := args[0]; t.ID() {
		case arrow.DECIMAL128:
			s := t.(*arrow.Decimal128Type).Scale
			rt := decimalType(38, max(s, 6))
			return &aggFunc{label: label, result: rt, state: []arrow.DataType{decimalType(38, s), tInt64},
				make: func(a memory.Allocator) accumulator {
					return &avgDecimalAcc{sums: newVec[i128](a), counts: newVec[int64](a), scale: s, dt: rt, label: label}
				}}, nil
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.NULL:
			return &aggFunc{label: label, result: tFloat64, state: []arrow.DataType{tFloat64, tInt64},
				make: func(a memory.Allocator) accumulator {
					return &avgFloatAcc{sums: newVec[float64](a), counts: newVec[int64](a)}
				}}, nil
		}
		return nil, unsupported()
	case "min", "max":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		mk, err := newMinMax(args[0], fn == "min")
		if err != nil {
			return nil, errs.NotSupportedf("%s for an argument of type %s", label, args[0])
		}
		return &aggFunc{label: label, result: args[0], state: []arrow.DataType{args[0]}, make: mk}, nil
	case "stddev_samp", "stddev_pop", "var_samp", "var_pop":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		if !isNumericType(args[0]) {
			return nil, unsupported()
		}
		return &aggFunc{label: label, result: tFloat64, state: []arrow.DataType{tInt64, tFloat64, tFloat64},
			make: func(a memory.Allocator) accumulator {
				return &varianceAcc{n: newVec[int64](a), mean: newVec[float64](a), m2: newVec[float64](a), fn: fn}
			}}, nil
	case "bool_and", "bool_or", "every":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		if args[0].ID() != arrow.BOOL && args[0].ID() != arrow.NULL {
			return nil, unsupported()
		}
		and := fn != "bool_or"
		return &aggFunc{label: label, result: tBool, state: []arrow.DataType{tBool},
			make: func(a memory.Allocator) accumulator { return &boolAcc{vals: newVec[uint8](a), and: and} }}, nil
	case "string_agg":
		if len(args) < 2 {
			return nil, internalf("%s takes a value and a delimiter", label)
		}
		t := args[0]
		if (t.ID() != arrow.STRING && t.ID() != arrow.BINARY) || !arrow.TypeEqual(args[1], t) {
			return nil, errs.NotSupportedf("%s for arguments of types %s and %s", label, t, args[1])
		}
		return newCollectFunc(label, true, t, args, orderBy)
	case "array_agg":
		if len(args) < 1 {
			return nil, internalf("%s takes a value", label)
		}
		return newCollectFunc(label, false, args[0], args, orderBy)
	}
	return nil, errs.NotSupportedf("aggregate function %s", fn)
}

func isNumericType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.NULL:
		return true
	}
	return false
}

// floatValues returns the values of a numeric array as float64 (a view for float64 arrays,
// a converted copy otherwise).
func floatValues(a arrow.Array) []float64 {
	d := a.Data()
	switch a.DataType().ID() {
	case arrow.FLOAT64:
		return arrow.GetValues[float64](d, 1)
	case arrow.FLOAT32:
		return convertFloats(arrow.GetValues[float32](d, 1))
	case arrow.INT8:
		return convertFloats(arrow.GetValues[int8](d, 1))
	case arrow.INT16:
		return convertFloats(arrow.GetValues[int16](d, 1))
	case arrow.INT32:
		return convertFloats(arrow.GetValues[int32](d, 1))
	case arrow.INT64:
		return convertFloats(arrow.GetValues[int64](d, 1))
	case arrow.DECIMAL128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		dec := a.(*array.Decimal128)
		out := make([]float64, a.Len())
		for i := range out {
			out[i] = dec.Value(i).ToFloat64(scale)
		}
		return out
	}
	return make([]float64, a.Len()) // NULL type: every row is NULL anyway
}

func convertFloats[T int8 | int16 | int32 | int64 | float32](vals []T) []float64 {
	out := make([]float64, len(vals))
	for i, v := range vals {
		out[i] = float64(v)
	}
	return out
}

func grow[T any](v *vec[T], n int) {
	if v.len() < n {
		v.resize(n)
	}
}

// ---- count ----

type countAcc struct {
	counts vec[int64]
	star   bool
}

func (a *countAcc) resize(n int) { grow(&a.counts, n) }

func (a *countAcc) update(gids []uint32, args []arrow.Array) error {
	c := a.counts.s
	if a.star {
		for _, g := range gids {
			c[g]++
		}
		return nil
	}
	v := validityOf(args[0])
	if v.all {
		for _, g := range gids {
			c[g]++
		}
		return nil
	}
	for i, g := range gids {
		if v.ok(i) {
			c[g]++
		}
	}
	return nil
}

func (a *countAcc) merge(gids []uint32, states []arrow.Array) error {
	vals := arrow.GetValues[int64](states[0].Data(), 1)
	for i, g := range gids {
		a.counts.s[g] += vals[i]
	}
	return nil
}

func (a *countAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *countAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return buildFixed(alloc, tInt64, a.counts.s[from:to], nil), nil
}

func (a *countAcc) release() { a.counts.release() }

// ---- sum of small integers → bigint ----

type sumIntAcc struct {
	sums  vec[int64]
	seen  vec[bool]
	label string
}

func (a *sumIntAcc) resize(n int) { grow(&a.sums, n); grow(&a.seen, n) }

func (a *sumIntAcc) update(gids []uint32, args []arrow.Array) error {
	d := args[0].Data()
	var ok bool
	switch args[0].DataType().ID() {
	case arrow.INT8:
		ok = sumInts(arrow.GetValues[int8](d, 1), validityOf(args[0]), gids, a.sums.s, a.seen.s)
	case arrow.INT16:
		ok = sumInts(arrow.GetValues[int16](d, 1), validityOf(args[0]), gids, a.sums.s, a.seen.s)
	case arrow.INT32:
		ok = sumInts(arrow.GetValues[int32](d, 1), validityOf(args[0]), gids, a.sums.s, a.seen.s)
	case arrow.INT64:
		ok = sumInts(arrow.GetValues[int64](d, 1), validityOf(args[0]), gids, a.sums.s, a.seen.s)
	}
	if !ok {
		return invalidf("%s is out of range for bigint; cast the argument to numeric", a.label)
	}
	return nil
}

// sumInts adds values into their groups' int64 sums; false on overflow.
func sumInts[T int8 | int16 | int32 | int64](vals []T, v validity, gids []uint32, sums []int64, seen []bool) bool {
	for i, g := range gids {
		if !v.ok(i) {
			continue
		}
		x, s := int64(vals[i]), sums[g]
		r := s + x
		if (x > 0 && r < s) || (x < 0 && r > s) {
			return false
		}
		sums[g] = r
		seen[g] = true
	}
	return true
}

func (a *sumIntAcc) merge(gids []uint32, states []arrow.Array) error { return a.update(gids, states) }

func (a *sumIntAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *sumIntAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return buildFixed(alloc, tInt64, a.sums.s[from:to], a.seen.s[from:to]), nil
}

func (a *sumIntAcc) release() { a.sums.release(); a.seen.release() }

// ---- exact 128-bit sum: bigint → numeric(38,0), numeric(p,s) → numeric(38,s) ----

type sumI128Acc struct {
	sums  vec[i128]
	seen  vec[bool]
	dt    *arrow.Decimal128Type
	label string
}

func (a *sumI128Acc) resize(n int) { grow(&a.sums, n); grow(&a.seen, n) }

func (a *sumI128Acc) update(gids []uint32, args []arrow.Array) error {
	if !addI128s(args[0], gids, a.sums.s, a.seen.s) {
		return a.overflow()
	}
	return nil
}

func (a *sumI128Acc) overflow() error {
	return invalidf("%s is out of range for numeric(38,%d)", a.label, a.dt.Scale)
}

// addI128s adds int64 or decimal128 values into 128-bit sums; false on overflow.
func addI128s(arr arrow.Array, gids []uint32, sums []i128, seen []bool) bool {
	v := validityOf(arr)
	d := arr.Data()
	if arr.DataType().ID() == arrow.INT64 {
		vals := arrow.GetValues[int64](d, 1)
		for i, g := range gids {
			if v.ok(i) {
				s, ok := sums[g].add(i128From64(vals[i]))
				if !ok {
					return false
				}
				sums[g] = s
				seen[g] = true
			}
		}
		return true
	}
	vals := reinterpret[i128](fixedBytes(d, 16))
	if v.all {
		for i, g := range gids {
			s, ok := sums[g].add(vals[i])
			if !ok {
				return false
			}
			sums[g] = s
			seen[g] = true
		}
		return true
	}
	for i, g := range gids {
		if v.ok(i) {
			s, ok := sums[g].add(vals[i])
			if !ok {
				return false
			}
			sums[g] = s
			seen[g] = true
		}
	}
	return true
}

func (a *sumI128Acc) merge(gids []uint32, states []arrow.Array) error { return a.update(gids, states) }

func (a *sumI128Acc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	return []arrow.Array{buildFixed(alloc, a.dt, a.sums.s[from:to], a.seen.s[from:to])}, nil
}

func (a *sumI128Acc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	for g := from; g < to; g++ {
		if a.seen.s[g] && !a.sums.s[g].fitsPrecision(38) {
			return nil, a.overflow()
		}
	}
	return buildFixed(alloc, a.dt, a.sums.s[from:to], a.seen.s[from:to]), nil
}

func (a *sumI128Acc) release() { a.sums.release(); a.seen.release() }

// ---- float sum ----

type sumFloatAcc struct {
	sums vec[float64]
	seen vec[bool]
}

func (a *sumFloatAcc) resize(n int) { grow(&a.sums, n); grow(&a.seen, n) }

func (a *sumFloatAcc) update(gids []uint32, args []arrow.Array) error {
	vals, v := floatValues(args[0]), validityOf(args[0])
	for i, g := range gids {
		if v.ok(i) {
			a.sums.s[g] += vals[i]
			a.seen.s[g] = true
		}
	}
	return nil
}

func (a *sumFloatAcc) merge(gids []uint32, states []arrow.Array) error { return a.update(gids, states) }

func (a *sumFloatAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *sumFloatAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return buildFixed(alloc, tFloat64, a.sums.s[from:to], a.seen.s[from:to]), nil
}

func (a *sumFloatAcc) release() { a.sums.release(); a.seen.release() }

// ---- avg → float64 ----

type avgFloatAcc struct {
	sums   vec[float64]
	counts vec[int64]
}

func (a *avgFloatAcc) resize(n int) { grow(&a.sums, n); grow(&a.counts, n) }

func (a *avgFloatAcc) update(gids []uint32, args []arrow.Array) error {
	vals, v := floatValues(args[0]), validityOf(args[0])
	for i, g := range gids {
		if v.ok(i) {
			a.sums.s[g] += vals[i]
			a.counts.s[g]++
		}
	}
	return nil
}

func (a *avgFloatAcc) merge(gids []uint32, states []arrow.Array) error {
	sums := arrow.GetValues[float64](states[0].Data(), 1)
	counts := arrow.GetValues[int64](states[1].Data(), 1)
	for i, g := range gids {
		a.sums.s[g] += sums[i]
		a.counts.s[g] += counts[i]
	}
	return nil
}

func (a *avgFloatAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	return []arrow.Array{
		buildFixed(alloc, tFloat64, a.sums.s[from:to], nil),
		buildFixed(alloc, tInt64, a.counts.s[from:to], nil),
	}, nil
}

func (a *avgFloatAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	out := make([]float64, to-from)
	valid := make([]bool, to-from)
	for g := from; g < to; g++ {
		if n := a.counts.s[g]; n > 0 {
			out[g-from] = a.sums.s[g] / float64(n)
			valid[g-from] = true
		}
	}
	return buildFixed(alloc, tFloat64, out, valid), nil
}

func (a *avgFloatAcc) release() { a.sums.release(); a.counts.release() }

// ---- avg of numeric → numeric(38, max(s, 6)), exact ----

type avgDecimalAcc struct {
	sums   vec[i128]
	counts vec[int64]
	scale  int32
	dt     *arrow.Decimal128Type
	label  string
}

func (a *avgDecimalAcc) resize(n int) { grow(&a.sums, n); grow(&a.counts, n) }

func (a *avgDecimalAcc) update(gids []uint32, args []arrow.Array) error {
	v := validityOf(args[0])
	vals := reinterpret[i128](fixedBytes(args[0].Data(), 16))
	sums, counts := a.sums.s, a.counts.s
	if v.all {
		for i, g := range gids {
			s, ok := sums[g].add(vals[i])
			if !ok {
				return a.overflow()
			}
			sums[g] = s
			counts[g]++
		}
		return nil
	}
	for i, g := range gids {
		if v.ok(i) {
			s, ok := a.sums.s[g].add(vals[i])
			if !ok {
				return a.overflow()
			}
			a.sums.s[g] = s
			a.counts.s[g]++
		}
	}
	return nil
}

func (a *avgDecimalAcc) overflow() error {
	return invalidf("%s is out of range for numeric(38,%d)", a.label, a.dt.Scale)
}

func (a *avgDecimalAcc) merge(gids []uint32, states []arrow.Array) error {
	sums := reinterpret[i128](fixedBytes(states[0].Data(), 16))
	counts := arrow.GetValues[int64](states[1].Data(), 1)
	for i, g := range gids {
		s, ok := a.sums.s[g].add(sums[i])
		if !ok {
			return a.overflow()
		}
		a.sums.s[g] = s
		a.counts.s[g] += counts[i]
	}
	return nil
}

func (a *avgDecimalAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	return []arrow.Array{
		buildFixed(alloc, decimalType(38, a.scale), a.sums.s[from:to], nil),
		buildFixed(alloc, tInt64, a.counts.s[from:to], nil),
	}, nil
}

func (a *avgDecimalAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	out := make([]i128, to-from)
	valid := make([]bool, to-from)
	scaleUp := pow10Big(a.dt.Scale - a.scale)
	for g := from; g < to; g++ {
		n := a.counts.s[g]
		if n == 0 {
			continue
		}
		num := new(big.Int).Mul(a.sums.s[g].big(), scaleUp)
		q, ok := i128FromBig(roundDiv(num, big.NewInt(n)))
		if !ok || !q.fitsPrecision(38) {
			return nil, a.overflow()
		}
		out[g-from], valid[g-from] = q, true
	}
	return buildFixed(alloc, a.dt, out, valid), nil
}

func (a *avgDecimalAcc) release() { a.sums.release(); a.counts.release() }

// ---- min / max ----

// newMinMax returns the accumulator constructor of min or max over type t.
func newMinMax(t arrow.DataType, isMin bool) (func(memory.Allocator) accumulator, error) {
	switch t.ID() {
	case arrow.NULL:
		return func(memory.Allocator) accumulator { return &nullAcc{} }, nil
	case arrow.BOOL:
		// min is bool_and and max is bool_or, with false < true.
		return func(a memory.Allocator) accumulator { return &boolAcc{vals: newVec[uint8](a), and: isMin} }, nil
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return func(a memory.Allocator) accumulator { return newMinMaxBytes(a, t, isMin) }, nil
	case arrow.INT8:
		return orderedMinMax[int8](t, isMin), nil
	case arrow.INT16:
		return orderedMinMax[int16](t, isMin), nil
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		return orderedMinMax[int32](t, isMin), nil
	case arrow.INT64, arrow.DATE64, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION:
		return orderedMinMax[int64](t, isMin), nil
	case arrow.UINT8:
		return orderedMinMax[uint8](t, isMin), nil
	case arrow.UINT16:
		return orderedMinMax[uint16](t, isMin), nil
	case arrow.UINT32:
		return orderedMinMax[uint32](t, isMin), nil
	case arrow.UINT64:
		return orderedMinMax[uint64](t, isMin), nil
	case arrow.FLOAT32:
		return minMaxWith(t, isMin, func(a, b float32) int { return pgFloatCmp(float64(a), float64(b)) }), nil
	case arrow.FLOAT64:
		return minMaxWith(t, isMin, pgFloatCmp), nil
	case arrow.DECIMAL128:
		return minMaxWith(t, isMin, func(a, b i128) int { return a.cmp(b) }), nil
	}
	return nil, errs.NotSupportedf("min/max of %s", t)
}

// pgFloatCmp orders floats as PostgreSQL does: NaN above every number, NaN equal to NaN.
func pgFloatCmp(a, b float64) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}

func orderedMinMax[T cmp.Ordered](t arrow.DataType, isMin bool) func(memory.Allocator) accumulator {
	return minMaxWith(t, isMin, cmp.Compare[T])
}

func minMaxWith[T any](t arrow.DataType, isMin bool, compare func(a, b T) int) func(memory.Allocator) accumulator {
	want := 1
	if isMin {
		want = -1
	}
	return func(a memory.Allocator) accumulator {
		return &minMaxAcc[T]{vals: newVec[T](a), seen: newVec[bool](a), dt: t, compare: compare, want: want}
	}
}

type minMaxAcc[T any] struct {
	vals    vec[T]
	seen    vec[bool]
	dt      arrow.DataType
	compare func(a, b T) int
	want    int // -1 keeps the smaller value (min), 1 the larger (max)
}

func (a *minMaxAcc[T]) resize(n int) { grow(&a.vals, n); grow(&a.seen, n) }

func (a *minMaxAcc[T]) update(gids []uint32, args []arrow.Array) error {
	var zero T
	vals := reinterpret[T](fixedBytes(args[0].Data(), int(unsafeSizeof(zero))))
	v := validityOf(args[0])
	cur, seen := a.vals.s, a.seen.s
	for i, g := range gids {
		if v.ok(i) && (!seen[g] || a.compare(vals[i], cur[g]) == a.want) {
			cur[g] = vals[i]
			seen[g] = true
		}
	}
	return nil
}

func (a *minMaxAcc[T]) merge(gids []uint32, states []arrow.Array) error {
	return a.update(gids, states)
}

func (a *minMaxAcc[T]) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *minMaxAcc[T]) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	return buildFixed(alloc, a.dt, a.vals.s[from:to], a.seen.s[from:to]), nil
}

func (a *minMaxAcc[T]) release() { a.vals.release(); a.seen.release() }

// minMaxBytes keeps the best string per group in an arena. Per batch it first finds each
// group's best row, so only improvements over the stored value are copied; the arena is
// compacted when replaced values make up most of it.
type minMaxBytes struct {
	dt    arrow.DataType
	isMin bool
	arena vec[byte]
	start vec[int64]
	size  vec[int64]
	seen  vec[bool]
	best  vec[int32] // per group: best row of the current batch, -1 none
	live  int64
}

func newMinMaxBytes(alloc memory.Allocator, dt arrow.DataType, isMin bool) *minMaxBytes {
	return &minMaxBytes{dt: dt, isMin: isMin, arena: newVec[byte](alloc), start: newVec[int64](alloc),
		size: newVec[int64](alloc), seen: newVec[bool](alloc), best: newVec[int32](alloc)}
}

func (a *minMaxBytes) resize(n int) {
	old := a.best.len()
	grow(&a.start, n)
	grow(&a.size, n)
	grow(&a.seen, n)
	grow(&a.best, n)
	for g := old; g < a.best.len(); g++ {
		a.best.s[g] = -1
	}
}

func (a *minMaxBytes) stored(g uint32) []byte {
	return a.arena.s[a.start.s[g] : a.start.s[g]+a.size.s[g]]
}

func (a *minMaxBytes) better(x, y []byte) bool {
	c := bytes.Compare(x, y)
	return (a.isMin && c < 0) || (!a.isMin && c > 0)
}

func (a *minMaxBytes) update(gids []uint32, args []arrow.Array) error {
	val := binaryValues(args[0])
	v := validityOf(args[0])
	var touched []uint32
	for i, g := range gids {
		if !v.ok(i) {
			continue
		}
		b := a.best.s[g]
		if b < 0 {
			touched = append(touched, g)
			a.best.s[g] = int32(i)
		} else if a.better(val(i), val(int(b))) {
			a.best.s[g] = int32(i)
		}
	}
	for _, g := range touched {
		x := val(int(a.best.s[g]))
		a.best.s[g] = -1
		if a.seen.s[g] && !a.better(x, a.stored(g)) {
			continue
		}
		if a.seen.s[g] {
			a.live -= a.size.s[g]
		}
		a.start.s[g] = int64(a.arena.len())
		a.size.s[g] = int64(len(x))
		a.arena.appendSlice(x)
		a.seen.s[g] = true
		a.live += int64(len(x))
	}
	if a.arena.len() > 1<<16 && int64(a.arena.len()) > 2*a.live {
		a.compact()
	}
	return nil
}

func (a *minMaxBytes) compact() {
	fresh := newVec[byte](a.arena.alloc)
	fresh.reserve(int(a.live))
	for g := range a.seen.s {
		if a.seen.s[g] {
			x := a.stored(uint32(g))
			a.start.s[g] = int64(fresh.len())
			fresh.appendSlice(x)
		}
	}
	a.arena.release()
	a.arena = fresh
}

func (a *minMaxBytes) merge(gids []uint32, states []arrow.Array) error { return a.update(gids, states) }

func (a *minMaxBytes) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *minMaxBytes) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	bld := array.NewBuilder(alloc, a.dt)
	defer bld.Release()
	bld.Reserve(to - from)
	for g := from; g < to; g++ {
		if !a.seen.s[g] {
			bld.AppendNull()
			continue
		}
		appendBytes(bld, a.stored(uint32(g)))
	}
	return bld.NewArray(), nil
}

func (a *minMaxBytes) release() {
	a.arena.release()
	a.start.release()
	a.size.release()
	a.seen.release()
	a.best.release()
}

// nullAcc aggregates a NULL-typed argument: every result is NULL.
type nullAcc struct{}

func (nullAcc) resize(int)                           {}
func (nullAcc) update([]uint32, []arrow.Array) error { return nil }
func (nullAcc) merge([]uint32, []arrow.Array) error  { return nil }
func (nullAcc) release()                             {}
func (nullAcc) final(_ memory.Allocator, from, to int) (arrow.Array, error) {
	return array.NewNull(to - from), nil
}
func (a nullAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

// ---- bool_and / bool_or (and min/max of booleans) ----

// boolAcc keeps 0 (no value yet), 1 (false) or 2 (true) per group.
type boolAcc struct {
	vals vec[uint8]
	and  bool
}

func (a *boolAcc) resize(n int) { grow(&a.vals, n) }

func (a *boolAcc) update(gids []uint32, args []arrow.Array) error {
	if args[0].DataType().ID() == arrow.NULL {
		return nil
	}
	b := args[0].(*array.Boolean)
	v := validityOf(b)
	for i, g := range gids {
		if !v.ok(i) {
			continue
		}
		x := uint8(1)
		if b.Value(i) {
			x = 2
		}
		cur := a.vals.s[g]
		switch {
		case cur == 0:
			a.vals.s[g] = x
		case a.and:
			a.vals.s[g] = min(cur, x)
		default:
			a.vals.s[g] = max(cur, x)
		}
	}
	return nil
}

func (a *boolAcc) merge(gids []uint32, states []arrow.Array) error { return a.update(gids, states) }

func (a *boolAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	f, err := a.final(alloc, from, to)
	return []arrow.Array{f}, err
}

func (a *boolAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	bld := array.NewBooleanBuilder(alloc)
	defer bld.Release()
	bld.Reserve(to - from)
	for _, x := range a.vals.s[from:to] {
		if x == 0 {
			bld.AppendNull()
		} else {
			bld.UnsafeAppend(x == 2)
		}
	}
	return bld.NewArray(), nil
}

func (a *boolAcc) release() { a.vals.release() }

// ---- variance and standard deviation ----

// varianceAcc keeps Welford's running count, mean and sum of squared deviations per group
// and merges partial states with Chan et al.'s pairwise formula, which stays accurate where
// sum-of-squares cancels catastrophically.
type varianceAcc struct {
	n        vec[int64]
	mean, m2 vec[float64]
	fn       string
}

func (a *varianceAcc) resize(n int) { grow(&a.n, n); grow(&a.mean, n); grow(&a.m2, n) }

func (a *varianceAcc) update(gids []uint32, args []arrow.Array) error {
	vals, v := floatValues(args[0]), validityOf(args[0])
	for i, g := range gids {
		if !v.ok(i) {
			continue
		}
		x := vals[i]
		a.n.s[g]++
		d := x - a.mean.s[g]
		a.mean.s[g] += d / float64(a.n.s[g])
		a.m2.s[g] += d * (x - a.mean.s[g])
	}
	return nil
}

func (a *varianceAcc) merge(gids []uint32, states []arrow.Array) error {
	ns := arrow.GetValues[int64](states[0].Data(), 1)
	means := arrow.GetValues[float64](states[1].Data(), 1)
	m2s := arrow.GetValues[float64](states[2].Data(), 1)
	for i, g := range gids {
		nb := ns[i]
		if nb == 0 {
			continue
		}
		na := a.n.s[g]
		if na == 0 {
			a.n.s[g], a.mean.s[g], a.m2.s[g] = nb, means[i], m2s[i]
			continue
		}
		n := na + nb
		d := means[i] - a.mean.s[g]
		a.mean.s[g] += d * float64(nb) / float64(n)
		a.m2.s[g] += m2s[i] + d*d*float64(na)*float64(nb)/float64(n)
		a.n.s[g] = n
	}
	return nil
}

func (a *varianceAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	return []arrow.Array{
		buildFixed(alloc, tInt64, a.n.s[from:to], nil),
		buildFixed(alloc, tFloat64, a.mean.s[from:to], nil),
		buildFixed(alloc, tFloat64, a.m2.s[from:to], nil),
	}, nil
}

func (a *varianceAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	out := make([]float64, to-from)
	valid := make([]bool, to-from)
	for g := from; g < to; g++ {
		n := float64(a.n.s[g])
		var v float64
		switch a.fn {
		case "var_pop", "stddev_pop":
			if n < 1 {
				continue
			}
			v = a.m2.s[g] / n
		default:
			if n < 2 {
				continue
			}
			v = a.m2.s[g] / (n - 1)
		}
		if v < 0 { // rounding can leave a tiny negative m2
			v = 0
		}
		if a.fn == "stddev_pop" || a.fn == "stddev_samp" {
			v = math.Sqrt(v)
		}
		out[g-from], valid[g-from] = v, true
	}
	return buildFixed(alloc, tFloat64, out, valid), nil
}

func (a *varianceAcc) release() { a.n.release(); a.mean.release(); a.m2.release() }

// appendBytes appends raw bytes to a string or binary builder of any offset width.
func appendBytes(bld array.Builder, x []byte) {
	switch b := bld.(type) {
	case *array.StringBuilder:
		b.BinaryBuilder.Append(x)
	case *array.LargeStringBuilder:
		b.BinaryBuilder.Append(x)
	case *array.BinaryBuilder:
		b.Append(x)
	}
}
