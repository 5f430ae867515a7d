package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// handle is an immutable description of one MySQL statement: a sqlgen query and its split
// plan. Pushdown returns new handles with new queries.
type handle struct {
	src    *source
	rel    *relation
	q      *sqlgen.Query
	splits int    // wanted key-range splits (1: none)
	key    string // split column
	// binaryText are the columns whose source type is a binary string read as text: their
	// values are checked for UTF-8.
	binaryText map[expr.ColumnID]bool
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
	h := &handle{src: s, rel: rel, q: q, splits: 1, binaryText: map[expr.ColumnID]bool{}}
	for _, c := range cols {
		mc, _ := findColumn(rel.columns, c.Name, rel.obj)
		if nat, _ := mc.natural(); nat.ID() == arrow.BINARY && expr.IsString(c.Type) {
			h.binaryText[c.ID] = true
		}
	}
	if col := rel.obj.Options[ObjectSplitColumn]; col != "" {
		mc, err := findColumn(rel.columns, col, rel.obj)
		if err != nil {
			return nil, err
		}
		switch mc.dataType {
		case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		default:
			return nil, errs.New(errs.KindInvalidArgument, "%s: option %s names column %s of type %s; it must be an integer column", objectName(rel.obj), ObjectSplitColumn, col, mc.columnType)
		}
		h.key, h.splits = mc.name, s.opts.DefaultSplits
	}
	if v := rel.obj.Options[ObjectSplits]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return nil, errs.New(errs.KindInvalidArgument, "%s: option %s must be a number from 1 to 1024", objectName(rel.obj), ObjectSplits)
		}
		if h.key != "" {
			h.splits = n
		}
	}
	return h, nil
}

func (h *handle) with(q *sqlgen.Query) connectors.TableHandle {
	if q == nil {
		return nil
	}
	c := *h
	c.q = q
	return &c
}

func (h *handle) Columns() []connectors.Column { return h.q.Columns() }

// Stats are information_schema's TABLE_ROWS (an InnoDB estimate) while the handle reads a
// table whole; a limit caps them; filters and aggregates make them unknown.
func (h *handle) Stats() connectors.Stats {
	if !h.rel.isTable || h.rel.rows < 0 {
		return connectors.Unknown
	}
	switch {
	case h.q.Unfiltered():
		return connectors.Stats{Rows: h.rel.rows, Bytes: h.rel.bytes}
	case h.q.Splittable() && h.q.RowLimit() >= 0:
		return connectors.Stats{Rows: min(h.rel.rows, float64(h.q.RowLimit())), Bytes: -1}
	}
	return connectors.Unknown
}

// Explain shows the exact SQL sent, with placeholders where values go, and the splits.
func (h *handle) Explain() string {
	s := "mysql " + h.src.name + ": " + h.q.SQL()
	if h.key != "" && h.splits > 1 && h.q.Splittable() {
		return s + fmt.Sprintf(" [up to %d splits by ranges of %s]", h.splits, h.src.dialect.QuoteIdent(h.key))
	}
	return s + " [1 split]"
}

func (h *handle) ApplyFilter(conjuncts []expr.Expr) (connectors.TableHandle, []connectors.FilterSupport) {
	q, support := h.q.Filter(conjuncts)
	return h.with(q), support
}

func (h *handle) ApplyProjection(ids []expr.ColumnID) connectors.TableHandle {
	return h.with(h.q.Project(ids))
}

func (h *handle) ApplyLimit(n int64) connectors.TableHandle { return h.with(h.q.Limit(n)) }

func (h *handle) ApplyTopN(keys []expr.SortKey, n int64) connectors.TableHandle {
	return h.with(h.q.TopN(keys, n))
}

func (h *handle) ApplyAggregate(groups []expr.NamedExpr, aggs []expr.AggCall) connectors.TableHandle {
	return h.with(h.q.Aggregate(groups, aggs))
}

// SameSource: handles of one registered source share its pool and server.
func (h *handle) SameSource(other connectors.TableHandle) bool {
	o, ok := other.(*handle)
	return ok && o.src == h.src
}

func (h *handle) ApplyJoin(right connectors.TableHandle, kind expr.JoinKind, on expr.Expr) connectors.TableHandle {
	r, ok := right.(*handle)
	if !ok || r.src != h.src {
		return nil
	}
	return h.with(h.q.Join(r.q, kind, on))
}

// split is a key range, or the whole result.
type split struct {
	whole bool
	key   sqlgen.KeyRange
}

func (s *split) String() string {
	if s.whole {
		return "whole result"
	}
	return s.key.String()
}

var wholeSplit connectors.Split = &split{whole: true}

func (h *handle) Splits(ctx context.Context) ([]connectors.Split, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if h.key == "" || h.splits <= 1 || !h.q.Splittable() {
		return []connectors.Split{wholeSplit}, nil
	}
	lo, hi, ok, err := h.keyRange(ctx)
	if err != nil {
		return nil, err
	}
	ranges := sqlgen.KeyRanges(h.key, lo, hi, h.splits)
	if !ok || ranges == nil {
		return []connectors.Split{wholeSplit}, nil
	}
	out := make([]connectors.Split, len(ranges))
	for i, k := range ranges {
		out[i] = &split{key: k}
	}
	return out, nil
}

func (h *handle) keyRange(ctx context.Context) (lo, hi int64, ok bool, err error) {
	c, err := h.src.conn(ctx)
	if err != nil {
		return 0, 0, false, err
	}
	defer c.Close()
	col := h.src.dialect.QuoteIdent(h.key)
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
	var mn, mx sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT CAST(MIN("+col+") AS SIGNED), CAST(MAX("+col+") AS SIGNED) FROM "+from).Scan(&mn, &mx); err != nil {
		return 0, 0, false, h.src.queryError(ctx, err, "reading the range of split column "+h.key)
	}
	if !mn.Valid {
		return 0, 0, false, nil
	}
	return mn.Int64, mx.Int64, true, nil
}

// Scan returns a lazy reader of one split.
func (h *handle) Scan(ctx context.Context, sp connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	s, ok := sp.(*split)
	if !ok {
		return nil, errs.New(errs.KindInternal, "source %s: a split of another connector was passed to a mysql scan", h.src.name)
	}
	var ro sqlgen.RenderOptions
	if !s.whole {
		if !h.q.Splittable() {
			return nil, errs.New(errs.KindInternal, "source %s: a range split was passed to a statement that cannot be split", h.src.name)
		}
		ro.Split = s.key.Predicate
	}
	text, args, err := h.q.Render(ro)
	if err != nil {
		return nil, err
	}
	if args, err = sqlgen.BindArgs(args, opts.Params); err != nil {
		return nil, err
	}
	if opts.Alloc == nil {
		return nil, errs.New(errs.KindInternal, "source %s: scan options carry no allocator", h.src.name)
	}
	cols := h.q.Columns()
	fields := make([]arrow.Field, len(cols))
	validate := make([]bool, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
		validate[i] = h.binaryText[c.ID]
	}
	batch := opts.BatchRows
	if batch <= 0 {
		batch = h.src.opts.DefaultBatchRows
	}
	return newReader(ctx, readerConfig{
		src: h.src, sql: text, args: args, schema: arrow.NewSchema(fields, nil), cols: cols, validate: validate,
		mem: opts.Alloc, batchRows: batch, maxBytes: h.src.opts.MaxBatchBytes, what: "reading " + objectName(h.rel.obj),
	}), nil
}
