package snowflake

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// handle is an immutable description of one Snowflake statement.
type handle struct {
	src *source
	obj connectors.Object
	q   *sqlgen.Query
	// scales are the described NUMBER scales of the base columns, by column ID.
	scales map[expr.ColumnID]int32
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

func newHandle(s *source, obj connectors.Object, cols []sqlgen.Column, scales []int32) (*handle, error) {
	var q *sqlgen.Query
	var err error
	if obj.Query != "" {
		q, err = sqlgen.SubQuery(s.dialect, obj.Query, cols)
	} else {
		var parts []string
		if parts, err = tableName(obj.Table); err != nil {
			return nil, err
		}
		q, err = sqlgen.Table(s.dialect, s.quotedName(parts), cols)
	}
	if err != nil {
		return nil, err
	}
	sc := map[expr.ColumnID]int32{}
	for i, c := range cols {
		sc[c.ID] = scales[i]
	}
	return &handle{src: s, obj: obj, q: q, scales: sc}, nil
}

func (h *handle) with(q *sqlgen.Query) *handle {
	if q == nil {
		return nil
	}
	c := *h
	c.q = q
	return &c
}

func nilIfNone(h *handle) connectors.TableHandle {
	if h == nil {
		return nil
	}
	return h
}

func (h *handle) Columns() []connectors.Column { return h.q.Columns() }

func (h *handle) Stats() connectors.Stats {
	if h.q.Splittable() && h.q.RowLimit() >= 0 {
		return connectors.Stats{Rows: float64(h.q.RowLimit()), Bytes: -1}
	}
	return connectors.Unknown
}

// Explain shows the exact SQL sent, with placeholders where values go.
func (h *handle) Explain() string {
	return "snowflake " + h.src.name + ": " + h.q.SQL() + " [one split per result chunk]"
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

func (h *handle) SameSource(other connectors.TableHandle) bool {
	o, ok := other.(*handle)
	return ok && o.src == h.src
}

func (h *handle) ApplyJoin(right connectors.TableHandle, kind expr.JoinKind, on expr.Expr) connectors.TableHandle {
	r, ok := right.(*handle)
	if !ok || r.src != h.src {
		return nil
	}
	j := h.with(h.q.Join(r.q, kind, on))
	if j == nil {
		return nil
	}
	j.scales = map[expr.ColumnID]int32{}
	for _, m := range []map[expr.ColumnID]int32{h.scales, r.scales} {
		for id, s := range m {
			j.scales[id] = s
		}
	}
	return j
}

// split is one result chunk of a statement run when the scan was planned, or the whole
// statement when it has parameters known only at scan time.
type split struct {
	// empty: the statement returned no chunk.
	empty bool
	batch *sf.ArrowBatch
	index int
	count int
}

func (s *split) String() string {
	switch {
	case s.empty:
		return "empty result"
	case s.batch == nil:
		return "whole result"
	}
	return fmt.Sprintf("result chunk %d of %d", s.index+1, s.count)
}

// arrowContext asks gosnowflake for Arrow batches with exact numbers (scaled integers or
// decimals, never floats) and microsecond timestamps.
func arrowContext(ctx context.Context, mem memory.Allocator) context.Context {
	ctx = sf.WithArrowBatches(ctx)
	ctx = sf.WithHigherPrecision(ctx)
	ctx = sf.WithArrowBatchesTimestampOption(ctx, sf.UseMicrosecondTimestamp)
	ctx = sf.WithArrowBatchesUtf8Validation(ctx)
	if mem != nil {
		ctx = sf.WithArrowAllocator(ctx, mem)
	}
	return ctx
}

// run executes a statement and returns its result chunks (not downloaded yet, except the
// first, which arrives with the answer).
func (h *handle) run(ctx context.Context, sql string, args []sqlgen.Arg, mem memory.Allocator) ([]*sf.ArrowBatch, error) {
	c, err := h.src.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	values := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := bindValue(a)
		if err != nil {
			return nil, err
		}
		values[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	what := "reading " + objectName(h.obj)
	var batches []*sf.ArrowBatch
	err = c.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errs.New(errs.KindInternal, "the Snowflake driver does not run queries on a raw connection")
		}
		rows, err := qc.QueryContext(arrowContext(ctx, mem), sql, values)
		if err != nil {
			return err
		}
		defer rows.Close()
		sr, ok := rows.(sf.SnowflakeRows)
		if !ok {
			return errs.New(errs.KindInternal, "the Snowflake driver returned rows without Arrow batches")
		}
		batches, err = sr.GetArrowBatches()
		return err
	})
	if err != nil {
		return nil, h.src.queryError(ctx, err, what)
	}
	return batches, nil
}

// bindValue converts a bound value to what gosnowflake sends as text or a number; the
// dialect's CAST(? AS type) gives it its type in Snowflake.
func bindValue(a sqlgen.Arg) (any, error) {
	switch v := a.Value.(type) {
	case nil, int64, float64, bool, string:
		return v, nil
	case decimal128.Num:
		return expr.FormatDecimal(v, a.Type.(*arrow.Decimal128Type).Scale), nil
	case arrow.Date32:
		return v.FormattedString(), nil
	case arrow.Timestamp:
		t := v.ToTime(arrow.Microsecond).UTC()
		if a.Type.(*arrow.TimestampType).TimeZone != "" {
			return t.Format("2006-01-02 15:04:05.999999 -07:00"), nil
		}
		return t.Format("2006-01-02 15:04:05.999999"), nil
	case []byte:
		return strings.ToUpper(fmt.Sprintf("%x", v)), nil
	}
	return nil, errs.NotSupportedf("binding a %T value to Snowflake", a.Value)
}

// Splits runs the statement and makes every result chunk a split. A statement with
// parameters known only at scan time is one split that runs it.
func (h *handle) Splits(ctx context.Context) ([]connectors.Split, error) {
	sql, args, err := h.q.Render(sqlgen.RenderOptions{})
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if a.Param > 0 {
			return []connectors.Split{&split{}}, nil
		}
	}
	batches, err := h.run(ctx, sql, args, nil)
	if err != nil {
		return nil, err
	}
	out := make([]connectors.Split, len(batches))
	for i, b := range batches {
		out[i] = &split{batch: b, index: i, count: len(batches)}
	}
	if len(out) == 0 {
		out = append(out, &split{empty: true})
	}
	return out, nil
}

// Scan returns a lazy reader of one split: the chunk is downloaded (or the statement run)
// on the first Next.
func (h *handle) Scan(ctx context.Context, sp connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	s, ok := sp.(*split)
	if !ok {
		return nil, errs.New(errs.KindInternal, "source %s: a split of another connector was passed to a snowflake scan", h.src.name)
	}
	if opts.Alloc == nil {
		return nil, errs.New(errs.KindInternal, "source %s: scan options carry no allocator", h.src.name)
	}
	cols := h.q.Columns()
	fields := make([]arrow.Field, len(cols))
	scales := make([]int32, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
		scales[i] = h.scales[c.ID]
	}
	r := &reader{h: h, ctx: ctx, split: s, params: opts.Params, mem: opts.Alloc, schema: arrow.NewSchema(fields, nil), scales: scales}
	r.refs.Store(1)
	return r, nil
}
