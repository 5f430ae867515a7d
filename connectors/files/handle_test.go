package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestFactoryAndPing(t *testing.T) {
	f := files.NewFactory(files.Options{})
	require.Equal(t, "files", f.Type())

	dataDir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dataDir, "lake"), 0o755))
	for _, tc := range []struct {
		name    string
		cfg     connectors.SourceConfig
		wantErr error
	}{
		{"root defaults to the data directory", connectors.SourceConfig{DataDir: dataDir}, nil},
		{"relative root under the data directory", connectors.SourceConfig{DataDir: dataDir, Options: map[string]string{"root": "lake"}}, nil},
		{"missing root", connectors.SourceConfig{DataDir: dataDir, Options: map[string]string{"root": "nope"}}, errs.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := f.Open(context.Background(), tc.cfg)
			require.NoError(t, err)
			defer src.Close()
			err = src.Ping(context.Background())
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
	_, err := f.Open(context.Background(), connectors.SourceConfig{Domain: "d", Name: "s"})
	require.ErrorIs(t, err, errs.InvalidArgument)
}

func TestPathsAndGlobs(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	// A nested copy for recursive globs, and hidden files that globs must skip.
	data, err := os.ReadFile(filepath.Join(root, "sales/orders/part-0.parquet"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sales/archive/2024"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sales/archive/2024/old.parquet"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sales/orders/_SUCCESS"), nil, 0o644))
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.parquet"), data, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(root, "links"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.parquet"), filepath.Join(root, "links/link.parquet")))

	src := openSource(t, root, files.Options{})
	for _, tc := range []struct {
		name      string
		table     string
		wantFiles int
		wantErr   error
		errText   string
	}{
		{"glob", "sales/orders/*.parquet", 2, nil, ""},
		{"directory", "sales/orders", 2, nil, ""},
		{"directory, recursively", "sales", 3, nil, ""},
		{"single file", "sales/orders/part-1.parquet", 1, nil, ""},
		{"recursive glob", "sales/**/*.parquet", 3, nil, ""},
		{"absolute path inside the root", filepath.Join(root, "sales/orders/part-0.parquet"), 1, nil, ""},
		{"glob matching nothing", "sales/orders/*.csv", 0, errs.NotFound, "sales/orders/*.csv"},
		{"missing file", "sales/nope.parquet", 0, errs.NotFound, "sales/nope.parquet"},
		{"dot-dot escape", "../secret.parquet", 0, errs.PermissionDenied, "leaves the source root"},
		{"escape inside the path", "sales/../../x/*.parquet", 0, errs.PermissionDenied, "leaves the source root"},
		{"absolute path outside", filepath.Join(outside, "secret.parquet"), 0, errs.PermissionDenied, "leaves the source root"},
		{"symlink out of the root", "links/*.parquet", 0, errs.PermissionDenied, "links outside the source root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := connectors.Object{Table: tc.table}
			_, _, err := src.Describe(context.Background(), obj)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Contains(t, err.Error(), tc.errText)
				require.NotContains(t, err.Error(), root, "errors never show the root directory")
				return
			}
			require.NoError(t, err)
			h := openTable(t, src, obj)
			require.Equal(t, tc.wantFiles, h.(pruner).Pruning().Files)
		})
	}
}

func TestColumnBinding(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{})
	obj := connectors.Object{Table: "sales/orders/*.parquet"}
	for _, tc := range []struct {
		name    string
		col     connectors.Column
		wantErr error
		errText []string
	}{
		{"exact name", connectors.Column{ID: 1, Name: "qty", Type: expr.Int32}, nil, nil},
		{"case-insensitive name", connectors.Column{ID: 1, Name: "QTY", Type: expr.Int32}, nil, nil},
		{"no declared type takes the file's", connectors.Column{ID: 1, Name: "qty"}, nil, nil},
		{"int32 widened to bigint", connectors.Column{ID: 1, Name: "qty", Type: expr.Int64}, nil, nil},
		{"decimal widened", connectors.Column{ID: 1, Name: "price", Type: expr.Decimal(20, 2)}, nil, nil},
		{"string as large string", connectors.Column{ID: 1, Name: "name", Type: arrow.BinaryTypes.LargeString}, nil, nil},
		{"missing column", connectors.Column{ID: 1, Name: "nope", Type: expr.Int64}, errs.NotFound,
			[]string{"column nope is not in file sales/orders/part-0.parquet", "available columns: id, qty, price"}},
		{"narrowing refused", connectors.Column{ID: 1, Name: "id", Type: expr.Int32}, errs.InvalidArgument,
			[]string{"column id is bigint in file sales/orders/part-0.parquet but the contract declares integer"}},
		{"scale change refused", connectors.Column{ID: 1, Name: "price", Type: expr.Decimal(20, 3)}, errs.InvalidArgument,
			[]string{"column price is numeric(15,2)", "declares numeric(20,3)"}},
		{"type change refused", connectors.Column{ID: 1, Name: "day", Type: expr.String}, errs.InvalidArgument,
			[]string{"column day is date", "declares varchar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := src.OpenTable(context.Background(), obj, []connectors.Column{tc.col})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				for _, s := range tc.errText {
					require.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			mem := testutil.CheckedAllocator(t)
			got := scanAll(t, h, mem)
			require.True(t, arrow.TypeEqual(h.Columns()[0].Type, h.(interface{ Columns() []connectors.Column }).Columns()[0].Type))
			field := map[string]int{"qty": 1, "QTY": 1, "price": 2, "name": 4}[tc.col.Name]
			var want [][]any
			for _, r := range allOrders() {
				want = append(want, []any{orderCells(r)[field]})
			}
			sortRows(got)
			sortRows(want)
			require.Equal(t, want, got)
		})
	}
}

func TestWideningScan(t *testing.T) {
	root := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
	}, nil)
	gen := memory.NewGoAllocator()
	b := array.NewRecordBuilder(gen, schema)
	b.Field(0).(*array.Int8Builder).AppendValues([]int8{-3, 0, 7}, []bool{true, false, true})
	b.Field(1).(*array.Uint16Builder).AppendValues([]uint16{0, 65535, 9}, nil)
	b.Field(2).(*array.Uint64Builder).AppendValues([]uint64{1 << 63, 5, 0}, nil)
	b.Field(3).(*array.Float32Builder).AppendValues([]float32{1.5, -2.25, 0}, nil)
	b.Field(4).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_999, -1, 3_000_000}, nil)
	b.Field(5).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1, -2, 3}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	writeParquet(t, filepath.Join(root, "w.parquet"), schema, []arrow.RecordBatch{rec})
	rec.Release()

	src := openSource(t, root, files.Options{})
	obj := connectors.Object{Table: "w.parquet"}
	described, _, err := src.Describe(context.Background(), obj)
	require.NoError(t, err)
	wantTypes := []arrow.DataType{expr.Int8, expr.Int32, expr.Decimal(20, 0), expr.Float32, expr.Timestamp, expr.TimestampTZ}
	for i, f := range described.Fields() {
		require.Truef(t, arrow.TypeEqual(wantTypes[i], f.Type), "%s: %s", f.Name, f.Type)
	}
	cols := []connectors.Column{
		{ID: 1, Name: "i8", Type: expr.Int64},
		{ID: 2, Name: "u16", Type: expr.Int64},
		{ID: 3, Name: "u64", Type: expr.Decimal(20, 0)},
		{ID: 4, Name: "f32", Type: expr.Float64},
		{ID: 5, Name: "ns", Type: expr.Timestamp},
		{ID: 6, Name: "ms", Type: expr.TimestampTZ},
	}
	h, err := src.OpenTable(context.Background(), obj, cols)
	require.NoError(t, err)
	mem := testutil.CheckedAllocator(t)
	rows := scanAll(t, h, mem)
	require.Equal(t, [][]any{
		{int64(-3), int64(0), "9223372036854775808", 1.5, int64(1), int64(1000)},
		{nil, int64(65535), "5", -2.25, int64(-1), int64(-2000)}, // -1ns rounds down to -1µs
		{int64(7), int64(9), "0", 0.0, int64(3000), int64(3000)},
	}, rows)

	// Pruning bounds a nanosecond column with the same rounding the scan applies.
	nh, support := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		call(expr.FnLtEq, colRef(t, h, "ns"), expr.Lit(expr.Timestamp, arrow.Timestamp(-1))),
	})
	require.Equal(t, connectors.Inexact, support[0])
	require.Equal(t, 0, nh.(pruner).Pruning().PrunedByStatistics)
}

func TestProjectionAndLimit(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{TargetSplitRows: 1000})
	h := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
	name, id := colRef(t, h, "name"), colRef(t, h, "id")

	t.Run("projection reorders and drops columns", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		ph := h.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{name.ID, id.ID})
		require.NotNil(t, ph)
		require.Equal(t, []string{"name", "id"}, []string{ph.Columns()[0].Name, ph.Columns()[1].Name})
		require.Less(t, ph.Stats().Bytes, h.Stats().Bytes)
		require.Contains(t, ph.Explain(), "columns [name id]")
		rows := scanAll(t, ph, mem)
		require.Len(t, rows, fixtureRows)
		for _, r := range rows {
			require.Equal(t, orderAt(r[1].(int64)).name, r[0])
		}
		require.Nil(t, ph.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{name.ID, id.ID}), "no change")
	})

	t.Run("no columns counts rows", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		ph := h.(connectors.ProjectionPushdown).ApplyProjection(nil)
		splits, err := ph.Splits(context.Background())
		require.NoError(t, err)
		var n int64
		for _, s := range splits {
			rr, err := ph.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem, BatchRows: 300})
			require.NoError(t, err)
			for rr.Next() {
				require.Zero(t, rr.RecordBatch().NumCols())
				n += rr.RecordBatch().NumRows()
			}
			require.NoError(t, rr.Err())
			rr.Release()
		}
		require.Equal(t, int64(fixtureRows), n)
	})

	t.Run("filter on a column projected away still prunes", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		fh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{call(expr.FnLt, id, expr.Int64Lit(1000))})
		ph := fh.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{name.ID})
		require.Equal(t, 7, ph.(pruner).Pruning().PrunedByStatistics)
		require.Len(t, scanAll(t, ph, mem), 1000)
	})

	for _, tc := range []struct {
		limit      int64
		wantSplits int
		wantRows   int
	}{
		{0, 0, 0},
		{10, 1, 10},
		{1000, 1, 1000},
		{1500, 2, 2000}, // each split is capped at the limit; the gateway applies the final one
		{100_000, 8, fixtureRows},
	} {
		t.Run("limit", func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			lh := h.(connectors.LimitPushdown).ApplyLimit(tc.limit)
			require.NotNil(t, lh)
			splits, err := lh.Splits(context.Background())
			require.NoError(t, err)
			require.Len(t, splits, tc.wantSplits)
			require.LessOrEqual(t, lh.Stats().Rows, float64(tc.limit))
			rows := scanAll(t, lh, mem)
			require.Len(t, rows, tc.wantRows)
			require.Contains(t, lh.Explain(), "limit")
		})
	}
}

func TestEmptyParquet(t *testing.T) {
	root := t.TempDir()
	writeParquet(t, filepath.Join(root, "empty.parquet"), ordersSchema, nil)
	src := openSource(t, root, files.Options{})
	h := openTable(t, src, connectors.Object{Table: "empty.parquet"})
	require.Equal(t, float64(0), h.Stats().Rows)
	mem := testutil.CheckedAllocator(t)
	require.Empty(t, scanAll(t, h, mem))
}

func TestScanIsLazyAndCancellable(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{})
	h := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)

	t.Run("cancel between batches", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rr, err := h.Scan(ctx, splits[0], connectors.ScanOptions{Alloc: mem, BatchRows: 100})
		require.NoError(t, err)
		defer rr.Release()
		require.True(t, rr.Next())
		require.True(t, rr.Next())
		cancel()
		require.False(t, rr.Next())
		require.ErrorIs(t, rr.Err(), context.Canceled)
		require.False(t, rr.Next())
	})

	t.Run("released before the end", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		rr, err := h.Scan(context.Background(), splits[1], connectors.ScanOptions{Alloc: mem, BatchRows: 100})
		require.NoError(t, err)
		require.True(t, rr.Next())
		rr.Release()
	})

	t.Run("no I/O before Next", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		rr, err := h.Scan(context.Background(), splits[0], connectors.ScanOptions{Alloc: mem})
		require.NoError(t, err)
		// The file goes away after Scan: only Next notices.
		require.NoError(t, os.Rename(filepath.Join(root, "sales/orders/part-0.parquet"), filepath.Join(root, "moved")))
		defer os.Rename(filepath.Join(root, "moved"), filepath.Join(root, "sales/orders/part-0.parquet"))
		require.False(t, rr.Next())
		require.ErrorIs(t, rr.Err(), errs.NotFound)
		require.Contains(t, rr.Err().Error(), "sales/orders/part-0.parquet")
		rr.Release()
	})

	t.Run("split of another dataset", func(t *testing.T) {
		other := openTable(t, src, connectors.Object{Table: "sales/orders/part-1.parquet"})
		_, err := other.Scan(context.Background(), splits[0], connectors.ScanOptions{})
		require.ErrorIs(t, err, errs.InvalidArgument)
	})
}

func TestExplain(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{})
	h := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
	day := colRef(t, h, "day")
	fh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		call(expr.FnGtEq, day, expr.DateLit(fixtureDay0+40)),
		call(expr.FnEq, colRef(t, h, "cat"), expr.StringLit("banana")),
	})
	ph := fh.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{colRef(t, h, "id").ID, day.ID})
	require.Equal(t,
		"parquet sales/orders/*.parquet: 2 files, 8 row groups (4 pruned by statistics, 2 by dictionary), columns [id day], "+
			"filters inexact: [(day#4 >= DATE '2022-02-17'), (cat#6 = 'banana')]",
		ph.Explain())
	var notFound *errs.Error
	require.False(t, errors.As(ph.(pruner).Pruning().Err, &notFound))
}

func TestFilesWithDifferentLayouts(t *testing.T) {
	root := t.TempDir()
	gen := memory.NewGoAllocator()
	write := func(name string, schema *arrow.Schema, fill func(b *array.RecordBuilder)) {
		b := array.NewRecordBuilder(gen, schema)
		defer b.Release()
		fill(b)
		rec := b.NewRecordBatch()
		defer rec.Release()
		writeParquet(t, filepath.Join(root, "t", name), schema, []arrow.RecordBatch{rec})
	}
	write("part-0.parquet", arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32}, {Name: "name", Type: arrow.BinaryTypes.String},
	}, nil), func(b *array.RecordBuilder) {
		b.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
	})
	// Other column order, other case, wider type.
	write("part-1.parquet", arrow.NewSchema([]arrow.Field{
		{Name: "NAME", Type: arrow.BinaryTypes.String}, {Name: "id", Type: arrow.PrimitiveTypes.Int64},
	}, nil), func(b *array.RecordBuilder) {
		b.Field(0).(*array.StringBuilder).AppendValues([]string{"c"}, nil)
		b.Field(1).(*array.Int64Builder).AppendValues([]int64{3}, nil)
	})

	src := openSource(t, root, files.Options{})
	cols := []connectors.Column{{ID: 1, Name: "id", Type: expr.Int64}, {ID: 2, Name: "name", Type: expr.String}}
	h, err := src.OpenTable(context.Background(), connectors.Object{Table: "t/*.parquet"}, cols)
	require.NoError(t, err)
	mem := testutil.CheckedAllocator(t)
	require.Equal(t, [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "c"}}, scanAll(t, h, mem))

	// A file without a bound column fails planning, naming that file.
	write("part-2.parquet", arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil),
		func(b *array.RecordBuilder) { b.Field(0).(*array.Int64Builder).Append(4) })
	h, err = src.OpenTable(context.Background(), connectors.Object{Table: "t/*.parquet"}, cols)
	require.NoError(t, err)
	_, err = h.Splits(context.Background())
	require.ErrorIs(t, err, errs.NotFound)
	require.Contains(t, err.Error(), "column name is not in file t/part-2.parquet")
}

func TestPruningWithoutStatistics(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root, parquet.WithStats(false))
	src := openSource(t, root, files.Options{})
	h := openTable(t, src, connectors.Object{Table: "sales/orders"})
	for _, tc := range []struct {
		filter   expr.Expr
		keep     func(orderRow) bool
		stats    int
		dict     int
		describe string
	}{
		{call(expr.FnGt, colRef(t, h, "id"), expr.Int64Lit(5500)), func(r orderRow) bool { return r.id > 5500 }, 0, 0, "no min/max: keep all"},
		{call(expr.FnIsNull, colRef(t, h, "opt")), func(r orderRow) bool { return r.opt == nil }, 0, 0, "no null counts: keep all"},
		{call(expr.FnEq, colRef(t, h, "cat"), expr.StringLit("banana")), func(r orderRow) bool { return r.cat == "banana" }, 0, 4, "dictionaries still prune"},
	} {
		t.Run(tc.describe, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			nh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{tc.filter})
			p := nh.(pruner).Pruning()
			require.Equal(t, tc.stats, p.PrunedByStatistics)
			require.Equal(t, tc.dict, p.PrunedByDictionary)
			n := 0
			for _, row := range scanAll(t, nh, mem) {
				if tc.keep(orderAt(row[0].(int64))) {
					n++
				}
			}
			want := 0
			for _, r := range allOrders() {
				if tc.keep(r) {
					want++
				}
			}
			require.Equal(t, want, n)
		})
	}
}

func TestConcurrentSplits(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{TargetSplitRows: 1000})
	h := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
	fh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{call(expr.FnEq, colRef(t, h, "cat"), expr.StringLit("apple"))})
	mem := testutil.CheckedAllocator(t)
	type result struct {
		rows int
		err  error
	}
	// Plan concurrently too: the plan is computed once.
	results := make(chan result, 16)
	for i := 0; i < 2; i++ {
		go func() {
			splits, err := fh.Splits(context.Background())
			if err != nil {
				results <- result{err: err}
				return
			}
			for _, s := range splits {
				go func() {
					rr, err := fh.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem})
					if err != nil {
						results <- result{err: err}
						return
					}
					defer rr.Release()
					n := 0
					for rr.Next() {
						n += int(rr.RecordBatch().NumRows())
					}
					results <- result{rows: n, err: rr.Err()}
				}()
			}
		}()
	}
	total := 0
	for i := 0; i < 2*4; i++ { // 4 row groups survive dictionary pruning, twice
		r := <-results
		require.NoError(t, r.err)
		total += r.rows
	}
	require.Equal(t, 2*4*fixtureRowGroupRows, total)
}
