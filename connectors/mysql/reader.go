package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

type readerConfig struct {
	src       *source
	sql       string
	args      []sqlgen.Arg
	schema    *arrow.Schema
	cols      []connectors.Column
	validate  []bool // per column: text read from a binary string, checked for UTF-8
	mem       memory.Allocator
	batchRows int
	maxBytes  int
	what      string
}

// reader streams one statement's rows as record batches. database/sql lets a driver
// connection be used only inside Conn.Raw, so the statement runs on a producer goroutine
// inside Raw and hands each batch over an unbuffered channel: it reads ahead by at most one
// batch. Nothing happens before the first Next.
type reader struct {
	readerConfig
	ctx  context.Context
	refs atomic.Int64

	stop    context.CancelFunc // stops the producer (and, through the driver, the statement)
	batches chan arrow.RecordBatch
	exited  chan struct{}
	perr    error // the producer's error, read after exited is closed

	cur  arrow.RecordBatch
	err  error
	done bool
}

var _ array.RecordReader = (*reader)(nil)

func newReader(ctx context.Context, cfg readerConfig) *reader {
	r := &reader{readerConfig: cfg, ctx: ctx}
	r.refs.Store(1)
	return r
}

func (r *reader) Schema() *arrow.Schema          { return r.schema }
func (r *reader) Err() error                     { return r.err }
func (r *reader) Retain()                        { r.refs.Add(1) }
func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *reader) Record() arrow.RecordBatch { return r.cur }

// Release stops a running statement and waits for the producer to give its connection back,
// so no connection or buffer outlives the reader.
func (r *reader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.shutdown()
	r.done = true
}

func (r *reader) shutdown() {
	if r.stop == nil {
		return
	}
	r.stop()
	for b := range r.batches { // a batch sent before the producer saw the stop
		b.Release()
	}
	<-r.exited
	r.stop = nil
}

func (r *reader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	if r.stop == nil {
		if err := r.ctx.Err(); err != nil {
			return r.fail(r.src.queryError(r.ctx, err, r.what))
		}
		pctx, stop := context.WithCancel(r.ctx)
		r.stop, r.batches, r.exited = stop, make(chan arrow.RecordBatch), make(chan struct{})
		go r.produce(pctx)
	}
	select {
	case b, ok := <-r.batches:
		if ok {
			r.cur = b
			return true
		}
		<-r.exited
		r.stop = nil
		r.done = true
		if r.perr != nil {
			r.err = r.perr
		}
		return false
	case <-r.ctx.Done():
		r.shutdown()
		return r.fail(r.src.queryError(r.ctx, r.ctx.Err(), r.what))
	}
}

func (r *reader) fail(err error) bool {
	if r.err == nil {
		r.err = err
	}
	r.shutdown()
	r.done = true
	return false
}

// produce runs the statement and sends batches until the result ends, an error occurs or ctx
// is cancelled (then the driver closes the connection, which database/sql discards).
func (r *reader) produce(ctx context.Context) {
	defer close(r.exited)
	defer close(r.batches)
	conn, err := r.src.conn(ctx)
	if err != nil {
		r.perr = err
		return
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error { return r.run(ctx, dc) })
	if err != nil && r.perr == nil {
		r.perr = r.src.queryError(ctx, err, r.what)
	}
}

// errStopped ends Raw's callback when the consumer went away.
var errStopped = errors.New("stopped")

func (r *reader) run(parent context.Context, dc any) error {
	// Cancelling ctx makes the driver close the connection, the quick way to abandon a
	// result (draining it could take as long as reading it); only failures do that.
	ctx, abandon := context.WithCancel(parent)
	defer abandon()
	prep, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return errs.New(errs.KindInternal, "source %s: the MySQL driver cannot prepare statements", r.src.name)
	}
	stmt, err := prep.PrepareContext(ctx, r.sql)
	if err != nil {
		return err
	}
	defer stmt.Close()
	sq, ok := stmt.(driver.StmtQueryContext)
	if !ok {
		return errs.New(errs.KindInternal, "source %s: the MySQL driver cannot run prepared queries", r.src.name)
	}
	args, err := driverArgs(r.args)
	if err != nil {
		return err
	}
	rows, err := sq.QueryContext(ctx, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	if n := len(rows.Columns()); n != len(r.cols) {
		return errs.New(errs.KindInternal, "source %s: %s: the statement returns %d columns, the handle declares %d", r.src.name, r.what, n, len(r.cols))
	}
	decs := make([]decoder, len(r.cols))
	defer func() {
		for _, d := range decs {
			if d != nil {
				d.builder().Release()
			}
		}
	}()
	for i, c := range r.cols {
		if decs[i], err = newDecoder(r.mem, c.Name, c.Type, r.validate[i]); err != nil {
			return errs.New(errs.KindInvalidArgument, "source %s: %s: column %s cannot be read as %s", r.src.name, r.what, c.Name, expr.SQLTypeName(c.Type))
		}
	}
	dest := make([]driver.Value, len(r.cols))
	reserve := min(r.batchRows, 1024)
	for {
		for _, d := range decs {
			d.builder().Reserve(reserve)
		}
		n, size := 0, 0
		ended := false
		for n < r.batchRows && size < r.maxBytes {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					ended = true
					break
				}
				abandon()
				return err
			}
			for i, d := range decs {
				if err := d.append(dest[i]); err != nil {
					r.perr = errs.Wrap(errs.KindOf(err), err, "source %s: %s", r.src.name, r.what)
					abandon()
					return errStopped
				}
				if b, ok := dest[i].([]byte); ok {
					size += len(b)
				}
			}
			n++
		}
		if n > 0 {
			cols := make([]arrow.Array, len(decs))
			for i, d := range decs {
				cols[i] = d.builder().NewArray()
			}
			rec := array.NewRecordBatch(r.schema, cols, int64(n))
			for _, c := range cols {
				c.Release()
			}
			select {
			case r.batches <- rec:
			case <-ctx.Done():
				rec.Release()
				return errStopped
			}
			if n == r.batchRows {
				reserve = r.batchRows
			}
		}
		if ended {
			return nil
		}
	}
}

// driverArgs turns bound values into the driver's parameter values; decimals, dates and
// timestamps travel as text the SQL casts (CAST(? AS DECIMAL(p,s)) and so on).
func driverArgs(args []sqlgen.Arg) ([]driver.NamedValue, error) {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i].Ordinal = i + 1
		switch v := a.Value.(type) {
		case nil, bool, int64, float64, string, []byte:
			out[i].Value = v
		case decimal128.Num:
			out[i].Value = expr.FormatDecimal(v, a.Type.(*arrow.Decimal128Type).Scale)
		case arrow.Date32:
			out[i].Value = v.FormattedString()
		case arrow.Timestamp:
			out[i].Value = v.ToTime(arrow.Microsecond).UTC().Format("2006-01-02 15:04:05.999999")
		default:
			return nil, errs.New(errs.KindInternal, "a %s value cannot be bound for MySQL", expr.SQLTypeName(a.Type))
		}
	}
	return out, nil
}
