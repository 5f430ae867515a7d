package files_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/planner/expr"
)

// The orders fixture: two Parquet files of four 1,000-row row groups each. Row i (0..7999)
// is in global row group i/1000 and holds values whose ranges are disjoint per row group,
// so every comparison prunes a predictable set of row groups.
const (
	fixtureRowGroupRows = 1000
	fixtureFiles        = 2
	fixtureGroupsEach   = 4
	fixtureRows         = fixtureRowGroupRows * fixtureFiles * fixtureGroupsEach
	fixtureDay0         = 19000
	fixtureTS0          = int64(1_600_000_000_000_000) // µs
)

var ordersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "qty", Type: arrow.PrimitiveTypes.Int32},
	{Name: "price", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "cat", Type: arrow.BinaryTypes.String},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "opt", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// orderRow is the Go view of one fixture row; the expected result of every filter is
// computed from these.
type orderRow struct {
	id    int64
	qty   int32
	price int64 // unscaled, scale 2
	day   int32
	name  string
	cat   string
	ts    int64
	opt   *int64
	score float64
}

func orderAt(i int64) orderRow {
	g := i / fixtureRowGroupRows
	cat := []string{"apple", "cherry"}[i%2]
	if g%2 == 1 {
		cat = []string{"banana", "date"}[i%2]
	}
	var opt *int64
	switch {
	case g == 2: // all NULL
	case g == 5 && i%2 == 1:
	default:
		v := i
		opt = &v
	}
	return orderRow{
		id: i, qty: int32(i % 50), price: i*100 + 99, day: int32(fixtureDay0 + i/100),
		name: fmt.Sprintf("n%05d", i), cat: cat, ts: fixtureTS0 + i*1_000_000, opt: opt, score: float64(i) * 0.5,
	}
}

func allOrders() []orderRow {
	out := make([]orderRow, fixtureRows)
	for i := range out {
		out[i] = orderAt(int64(i))
	}
	return out
}

// ordersBatch builds rows [from, to) as one record batch.
func ordersBatch(mem memory.Allocator, from, to int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, ordersSchema)
	defer b.Release()
	for i := from; i < to; i++ {
		r := orderAt(i)
		b.Field(0).(*array.Int64Builder).Append(r.id)
		b.Field(1).(*array.Int32Builder).Append(r.qty)
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(r.price))
		b.Field(3).(*array.Date32Builder).Append(arrow.Date32(r.day))
		b.Field(4).(*array.StringBuilder).Append(r.name)
		b.Field(5).(*array.StringBuilder).Append(r.cat)
		b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ts))
		if r.opt == nil {
			b.Field(7).AppendNull()
		} else {
			b.Field(7).(*array.Int64Builder).Append(*r.opt)
		}
		b.Field(8).(*array.Float64Builder).Append(r.score)
	}
	return b.NewRecordBatch()
}

// writeParquet writes batches to path, one row group per batch.
func writeParquet(t testing.TB, path string, schema *arrow.Schema, batches []arrow.RecordBatch, props ...parquet.WriterProperty) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	props = append([]parquet.WriterProperty{parquet.WithStats(true)}, props...)
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	for _, b := range batches {
		// Write starts a new row group per batch.
		require.NoError(t, w.Write(b))
	}
	require.NoError(t, w.Close())
}

// writeOrders writes the orders fixture under root/sales/orders/part-N.parquet.
func writeOrders(t testing.TB, root string, props ...parquet.WriterProperty) {
	t.Helper()
	mem := memory.NewGoAllocator()
	props = append([]parquet.WriterProperty{
		parquet.WithMaxRowGroupLength(fixtureRowGroupRows),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("cat", true),
	}, props...)
	for f := 0; f < fixtureFiles; f++ {
		var batches []arrow.RecordBatch
		for g := 0; g < fixtureGroupsEach; g++ {
			from := int64((f*fixtureGroupsEach + g) * fixtureRowGroupRows)
			batches = append(batches, ordersBatch(mem, from, from+fixtureRowGroupRows))
		}
		writeParquet(t, filepath.Join(root, "sales", "orders", fmt.Sprintf("part-%d.parquet", f)), ordersSchema, batches, props...)
		for _, b := range batches {
			b.Release()
		}
	}
}

func openSource(t testing.TB, root string, opts files.Options) connectors.Source {
	t.Helper()
	src, err := files.NewFactory(opts).Open(context.Background(), connectors.SourceConfig{
		Domain: "sales", Name: "lake", Type: "files", Options: map[string]string{"root": root},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	return src
}

// columnsOf turns a described schema into planner columns with IDs 1..n.
func columnsOf(schema *arrow.Schema) []connectors.Column {
	cols := make([]connectors.Column, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = connectors.Column{ID: expr.ColumnID(i + 1), Name: f.Name, Type: f.Type}
	}
	return cols
}

func openTable(t testing.TB, src connectors.Source, obj connectors.Object) connectors.TableHandle {
	t.Helper()
	schema, _, err := src.Describe(context.Background(), obj)
	require.NoError(t, err)
	h, err := src.OpenTable(context.Background(), obj, columnsOf(schema))
	require.NoError(t, err)
	return h
}

// colRef references column name of h.
func colRef(t testing.TB, h connectors.TableHandle, name string) *expr.ColumnRef {
	t.Helper()
	for _, c := range h.Columns() {
		if c.Name == name {
			return &expr.ColumnRef{ID: c.ID, Name: c.Name, Type: c.Type}
		}
	}
	t.Fatalf("no column %s", name)
	return nil
}

func call(fn string, args ...expr.Expr) *expr.Call {
	return &expr.Call{Func: fn, Args: args, Type: expr.Bool}
}

// scanAll reads every split of h and returns the rows as Go values (see cell).
func scanAll(t testing.TB, h connectors.TableHandle, mem memory.Allocator) [][]any {
	t.Helper()
	ctx := context.Background()
	splits, err := h.Splits(ctx)
	require.NoError(t, err)
	var rows [][]any
	for _, s := range splits {
		rows = append(rows, scanSplit(t, h, s, mem)...)
	}
	return rows
}

func scanSplit(t testing.TB, h connectors.TableHandle, s connectors.Split, mem memory.Allocator) [][]any {
	t.Helper()
	rr, err := h.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem, BatchRows: 700})
	require.NoError(t, err)
	defer rr.Release()
	var rows [][]any
	for rr.Next() {
		rec := rr.RecordBatch()
		require.True(t, rec.Schema().Equal(rr.Schema()), "batch schema %s differs from reader schema %s", rec.Schema(), rr.Schema())
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for c := range row {
				row[c] = cell(rec.Column(c), i)
			}
			rows = append(rows, row)
		}
	}
	require.NoError(t, rr.Err())
	return rows
}

// cell is the Go value of arr[i]: nil for NULL, int64 for integers, dates and timestamps,
// the decimal text for decimals, string, float64, bool.
func cell(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return expr.FormatDecimal(a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Date32:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	}
	return arr.ValueStr(i)
}

// orderCells is the expected scan row of r for the full orders schema.
func orderCells(r orderRow) []any {
	var opt any
	if r.opt != nil {
		opt = *r.opt
	}
	return []any{
		r.id, int64(r.qty), expr.FormatDecimal(decimal128.FromI64(r.price), 2), int64(r.day),
		r.name, r.cat, r.ts, opt, r.score,
	}
}

// sortRows orders rows by their printed form, so results compare independent of split order.
func sortRows(rows [][]any) {
	keys := make(map[*[]any]string, len(rows))
	ptrs := make([]*[]any, len(rows))
	for i := range rows {
		r := rows[i]
		ptrs[i] = &r
		keys[&r] = fmt.Sprint(r)
	}
	sort.Slice(ptrs, func(i, j int) bool { return keys[ptrs[i]] < keys[ptrs[j]] })
	sorted := make([][]any, len(rows))
	for i, p := range ptrs {
		sorted[i] = *p
	}
	copy(rows, sorted)
}
