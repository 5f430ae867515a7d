package tpch

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// NewRecordReader streams the generated rows of one table at scale factor sf, block by block
// in key order, without touching disk: the same values Generate writes to Parquet. table is a
// dataset name ("lineitem") or a qualified one ("sales.lineitem"); mem defaults to
// memory.NewGoAllocator(). Like every array.RecordReader, a batch is valid until the next call
// to Next; Retain it to keep it. Reading ORDERS or LINEITEM generates both, since each
// depends on the other.
func NewRecordReader(ctx context.Context, table string, sf float64, mem memory.Allocator) (array.RecordReader, error) {
	s, err := newScale(sf)
	if err != nil {
		return nil, err
	}
	t, ok := LookupTable(table)
	if !ok {
		return nil, errs.New(errs.KindNotFound, "TPC-H has no table %q: use one of region, nation, supplier, customer, part, partsupp, orders, lineitem", table)
	}
	if mem == nil {
		mem = memory.NewGoAllocator()
	}
	g := newGenerator(s, mem)
	defs := tableDefs()
	for id := range tableCount {
		if defs[id].name == t.Name {
			return g.recordReader(ctx, id), nil
		}
	}
	return nil, errs.New(errs.KindInternal, "TPC-H table %s has no generator", t.Name)
}

// recordReader streams one table with this generator (sharing its text pool).
func (g *generator) recordReader(ctx context.Context, id tableID) array.RecordReader {
	for _, f := range g.families() {
		for i, fid := range f.tables {
			if fid == id {
				r := &blockReader{ctx: ctx, schema: g.schemas[id], family: f, index: i, blocks: blocks(f.units)}
				r.refs.Store(1)
				return r
			}
		}
	}
	return nil // unreachable: every table belongs to a family
}

// blockReader generates one block per Next.
type blockReader struct {
	refs   atomic.Int64
	ctx    context.Context
	schema *arrow.Schema
	family family
	index  int // position of the table in family.tables
	next   int64
	blocks int64
	cur    arrow.RecordBatch
	err    error
}

var _ array.RecordReader = (*blockReader)(nil)

func (r *blockReader) Retain() { r.refs.Add(1) }

func (r *blockReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *blockReader) Schema() *arrow.Schema { return r.schema }

func (r *blockReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || r.next >= r.blocks {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return false
	}
	recs := r.family.block(r.next)
	r.next++
	for i, rec := range recs {
		if i == r.index {
			r.cur = rec
		} else {
			rec.Release()
		}
	}
	return true
}

func (r *blockReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *blockReader) Record() arrow.RecordBatch { return r.cur }

func (r *blockReader) Err() error { return r.err }
