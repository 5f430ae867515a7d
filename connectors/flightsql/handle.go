package flightsql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// handle is an immutable description of one remote statement: a sqlgen query plus how its
// base relation may be cut into key ranges. Pushdown returns new handles with new queries.
type handle struct {
	src *source
	obj connectors.Object
	q   *sqlgen.Query
	// splitColumn and splits: cut the base relation into ranges of this integer column.
	splitColumn string
	splits      int
}

var (
	_ connectors.TableHandle        = (*handle)(nil)
	_ connectors.FilterPushdown     = (*handle)(nil)
	_ connectors.ProjectionPushdown = (*handle)(nil)
	_ connectors.LimitPushdown      = (*handle)(nil)
	_ connectors.TopNPushdown       = (*handle)(nil)
	_ connectors.AggregatePushdown  = (*handle)(nil)
	_ connectors.JoinPushdown       = (*handle)(nil)
	_ connectors.SameSource         = (*handle)(nil)
)

func newHandle(s *source, obj connectors.Object, cols []sqlgen.Column, remote *arrow.Schema) (*handle, error) {
	var q *sqlgen.Query
	var err error
	if obj.Query != "" {
		q, err = sqlgen.SubQuery(s.dialect, obj.Query, cols)
	} else {
		q, err = sqlgen.Table(s.dialect, obj.Table, cols)
	}
	if err != nil {
		return nil, err
	}
	h := &handle{src: s, obj: obj, q: q}
	if col := obj.Options[ObjectSplitColumn]; col != "" {
		f, err := findField(remote, col, obj)
		if err != nil {
			return nil, err
		}
		if mapped, _ := gatewayType(f.Type); !expr.IsInteger(mapped) {
			return nil, errs.New(errs.KindInvalidArgument, "%s: option %s names column %s of type %s; it must be an integer column", objectName(obj), ObjectSplitColumn, col, f.Type)
		}
		h.splitColumn, h.splits = f.Name, s.opts.MaxSplits
	}
	if v, ok := obj.Options[ObjectSplits]; ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return nil, errs.New(errs.KindInvalidArgument, "%s: option %s must be a number from 1 to 1024", objectName(obj), ObjectSplits)
		}
		if h.splitColumn == "" && n > 1 {
			return nil, errs.New(errs.KindInvalidArgument, "%s: option %s needs option %s, the integer column to cut into ranges (a Flight SQL server splits its results into endpoints by itself)", objectName(obj), ObjectSplits, ObjectSplitColumn)
		}
		h.splits = n
	}
	return h, nil
}

func (h *handle) with(q *sqlgen.Query) *handle {
	if q == nil {
		return nil
	}
	c := *h
	c.q = q
	return &c
}

func (h *handle) Columns() []connectors.Column { return h.q.Columns() }

// Stats: a Flight SQL server reports no statistics the connector relies on.
func (h *handle) Stats() connectors.Stats {
	if h.q.Splittable() && h.q.RowLimit() >= 0 {
		return connectors.Stats{Rows: float64(h.q.RowLimit()), Bytes: -1}
	}
	return connectors.Unknown
}

func (h *handle) keySplit() bool { return h.splitColumn != "" && h.splits > 1 && h.q.Splittable() }

// Explain shows the exact SQL sent, with placeholders where values go, and how it is split.
func (h *handle) Explain() string {
	var b strings.Builder
	b.WriteString("flightsql " + h.src.name + ": " + h.q.SQL())
	if h.keySplit() {
		fmt.Fprintf(&b, " [up to %d splits by ranges of %s]", h.splits, h.src.dialect.QuoteIdent(h.splitColumn))
	} else {
		b.WriteString(" [one split per endpoint]")
	}
	return b.String()
}

func (h *handle) ApplyFilter(conjuncts []expr.Expr) (connectors.TableHandle, []connectors.FilterSupport) {
	q, support := h.q.Filter(conjuncts)
	if q == nil {
		return nil, support
	}
	return h.with(q), support
}

func (h *handle) ApplyProjection(ids []expr.ColumnID) connectors.TableHandle {
	return nilIfNone(h.with(h.q.Project(ids)))
}

func (h *handle) ApplyLimit(n int64) connectors.TableHandle { return nilIfNone(h.with(h.q.Limit(n))) }

func (h *handle) ApplyTopN(keys []expr.SortKey, n int64) connectors.TableHandle {
	return nilIfNone(h.with(h.q.TopN(keys, n)))
}

func (h *handle) ApplyAggregate(groups []expr.NamedExpr, aggs []expr.AggCall) connectors.TableHandle {
	return nilIfNone(h.with(h.q.Aggregate(groups, aggs)))
}

// SameSource: two handles of one registered source reach one server, so one statement can
// join them.
func (h *handle) SameSource(other connectors.TableHandle) bool {
	o, ok := other.(*handle)
	return ok && o.src == h.src
}

func (h *handle) ApplyJoin(right connectors.TableHandle, kind expr.JoinKind, on expr.Expr) connectors.TableHandle {
	r, ok := right.(*handle)
	if !ok || r.src != h.src {
		return nil
	}
	return nilIfNone(h.with(h.q.Join(r.q, kind, on)))
}

func nilIfNone(h *handle) connectors.TableHandle {
	if h == nil {
		return nil
	}
	return h
}

// split is one part of a handle's data: a key range (its own statement), endpoints of a
// statement already run (read in order), or the whole statement run at scan time.
type split struct {
	key       *sqlgen.KeyRange
	endpoints []*flight.FlightEndpoint
	index     int // endpoint splits: which of count
	count     int
}

func (s *split) String() string {
	switch {
	case s.key != nil:
		return s.key.String()
	case s.endpoints != nil && s.count > 1:
		return fmt.Sprintf("endpoint %d of %d", s.index+1, s.count)
	case s.endpoints != nil:
		return fmt.Sprintf("%d endpoints in order", len(s.endpoints))
	}
	return "whole result"
}

// hasStatementParams reports whether a rendered statement binds a parameter known only at
// scan time.
func hasStatementParams(args []sqlgen.Arg) bool {
	for _, a := range args {
		if a.Param > 0 {
			return true
		}
	}
	return false
}

// Splits: key ranges when the object declares a split column; otherwise the statement is
// run now and each endpoint of an unordered result is a split. A statement with parameters
// known only at scan time is one split run by the scan.
func (h *handle) Splits(ctx context.Context) ([]connectors.Split, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if h.keySplit() {
		lo, hi, ok, err := h.keyRange(ctx)
		if err != nil {
			return nil, err
		}
		ranges := sqlgen.KeyRanges(h.splitColumn, lo, hi, h.splits)
		if ok && ranges != nil {
			out := make([]connectors.Split, len(ranges))
			for i := range ranges {
				out[i] = &split{key: &ranges[i]}
			}
			return out, nil
		}
	}
	sql, args, err := h.q.Render(sqlgen.RenderOptions{})
	if err != nil {
		return nil, err
	}
	if hasStatementParams(args) {
		return []connectors.Split{&split{}}, nil
	}
	info, err := h.src.execute(ctx, sql, args, "running "+objectName(h.obj))
	if err != nil {
		return nil, err
	}
	eps := info.GetEndpoint()
	if len(eps) <= 1 || info.GetOrdered() {
		if eps == nil {
			eps = []*flight.FlightEndpoint{}
		}
		return []connectors.Split{&split{endpoints: eps, count: 1}}, nil
	}
	out := make([]connectors.Split, len(eps))
	for i, ep := range eps {
		out[i] = &split{endpoints: []*flight.FlightEndpoint{ep}, index: i, count: len(eps)}
	}
	return out, nil
}

// keyRange reads the min and max of the split column; ok is false for no rows.
func (h *handle) keyRange(ctx context.Context) (lo, hi int64, ok bool, err error) {
	col := h.src.dialect.QuoteIdent(h.splitColumn)
	var from string
	if h.obj.Query != "" {
		from = "(" + strings.TrimRight(strings.TrimSpace(h.obj.Query), ";") + ") AS q"
	} else {
		parts, _ := sqlgen.ParseTableName(h.obj.Table)
		for i, p := range parts {
			parts[i] = h.src.dialect.QuoteIdent(p)
		}
		from = strings.Join(parts, ".")
	}
	what := "reading the range of split column " + h.splitColumn
	sql := "SELECT CAST(min(" + col + ") AS bigint), CAST(max(" + col + ") AS bigint) FROM " + from
	info, err := h.src.execute(ctx, sql, nil, what)
	if err != nil {
		return 0, 0, false, err
	}
	err = h.src.readAll(ctx, info, func(rec arrow.RecordBatch) error {
		if rec.NumRows() == 0 || rec.NumCols() != 2 {
			return nil
		}
		mn, ok1 := rec.Column(0).(*array.Int64)
		mx, ok2 := rec.Column(1).(*array.Int64)
		if !ok1 || !ok2 {
			return errs.New(errs.KindInternal, "source %s: %s: the server answered with types %s and %s", h.src.name, what, rec.Column(0).DataType(), rec.Column(1).DataType())
		}
		if mn.IsValid(0) && mx.IsValid(0) {
			lo, hi, ok = mn.Value(0), mx.Value(0), true
		}
		return nil
	})
	return lo, hi, ok, err
}

// Scan returns a lazy reader of one split: nothing is sent to the server before the first
// Next.
func (h *handle) Scan(ctx context.Context, sp connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	s, ok := sp.(*split)
	if !ok {
		return nil, errs.New(errs.KindInternal, "source %s: a split of another connector was passed to a flightsql scan", h.src.name)
	}
	if opts.Alloc == nil {
		return nil, errs.New(errs.KindInternal, "source %s: scan options carry no allocator", h.src.name)
	}
	cols := h.q.Columns()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	batchRows := int64(opts.BatchRows)
	if batchRows <= 0 {
		batchRows = defaultBatchRows
	}
	r := &reader{h: h, ctx: ctx, split: s, params: opts.Params, mem: opts.Alloc, schema: arrow.NewSchema(fields, nil), batchRows: batchRows,
		what: "reading " + objectName(h.obj)}
	r.refs.Store(1)
	if s.endpoints != nil {
		r.endpoints = s.endpoints
		r.started = true
	}
	return r, nil
}
