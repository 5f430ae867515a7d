package conntest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// Run runs the conformance suite against h's source.
func Run(t *testing.T, h Harness) {
	src := h.Source(t)
	s := &suite{h: h, src: src, caps: h.Capabilities()}
	s.typed = h.CreateTable(t, TableSpec{Name: "typed", Columns: typedColumns, Rows: typedRows()})
	t.Run("Describe", s.describe)
	t.Run("TypeRoundTrip", s.roundTrip)
	t.Run("EmptyTable", s.emptyTable)
	t.Run("WideRows", s.wideRows)
	t.Run("LargeValues", s.largeValues)
	t.Run("Filters", s.filters)
	t.Run("NullSemantics", s.nullSemantics)
	t.Run("Projection", s.projection)
	t.Run("Limit", s.limit)
	t.Run("TopN", s.topN)
	t.Run("Aggregate", s.aggregate)
	t.Run("Join", s.join)
	t.Run("Splits", s.splits)
	t.Run("Cancel", s.cancel)
	t.Run("Hostile", s.hostile)
	t.Run("PushedSQL", s.pushedSQL)
}

type suite struct {
	h     Harness
	src   connectors.Source
	caps  Capabilities
	typed connectors.Object
}

func (s *suite) describe(t *testing.T) {
	schema, warnings, err := s.src.Describe(context.Background(), s.typed)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, len(typedColumns), schema.NumFields())
	for i, c := range typedColumns {
		f := schema.Field(i)
		require.Equal(t, c.Name, f.Name)
		// Describe reports the source's own mapping, which may differ from the declared
		// type only by a lossless widening (a DATETIME read as an instant).
		if !arrow.TypeEqual(c.Type, f.Type) {
			require.Truef(t, c.Type.ID() == arrow.TIMESTAMP && f.Type.ID() == arrow.TIMESTAMP, "column %s: described as %s, want %s", c.Name, f.Type, c.Type)
		}
	}
	_, _, err = s.src.Describe(context.Background(), connectors.Object{Table: "meshgate_no_such_table"})
	require.ErrorIs(t, err, errs.NotFound)
	require.Contains(t, err.Error(), "meshgate_no_such_table")
}

func (s *suite) roundTrip(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	h := openAll(t, s.src, s.typed, typedColumns)
	requireSameRows(t, typedRows(), readAll(t, h, mem))
	// Tiny batches cross batch boundaries mid-table.
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	var rows [][]any
	for _, sp := range splits {
		rows = append(rows, readSplit(t, h, sp, mem, 3)...)
	}
	requireSameRows(t, typedRows(), rows)

	// A declared type that the source type cannot become is refused, naming the column.
	cols := connCols(typedColumns, 1)
	cols[cTxt].Type = expr.Int64
	_, err = s.src.OpenTable(context.Background(), s.typed, cols)
	require.Error(t, err)
	require.Contains(t, err.Error(), "txt")
	cols[cTxt].Type = expr.String
	cols[cID].Name = "no_such_column"
	_, err = s.src.OpenTable(context.Background(), s.typed, cols)
	require.ErrorIs(t, err, errs.NotFound)
}

func (s *suite) emptyTable(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	obj := s.h.CreateTable(t, TableSpec{Name: "empty", Columns: typedColumns})
	h := openAll(t, s.src, obj, typedColumns)
	require.Empty(t, readAll(t, h, mem))
	if s.caps.PruneOnly {
		return
	}
	ah, ok := h.(connectors.AggregatePushdown)
	require.True(t, ok)
	agg := ah.ApplyAggregate(nil, []expr.AggCall{{ID: 100, Func: "count", Type: expr.Int64}})
	require.NotNil(t, agg)
	require.Equal(t, [][]any{{int64(0)}}, readAll(t, agg, mem))
}

func (s *suite) wideRows(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	cols := make([]ColumnSpec, 200)
	for i := range cols {
		cols[i] = ColumnSpec{Name: fmt.Sprintf("c%03d", i), Type: expr.Int32}
	}
	rows := make([][]any, 3)
	for r := range rows {
		rows[r] = make([]any, len(cols))
		for i := range cols {
			if (r+i)%17 != 0 {
				rows[r][i] = int64(r*1000 + i)
			}
		}
	}
	obj := s.h.CreateTable(t, TableSpec{Name: "wide", Columns: cols, Rows: rows})
	requireSameRows(t, rows, readAll(t, openAll(t, s.src, obj, cols), mem))
}

func (s *suite) largeValues(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	cols := []ColumnSpec{{"id", expr.Int64}, {"txt", expr.String}, {"bin", expr.Binary}}
	rows := [][]any{{int64(1), largeText(), largeBinary()}, {int64(2), "", []byte{}}}
	obj := s.h.CreateTable(t, TableSpec{Name: "large", Columns: cols, Rows: rows})
	requireSameRows(t, rows, readAll(t, openAll(t, s.src, obj, cols), mem))
}

func (s *suite) projection(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	h := openAll(t, s.src, s.typed, typedColumns)
	p := h.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{cTxt + 1, cID + 1})
	require.NotNil(t, p)
	require.Equal(t, []expr.ColumnID{cTxt + 1, cID + 1}, []expr.ColumnID{p.Columns()[0].ID, p.Columns()[1].ID})
	requireSameRows(t, project(typedRows(), cTxt, cID), readAll(t, p, mem))
	require.NotContains(t, p.Explain(), s.quoted("d38"), "the projection must reach the source")
}

// quoted returns how the connector's Explain shows an identifier (either quote style).
func (s *suite) quoted(name string) string {
	if s.h.Name() == "mysql" {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

func (s *suite) cancel(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	cols := []ColumnSpec{{"id", expr.Int64}, {"txt", expr.String}}
	rows := make([][]any, 20000)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprintf("row %d with some padding text to make it wider", i)}
	}
	obj := s.h.CreateTable(t, TableSpec{Name: "cancel", Columns: cols, Rows: rows})
	h := openAll(t, s.src, obj, cols)
	stats, hasStats := s.src.(PoolStats)
	requireIdle := func(what string) {
		if hasStats {
			_, acquired, _ := stats.PoolStats()
			require.Zerof(t, acquired, "a connection is still in use %s", what)
		}
	}

	// Lazy: a reader released before Next never touches the source.
	r, err := h.Scan(context.Background(), wholeSplit(t, h), connectors.ScanOptions{Alloc: mem, BatchRows: 100})
	require.NoError(t, err)
	r.Release()
	requireIdle("after releasing an unread reader")

	// Cancelled mid-scan: the next Next reports the cancellation and the connection is
	// given back.
	ctx, cancel := context.WithCancel(context.Background())
	r, err = h.Scan(ctx, wholeSplit(t, h), connectors.ScanOptions{Alloc: mem, BatchRows: 100})
	require.NoError(t, err)
	require.True(t, r.Next())
	require.EqualValues(t, 100, r.RecordBatch().NumRows())
	cancel()
	for r.Next() {
	}
	require.Error(t, r.Err())
	require.True(t, errors.Is(r.Err(), context.Canceled) || errs.KindOf(r.Err()) == errs.KindCanceled, "got %v", r.Err())
	r.Release()
	requireIdle("after a cancelled scan")

	// Abandoned mid-scan without cancellation (a LIMIT above was satisfied).
	r, err = h.Scan(context.Background(), wholeSplit(t, h), connectors.ScanOptions{Alloc: mem, BatchRows: 100})
	require.NoError(t, err)
	require.True(t, r.Next())
	r.Release()
	requireIdle("after an abandoned scan")

	// The source still works, and a full read is complete.
	require.Len(t, readAll(t, h, mem), len(rows))
	requireIdle("after a complete scan")
}

func wholeSplit(t *testing.T, h connectors.TableHandle) connectors.Split {
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, splits)
	return splits[0]
}

func (s *suite) hostile(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	cols := []ColumnSpec{{"id", expr.Int64}}
	for _, n := range hostileColumns {
		cols = append(cols, ColumnSpec{n, expr.String})
	}
	cols = append(cols, ColumnSpec{"bin;--", expr.Binary})
	var rows [][]any
	for i := range hostileValues {
		row := []any{int64(i)}
		for j := range hostileColumns {
			row = append(row, hostileValues[(i+j)%len(hostileValues)])
		}
		row = append(row, []byte{0, '\'', 0, '"', '\\'})
		rows = append(rows, row)
	}
	obj := s.h.CreateTable(t, TableSpec{Name: `we"ird;--tab`, Columns: cols, Rows: rows})
	schema, _, err := s.src.Describe(context.Background(), obj)
	require.NoError(t, err)
	for i, c := range cols {
		require.Equal(t, c.Name, schema.Field(i).Name)
	}
	h := openAll(t, s.src, obj, cols)
	requireSameRows(t, rows, readAll(t, h, mem))
	// Every hostile value, compared with every hostile column, arrives as data.
	for j := range hostileColumns {
		for _, v := range hostileValues {
			c := ref(cols, j+1)
			pred := &expr.Call{Func: expr.FnEq, Args: []expr.Expr{c, expr.StringLit(v)}, Type: expr.Bool}
			fh, support := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{pred})
			require.NotNil(t, fh, "column %q value %q", c.Name, v)
			require.Equal(t, s.caps.TextEquality, support[0])
			got := readAll(t, fh, mem)
			keep := func(r []any) bool { return r[j+1] == v }
			if !s.caps.PruneOnly {
				require.NotContains(t, fh.Explain(), v+"'", "a value must never be in the SQL text")
			}
			requireSameRows(t, where(rows, keep), where(got, keep), "column %q value %q", c.Name, v)
			if support[0] == connectors.Exact {
				requireSameRows(t, where(rows, keep), got, "column %q value %q", c.Name, v)
			}
		}
	}
}
