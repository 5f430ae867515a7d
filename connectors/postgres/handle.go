package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// handle is an immutable description of one PostgreSQL statement: a sqlgen query plus how
// its base relation is split. Pushdown returns new handles with new queries.
type handle struct {
	src   *source
	rel   *relation
	q     *sqlgen.Query
	split splitPlan
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

type splitKind int

const (
	splitNone splitKind = iota
	splitCtid           // physical page ranges of a table
	splitKey            // ranges of an integer column
)

// splitPlan is how a handle's base relation is cut; n is the number of splits wanted.
type splitPlan struct {
	kind   splitKind
	n      int
	column string // splitKey: the source column
}

func newHandle(s *source, rel *relation, cols []sqlgen.Column) (*handle, error) {
	var q *sqlgen.Query
	var err error
	if rel.obj.Query != "" {
		q, err = sqlgen.SubQuery(s.dialect, rel.obj.Query, cols)
	} else {
		q, err = sqlgen.Table(s.dialect, rel.obj.Table, cols)
	}
	if err != nil {
		return nil, err
	}
	plan, err := s.planSplits(rel)
	if err != nil {
		return nil, err
	}
	return &handle{src: s, rel: rel, q: q, split: plan}, nil
}

// planSplits decides how the object is split: by the declared key column, else by ctid
// page ranges for tables on PostgreSQL 14+ (TID range scans), else not at all.
func (s *source) planSplits(rel *relation) (splitPlan, error) {
	n := 0
	if v, ok := rel.obj.Options[ObjectSplits]; ok && v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > 1024 {
			return splitPlan{}, errs.New(errs.KindInvalidArgument, "%s: option %s must be a number from 1 to 1024", objectName(rel.obj), ObjectSplits)
		}
		n = k
	}
	bySize := 1
	if rel.isTable && rel.bytes > 0 {
		bySize = int(min(int64(s.opts.MaxSplits), max(1, rel.bytes/s.opts.SplitBytes)))
	}
	if col := rel.obj.Options[ObjectSplitColumn]; col != "" {
		pc, err := findColumn(rel.columns, col, rel.obj)
		if err != nil {
			return splitPlan{}, err
		}
		if !isIntOID(pc.oid) {
			return splitPlan{}, errs.New(errs.KindInvalidArgument, "%s: option %s names column %s of type %s; it must be an integer column", objectName(rel.obj), ObjectSplitColumn, col, pc.typname)
		}
		if n == 0 {
			n = bySize
			if !rel.isTable {
				n = s.opts.MaxSplits
			}
		}
		return splitPlan{kind: splitKey, n: n, column: pc.name}, nil
	}
	if !rel.isTable || rel.kind == 'p' || s.serverVersion.Load() < 140000 {
		return splitPlan{kind: splitNone, n: 1}, nil
	}
	if n == 0 {
		n = bySize
	}
	return splitPlan{kind: splitCtid, n: n}, nil
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

// Stats are the table's reltuples and size while the handle reads it whole; a limit caps
// the rows; filters and aggregates make them unknown.
func (h *handle) Stats() connectors.Stats {
	if !h.rel.isTable || h.rel.tuples < 0 {
		return connectors.Unknown
	}
	switch {
	case h.q.Unfiltered():
		return connectors.Stats{Rows: h.rel.tuples, Bytes: float64(h.rel.bytes)}
	case h.q.Splittable() && h.q.RowLimit() >= 0:
		return connectors.Stats{Rows: min(h.rel.tuples, float64(h.q.RowLimit())), Bytes: -1}
	}
	return connectors.Unknown
}

// Explain shows the exact SQL sent, with placeholders where values go, and the splits.
func (h *handle) Explain() string {
	var b strings.Builder
	b.WriteString("postgres " + h.src.name + ": " + h.q.SQL())
	switch {
	case !h.q.Splittable() || h.split.n <= 1 || h.split.kind == splitNone:
		b.WriteString(" [1 split]")
	case h.split.kind == splitCtid:
		fmt.Fprintf(&b, " [up to %d splits by ctid page ranges]", h.split.n)
	case h.split.kind == splitKey:
		fmt.Fprintf(&b, " [up to %d splits by ranges of %s]", h.split.n, h.src.dialect.QuoteIdent(h.split.column))
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

func (h *handle) ApplyLimit(n int64) connectors.TableHandle {
	return nilIfNone(h.with(h.q.Limit(n)))
}

func (h *handle) ApplyTopN(keys []expr.SortKey, n int64) connectors.TableHandle {
	return nilIfNone(h.with(h.q.TopN(keys, n)))
}

func (h *handle) ApplyAggregate(groups []expr.NamedExpr, aggs []expr.AggCall) connectors.TableHandle {
	return nilIfNone(h.with(h.q.Aggregate(groups, aggs)))
}

// SameSource: two handles of one registered source share its pool, so one statement can
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

// nilIfNone turns a typed nil handle into a nil interface ("no change").
func nilIfNone(h *handle) connectors.TableHandle {
	if h == nil {
		return nil
	}
	return h
}

// split is one part of a handle's data: a ctid page range, a key range, or everything.
type split struct {
	kind splitKind
	// ctid: block range [lo, hi) of split index of count; the first has no lower bound, the
	// last no upper bound, so pages added since planning are still read exactly once.
	index, count int
	lo, hi       int64
	key          sqlgen.KeyRange
}

func (s *split) String() string {
	switch s.kind {
	case splitCtid:
		lo, hi := "0", "end"
		if s.index > 0 {
			lo = strconv.FormatInt(s.lo, 10)
		}
		if s.index < s.count-1 {
			hi = strconv.FormatInt(s.hi, 10)
		}
		return fmt.Sprintf("ctid pages [%s, %s) (%d of %d)", lo, hi, s.index+1, s.count)
	case splitKey:
		return s.key.String()
	}
	return "whole result"
}

// predicate renders the split's range into the base level of the statement.
func (s *split) predicate(b *sqlgen.SplitBuilder) string {
	if s.kind == splitKey {
		return s.key.Predicate(b)
	}
	var lower, upper string
	if s.index > 0 {
		lower = "ctid >= " + b.BindRaw(sqlgen.Arg{Type: expr.String, Value: tid(s.lo)}) + "::tid"
	}
	if s.index < s.count-1 {
		upper = "ctid < " + b.BindRaw(sqlgen.Arg{Type: expr.String, Value: tid(s.hi)}) + "::tid"
	}
	switch {
	case lower == "":
		return upper
	case upper == "":
		return lower
	}
	return "(" + lower + " AND " + upper + ")"
}

func tid(block int64) string { return "(" + strconv.FormatInt(block, 10) + ",0)" }

var wholeSplit connectors.Split = &split{kind: splitNone, count: 1}

// Splits cuts a splittable statement per the handle's plan. Anything aggregated, joined or
// too small is one split.
func (h *handle) Splits(ctx context.Context) ([]connectors.Split, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := h.split.n
	if !h.q.Splittable() || n <= 1 {
		return []connectors.Split{wholeSplit}, nil
	}
	switch h.split.kind {
	case splitCtid:
		blocks := h.rel.bytes / max(h.rel.pageSize, 1)
		bounds := sqlgen.CutRange(0, blocks-1, n)
		if blocks < 2 || len(bounds) <= 2 {
			return []connectors.Split{wholeSplit}, nil
		}
		out := make([]connectors.Split, len(bounds)-1)
		for i := range out {
			out[i] = &split{kind: splitCtid, index: i, count: len(out), lo: bounds[i], hi: bounds[i+1]}
		}
		return out, nil
	case splitKey:
		lo, hi, ok, err := h.keyRange(ctx)
		if err != nil {
			return nil, err
		}
		ranges := sqlgen.KeyRanges(h.split.column, lo, hi, n)
		if !ok || ranges == nil {
			return []connectors.Split{wholeSplit}, nil
		}
		out := make([]connectors.Split, len(ranges))
		for i, k := range ranges {
			out[i] = &split{kind: splitKey, key: k}
		}
		return out, nil
	}
	return []connectors.Split{wholeSplit}, nil
}

// keyRange reads the min and max of the split column; ok is false for no rows.
func (h *handle) keyRange(ctx context.Context) (lo, hi int64, ok bool, err error) {
	conn, err := h.src.acquire(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer conn.Release()
	col := h.src.dialect.QuoteIdent(h.split.column)
	var from string
	if h.rel.obj.Query != "" {
		from = "(" + strings.TrimRight(strings.TrimSpace(h.rel.obj.Query), ";") + ") AS q"
	} else {
		parts, _ := sqlgen.ParseTableName(h.rel.obj.Table)
		for i, p := range parts {
			parts[i] = h.src.dialect.QuoteIdent(p)
		}
		from = strings.Join(parts, ".")
	}
	var mn, mx pgtype.Int8
	if err := conn.QueryRow(ctx, "SELECT min("+col+")::int8, max("+col+")::int8 FROM "+from).Scan(&mn, &mx); err != nil {
		return 0, 0, false, h.src.queryError(ctx, err, "reading the range of split column "+h.split.column)
	}
	if !mn.Valid {
		return 0, 0, false, nil
	}
	return mn.Int64, mx.Int64, true, nil
}

// Scan returns a lazy reader of one split: the statement is prepared and run on the first
// Next, on a connection of its own.
func (h *handle) Scan(ctx context.Context, sp connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	s, ok := sp.(*split)
	if !ok {
		return nil, errs.New(errs.KindInternal, "source %s: a split of another connector was passed to a postgres scan", h.src.name)
	}
	var ro sqlgen.RenderOptions
	if s.kind != splitNone {
		if !h.q.Splittable() {
			return nil, errs.New(errs.KindInternal, "source %s: a range split was passed to a statement that cannot be split", h.src.name)
		}
		ro.Split = s.predicate
	}
	sql, args, err := h.q.Render(ro)
	if err != nil {
		return nil, err
	}
	if args, err = sqlgen.BindArgs(args, opts.Params); err != nil {
		return nil, err
	}
	cols := h.q.Columns()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	batch := opts.BatchRows
	if batch <= 0 {
		batch = h.src.opts.DefaultBatchRows
	}
	alloc := opts.Alloc
	if alloc == nil {
		return nil, errs.New(errs.KindInternal, "source %s: scan options carry no allocator", h.src.name)
	}
	return newReader(ctx, readerConfig{
		src: h.src, sql: sql, args: args, schema: arrow.NewSchema(fields, nil), cols: cols,
		mem: alloc, batchRows: batch, maxBytes: h.src.opts.MaxBatchBytes, what: "reading " + objectName(h.rel.obj),
	}), nil
}
