package executor

import (
	"bytes"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newCollectFunc resolves array_agg(x [ORDER BY …]) and string_agg(x, delimiter [ORDER BY …]).
// orderBy columns index the accumulator's argument list (values first, then order keys).
func newCollectFunc(label string, isString bool, elem arrow.DataType, args []arrow.DataType, orderBy []SortColumn) (*aggFunc, error) {
	nvals := 1
	if isString {
		nvals = 2
	}
	fields := make([]arrow.Field, len(args))
	for i, t := range args {
		fields[i] = arrow.Field{Name: "a", Type: t, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	if err := checkSortColumns(label+" ORDER BY", schema, orderBy); err != nil {
		return nil, err
	}
	f := &aggFunc{label: label, ordered: len(orderBy) > 0}
	if isString {
		f.result = elem
		f.state = []arrow.DataType{arrow.ListOf(elem), arrow.ListOf(elem)}
	} else {
		f.result = arrow.ListOf(elem)
		f.state = []arrow.DataType{arrow.ListOf(elem)}
	}
	f.make = func(alloc memory.Allocator) accumulator {
		return &collectAcc{alloc: alloc, isString: isString, elem: elem, schema: schema, nvals: nvals, order: orderBy}
	}
	return f, nil
}

// collectAcc keeps the rows of array_agg / string_agg (values, delimiters, order keys) as
// the input arrays themselves plus a group id per row. At the end it orders rows by group
// (counting sort, stable, so input order without ORDER BY) and by the encoded order keys
// within each group, then gathers each output chunk in bulk.
type collectAcc struct {
	alloc    memory.Allocator
	isString bool
	elem     arrow.DataType
	schema   *arrow.Schema
	nvals    int
	order    []SortColumn
	chunks   []collectChunk
	ngroups  int

	finalized bool
	refs      []rowRef // rows in output order
	starts    []int    // group g's rows are refs[starts[g]:starts[g+1]]
}

type collectChunk struct {
	batch arrow.RecordBatch
	gids  vec[uint32]
}

func (a *collectAcc) resize(n int) { a.ngroups = max(a.ngroups, n) }

func (a *collectAcc) update(gids []uint32, args []arrow.Array) error {
	if a.isString && args[0].NullN() > 0 {
		// string_agg skips NULL values (and their delimiters).
		v := validityOf(args[0])
		var keep []int32
		var kept []uint32
		for i, g := range gids {
			if v.ok(i) {
				keep = append(keep, int32(i))
				kept = append(kept, g)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		cols, err := takeColumns(a.alloc, args, keep, false)
		if err != nil {
			return err
		}
		a.add(cols, kept)
		releaseArrays(cols)
		return nil
	}
	if len(gids) == 0 {
		return nil
	}
	a.add(args, gids)
	return nil
}

// add stores rows (retaining cols) with their groups.
func (a *collectAcc) add(cols []arrow.Array, gids []uint32) {
	for _, c := range cols {
		c.Retain()
	}
	ch := collectChunk{batch: makeBatch(a.schema, cols, len(gids)), gids: newVec[uint32](a.alloc)}
	ch.gids.appendSlice(gids)
	a.chunks = append(a.chunks, ch)
}

func (a *collectAcc) merge(gids []uint32, states []arrow.Array) error {
	lists := make([]*array.List, len(states))
	for i, s := range states {
		lists[i] = s.(*array.List)
	}
	var idx []int32
	var egids []uint32
	for i, g := range gids {
		if lists[0].IsNull(i) {
			continue
		}
		s, e := lists[0].ValueOffsets(i)
		for j := s; j < e; j++ {
			idx = append(idx, int32(j))
			egids = append(egids, g)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	children := make([]arrow.Array, len(lists))
	for i, l := range lists {
		children[i] = l.ListValues()
	}
	cols, err := takeColumns(a.alloc, children, idx, false)
	if err != nil {
		return err
	}
	a.add(cols, egids)
	releaseArrays(cols)
	return nil
}

func (a *collectAcc) finalize() {
	if a.finalized {
		return
	}
	a.finalized = true
	counts := make([]int, a.ngroups+1)
	total := 0
	for _, ch := range a.chunks {
		for _, g := range ch.gids.s {
			counts[g+1]++
		}
		total += ch.gids.len()
	}
	a.starts = make([]int, a.ngroups+1)
	for g := 1; g <= a.ngroups; g++ {
		a.starts[g] = a.starts[g-1] + counts[g]
	}
	next := slices.Clone(a.starts[:a.ngroups])
	ids := make([]int32, total) // arrival ids in output order
	arrival := make([]rowRef, 0, total)
	for c, ch := range a.chunks {
		for r, g := range ch.gids.s {
			ids[next[g]] = int32(len(arrival))
			next[g]++
			arrival = append(arrival, rowRef{batch: int32(c), row: int32(r)})
		}
	}
	if len(a.order) > 0 {
		enc := newEncodedRows(a.alloc)
		defer enc.release()
		e := rowEncoder{keys: a.order}
		for _, ch := range a.chunks {
			e.encode(ch.batch, enc)
		}
		for g := 0; g < a.ngroups; g++ {
			slices.SortStableFunc(ids[a.starts[g]:a.starts[g+1]], func(x, y int32) int {
				return bytes.Compare(enc.row(int(x)), enc.row(int(y)))
			})
		}
	}
	a.refs = make([]rowRef, total)
	for k, id := range ids {
		a.refs[k] = arrival[id]
	}
}

// gathered returns column c of the rows of groups [from, to) in output order.
func (a *collectAcc) gathered(alloc memory.Allocator, c, from, to int) (arrow.Array, error) {
	refs := a.refs[a.starts[from]:a.starts[to]]
	if len(a.chunks) == 0 {
		return array.MakeArrayOfNull(alloc, a.schema.Field(c).Type, 0), nil
	}
	srcs := make([]arrow.Array, len(a.chunks))
	for i, ch := range a.chunks {
		srcs[i] = ch.batch.Column(c)
	}
	return gatherColumn(alloc, a.schema.Field(c).Type, srcs, refs)
}

// list wraps values as one list per group of [from, to); groups without rows are NULL.
func (a *collectAcc) list(alloc memory.Allocator, values arrow.Array, from, to int) arrow.Array {
	n := to - from
	offBuf := memory.NewResizableBuffer(alloc)
	offBuf.Resize(4 * (n + 1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	valid := make([]bool, n)
	for g := from; g <= to; g++ {
		offs[g-from] = int32(a.starts[g] - a.starts[from])
		if g < to {
			valid[g-from] = a.starts[g+1] > a.starts[g]
		}
	}
	validBuf, nulls := validityFromBools(alloc, valid)
	data := array.NewData(arrow.ListOf(a.elem), n, []*memory.Buffer{validBuf, offBuf}, []arrow.ArrayData{values.Data()}, nulls, 0)
	offBuf.Release()
	releaseBuffer(validBuf)
	defer data.Release()
	return array.MakeFromData(data)
}

func (a *collectAcc) state(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	a.finalize()
	out := make([]arrow.Array, a.nvals)
	for c := range a.nvals {
		vals, err := a.gathered(alloc, c, from, to)
		if err != nil {
			releaseArrays(out)
			return nil, err
		}
		out[c] = a.list(alloc, vals, from, to)
		vals.Release()
	}
	return out, nil
}

func (a *collectAcc) final(alloc memory.Allocator, from, to int) (arrow.Array, error) {
	a.finalize()
	vals, err := a.gathered(alloc, 0, from, to)
	if err != nil {
		return nil, err
	}
	defer vals.Release()
	if !a.isString {
		return a.list(alloc, vals, from, to), nil
	}
	delims, err := a.gathered(alloc, 1, from, to)
	if err != nil {
		return nil, err
	}
	defer delims.Release()
	val, delim := binaryValues(vals), binaryValues(delims)
	dv := validityOf(delims)
	bld := array.NewBuilder(alloc, a.elem)
	defer bld.Release()
	var buf []byte
	for g := from; g < to; g++ {
		lo, hi := a.starts[g]-a.starts[from], a.starts[g+1]-a.starts[from]
		if lo == hi {
			bld.AppendNull()
			continue
		}
		buf = append(buf[:0], val(lo)...)
		for k := lo + 1; k < hi; k++ {
			if dv.ok(k) {
				buf = append(buf, delim(k)...)
			}
			buf = append(buf, val(k)...)
		}
		appendBytes(bld, buf)
	}
	return bld.NewArray(), nil
}

func (a *collectAcc) release() {
	for i := range a.chunks {
		a.chunks[i].batch.Release()
		a.chunks[i].gids.release()
	}
	a.chunks = nil
}
