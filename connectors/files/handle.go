package files

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// PruneStats counts what planning a scan skipped. Handles of this package expose it as
// Pruning() so tests and EXPLAIN ANALYZE can assert on it:
//
//	if p, ok := h.(interface{ Pruning() files.PruneStats }); ok { ... }
type PruneStats struct {
	// Files is the number of files the dataset's path matched.
	Files int
	// RowGroups is the number of Parquet row groups in all matched files.
	RowGroups int
	// PrunedByStatistics row groups were skipped because their min/max/null-count
	// statistics prove no row matches (row groups with no rows are counted here too).
	PrunedByStatistics int
	// PrunedByDictionary row groups survived statistics but their dictionary pages
	// prove that no value equals any value an equality or IN filter asks for.
	PrunedByDictionary int
	// RowsTotal and RowsSelected are the rows of all row groups and of those read.
	RowsTotal    int64
	RowsSelected int64
	// Err is set when planning failed; the other counts are then incomplete.
	Err error
}

// handle is an immutable description of a scan. Pushdown returns new handles sharing the
// dataset; each handle plans (lists footers, prunes, splits) once, on first need.
type handle struct {
	ds *dataset
	// all are the columns bound by OpenTable; filters refer to them by ID even after a
	// projection drops them from the output.
	all []connectors.Column
	out []int // indices into all, in output order
	// filters are the accepted (Inexact) conjuncts and preds their compiled form.
	filters []expr.Expr
	preds   []*pred
	limit   int64 // -1: no limit

	planned *lazyPlan
}

// lazyPlan plans a handle once. A plan interrupted by its caller's context is not kept, so
// a later caller plans again.
type lazyPlan struct {
	mu   sync.Mutex
	done bool
	plan *scanPlan
	err  error
}

var (
	_ connectors.TableHandle        = (*handle)(nil)
	_ connectors.FilterPushdown     = (*handle)(nil)
	_ connectors.ProjectionPushdown = (*handle)(nil)
	_ connectors.LimitPushdown      = (*handle)(nil)
)

func newHandle(ds *dataset, cols []connectors.Column) *handle {
	out := make([]int, len(cols))
	for i := range out {
		out[i] = i
	}
	return &handle{ds: ds, all: cols, out: out, limit: -1, planned: &lazyPlan{}}
}

// derive copies h for a pushdown; the copy plans afresh.
func (h *handle) derive() *handle {
	c := *h
	c.planned = &lazyPlan{}
	return &c
}

func (h *handle) plan(ctx context.Context) (*scanPlan, error) {
	l := h.planned
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.plan, l.err
	}
	plan, err := h.buildPlan(ctx)
	if err != nil && ctx.Err() != nil {
		return nil, err
	}
	l.done, l.plan, l.err = true, plan, err
	return plan, err
}

func (h *handle) Columns() []connectors.Column {
	out := make([]connectors.Column, len(h.out))
	for i, idx := range h.out {
		out[i] = h.all[idx]
	}
	return out
}

func (h *handle) outputSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(h.out))
	for i, idx := range h.out {
		fields[i] = arrow.Field{Name: h.all[idx].Name, Type: h.all[idx].Type, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// Stats: Parquet row counts are exact from footers (after pruning, so an upper bound once
// filters are pushed); CSV rows are estimated from file sizes and the sampled row size;
// IPC rows are unknown.
func (h *handle) Stats() connectors.Stats {
	plan, err := h.plan(context.Background())
	if err != nil {
		return connectors.Unknown
	}
	return connectors.Stats{Rows: plan.rows, Bytes: plan.bytes}
}

func (h *handle) Splits(ctx context.Context) ([]connectors.Split, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan, err := h.plan(ctx)
	if err != nil {
		return nil, err
	}
	return plan.splits, nil
}

// Pruning reports what planning skipped; it plans the handle if that has not happened.
func (h *handle) Pruning() PruneStats {
	plan, err := h.plan(context.Background())
	if err != nil {
		return PruneStats{Files: len(h.ds.files), Err: err}
	}
	return plan.prune
}

func (h *handle) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", h.ds.format, h.ds.pattern, plural(len(h.ds.files), "file"))
	if h.ds.format == FormatParquet {
		if plan, err := h.plan(context.Background()); err != nil {
			b.WriteString(" (planning failed: " + err.Error() + ")")
		} else {
			p := plan.prune
			fmt.Fprintf(&b, ", %s (%d pruned by statistics, %d by dictionary)",
				plural(p.RowGroups, "row group"), p.PrunedByStatistics, p.PrunedByDictionary)
		}
	}
	names := make([]string, len(h.out))
	for i, idx := range h.out {
		names[i] = h.all[idx].Name
	}
	fmt.Fprintf(&b, ", columns [%s]", strings.Join(names, " "))
	if len(h.filters) > 0 {
		parts := make([]string, len(h.filters))
		for i, f := range h.filters {
			parts[i] = f.String()
		}
		fmt.Fprintf(&b, ", filters inexact: [%s]", strings.Join(parts, ", "))
	}
	if h.limit >= 0 {
		b.WriteString(", limit " + strconv.FormatInt(h.limit, 10))
	}
	return b.String()
}

// ApplyFilter accepts, as Inexact, the conjuncts that can prune Parquet row groups:
// comparisons of a column (through lossless casts) with a literal, IN lists, IS [NOT]
// NULL, LIKE 'prefix%', and AND/OR/NOT trees of those. Everything else, and every
// conjunct on CSV or IPC files (which carry no statistics), is Unsupported. A handle with a
// limit accepts nothing: pruning would change which rows the limit keeps.
func (h *handle) ApplyFilter(conjuncts []expr.Expr) (connectors.TableHandle, []connectors.FilterSupport) {
	support := make([]connectors.FilterSupport, len(conjuncts))
	if h.ds.format != FormatParquet || h.limit >= 0 {
		return nil, support
	}
	var accepted []expr.Expr
	var preds []*pred
	for i, c := range conjuncts {
		p := compilePred(c, false, h.lookupColumn)
		if p.kind == predUnknown {
			continue
		}
		support[i] = connectors.Inexact
		accepted = append(accepted, c)
		preds = append(preds, p)
	}
	if len(accepted) == 0 {
		return nil, support
	}
	n := h.derive()
	n.filters = append(append([]expr.Expr(nil), h.filters...), accepted...)
	n.preds = append(append([]*pred(nil), h.preds...), preds...)
	return n, support
}

func (h *handle) lookupColumn(id expr.ColumnID) (int, arrow.DataType, bool) {
	for i, c := range h.all {
		if c.ID == id {
			return i, c.Type, true
		}
	}
	return 0, nil, false
}

// ApplyProjection reads only the given columns, in that order. Parquet reads only their
// column chunks; CSV parses only their fields.
func (h *handle) ApplyProjection(ids []expr.ColumnID) connectors.TableHandle {
	out := make([]int, len(ids))
	for i, id := range ids {
		idx, _, ok := h.lookupColumn(id)
		if !ok {
			return nil
		}
		out[i] = idx
	}
	if len(out) == len(h.out) {
		same := true
		for i := range out {
			same = same && out[i] == h.out[i]
		}
		if same {
			return nil
		}
	}
	n := h.derive()
	n.out = out
	return n
}

// ApplyLimit caps every split at n rows and keeps only the row groups needed to hold n rows.
// It declines (nil) when filters were pushed: they are Inexact, so the first n rows read
// need not be n matching rows.
func (h *handle) ApplyLimit(n int64) connectors.TableHandle {
	if n < 0 || len(h.filters) > 0 || (h.limit >= 0 && h.limit <= n) {
		return nil
	}
	c := h.derive()
	c.limit = n
	return c
}

// fileSplit is one file, or for Parquet some of its row groups.
type fileSplit struct {
	ds        *dataset
	file      int
	rowGroups []int // Parquet only
	rows      int64 // -1 when unknown
}

var _ connectors.Split = (*fileSplit)(nil)

func (s *fileSplit) String() string {
	name := "file " + s.ds.files[s.file].rel
	if s.rowGroups == nil {
		return name
	}
	if len(s.rowGroups) == 1 {
		return name + " row group " + strconv.Itoa(s.rowGroups[0])
	}
	contiguous := s.rowGroups[len(s.rowGroups)-1]-s.rowGroups[0] == len(s.rowGroups)-1
	if contiguous {
		return fmt.Sprintf("%s row groups %d-%d", name, s.rowGroups[0], s.rowGroups[len(s.rowGroups)-1])
	}
	parts := make([]string, len(s.rowGroups))
	for i, rg := range s.rowGroups {
		parts[i] = strconv.Itoa(rg)
	}
	return name + " row groups " + strings.Join(parts, ",")
}

// Scan returns a lazy reader of one split: files are opened on the first Next.
func (h *handle) Scan(ctx context.Context, split connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	s, ok := split.(*fileSplit)
	if !ok || s.ds != h.ds || s.file < 0 || s.file >= len(h.ds.files) {
		return nil, errs.New(errs.KindInvalidArgument, "split %v does not belong to dataset %s; scan splits of the same handle", split, h.ds.pattern)
	}
	alloc := opts.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	batchRows := opts.BatchRows
	if batchRows <= 0 {
		batchRows = h.ds.src.opts.DefaultBatchRows
	}
	if h.limit > 0 && h.limit < int64(batchRows) {
		// Decode no more than the limit can use.
		batchRows = int(h.limit)
	}
	cols := h.Columns()
	schema := h.outputSchema()
	var src batchSource
	switch h.ds.format {
	case FormatParquet:
		src = &parquetBatches{ds: h.ds, split: s, cols: cols, schema: schema, alloc: alloc, batchRows: batchRows}
	case FormatCSV:
		src = &csvBatches{ds: h.ds, ref: h.ds.files[s.file], cols: cols, schema: schema, alloc: alloc, batchRows: batchRows}
	case FormatArrow:
		src = &ipcBatches{ds: h.ds, ref: h.ds.files[s.file], cols: cols, schema: schema, alloc: alloc}
	default:
		return nil, errs.NotSupportedf("format %s", h.ds.format)
	}
	return newRecordReader(ctx, schema, src, h.limit), nil
}

// scanPlan is the outcome of planning a handle.
type scanPlan struct {
	splits []connectors.Split
	prune  PruneStats
	rows   float64
	bytes  float64
}

func (h *handle) buildPlan(ctx context.Context) (*scanPlan, error) {
	if h.ds.format == FormatParquet {
		return h.planParquet(ctx)
	}
	plan := &scanPlan{prune: PruneStats{Files: len(h.ds.files)}, rows: -1}
	if h.limit == 0 {
		plan.rows = 0
		return plan, nil
	}
	var size int64
	for i, ref := range h.ds.files {
		plan.splits = append(plan.splits, &fileSplit{ds: h.ds, file: i, rows: -1})
		size += ref.size
	}
	plan.bytes = float64(size)
	if h.ds.format == FormatCSV && h.ds.csvBytesPerRow > 0 {
		plan.rows = float64(size) / h.ds.csvBytesPerRow
		if h.limit >= 0 {
			plan.rows = min(plan.rows, float64(h.limit))
		}
	}
	return plan, nil
}

// planParquet reads every footer, prunes row groups with statistics and then dictionaries,
// and groups the surviving row groups of each file into splits of about TargetSplitRows.
func (h *handle) planParquet(ctx context.Context) (*scanPlan, error) {
	ds := h.ds
	plan := &scanPlan{prune: PruneStats{Files: len(ds.files)}}
	type rowGroupRef struct {
		file, rowGroup int
		rows           int64
	}
	var kept []rowGroupRef
	var dictCols map[int]bool
	if len(h.preds) > 0 {
		dictCols = map[int]bool{}
		for _, p := range h.preds {
			p.dictColumns(dictCols)
		}
	}
	for fi, ref := range ds.files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		footer, err := ds.src.footers.get(ref)
		if err != nil {
			return nil, err
		}
		fields, err := ds.bindFile(footer.fields, ref.rel, h.all)
		if err != nil {
			return nil, err
		}
		nrg := len(footer.md.RowGroups)
		plan.prune.RowGroups += nrg
		pruner := &rowGroupPruner{footer: footer, fields: fields, ref: ref, maxDict: ds.src.opts.MaxDictionaryPageBytes}
		for rg := 0; rg < nrg; rg++ {
			rows := footer.rowGroupRows(rg)
			plan.prune.RowsTotal += rows
			if rows == 0 {
				plan.prune.PrunedByStatistics++
				continue
			}
			if len(h.preds) > 0 {
				switch pruner.prune(rg, h.preds, dictCols) {
				case prunedByStatistics:
					plan.prune.PrunedByStatistics++
					continue
				case prunedByDictionary:
					plan.prune.PrunedByDictionary++
					continue
				}
			}
			kept = append(kept, rowGroupRef{file: fi, rowGroup: rg, rows: rows})
		}
		pruner.close()
	}

	if h.limit >= 0 {
		// Keep the first row groups that together hold limit rows.
		var sum int64
		for i, k := range kept {
			if sum >= h.limit {
				kept = kept[:i]
				break
			}
			sum += k.rows
		}
	}

	target := ds.src.opts.TargetSplitRows
	var cur *fileSplit
	for _, k := range kept {
		plan.prune.RowsSelected += k.rows
		if cur == nil || cur.file != k.file || cur.rows+k.rows > target {
			cur = &fileSplit{ds: ds, file: k.file}
			plan.splits = append(plan.splits, cur)
		}
		cur.rowGroups = append(cur.rowGroups, k.rowGroup)
		cur.rows += k.rows
	}

	plan.rows = float64(plan.prune.RowsSelected)
	if h.limit >= 0 {
		plan.rows = min(plan.rows, float64(h.limit))
	}
	// Bytes: the uncompressed size of the projected column chunks that will be read.
	var bytes int64
	outFields := map[int][]*fileField{}
	for _, k := range kept {
		footer, err := ds.src.footers.get(ds.files[k.file])
		if err != nil {
			return nil, err
		}
		fields, ok := outFields[k.file]
		if !ok {
			if fields, err = ds.bindFile(footer.fields, ds.files[k.file].rel, h.Columns()); err != nil {
				return nil, err
			}
			outFields[k.file] = fields
		}
		for _, ff := range fields {
			if meta := footer.md.RowGroups[k.rowGroup].Columns[ff.leaf].GetMetaData(); meta != nil {
				bytes += meta.TotalUncompressedSize
			}
		}
	}
	plan.bytes = float64(bytes)
	return plan, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
