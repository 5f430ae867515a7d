package executor

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// FrameMode is ROWS or RANGE (GROUPS is not supported).
type FrameMode int

const (
	FrameRange FrameMode = iota
	FrameRows
)

// FrameBoundKind is where a frame starts or ends.
type FrameBoundKind int

const (
	UnboundedPreceding FrameBoundKind = iota
	Preceding
	CurrentRow
	Following
	UnboundedFollowing
)

// FrameBound is one end of a window frame. Offset is used by Preceding and Following: for
// ROWS an int64 row count; for RANGE a distance in the single ORDER BY key's domain: int64
// for integer keys, float64 for float keys, decimal128.Num at the key's scale (or int64)
// for numeric keys, int64 days or a days-only arrow.MonthDayNanoInterval for dates, int64
// microseconds or an arrow.MonthDayNanoInterval without months for timestamps.
type FrameBound struct {
	Kind   FrameBoundKind
	Offset any
}

// WindowFrame is a ROWS or RANGE frame.
type WindowFrame struct {
	Mode       FrameMode
	Start, End FrameBound
}

// WindowFunc is one window function call over input columns.
type WindowFunc struct {
	// Func: row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead,
	// first_value, last_value, nth_value, or the aggregates count, sum, avg, min, max,
	// bool_and, bool_or, stddev_samp, stddev_pop, var_samp, var_pop.
	Func string
	// Args are input columns: ntile(n), lag/lead(value[, offset[, default]]),
	// nth_value(value, n); offsets and counts are read per row (a constant column in
	// practice).
	Args []int
	// Frame is used by aggregates and first/last/nth_value. nil is SQL's default: RANGE
	// BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, i.e. up to the last peer of the current
	// row with ORDER BY, the whole partition without.
	Frame *WindowFrame
	// Filter (with HasFilter) is a boolean column: only rows where it is true feed an
	// aggregate.
	Filter    int
	HasFilter bool
	// Name is the output column name. Default: the function name.
	Name string
}

// WindowOptions configure NewWindow: one window specification shared by its functions.
type WindowOptions struct {
	PartitionBy []int
	OrderBy     []SortColumn
	Funcs       []WindowFunc
}

// Window computes window functions. Output: the input columns then one column per function,
// rows in input order. Output partitions: as its input.
//
// The planner must deliver each window partition whole to one input partition, sorted by
// PartitionBy (any direction) then OrderBy: Repartition(hash PartitionBy) → Sort(PartitionBy
// ++ OrderBy) → Window runs partitions in parallel; without PARTITION BY use Sort + merge
// into one partition. Each input partition is held in memory (as the Sort below already
// does).
type Window struct {
	input  Plan
	opts   WindowOptions
	funcs  []windowFn
	schema *arrow.Schema
}

var _ Plan = (*Window)(nil)

// windowFn is a resolved window function.
type windowFn struct {
	spec   WindowFunc
	result arrow.DataType
	agg    *aggFunc // for aggregates: the accumulator the result type comes from
	frame  WindowFrame
}

var rankFuncs = map[string]arrow.DataType{
	"row_number": tInt64, "rank": tInt64, "dense_rank": tInt64,
	"percent_rank": tFloat64, "cume_dist": tFloat64, "ntile": arrow.PrimitiveTypes.Int32,
}

var windowAggs = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true,
	"stddev_samp": true, "stddev_pop": true, "var_samp": true, "var_pop": true, "string_agg": true,
}

func NewWindow(input Plan, opts WindowOptions) (*Window, error) {
	in := input.Schema()
	for _, c := range opts.PartitionBy {
		if c < 0 || c >= in.NumFields() {
			return nil, internalf("Window partition column %d does not exist in an input of %d columns", c, in.NumFields())
		}
		if !orderable(in.Field(c).Type) {
			return nil, errs.NotSupportedf("PARTITION BY a %s column (%s)", in.Field(c).Type, in.Field(c).Name)
		}
	}
	if err := checkSortColumns("Window ORDER BY", in, opts.OrderBy); err != nil {
		return nil, err
	}
	w := &Window{input: input, opts: opts}
	fields := append([]arrow.Field(nil), in.Fields()...)
	for _, f := range opts.Funcs {
		fn, err := w.resolve(f)
		if err != nil {
			return nil, err
		}
		w.funcs = append(w.funcs, fn)
		name := f.Name
		if name == "" {
			name = f.Func
		}
		fields = append(fields, arrow.Field{Name: name, Type: fn.result, Nullable: true})
	}
	w.schema = arrow.NewSchema(fields, nil)
	return w, nil
}

func (w *Window) resolve(f WindowFunc) (windowFn, error) {
	in := w.input.Schema()
	fn := windowFn{spec: f, frame: WindowFrame{Mode: FrameRange, Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: CurrentRow}}}
	if f.Frame != nil {
		fn.frame = *f.Frame
	}
	types := make([]arrow.DataType, len(f.Args))
	names := make([]string, len(f.Args))
	for i, c := range f.Args {
		if c < 0 || c >= in.NumFields() {
			return fn, internalf("window function %s: argument column %d does not exist", f.Func, c)
		}
		types[i], names[i] = in.Field(c).Type, in.Field(c).Name
	}
	label := f.Func + "(" + strings.Join(names, ", ") + ")"
	nargs := func(lo, hi int) error {
		if len(f.Args) < lo || len(f.Args) > hi {
			return internalf("window function %s takes %d to %d arguments, got %d", label, lo, hi, len(f.Args))
		}
		return nil
	}
	intArg := func(i int) error {
		if i < len(types) && types[i].ID() != arrow.INT64 && types[i].ID() != arrow.INT32 {
			return internalf("window function %s: argument %d must be an integer column, got %s", label, i+1, types[i])
		}
		return nil
	}
	if f.HasFilter && !windowAggs[f.Func] {
		return fn, errs.NotSupportedf("FILTER on the window function %s", label)
	}
	if f.HasFilter && (f.Filter < 0 || f.Filter >= in.NumFields() || in.Field(f.Filter).Type.ID() != arrow.BOOL) {
		return fn, internalf("window function %s: FILTER column must be a boolean input column", label)
	}
	switch {
	case rankFuncs[f.Func] != nil:
		fn.result = rankFuncs[f.Func]
		lo := 0
		if f.Func == "ntile" {
			lo = 1
		}
		if err := nargs(lo, lo); err != nil {
			return fn, err
		}
		if err := intArg(0); f.Func == "ntile" && err != nil {
			return fn, err
		}
	case f.Func == "lag" || f.Func == "lead":
		if err := nargs(1, 3); err != nil {
			return fn, err
		}
		if err := intArg(1); err != nil {
			return fn, err
		}
		if len(types) == 3 && !arrow.TypeEqual(types[2], types[0]) {
			return fn, internalf("window function %s: the default must have the value's type", label)
		}
		fn.result = types[0]
	case f.Func == "first_value" || f.Func == "last_value" || f.Func == "nth_value":
		lo := 1
		if f.Func == "nth_value" {
			lo = 2
		}
		if err := nargs(lo, lo); err != nil {
			return fn, err
		}
		if err := intArg(1); err != nil {
			return fn, err
		}
		fn.result = types[0]
	case windowAggs[f.Func]:
		agg, err := resolveAggFunc(f.Func, types, nil, label)
		if err != nil {
			return fn, err
		}
		if (f.Func == "min" || f.Func == "max") && !orderable(types[0]) {
			return fn, errs.NotSupportedf("%s over a window for type %s", label, types[0])
		}
		fn.agg, fn.result = agg, agg.result
	default:
		return fn, errs.NotSupportedf("window function %s", f.Func)
	}
	return fn, w.checkFrame(fn.frame, label)
}

func (w *Window) checkFrame(fr WindowFrame, label string) error {
	if fr.Start.Kind == UnboundedFollowing || fr.End.Kind == UnboundedPreceding {
		return invalidf("frame of %s cannot start at UNBOUNDED FOLLOWING or end at UNBOUNDED PRECEDING", label)
	}
	for _, b := range []FrameBound{fr.Start, fr.End} {
		if b.Kind != Preceding && b.Kind != Following {
			continue
		}
		if fr.Mode == FrameRows {
			n, ok := b.Offset.(int64)
			if !ok || n < 0 {
				return invalidf("frame offset of %s must be a non-negative integer", label)
			}
			continue
		}
		if len(w.opts.OrderBy) != 1 {
			return invalidf("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column (%s)", label)
		}
		if _, err := rangeOffset(w.input.Schema().Field(w.opts.OrderBy[0].Column).Type, b.Offset); err != nil {
			return err
		}
	}
	return nil
}

func (w *Window) Schema() *arrow.Schema { return w.schema }
func (w *Window) Partitions() int       { return w.input.Partitions() }
func (w *Window) Children() []Plan      { return []Plan{w.input} }
func (w *Window) Describe() (string, string) {
	in := w.input.Schema()
	parts := make([]string, len(w.opts.PartitionBy))
	for i, c := range w.opts.PartitionBy {
		parts[i] = in.Field(c).Name
	}
	fns := make([]string, len(w.funcs))
	for i, f := range w.funcs {
		fns[i] = f.spec.Func
	}
	return "Window", fmt.Sprintf("partition by [%s] order by [%s] funcs=[%s]", strings.Join(parts, ", "),
		describeSortColumns(in, w.opts.OrderBy), strings.Join(fns, ", "))
}

func (w *Window) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(w, p); err != nil {
		return nil, err
	}
	return &lazyStream{open: func() (Stream, error) {
		in, err := tc.Run(ctx, w.input, p)
		if err != nil {
			return nil, err
		}
		batches, err := drainChecked(ctx, tc, in, "Window")
		in.Close()
		if err != nil {
			return nil, err
		}
		all, err := concatBatches(tc.Alloc, w.input.Schema(), batches)
		releaseBatches(batches)
		if err != nil {
			return nil, err
		}
		defer all.Release()
		out, err := w.compute(tc, all)
		if err != nil {
			return nil, err
		}
		return &sliceStream{batch: out, step: tc.batchRows()}, nil
	}}, nil
}

// sliceStream yields zero-copy slices of one batch.
type sliceStream struct {
	batch arrow.RecordBatch
	pos   int64
	step  int
}

func (s *sliceStream) Next() (arrow.RecordBatch, error) {
	if s.batch == nil || s.pos >= s.batch.NumRows() {
		s.Close()
		return nil, EOF
	}
	end := min(s.batch.NumRows(), s.pos+int64(s.step))
	out := s.batch.NewSlice(s.pos, end)
	s.pos = end
	return out, nil
}

func (s *sliceStream) Close() {
	if s.batch != nil {
		s.batch.Release()
		s.batch = nil
	}
}

// windowData is one input partition prepared for evaluation.
type windowData struct {
	tc    *TaskContext
	batch arrow.RecordBatch
	n     int
	parts [][2]int // window partitions [start, end)
	// peerStart/peerEnd bound the peer group (equal ORDER BY keys) of every row.
	peerStart, peerEnd []int
}

func (w *Window) compute(tc *TaskContext, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(b.NumRows())
	d := &windowData{tc: tc, batch: b, n: n, peerStart: make([]int, n), peerEnd: make([]int, n)}
	pkeys := make([]SortColumn, len(w.opts.PartitionBy))
	for i, c := range w.opts.PartitionBy {
		pkeys[i] = SortColumn{Column: c}
	}
	penc := newEncodedRows(tc.Alloc)
	defer penc.release()
	rowEncoder{keys: pkeys}.encode(b, penc)
	oenc := newEncodedRows(tc.Alloc)
	defer oenc.release()
	rowEncoder{keys: w.opts.OrderBy}.encode(b, oenc)
	start := 0
	for i := 1; i <= n; i++ {
		if i == n || !bytes.Equal(penc.row(i), penc.row(i-1)) {
			if i > start {
				d.parts = append(d.parts, [2]int{start, i})
			}
			start = i
		}
	}
	for _, p := range d.parts {
		ps := p[0]
		for i := p[0]; i < p[1]; i++ {
			if i > p[0] && !bytes.Equal(oenc.row(i), oenc.row(i-1)) {
				ps = i
			}
			d.peerStart[i] = ps
		}
		pe := p[1]
		for i := p[1] - 1; i >= p[0]; i-- {
			if i < p[1]-1 && !bytes.Equal(oenc.row(i), oenc.row(i+1)) {
				pe = i + 1
			}
			d.peerEnd[i] = pe
		}
	}
	if err := tc.checkMemory("Window"); err != nil {
		return nil, err
	}
	cols := append([]arrow.Array(nil), b.Columns()...)
	for _, c := range cols {
		c.Retain()
	}
	for _, fn := range w.funcs {
		col, err := w.evaluate(d, fn)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols = append(cols, col)
	}
	return makeBatch(w.schema, cols, n), nil
}

func (w *Window) evaluate(d *windowData, fn windowFn) (arrow.Array, error) {
	alloc := d.tc.Alloc
	args := make([]arrow.Array, len(fn.spec.Args))
	for i, c := range fn.spec.Args {
		args[i] = d.batch.Column(c)
	}
	switch fn.spec.Func {
	case "row_number", "rank", "dense_rank":
		out := make([]int64, d.n)
		for _, p := range d.parts {
			dense := int64(0)
			for i := p[0]; i < p[1]; i++ {
				if d.peerStart[i] == i {
					dense++
				}
				switch fn.spec.Func {
				case "row_number":
					out[i] = int64(i - p[0] + 1)
				case "rank":
					out[i] = int64(d.peerStart[i] - p[0] + 1)
				default:
					out[i] = dense
				}
			}
		}
		return buildFixed(alloc, tInt64, out, nil), nil
	case "percent_rank", "cume_dist":
		out := make([]float64, d.n)
		for _, p := range d.parts {
			size := float64(p[1] - p[0])
			for i := p[0]; i < p[1]; i++ {
				if fn.spec.Func == "cume_dist" {
					out[i] = float64(d.peerEnd[i]-p[0]) / size
				} else if size > 1 {
					out[i] = float64(d.peerStart[i]-p[0]) / (size - 1)
				}
			}
		}
		return buildFixed(alloc, tFloat64, out, nil), nil
	case "ntile":
		return ntile(d, args[0])
	case "lag", "lead":
		return lagLead(d, fn.spec.Func == "lag", args)
	}
	frames, err := w.frames(d, fn.frame)
	if err != nil {
		return nil, err
	}
	switch fn.spec.Func {
	case "first_value", "last_value", "nth_value":
		idx := make([]int32, d.n)
		var nth arrow.Array
		if fn.spec.Func == "nth_value" {
			nth = args[1]
		}
		for i := range d.n {
			s, e := frames.start[i], frames.end[i]
			idx[i] = -1
			switch fn.spec.Func {
			case "first_value":
				if s < e {
					idx[i] = int32(s)
				}
			case "last_value":
				if s < e {
					idx[i] = int32(e - 1)
				}
			default:
				k, ok := intAt(nth, i)
				if ok && k <= 0 {
					return nil, invalidf("argument of nth_value must be greater than zero")
				}
				if ok && int64(s)+k-1 < int64(e) {
					idx[i] = int32(int64(s) + k - 1)
				}
			}
		}
		return takeColumn(alloc, args[0], idx, true)
	}
	return windowAggregate(d, fn, args, frames)
}

// intAt reads an integer argument column (int32 or int64); false for NULL.
func intAt(a arrow.Array, i int) (int64, bool) {
	if !validityOf(a).ok(i) {
		return 0, false
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i), true
	case *array.Int32:
		return int64(x.Value(i)), true
	}
	return 0, false
}

func ntile(d *windowData, arg arrow.Array) (arrow.Array, error) {
	out := make([]int32, d.n)
	valid := make([]bool, d.n)
	for _, p := range d.parts {
		// PostgreSQL reads the bucket count once per partition, at its first row.
		k, ok := intAt(arg, p[0])
		if !ok {
			continue
		}
		if k <= 0 {
			return nil, invalidf("argument of ntile must be greater than zero")
		}
		n := int64(p[1] - p[0])
		q, r := n/k, n%k
		for i := p[0]; i < p[1]; i++ {
			pos := int64(i - p[0])
			var bucket int64
			if big := r * (q + 1); pos < big {
				bucket = pos/(q+1) + 1
			} else {
				bucket = r + (pos-big)/q + 1
			}
			out[i], valid[i] = int32(bucket), true
		}
	}
	return buildFixed(d.tc.Alloc, arrow.PrimitiveTypes.Int32, out, valid), nil
}

// lagLead reads the value offset rows back (lag) or ahead (lead) in the partition, or the
// default (NULL without one) when that row does not exist. Frames do not apply.
func lagLead(d *windowData, lag bool, args []arrow.Array) (arrow.Array, error) {
	alloc := d.tc.Alloc
	nullOne := array.MakeArrayOfNull(alloc, args[0].DataType(), 1)
	defer nullOne.Release()
	srcs := []arrow.Array{args[0], nullOne}
	if len(args) == 3 {
		srcs = append(srcs, args[2])
	}
	refs := make([]rowRef, d.n)
	for _, p := range d.parts {
		for i := p[0]; i < p[1]; i++ {
			off := int64(1)
			if len(args) >= 2 {
				var ok bool
				if off, ok = intAt(args[1], i); !ok {
					refs[i] = rowRef{batch: 1}
					continue
				}
			}
			if lag {
				off = -off
			}
			t := int64(i) + off
			switch {
			case t >= int64(p[0]) && t < int64(p[1]):
				refs[i] = rowRef{batch: 0, row: int32(t)}
			case len(args) == 3:
				refs[i] = rowRef{batch: 2, row: int32(i)}
			default:
				refs[i] = rowRef{batch: 1}
			}
		}
	}
	return gatherColumn(alloc, args[0].DataType(), srcs, refs)
}

// frameBounds are the frames of every row: [start[i], end[i]).
type frameBounds struct {
	start, end []int
}

func (w *Window) frames(d *windowData, fr WindowFrame) (frameBounds, error) {
	f := frameBounds{start: make([]int, d.n), end: make([]int, d.n)}
	var keys *rangeKeys
	if fr.Mode == FrameRange && (isOffset(fr.Start) || isOffset(fr.End)) {
		var err error
		if keys, err = newRangeKeys(d.batch, w.opts.OrderBy[0]); err != nil {
			return f, err
		}
	}
	for _, p := range d.parts {
		for i := p[0]; i < p[1]; i++ {
			s, err := w.bound(d, fr, fr.Start, true, p, i, keys)
			if err != nil {
				return f, err
			}
			e, err := w.bound(d, fr, fr.End, false, p, i, keys)
			if err != nil {
				return f, err
			}
			f.start[i], f.end[i] = s, max(s, e)
		}
	}
	return f, nil
}

func isOffset(b FrameBound) bool { return b.Kind == Preceding || b.Kind == Following }

// bound returns the frame start (inclusive) or end (exclusive) of row i in partition p.
func (w *Window) bound(d *windowData, fr WindowFrame, b FrameBound, isStart bool, p [2]int, i int, keys *rangeKeys) (int, error) {
	clamp := func(x int) int { return min(max(x, p[0]), p[1]) }
	switch b.Kind {
	case UnboundedPreceding:
		return p[0], nil
	case UnboundedFollowing:
		return p[1], nil
	case CurrentRow:
		if fr.Mode == FrameRows {
			if isStart {
				return i, nil
			}
			return i + 1, nil
		}
		if isStart {
			return d.peerStart[i], nil
		}
		return d.peerEnd[i], nil
	}
	if fr.Mode == FrameRows {
		off := int(b.Offset.(int64))
		if b.Kind == Preceding {
			off = -off
		}
		if isStart {
			return clamp(i + off), nil
		}
		return clamp(i + off + 1), nil
	}
	return keys.bound(d, b, isStart, p, i)
}

// rangeKeys holds the single ORDER BY key of a RANGE frame with offsets, normalized so
// that ascending order means preceding: descending keys are negated.
type rangeKeys struct {
	dt    arrow.DataType
	desc  bool
	valid validity
	exact []i128    // integer-like and decimal keys
	float []float64 // float keys
}

func newRangeKeys(b arrow.RecordBatch, k SortColumn) (*rangeKeys, error) {
	col := b.Column(k.Column)
	rk := &rangeKeys{dt: col.DataType(), desc: k.Desc, valid: validityOf(col)}
	d := col.Data()
	n := col.Len()
	switch col.DataType().ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		rk.float = floatValues(col)
		if k.Desc {
			for i := range rk.float {
				rk.float[i] = -rk.float[i]
			}
		}
		return rk, nil
	case arrow.DECIMAL128:
		rk.exact = append([]i128(nil), reinterpret[i128](fixedBytes(d, 16))[:n]...)
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP:
		vals := floatValuesExact(col)
		rk.exact = make([]i128, n)
		for i, v := range vals {
			rk.exact[i] = i128From64(v)
		}
	default:
		return nil, errs.NotSupportedf("RANGE frames with an offset over a %s ORDER BY key", col.DataType())
	}
	if k.Desc {
		for i := range rk.exact {
			rk.exact[i], _ = i128{}.sub(rk.exact[i])
		}
	}
	return rk, nil
}

// floatValuesExact returns integer-like values as int64.
func floatValuesExact(a arrow.Array) []int64 {
	d := a.Data()
	switch a.DataType().ID() {
	case arrow.INT8:
		return widen(arrow.GetValues[int8](d, 1))
	case arrow.INT16:
		return widen(arrow.GetValues[int16](d, 1))
	case arrow.INT32, arrow.DATE32:
		return widen(arrow.GetValues[int32](d, 1))
	}
	return arrow.GetValues[int64](d, 1)
}

func widen[T int8 | int16 | int32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// rangeOffset converts a RANGE offset to the key's domain: i128 for exact keys, float64 for
// float keys.
func rangeOffset(dt arrow.DataType, off any) (any, error) {
	bad := func() (any, error) {
		return nil, invalidf("RANGE offset %T does not fit an ORDER BY key of type %s", off, dt)
	}
	neg := func() (any, error) { return nil, invalidf("RANGE frame offsets must not be negative") }
	switch dt.ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		var f float64
		switch v := off.(type) {
		case float64:
			f = v
		case int64:
			f = float64(v)
		default:
			return bad()
		}
		if f < 0 || math.IsNaN(f) {
			return neg()
		}
		return f, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		v, ok := off.(int64)
		if !ok {
			return bad()
		}
		if v < 0 {
			return neg()
		}
		return i128From64(v), nil
	case arrow.DECIMAL128:
		scale := dt.(*arrow.Decimal128Type).Scale
		var n decimal128.Num
		switch v := off.(type) {
		case decimal128.Num:
			n = v
		case int64:
			n = decimal128.FromI64(v).IncreaseScaleBy(scale)
		default:
			return bad()
		}
		if n.Sign() < 0 {
			return neg()
		}
		return i128{lo: n.LowBits(), hi: n.HighBits()}, nil
	case arrow.DATE32:
		switch v := off.(type) {
		case int64:
			if v < 0 {
				return neg()
			}
			return i128From64(v), nil
		case arrow.MonthDayNanoInterval:
			if v.Months != 0 || v.Nanoseconds != 0 {
				return nil, errs.NotSupportedf("RANGE offsets over dates with months or a time part; use whole days")
			}
			if v.Days < 0 {
				return neg()
			}
			return i128From64(int64(v.Days)), nil
		}
		return bad()
	case arrow.TIMESTAMP:
		unit := dt.(*arrow.TimestampType).Unit
		switch v := off.(type) {
		case int64:
			if v < 0 {
				return neg()
			}
			return i128From64(v), nil
		case arrow.MonthDayNanoInterval:
			if v.Months != 0 {
				return nil, errs.NotSupportedf("RANGE offsets over timestamps with months; use days or a time")
			}
			nanos := int64(v.Days)*86400e9 + v.Nanoseconds
			if nanos < 0 {
				return neg()
			}
			return i128From64(nanos / int64(unit.Multiplier())), nil
		}
		return bad()
	}
	return nil, errs.NotSupportedf("RANGE frames with an offset over a %s ORDER BY key", dt)
}

// bound finds a RANGE offset bound by binary search among the partition's non-NULL keys
// (they are sorted ascending after normalization). A NULL current row's offset bounds are
// its NULL peers, as in PostgreSQL.
func (k *rangeKeys) bound(d *windowData, b FrameBound, isStart bool, p [2]int, i int) (int, error) {
	if !k.valid.ok(i) {
		if isStart {
			return d.peerStart[i], nil
		}
		return d.peerEnd[i], nil
	}
	// Non-NULL keys form one contiguous run of the partition.
	lo, hi := p[0], p[1]
	for lo < hi && !k.valid.ok(lo) {
		lo++
	}
	for hi > lo && !k.valid.ok(hi-1) {
		hi--
	}
	offAny, err := rangeOffset(k.dt, b.Offset)
	if err != nil {
		return 0, err
	}
	preceding := b.Kind == Preceding
	// Target key: current ∓ offset; isStart finds the first key >= target, an end finds the
	// first key > target.
	if k.float != nil {
		off := offAny.(float64)
		if preceding {
			off = -off
		}
		target := k.float[i] + off
		return lo + sort.Search(hi-lo, func(j int) bool {
			v := k.float[lo+j]
			if isStart {
				return pgFloatCmp(v, target) >= 0
			}
			return pgFloatCmp(v, target) > 0
		}), nil
	}
	off := offAny.(i128)
	var target i128
	var ok bool
	if preceding {
		target, ok = k.exact[i].sub(off)
	} else {
		target, ok = k.exact[i].add(off)
	}
	if !ok { // beyond every representable key
		if preceding {
			return lo, nil
		}
		return hi, nil
	}
	return lo + sort.Search(hi-lo, func(j int) bool {
		c := k.exact[lo+j].cmp(target)
		if isStart {
			return c >= 0
		}
		return c > 0
	}), nil
}

// windowAggregate evaluates an aggregate over each row's frame. Exact aggregates (count,
// integer and numeric sums and averages, bool_and/or) slide their frame by adding and
// removing rows; the others restart whenever the frame's start moves and otherwise only add
// the rows the frame gained, as PostgreSQL does for aggregates without an inverse.
func windowAggregate(d *windowData, fn windowFn, args []arrow.Array, fr frameBounds) (arrow.Array, error) {
	use := make([]bool, d.n) // rows that feed the aggregate
	for i := range use {
		use[i] = true
	}
	if len(args) > 0 {
		v := validityOf(args[0])
		for i := range use {
			use[i] = v.ok(i)
		}
	}
	if fn.spec.HasFilter {
		f := d.batch.Column(fn.spec.Filter).(*array.Boolean)
		v := validityOf(f)
		for i := range use {
			use[i] = use[i] && v.ok(i) && f.Value(i)
		}
	}
	st, err := newFrameState(d, fn, args, use)
	if err != nil {
		return nil, err
	}
	if m, ok := st.(*minMaxFrame); ok {
		defer m.keys.release()
	}
	for _, p := range d.parts {
		curS, curE := -1, -1
		for i := p[0]; i < p[1]; i++ {
			s, e := fr.start[i], fr.end[i]
			switch {
			case curS >= 0 && st.invertible() && s >= curS && s <= curE && e >= curE:
				for r := curS; r < s; r++ {
					if use[r] {
						st.remove(r)
					}
				}
				for r := curE; r < e; r++ {
					if use[r] {
						st.add(r)
					}
				}
			case curS >= 0 && s == curS && e >= curE:
				for r := curE; r < e; r++ {
					if use[r] {
						st.add(r)
					}
				}
			default:
				st.reset()
				for r := s; r < e; r++ {
					if use[r] {
						st.add(r)
					}
				}
			}
			curS, curE = s, e
			if err := st.result(i); err != nil {
				return nil, err
			}
		}
	}
	return st.build(d.tc.Alloc)
}

// frameState is the running state of one window aggregate over the current frame.
type frameState interface {
	invertible() bool
	reset()
	add(row int)
	remove(row int)
	result(out int) error
	build(alloc memory.Allocator) (arrow.Array, error)
}

func newFrameState(d *windowData, fn windowFn, args []arrow.Array, use []bool) (frameState, error) {
	label := fn.agg.label
	switch fn.spec.Func {
	case "count":
		return &countFrame{out: make([]int64, d.n)}, nil
	case "sum", "avg":
		var t arrow.DataType = arrow.Null
		if len(args) > 0 {
			t = args[0].DataType()
		}
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL128:
			if fn.result.ID() == arrow.FLOAT64 { // avg of integers is float
				break
			}
			var vals []i128
			scale := int32(0)
			if t.ID() == arrow.DECIMAL128 {
				vals = reinterpret[i128](fixedBytes(args[0].Data(), 16))
				scale = t.(*arrow.Decimal128Type).Scale
			} else {
				for _, v := range floatValuesExact(args[0]) {
					vals = append(vals, i128From64(v))
				}
			}
			return &exactSumFrame{vals: vals, avg: fn.spec.Func == "avg", rtype: fn.result, scale: scale,
				out: make([]i128, d.n), valid: make([]bool, d.n), label: label}, nil
		}
		return &floatFrame{fn: fn.spec.Func, vals: floatValues(args[0]), out: make([]float64, d.n), valid: make([]bool, d.n)}, nil
	case "stddev_samp", "stddev_pop", "var_samp", "var_pop":
		return &floatFrame{fn: fn.spec.Func, vals: floatValues(args[0]), out: make([]float64, d.n), valid: make([]bool, d.n)}, nil
	case "bool_and", "bool_or":
		b, _ := args[0].(*array.Boolean)
		return &boolFrame{vals: b, and: fn.spec.Func == "bool_and", out: make([]uint8, d.n)}, nil
	case "min", "max":
		// Encoded keys give every orderable type one comparison.
		enc := newEncodedRows(d.tc.Alloc)
		schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: args[0].DataType(), Nullable: true}}, nil)
		rec := array.NewRecordBatch(schema, args[:1], int64(d.n))
		rowEncoder{keys: []SortColumn{{Column: 0}}}.encode(rec, enc)
		rec.Release()
		return &minMaxFrame{arg: args[0], keys: enc, isMin: fn.spec.Func == "min", best: -1, out: make([]int32, d.n)}, nil
	case "string_agg":
		_, isStr := args[0].(*array.String)
		_, isBin := args[0].(*array.Binary)
		if !(isStr || isBin) || len(args) != 2 {
			return nil, errs.NotSupportedf("%s as a window function for type %s", label, args[0].DataType())
		}
		return &stringAggFrame{vals: bytesAt(args[0]), delims: bytesAt(args[1]), rtype: fn.result,
			out: make([][]byte, d.n), valid: make([]bool, d.n)}, nil
	}
	return nil, errs.NotSupportedf("%s as a window function", label)
}

// bytesAt returns the i-th value of a string or binary array (nil for NULL, or for a
// NULL-typed array).
func bytesAt(a arrow.Array) func(i int) []byte {
	switch x := a.(type) {
	case *array.String:
		return func(i int) []byte {
			if x.IsNull(i) {
				return nil
			}
			return []byte(x.Value(i))
		}
	case *array.Binary:
		return func(i int) []byte {
			if x.IsNull(i) {
				return nil
			}
			return x.Value(i)
		}
	}
	return func(int) []byte { return nil }
}

// stringAggFrame concatenates the frame's values, each after the previous one with its own
// row's delimiter (a NULL delimiter is empty), as string_agg does. It is not invertible.
type stringAggFrame struct {
	vals, delims func(i int) []byte
	rtype        arrow.DataType
	buf          []byte
	n            int
	out          [][]byte
	valid        []bool
}

func (f *stringAggFrame) invertible() bool { return false }
func (f *stringAggFrame) reset()           { f.buf, f.n = f.buf[:0], 0 }
func (f *stringAggFrame) add(r int) {
	if f.n > 0 {
		f.buf = append(f.buf, f.delims(r)...)
	}
	f.buf = append(f.buf, f.vals(r)...)
	f.n++
}
func (f *stringAggFrame) remove(int) {}
func (f *stringAggFrame) result(out int) error {
	if f.n > 0 {
		f.out[out], f.valid[out] = append([]byte(nil), f.buf...), true
	}
	return nil
}
func (f *stringAggFrame) build(a memory.Allocator) (arrow.Array, error) {
	if f.rtype.ID() == arrow.BINARY {
		b := array.NewBinaryBuilder(a, arrow.BinaryTypes.Binary)
		defer b.Release()
		for i, v := range f.out {
			if f.valid[i] {
				b.Append(v)
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), nil
	}
	b := array.NewStringBuilder(a)
	defer b.Release()
	for i, v := range f.out {
		if f.valid[i] {
			b.BinaryBuilder.Append(v)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray(), nil
}

type countFrame struct {
	n   int64
	out []int64
}

func (f *countFrame) invertible() bool     { return true }
func (f *countFrame) reset()               { f.n = 0 }
func (f *countFrame) add(int)              { f.n++ }
func (f *countFrame) remove(int)           { f.n-- }
func (f *countFrame) result(out int) error { f.out[out] = f.n; return nil }
func (f *countFrame) build(a memory.Allocator) (arrow.Array, error) {
	return buildFixed(a, tInt64, f.out, nil), nil
}

// exactSumFrame sums integers or decimals in 128 bits (exact, so add/remove is safe).
type exactSumFrame struct {
	vals  []i128
	avg   bool
	rtype arrow.DataType
	scale int32
	sum   i128
	n     int64
	out   []i128
	valid []bool
	label string
	err   bool
}

func (f *exactSumFrame) invertible() bool { return true }
func (f *exactSumFrame) reset()           { f.sum, f.n, f.err = i128{}, 0, false }
func (f *exactSumFrame) add(r int) {
	s, ok := f.sum.add(f.vals[r])
	f.sum, f.err, f.n = s, f.err || !ok, f.n+1
}
func (f *exactSumFrame) remove(r int) {
	s, ok := f.sum.sub(f.vals[r])
	f.sum, f.err, f.n = s, f.err || !ok, f.n-1
}

func (f *exactSumFrame) result(out int) error {
	if f.n == 0 {
		return nil
	}
	if f.err {
		return invalidf("%s over its window frame is out of range", f.label)
	}
	v := f.sum
	switch {
	case f.rtype.ID() == arrow.INT64:
		if !v.fitsInt64() {
			return invalidf("%s is out of range for bigint; cast the argument to numeric", f.label)
		}
	case f.avg:
		rs := f.rtype.(*arrow.Decimal128Type).Scale
		num := new(big.Int).Mul(v.big(), pow10Big(rs-f.scale))
		q, ok := i128FromBig(roundDiv(num, big.NewInt(f.n)))
		if !ok || !q.fitsPrecision(38) {
			return invalidf("%s is out of range for numeric(38,%d)", f.label, rs)
		}
		v = q
	default:
		if !v.fitsPrecision(38) {
			return invalidf("%s is out of range for numeric(38,%d)", f.label, f.scale)
		}
	}
	f.out[out], f.valid[out] = v, true
	return nil
}

func (f *exactSumFrame) build(a memory.Allocator) (arrow.Array, error) {
	if f.rtype.ID() == arrow.INT64 {
		vals := make([]int64, len(f.out))
		for i, v := range f.out {
			vals[i] = int64(v.lo)
		}
		return buildFixed(a, tInt64, vals, f.valid), nil
	}
	return buildFixed(a, f.rtype, f.out, f.valid), nil
}

// floatFrame computes float sum/avg/variance with Welford's method; not invertible.
type floatFrame struct {
	fn            string
	vals          []float64
	n             int64
	sum, mean, m2 float64
	out           []float64
	valid         []bool
}

func (f *floatFrame) invertible() bool { return false }
func (f *floatFrame) reset()           { f.n, f.sum, f.mean, f.m2 = 0, 0, 0, 0 }
func (f *floatFrame) remove(int)       {}
func (f *floatFrame) add(r int) {
	x := f.vals[r]
	f.n++
	f.sum += x
	d := x - f.mean
	f.mean += d / float64(f.n)
	f.m2 += d * (x - f.mean)
}

func (f *floatFrame) result(out int) error {
	n := float64(f.n)
	var v float64
	switch f.fn {
	case "sum":
		if f.n == 0 {
			return nil
		}
		v = f.sum
	case "avg":
		if f.n == 0 {
			return nil
		}
		v = f.sum / n
	case "var_pop", "stddev_pop":
		if f.n == 0 {
			return nil
		}
		v = max(f.m2/n, 0)
	default:
		if f.n < 2 {
			return nil
		}
		v = max(f.m2/(n-1), 0)
	}
	if strings.HasPrefix(f.fn, "stddev") {
		v = math.Sqrt(v)
	}
	f.out[out], f.valid[out] = v, true
	return nil
}

func (f *floatFrame) build(a memory.Allocator) (arrow.Array, error) {
	return buildFixed(a, tFloat64, f.out, f.valid), nil
}

// boolFrame counts true and false values, so it can slide exactly.
type boolFrame struct {
	vals          *array.Boolean
	and           bool
	trues, falses int
	out           []uint8 // 0 NULL, 1 false, 2 true
}

func (f *boolFrame) invertible() bool { return true }
func (f *boolFrame) reset()           { f.trues, f.falses = 0, 0 }
func (f *boolFrame) add(r int) {
	if f.vals.Value(r) {
		f.trues++
	} else {
		f.falses++
	}
}
func (f *boolFrame) remove(r int) {
	if f.vals.Value(r) {
		f.trues--
	} else {
		f.falses--
	}
}

func (f *boolFrame) result(out int) error {
	switch {
	case f.trues+f.falses == 0:
		f.out[out] = 0
	case f.and && f.falses == 0, !f.and && f.trues > 0:
		f.out[out] = 2
	default:
		f.out[out] = 1
	}
	return nil
}

func (f *boolFrame) build(a memory.Allocator) (arrow.Array, error) {
	return (&boolAcc{vals: vec[uint8]{s: f.out}}).final(a, 0, len(f.out))
}

// minMaxFrame tracks the best row by encoded key; the result column is gathered by index.
type minMaxFrame struct {
	arg   arrow.Array
	keys  *encodedRows
	isMin bool
	best  int
	out   []int32
}

func (f *minMaxFrame) invertible() bool { return false }
func (f *minMaxFrame) reset()           { f.best = -1 }
func (f *minMaxFrame) remove(int)       {}
func (f *minMaxFrame) add(r int) {
	if f.best < 0 {
		f.best = r
		return
	}
	c := bytes.Compare(f.keys.row(r), f.keys.row(f.best))
	if (f.isMin && c < 0) || (!f.isMin && c > 0) {
		f.best = r
	}
}
func (f *minMaxFrame) result(out int) error { f.out[out] = int32(f.best); return nil }
func (f *minMaxFrame) build(a memory.Allocator) (arrow.Array, error) {
	return takeColumn(a, f.arg, f.out, true)
}
