package files_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
)

const benchRows = 1_000_000

// lineitemSchema is an 8-column slice of TPC-H lineitem, typed as meshgate's demo data.
var lineitemSchema = arrow.NewSchema([]arrow.Field{
	{Name: "l_orderkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "l_partkey", Type: arrow.PrimitiveTypes.Int64},
	{Name: "l_quantity", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
	{Name: "l_extendedprice", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}},
	{Name: "l_shipdate", Type: arrow.FixedWidthTypes.Date32},
	{Name: "l_returnflag", Type: arrow.BinaryTypes.String},
	{Name: "l_shipmode", Type: arrow.BinaryTypes.String},
	{Name: "l_comment", Type: arrow.BinaryTypes.String},
}, nil)

// writeLineitem writes benchRows rows to path in row groups of rowGroupRows (Snappy).
func writeLineitem(t testing.TB, path string, rowGroupRows int64) {
	t.Helper()
	mem := memory.NewGoAllocator()
	modes := []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
	words := []string{"furiously", "quickly", "carefully", "blithely", "pending", "regular", "deposits", "accounts", "ironic", "final"}
	var batches []arrow.RecordBatch
	seed := uint64(42)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	for from := int64(0); from < benchRows; from += rowGroupRows {
		b := array.NewRecordBuilder(mem, lineitemSchema)
		for i := from; i < min(from+rowGroupRows, benchRows); i++ {
			b.Field(0).(*array.Int64Builder).Append(i/4 + 1)
			b.Field(1).(*array.Int64Builder).Append(int64(rnd() % 200_000))
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(rnd()%50+1) * 100))
			b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(rnd() % 10_000_000)))
			b.Field(4).(*array.Date32Builder).Append(arrow.Date32(8036 + rnd()%2500))
			b.Field(5).(*array.StringBuilder).Append([]string{"A", "N", "R"}[rnd()%3])
			b.Field(6).(*array.StringBuilder).Append(modes[rnd()%7])
			b.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("%s %s %s", words[rnd()%10], words[rnd()%10], words[rnd()%10]))
		}
		batches = append(batches, b.NewRecordBatch())
		b.Release()
	}
	writeParquet(t, path, lineitemSchema, batches,
		parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(rowGroupRows))
	for _, b := range batches {
		b.Release()
	}
}

// BenchmarkParquetScan compares a full scan of a 1M-row, 8-column file through the
// connector with a raw pqarrow read of the same file, one goroutine each. The two reads
// alternate inside every iteration so that load from other processes hits both alike, and
// each side's best iteration is reported (rows/s) with their ratio (connector/pqarrow,
// higher is better): on a shared machine the best run is the one least disturbed.
// The parallel variant turns on pqarrow's per-column goroutines for both (the connector's
// default); serial decodes on the scan's goroutine (Options.SerialColumns).
func BenchmarkParquetScan(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "lineitem.parquet")
	writeLineitem(b, path, 1<<20)
	const batchRows = 64 * 1024

	rawScan := func(b *testing.B, mem memory.Allocator, parallel bool) {
		rdr, err := file.OpenParquetFile(path, false)
		require.NoError(b, err)
		defer rdr.Close()
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: batchRows, Parallel: parallel}, mem)
		require.NoError(b, err)
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		require.NoError(b, err)
		defer rr.Release()
		n := int64(0)
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		require.NoError(b, rr.Err())
		require.Equal(b, int64(benchRows), n)
	}
	connectorScan := func(b *testing.B, mem memory.Allocator, h connectors.TableHandle) {
		splits, err := h.Splits(context.Background())
		require.NoError(b, err)
		n := int64(0)
		for _, s := range splits {
			rr, err := h.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem, BatchRows: batchRows})
			require.NoError(b, err)
			for rr.Next() {
				n += rr.RecordBatch().NumRows()
			}
			require.NoError(b, rr.Err())
			rr.Release()
		}
		require.Equal(b, int64(benchRows), n)
	}
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			src := openSource(b, dir, files.Options{SerialColumns: !parallel})
			h := openTable(b, src, connectors.Object{Table: "lineitem.parquet"})
			rawBest, connBest := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				rawScan(b, mem, parallel)
				mid := time.Now()
				connectorScan(b, mem, h)
				rawBest = min(rawBest, mid.Sub(start))
				connBest = min(connBest, time.Since(mid))
			}
			b.ReportMetric(benchRows/rawBest.Seconds(), "pqarrow-rows/s")
			b.ReportMetric(benchRows/connBest.Seconds(), "connector-rows/s")
			b.ReportMetric(rawBest.Seconds()/connBest.Seconds(), "ratio")
		})
	}
}
