package postgres

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

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
	mem       memory.Allocator
	batchRows int
	maxBytes  int
	what      string // "reading sales.orders", for errors
}

// reader streams one statement's rows as record batches. Nothing happens before the first
// Next; then it takes a connection, prepares the statement (unnamed) to learn the result
// types, picks one decoder per column, and runs it with binary results.
type reader struct {
	readerConfig
	ctx  context.Context
	refs atomic.Int64

	conn    *pgxpool.Conn
	rr      *pgconn.ResultReader
	decs    []decoder
	reserve int
	cur     arrow.RecordBatch
	err     error
	done    bool
}

var _ array.RecordReader = (*reader)(nil)

func newReader(ctx context.Context, cfg readerConfig) *reader {
	// The first batch reserves little: a pushed aggregate or a selective filter returns a
	// handful of rows, and builders grow by doubling when more come. A full batch makes the
	// next ones reserve the whole batch size.
	r := &reader{readerConfig: cfg, ctx: ctx, reserve: min(cfg.batchRows, 16)}
	r.refs.Store(1)
	return r
}

func (r *reader) Schema() *arrow.Schema { return r.schema }
func (r *reader) Err() error            { return r.err }
func (r *reader) Retain()               { r.refs.Add(1) }

func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *reader) Record() arrow.RecordBatch { return r.cur }

// Release frees the reader's batch and builders. A statement still running is abandoned:
// its connection is closed, since draining the rest of a large result would take as long as
// reading it.
func (r *reader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.finish(true)
	r.releaseBuilders()
	r.done = true
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
		return r.fail(r.src.queryError(r.ctx, err, r.what))
	}
	if r.rr == nil {
		if err := r.start(); err != nil {
			return r.fail(err)
		}
	}
	for _, d := range r.decs {
		d.builder().Reserve(r.reserve)
	}
	rows, size := 0, 0
	ended := false
	for rows < r.batchRows && size < r.maxBytes {
		// Cancellation is checked every 1024 rows; pgx also asks the server to stop.
		if rows&1023 == 1023 && r.ctx.Err() != nil {
			return r.fail(r.src.queryError(r.ctx, r.ctx.Err(), r.what))
		}
		if !r.rr.NextRow() {
			ended = true
			break
		}
		vals := r.rr.Values()
		for i, d := range r.decs {
			if err := d.append(vals[i]); err != nil {
				return r.fail(errs.Wrap(errs.KindOf(err), err, "source %s: %s", r.src.name, r.what))
			}
			size += len(vals[i])
		}
		rows++
	}
	if ended {
		_, err := r.rr.Close()
		r.rr = nil
		r.finish(false)
		r.done = true
		if err != nil {
			return r.fail(r.src.queryError(r.ctx, err, r.what))
		}
		if rows == 0 {
			r.releaseBuilders()
			return false
		}
	}
	cols := make([]arrow.Array, len(r.decs))
	for i, d := range r.decs {
		cols[i] = d.builder().NewArray()
	}
	r.cur = array.NewRecordBatch(r.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	if rows == r.batchRows {
		r.reserve = r.batchRows
	}
	if ended {
		r.releaseBuilders()
	}
	return true
}

// fail records err, stops the statement and returns false for Next.
func (r *reader) fail(err error) bool {
	if r.err == nil {
		r.err = err
	}
	r.finish(true)
	r.releaseBuilders()
	r.done = true
	return false
}

// finish gives the connection back (builders stay until the last batch is built). An
// unfinished statement is stopped: after a
// cancellation pgx has already asked the server to cancel it, so the rest drains quickly and
// the connection is reused; otherwise the connection is closed.
func (r *reader) finish(abandon bool) {
	if r.rr != nil {
		if r.ctx.Err() != nil {
			_, _ = r.rr.Close()
		} else if abandon {
			destroy(r.conn)
			r.conn, r.rr = nil, nil
		} else {
			_, _ = r.rr.Close()
		}
		r.rr = nil
	}
	if r.conn != nil {
		r.conn.Release()
		r.conn = nil
	}
}

func (r *reader) releaseBuilders() {
	for _, d := range r.decs {
		d.builder().Release()
	}
	r.decs = nil
}

// start takes a connection, prepares the statement and starts it.
func (r *reader) start() error {
	conn, err := r.src.acquire(r.ctx)
	if err != nil {
		return err
	}
	r.conn = conn
	pc := conn.Conn().PgConn()
	sd, err := pc.Prepare(r.ctx, "", r.sql, nil)
	if err != nil {
		return r.src.queryError(r.ctx, err, r.what)
	}
	if len(sd.Fields) != len(r.cols) {
		return errs.New(errs.KindInternal, "source %s: %s: the statement returns %d columns, the handle declares %d", r.src.name, r.what, len(sd.Fields), len(r.cols))
	}
	validate := pc.ParameterStatus("server_encoding") == "SQL_ASCII"
	formats := make([]int16, len(sd.Fields))
	for i, f := range sd.Fields {
		d, format, err := newDecoder(r.mem, r.cols[i].Name, f.DataTypeOID, r.cols[i].Type, validate)
		if err != nil {
			return errs.New(errs.KindInvalidArgument, "source %s: %s: column %s cannot be read as %s", r.src.name, r.what, r.cols[i].Name, expr.SQLTypeName(r.cols[i].Type))
		}
		r.decs = append(r.decs, d)
		formats[i] = format
	}
	values, paramFormats, err := encodeParams(sd.ParamOIDs, r.args)
	if err != nil {
		return errs.Wrap(errs.KindInternal, err, "source %s: %s", r.src.name, r.what)
	}
	r.rr = pc.ExecStatement(r.ctx, sd, values, paramFormats, formats)
	return nil
}

// encodeParams encodes bound values for the parameter types the server inferred (the SQL
// declares each with a cast). Fixed-width types travel in binary, numeric and text in text
// form.
func encodeParams(oids []uint32, args []sqlgen.Arg) ([][]byte, []int16, error) {
	if len(oids) != len(args) {
		return nil, nil, errs.New(errs.KindInternal, "the statement has %d parameters but %d values are bound", len(oids), len(args))
	}
	values := make([][]byte, len(args))
	formats := make([]int16, len(args))
	for i, a := range args {
		if a.Value == nil {
			continue
		}
		v, f, err := encodeParam(oids[i], a)
		if err != nil {
			return nil, nil, errs.New(errs.KindInternal, "parameter %d: %v", i+1, err)
		}
		values[i], formats[i] = v, f
	}
	return values, formats, nil
}

func encodeParam(oid uint32, a sqlgen.Arg) ([]byte, int16, error) {
	mismatch := func() ([]byte, int16, error) {
		return nil, 0, errs.New(errs.KindInternal, "a %s value cannot be sent as type oid %d", expr.SQLTypeName(a.Type), oid)
	}
	switch oid {
	case pgtype.BoolOID:
		b, ok := a.Value.(bool)
		if !ok {
			return mismatch()
		}
		if b {
			return []byte{1}, binaryFormat, nil
		}
		return []byte{0}, binaryFormat, nil
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		v, ok := a.Value.(int64)
		if !ok {
			return mismatch()
		}
		switch oid {
		case pgtype.Int2OID:
			if v < math.MinInt16 || v > math.MaxInt16 {
				return mismatch()
			}
			return binary.BigEndian.AppendUint16(nil, uint16(v)), binaryFormat, nil
		case pgtype.Int4OID:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return mismatch()
			}
			return binary.BigEndian.AppendUint32(nil, uint32(v)), binaryFormat, nil
		}
		return binary.BigEndian.AppendUint64(nil, uint64(v)), binaryFormat, nil
	case pgtype.Float4OID, pgtype.Float8OID:
		v, ok := a.Value.(float64)
		if !ok {
			return mismatch()
		}
		if oid == pgtype.Float4OID {
			return binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(v))), binaryFormat, nil
		}
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)), binaryFormat, nil
	case pgtype.NumericOID:
		switch v := a.Value.(type) {
		case decimal128.Num:
			return []byte(expr.FormatDecimal(v, a.Type.(*arrow.Decimal128Type).Scale)), textFormat, nil
		case int64:
			return strconv.AppendInt(nil, v, 10), textFormat, nil
		}
		return mismatch()
	case pgtype.ByteaOID:
		v, ok := a.Value.([]byte)
		if !ok {
			return mismatch()
		}
		return v, binaryFormat, nil
	case pgtype.DateOID:
		v, ok := a.Value.(arrow.Date32)
		if !ok {
			return mismatch()
		}
		return binary.BigEndian.AppendUint32(nil, uint32(int32(v)-pgEpochDays)), binaryFormat, nil
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		v, ok := a.Value.(arrow.Timestamp)
		if !ok {
			return mismatch()
		}
		return binary.BigEndian.AppendUint64(nil, uint64(int64(v)-pgEpochMicros)), binaryFormat, nil
	}
	// text, varchar, tid and other types given in their text form.
	if s, ok := a.Value.(string); ok {
		return []byte(s), textFormat, nil
	}
	return mismatch()
}
