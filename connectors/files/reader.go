package files

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// batchSource is one split's data in one format. open runs on the first Next; next returns
// a batch already in the output schema, owned by the caller, or nil at the end; close
// releases files and buffers and may be called after a failed open.
type batchSource interface {
	open(ctx context.Context) error
	next() (arrow.RecordBatch, error)
	close()
}

// recordReader is the array.RecordReader Scan returns. It opens its source lazily, checks
// the context before every batch, caps the rows at the handle's limit and releases the
// source as soon as the data ends, fails or the reader is released.
type recordReader struct {
	refs      atomic.Int64
	ctx       context.Context
	schema    *arrow.Schema
	src       batchSource
	remaining int64 // rows still allowed; -1 for no limit

	opened bool
	done   bool
	cur    arrow.RecordBatch
	err    error
}

var _ array.RecordReader = (*recordReader)(nil)

func newRecordReader(ctx context.Context, schema *arrow.Schema, src batchSource, limit int64) *recordReader {
	r := &recordReader{ctx: ctx, schema: schema, src: src, remaining: limit}
	r.refs.Add(1)
	return r
}

func (r *recordReader) Schema() *arrow.Schema { return r.schema }

func (r *recordReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.finish(err)
		return false
	}
	if r.remaining == 0 {
		r.finish(nil)
		return false
	}
	if !r.opened {
		r.opened = true
		if err := r.src.open(r.ctx); err != nil {
			r.finish(err)
			return false
		}
	}
	for {
		rec, err := r.src.next()
		if err != nil {
			r.finish(err)
			return false
		}
		if rec == nil {
			r.finish(nil)
			return false
		}
		if rec.NumRows() == 0 {
			rec.Release()
			if err := r.ctx.Err(); err != nil {
				r.finish(err)
				return false
			}
			continue
		}
		if r.remaining >= 0 {
			if rec.NumRows() > r.remaining {
				sliced := rec.NewSlice(0, r.remaining)
				rec.Release()
				rec = sliced
			}
			r.remaining -= rec.NumRows()
		}
		r.cur = rec
		return true
	}
}

// finish ends the stream: a nil err is a normal end.
func (r *recordReader) finish(err error) {
	r.done = true
	r.err = err
	r.src.close()
}

func (r *recordReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch, kept for the array.RecordReader interface.
func (r *recordReader) Record() arrow.RecordBatch { return r.cur }

func (r *recordReader) Err() error { return r.err }

func (r *recordReader) Retain() { r.refs.Add(1) }

func (r *recordReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if !r.done {
		r.done = true
		r.src.close()
	}
}
