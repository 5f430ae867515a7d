package files_test

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

type pruner interface{ Pruning() files.PruneStats }

func TestParquetDescribe(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{})
	schema, warnings, err := src.Describe(context.Background(), connectors.Object{Table: "sales/orders/*.parquet"})
	require.NoError(t, err)
	require.Empty(t, warnings)
	want := []arrow.DataType{
		expr.Int64, expr.Int32, expr.Decimal(15, 2), expr.Date, expr.String, expr.String, expr.TimestampTZ, expr.Int64, expr.Float64,
	}
	require.Equal(t, len(want), schema.NumFields())
	for i, f := range schema.Fields() {
		require.Truef(t, arrow.TypeEqual(want[i], f.Type), "column %s: got %s want %s", f.Name, f.Type, want[i])
	}
}

func TestParquetFullScanAndSplitCoverage(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	for _, tc := range []struct {
		name       string
		target     int64
		wantSplits int
	}{
		{"one split per row group", 1000, 8},
		{"two row groups per split", 2500, 4},
		{"default groups a whole file", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			src := openSource(t, root, files.Options{TargetSplitRows: tc.target})
			h := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
			splits, err := h.Splits(context.Background())
			require.NoError(t, err)
			require.Len(t, splits, tc.wantSplits)
			require.Equal(t, float64(fixtureRows), h.Stats().Rows)

			// The union of all splits is the table, each row exactly once.
			var got [][]any
			for _, s := range splits {
				got = append(got, scanSplit(t, h, s, mem)...)
			}
			var want [][]any
			for _, r := range allOrders() {
				want = append(want, orderCells(r))
			}
			sortRows(got)
			sortRows(want)
			require.Equal(t, want, got)
		})
	}
}

func TestParquetPruning(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{TargetSplitRows: 1000})
	base := openTable(t, src, connectors.Object{Table: "sales/orders/*.parquet"})
	c := func(name string) *expr.ColumnRef { return colRef(t, base, name) }
	dec := func(unscaled int64, p, s int32) *expr.Literal {
		return expr.Lit(expr.Decimal(p, s), decimal128.FromI64(unscaled))
	}
	ts := func(us int64) *expr.Literal { return expr.Lit(expr.TimestampTZ, arrow.Timestamp(us)) }

	cases := []struct {
		name      string
		filter    expr.Expr
		keep      func(orderRow) bool
		statsPrun int
		dictPrun  int
	}{
		{"int64 >", call(expr.FnGt, c("id"), expr.Int64Lit(5500)), func(r orderRow) bool { return r.id > 5500 }, 5, 0},
		{"int64 = ", call(expr.FnEq, c("id"), expr.Int64Lit(1234)), func(r orderRow) bool { return r.id == 1234 }, 7, 0},
		{"literal on the left", call(expr.FnEq, expr.Int64Lit(1234), c("id")), func(r orderRow) bool { return r.id == 1234 }, 7, 0},
		{"reversed <", call(expr.FnLt, expr.Int64Lit(6999), c("id")), func(r orderRow) bool { return r.id > 6999 }, 7, 0},
		{"int64 <", call(expr.FnLt, c("id"), expr.Int64Lit(1000)), func(r orderRow) bool { return r.id < 1000 }, 7, 0},
		{"int64 <=", call(expr.FnLtEq, c("id"), expr.Int64Lit(1000)), func(r orderRow) bool { return r.id <= 1000 }, 6, 0},
		{"int64 >=", call(expr.FnGtEq, c("id"), expr.Int64Lit(7999)), func(r orderRow) bool { return r.id >= 7999 }, 7, 0},
		{"int64 <> prunes nothing", call(expr.FnNotEq, c("id"), expr.Int64Lit(5)), func(r orderRow) bool { return r.id != 5 }, 0, 0},
		{"IN list", &expr.InList{Arg: c("id"), List: []expr.Expr{expr.Int64Lit(5), expr.Int64Lit(7001)}},
			func(r orderRow) bool { return r.id == 5 || r.id == 7001 }, 6, 0},
		{"IN list with NULL", &expr.InList{Arg: c("id"), List: []expr.Expr{expr.NullOf(expr.Int64), expr.Int64Lit(7001)}},
			func(r orderRow) bool { return r.id == 7001 }, 7, 0},
		{"NOT IN prunes nothing", &expr.InList{Arg: c("id"), List: []expr.Expr{expr.Int64Lit(5)}, Negated: true},
			func(r orderRow) bool { return r.id != 5 }, 0, 0},
		{"int32 column, no row group holds the value", call(expr.FnEq, c("qty"), expr.Int32Lit(100)),
			func(r orderRow) bool { return r.qty == 100 }, 8, 0},
		{"cast of int32 seen through", call(expr.FnGt, &expr.Cast{Arg: c("qty"), Type: expr.Int64}, expr.Int64Lit(49)),
			func(r orderRow) bool { return r.qty > 49 }, 8, 0},
		{"decimal >= (FLBA statistics)", call(expr.FnGtEq, c("price"), dec(300099, 15, 2)),
			func(r orderRow) bool { return r.price >= 300099 }, 3, 0},
		{"decimal widened by a cast, other scale", call(expr.FnLt,
			&expr.Cast{Arg: c("price"), Type: expr.Decimal(21, 3)}, dec(1000990, 21, 3)),
			func(r orderRow) bool { return r.price < 100099 }, 7, 0},
		{"decimal vs integer literal", call(expr.FnGt, &expr.Cast{Arg: c("price"), Type: expr.Decimal(21, 2)},
			&expr.Cast{Arg: expr.Int64Lit(6999), Type: expr.Decimal(21, 2)}),
			func(r orderRow) bool { return r.price > 699900 }, 6, 0},
		{"date =", call(expr.FnEq, c("day"), expr.DateLit(fixtureDay0+25)),
			func(r orderRow) bool { return r.day == fixtureDay0+25 }, 7, 0},
		{"date cast to timestamp", call(expr.FnGtEq, &expr.Cast{Arg: c("day"), Type: expr.Timestamp},
			expr.Lit(expr.Timestamp, arrow.Timestamp(int64(fixtureDay0+70)*86_400_000_000))),
			func(r orderRow) bool { return r.day >= fixtureDay0+70 }, 7, 0},
		{"timestamp >", call(expr.FnGt, c("ts"), ts(fixtureTS0+6_500*1_000_000)),
			func(r orderRow) bool { return r.ts > fixtureTS0+6_500*1_000_000 }, 6, 0},
		{"string >=", call(expr.FnGtEq, c("name"), expr.StringLit("n06000")),
			func(r orderRow) bool { return r.name >= "n06000" }, 6, 0},
		{"LIKE prefix", call(expr.FnLike, c("name"), expr.StringLit("n012%")),
			func(r orderRow) bool { return strings.HasPrefix(r.name, "n012") }, 7, 0},
		{"LIKE without wildcard", call(expr.FnLike, c("name"), expr.StringLit("n00042")),
			func(r orderRow) bool { return r.name == "n00042" }, 7, 0},
		{"dictionary proves absence", call(expr.FnEq, c("cat"), expr.StringLit("banana")),
			func(r orderRow) bool { return r.cat == "banana" }, 0, 4},
		{"statistics then dictionary", &expr.InList{Arg: c("cat"), List: []expr.Expr{expr.StringLit("apple"), expr.StringLit("zzz")}},
			func(r orderRow) bool { return r.cat == "apple" }, 4, 0},
		{"dictionary prunes everything", call(expr.FnEq, c("cat"), expr.StringLit("blueberry")),
			func(r orderRow) bool { return false }, 0, 8},
		{"IS NULL uses null counts", call(expr.FnIsNull, c("opt")),
			func(r orderRow) bool { return r.opt == nil }, 6, 0},
		{"IS NOT NULL skips the all-NULL row group", call(expr.FnIsNotNull, c("opt")),
			func(r orderRow) bool { return r.opt != nil }, 1, 0},
		{"comparison on an all-NULL row group", call(expr.FnGtEq, c("opt"), expr.Int64Lit(0)),
			func(r orderRow) bool { return r.opt != nil }, 1, 0},
		{"OR", call(expr.FnOr, call(expr.FnLt, c("id"), expr.Int64Lit(500)), call(expr.FnGt, c("id"), expr.Int64Lit(7500))),
			func(r orderRow) bool { return r.id < 500 || r.id > 7500 }, 6, 0},
		{"NOT pushed down", call(expr.FnNot, call(expr.FnGtEq, c("id"), expr.Int64Lit(1000))),
			func(r orderRow) bool { return r.id < 1000 }, 7, 0},
		{"NOT over OR", call(expr.FnNot, call(expr.FnOr, call(expr.FnLt, c("id"), expr.Int64Lit(1000)), call(expr.FnGtEq, c("id"), expr.Int64Lit(2000)))),
			func(r orderRow) bool { return r.id >= 1000 && r.id < 2000 }, 7, 0},
		{"AND inside one conjunct", call(expr.FnAnd, call(expr.FnGt, c("id"), expr.Int64Lit(1000)), call(expr.FnLt, c("id"), expr.Int64Lit(2500))),
			func(r orderRow) bool { return r.id > 1000 && r.id < 2500 }, 6, 0},
		{"float < uses min", call(expr.FnLt, c("score"), expr.FloatLit(10)),
			func(r orderRow) bool { return r.score < 10 }, 7, 0},
		{"float > kept: NaN is not in statistics", call(expr.FnGt, c("score"), expr.FloatLit(3500)),
			func(r orderRow) bool { return r.score > 3500 }, 0, 0},
		{"comparison with NULL matches nothing", call(expr.FnEq, c("id"), expr.NullOf(expr.Int64)),
			func(r orderRow) bool { return false }, 8, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			nh, support := base.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{tc.filter})
			require.Equal(t, []connectors.FilterSupport{connectors.Inexact}, support)
			require.NotNil(t, nh)
			p := nh.(pruner).Pruning()
			require.NoError(t, p.Err)
			require.Equal(t, 8, p.RowGroups)
			require.Equal(t, tc.statsPrun, p.PrunedByStatistics, "pruned by statistics")
			require.Equal(t, tc.dictPrun, p.PrunedByDictionary, "pruned by dictionary")
			require.Contains(t, nh.Explain(), "filters inexact: [")

			// The gateway re-checks Inexact filters: after that the result must equal the
			// unfiltered table filtered in Go, so pruning never dropped a matching row.
			var got [][]any
			for _, row := range scanAll(t, nh, mem) {
				if tc.keep(orderAt(row[0].(int64))) {
					got = append(got, row)
				}
			}
			var want [][]any
			for _, r := range allOrders() {
				if tc.keep(r) {
					want = append(want, orderCells(r))
				}
			}
			sortRows(got)
			sortRows(want)
			require.Equal(t, want, got)
		})
	}
}

func TestParquetFilterSupport(t *testing.T) {
	root := t.TempDir()
	writeOrders(t, root)
	src := openSource(t, root, files.Options{})
	h := openTable(t, src, connectors.Object{Table: "sales/orders"})
	id, qty := colRef(t, h, "id"), colRef(t, h, "qty")
	arith := &expr.Call{Func: expr.FnAdd, Args: []expr.Expr{id, expr.Int64Lit(1)}, Type: expr.Int64}
	conjuncts := []expr.Expr{
		call(expr.FnGt, arith, expr.Int64Lit(5)),                                                         // arithmetic on the column
		call(expr.FnEq, id, &expr.Cast{Arg: qty, Type: expr.Int64}),                                      // column vs column
		call(expr.FnGt, id, expr.Int64Lit(7000)),                                                         // usable
		call(expr.FnNot, call(expr.FnLike, colRef(t, h, "name"), expr.StringLit("n%"))),                  // NOT LIKE
		call(expr.FnOr, call(expr.FnGt, id, expr.Int64Lit(1)), call(expr.FnGt, arith, expr.Int64Lit(1))), // OR with an unusable arm
	}
	nh, support := h.(connectors.FilterPushdown).ApplyFilter(conjuncts)
	require.Equal(t, []connectors.FilterSupport{
		connectors.Unsupported, connectors.Unsupported, connectors.Inexact, connectors.Unsupported, connectors.Unsupported,
	}, support)
	require.Equal(t, 7, nh.(pruner).Pruning().PrunedByStatistics)
	require.Nil(t, nh.(connectors.LimitPushdown).ApplyLimit(10), "a limit is never pushed below inexact filters")

	none, support := h.(connectors.FilterPushdown).ApplyFilter(conjuncts[:2])
	require.Nil(t, none)
	require.Equal(t, []connectors.FilterSupport{connectors.Unsupported, connectors.Unsupported}, support)
}

func TestParquetDecimalsStoredAsIntegers(t *testing.T) {
	root := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "small", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}},   // INT32
		{Name: "medium", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}}, // INT64
	}, nil)
	mem := testutil.CheckedAllocator(t)
	var batches []arrow.RecordBatch
	for g := int64(0); g < 4; g++ {
		b := newDecimalBatch(mem, schema, g*100-200, g*100-100) // values -2.00 .. 1.99 across groups
		batches = append(batches, b)
	}
	writeParquet(t, root+"/d.parquet", schema, batches, parquet.WithStoreDecimalAsInteger(true))
	for _, b := range batches {
		b.Release()
	}
	src := openSource(t, root, files.Options{TargetSplitRows: 1})
	h := openTable(t, src, connectors.Object{Table: "d.parquet"})
	for _, tc := range []struct {
		col    string
		lit    int64 // unscaled at scale 2
		op     string
		pruned int
	}{
		{"small", -101, expr.FnLt, 3},  // groups hold [-2.00,-1.01] [-1.00,-0.01] [0,0.99] [1.00,1.99]
		{"small", 0, expr.FnGtEq, 2},   // negative groups pruned
		{"medium", -1, expr.FnLtEq, 2}, // positive groups pruned
		{"medium", 150, expr.FnEq, 3},
	} {
		typ := h.Columns()[0].Type
		if tc.col == "medium" {
			typ = h.Columns()[1].Type
		}
		nh, _ := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
			call(tc.op, colRef(t, h, tc.col), expr.Lit(typ, decimal128.FromI64(tc.lit))),
		})
		require.NotNil(t, nh)
		require.Equal(t, tc.pruned, nh.(pruner).Pruning().PrunedByStatistics, "%s %s %d", tc.col, tc.op, tc.lit)
	}
}

// newDecimalBatch holds unscaled values [from, to) in every column.
func newDecimalBatch(mem memory.Allocator, schema *arrow.Schema, from, to int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for v := from; v < to; v++ {
		for c := 0; c < schema.NumFields(); c++ {
			b.Field(c).(*array.Decimal128Builder).Append(decimal128.FromI64(v))
		}
	}
	return b.NewRecordBatch()
}
