package flightsql

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// execute runs a statement on the server and returns where its result is. Statements with
// values run as prepared statements with the values bound as parameters; the SQL text never
// holds a value.
func (s *source) execute(ctx context.Context, sql string, args []sqlgen.Arg, what string) (*flight.FlightInfo, error) {
	var info *flight.FlightInfo
	err := s.call(ctx, what, func(ctx context.Context) error {
		if len(args) == 0 {
			var err error
			info, err = s.client.Execute(ctx, sql)
			return err
		}
		prep, err := s.client.Prepare(ctx, sql)
		if err != nil {
			return err
		}
		defer func() { _ = prep.Close(context.WithoutCancel(ctx)) }()
		params, err := paramBatch(args)
		if err != nil {
			return err
		}
		prep.SetParameters(params)
		params.Release()
		info, err = prep.Execute(ctx)
		return err
	})
	return info, err
}

// paramBatch is the one-row batch of bound values, "$1", "$2", ... in placeholder order.
func paramBatch(args []sqlgen.Arg) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, len(args))
	for i, a := range args {
		fields[i] = arrow.Field{Name: fmt.Sprintf("$%d", i+1), Type: a.Type, Nullable: true}
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, a := range args {
		if a.Param > 0 {
			return nil, errs.New(errs.KindInternal, "statement parameter $%d was not bound before running", a.Param)
		}
		if err := expr.AppendValue(b.Field(i), a.Value); err != nil {
			return nil, errs.Wrap(errs.KindInternal, err, "binding value %d", i+1)
		}
	}
	return b.NewRecordBatch(), nil
}

// openStream starts reading one endpoint: from the first of its locations that answers, or
// from the source's own server when it names none.
func (s *source) openStream(ctx context.Context, ep *flight.FlightEndpoint, mem memory.Allocator, what string) (*flight.Reader, error) {
	locs := ep.GetLocation()
	if len(locs) == 0 {
		locs = []*flight.Location{{}}
	}
	var lastErr error
	for _, loc := range locs {
		client, err := s.clientFor(loc)
		if err != nil {
			lastErr = err
			continue
		}
		var rdr *flight.Reader
		err = s.call(ctx, what, func(ctx context.Context) error {
			stream, err := client.Client.DoGet(ctx, ep.GetTicket())
			if err != nil {
				return err
			}
			rdr, err = flight.NewRecordReader(stream, ipc.WithAllocator(mem))
			return err
		})
		if err == nil {
			return rdr, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// readAll reads every endpoint of info in order, passing each batch to f (metadata
// answers: small results read whole).
func (s *source) readAll(ctx context.Context, info *flight.FlightInfo, f func(arrow.RecordBatch) error) error {
	for _, ep := range info.GetEndpoint() {
		rdr, err := s.openStream(ctx, ep, memory.DefaultAllocator, "reading a result")
		if err != nil {
			return err
		}
		for rdr.Next() {
			if err := f(rdr.RecordBatch()); err != nil {
				rdr.Release()
				return err
			}
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			return s.callError(ctx, err, "reading a result")
		}
	}
	return nil
}

// reader streams one split: it runs the split's statement on the first Next (unless the
// split carries endpoints already), then reads the endpoints in order, converting each
// batch to the handle's column types.
type reader struct {
	h      *handle
	ctx    context.Context
	split  *split
	params []any
	mem    memory.Allocator
	schema *arrow.Schema
	what   string
	refs   atomic.Int64

	started   bool
	endpoints []*flight.FlightEndpoint
	next      int
	stream    *flight.Reader
	holding   bool // a stream slot of the source is held
	cur       arrow.RecordBatch
	err       error
	done      bool
	// pending is a converted remote batch larger than batchRows, handed out in slices from
	// offset on.
	pending   arrow.RecordBatch
	offset    int64
	batchRows int64
}

func (r *reader) Schema() *arrow.Schema          { return r.schema }
func (r *reader) Err() error                     { return r.err }
func (r *reader) Retain()                        { r.refs.Add(1) }
func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *reader) Record() arrow.RecordBatch { return r.cur }

// Release frees the current batch and stops the stream being read, if any.
func (r *reader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.dropPending()
	r.closeStream()
	r.done = true
}

func (r *reader) dropPending() {
	if r.pending != nil {
		r.pending.Release()
		r.pending = nil
	}
}

// slice hands out the next part of the pending batch, at most batchRows rows.
func (r *reader) slice() {
	end := min(r.offset+r.batchRows, r.pending.NumRows())
	if r.offset == 0 && end == r.pending.NumRows() {
		r.cur, r.pending = r.pending, nil
		return
	}
	r.cur = r.pending.NewSlice(r.offset, end)
	r.offset = end
	if end == r.pending.NumRows() {
		r.dropPending()
	}
}

func (r *reader) closeStream() {
	if r.stream != nil {
		r.stream.Release()
		r.stream = nil
	}
	if r.holding {
		<-r.h.src.streams
		r.holding = false
	}
}

func (r *reader) fail(err error) bool {
	r.err = err
	r.dropPending()
	r.closeStream()
	r.done = true
	return false
}

// start runs the split's statement and learns its endpoints.
func (r *reader) start() error {
	var ro sqlgen.RenderOptions
	if r.split.key != nil {
		if !r.h.q.Splittable() {
			return errs.New(errs.KindInternal, "source %s: a range split was passed to a statement that cannot be split", r.h.src.name)
		}
		ro.Split = r.split.key.Predicate
	}
	sql, args, err := r.h.q.Render(ro)
	if err != nil {
		return err
	}
	if args, err = sqlgen.BindArgs(args, r.params); err != nil {
		return err
	}
	info, err := r.h.src.execute(r.ctx, sql, args, r.what)
	if err != nil {
		return err
	}
	r.endpoints = info.GetEndpoint()
	return nil
}

func (r *reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		return r.fail(r.h.src.callError(r.ctx, err, r.what))
	}
	if r.pending != nil {
		r.slice()
		return true
	}
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			return r.fail(err)
		}
	}
	for {
		if r.stream == nil {
			if r.next >= len(r.endpoints) {
				r.done = true
				return false
			}
			select {
			case r.h.src.streams <- struct{}{}:
				r.holding = true
			case <-r.ctx.Done():
				return r.fail(r.h.src.callError(r.ctx, r.ctx.Err(), r.what))
			}
			stream, err := r.h.src.openStream(r.ctx, r.endpoints[r.next], r.mem, r.what)
			r.next++
			if err != nil {
				return r.fail(err)
			}
			r.stream = stream
		}
		if r.stream.Next() {
			rec := r.stream.RecordBatch()
			if rec.NumRows() == 0 {
				continue
			}
			out, err := r.convert(rec)
			if err != nil {
				return r.fail(err)
			}
			r.pending, r.offset = out, 0
			r.slice()
			return true
		}
		if err := r.stream.Err(); err != nil {
			return r.fail(r.h.src.callError(r.ctx, err, r.what))
		}
		r.closeStream()
	}
}

// convert turns a remote batch into one of the handle's schema: columns by position, each
// kept, cast losslessly or formatted as text.
func (r *reader) convert(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if int(rec.NumCols()) != r.schema.NumFields() {
		return nil, errs.New(errs.KindInternal, "source %s: %s: the server returned %d columns, %d were asked for", r.h.src.name, r.what, rec.NumCols(), r.schema.NumFields())
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
		want := r.schema.Field(i).Type
		conv, ok := conversionFor(col.DataType(), want)
		if !ok {
			return nil, errs.New(errs.KindFailedPrecondition, "source %s: %s: column %s arrived as %s, which cannot be read as %s; the remote table changed since the dataset was registered",
				r.h.src.name, r.what, r.schema.Field(i).Name, col.DataType(), expr.SQLTypeName(want))
		}
		switch conv {
		case convSame:
			col.Retain()
			cols[i] = col
		case convCast:
			out, err := compute.CastArray(compute.WithAllocator(r.ctx, r.mem), col, compute.SafeCastOptions(want))
			if err != nil {
				return nil, errs.New(errs.KindInvalidArgument, "source %s: %s: column %s: a value of type %s does not fit %s", r.h.src.name, r.what, r.schema.Field(i).Name, col.DataType(), expr.SQLTypeName(want))
			}
			cols[i] = out
		case convFormat:
			b := array.NewStringBuilder(r.mem)
			b.Reserve(col.Len())
			for j := 0; j < col.Len(); j++ {
				if col.IsNull(j) {
					b.AppendNull()
				} else {
					b.Append(col.ValueStr(j))
				}
			}
			cols[i] = b.NewArray()
			b.Release()
		}
	}
	return array.NewRecordBatch(r.schema, cols, rec.NumRows()), nil
}
