package snowflake

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
)

// reader streams one split: the records of its result chunk (or of every chunk of the
// statement it runs), converted to the handle's types. A chunk's records are released as
// they are converted (a split is read once); the driver allocates them with the scan's
// allocator.
type reader struct {
	h      *handle
	ctx    context.Context
	split  *split
	params []any
	mem    memory.Allocator
	schema *arrow.Schema
	scales []int32
	refs   atomic.Int64

	started bool
	batches []*sf.ArrowBatch
	recs    []arrow.Record //nolint:staticcheck // gosnowflake's type
	cur     arrow.RecordBatch
	err     error
	done    bool
}

func (r *reader) Schema() *arrow.Schema          { return r.schema }
func (r *reader) Err() error                     { return r.err }
func (r *reader) Retain()                        { r.refs.Add(1) }
func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *reader) Record() arrow.RecordBatch { return r.cur }

func (r *reader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
	r.done = true
}

func (r *reader) fail(err error) bool {
	r.err = err
	r.done = true
	return false
}

func (r *reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	what := "reading " + objectName(r.h.obj)
	if err := r.ctx.Err(); err != nil {
		return r.fail(r.h.src.queryError(r.ctx, err, what))
	}
	if !r.started {
		r.started = true
		if r.split.batch != nil {
			r.batches = []*sf.ArrowBatch{r.split.batch}
		} else if r.split.empty {
			r.done = true
			return false
		} else {
			sql, args, err := r.h.q.Render(sqlgen.RenderOptions{})
			if err != nil {
				return r.fail(err)
			}
			if args, err = sqlgen.BindArgs(args, r.params); err != nil {
				return r.fail(err)
			}
			if r.batches, err = r.h.run(r.ctx, sql, args, r.mem); err != nil {
				return r.fail(err)
			}
		}
	}
	for len(r.recs) == 0 {
		if len(r.batches) == 0 {
			r.done = true
			return false
		}
		b := r.batches[0]
		r.batches = r.batches[1:]
		recs, err := b.WithContext(arrowContext(r.ctx, r.mem)).Fetch()
		if err != nil {
			return r.fail(r.h.src.queryError(r.ctx, err, what))
		}
		if recs != nil {
			r.recs = *recs
		}
	}
	rec := r.recs[0]
	r.recs = r.recs[1:]
	out, err := r.convert(rec)
	// Each chunk is fetched by one scan: its records are released once converted.
	rec.Release()
	if err != nil {
		return r.fail(errs.Wrap(errs.KindOf(err), err, "source %s: %s", r.h.src.name, what))
	}
	r.cur = out
	return true
}

// convert turns a driver record into one of the handle's schema, column by position.
func (r *reader) convert(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if int(rec.NumCols()) != r.schema.NumFields() {
		return nil, errs.New(errs.KindInternal, "Snowflake returned %d columns, %d were asked for", rec.NumCols(), r.schema.NumFields())
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, col := range rec.Columns() {
		f := rec.Schema().Field(i)
		f.Name = r.schema.Field(i).Name
		out, err := convertColumn(r.ctx, r.mem, f, col, r.schema.Field(i).Type, r.scales[i])
		if err != nil {
			return nil, err
		}
		cols[i] = out
	}
	return array.NewRecordBatch(r.schema, cols, rec.NumRows()), nil
}
