package tpch_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
)

// testSF is the scale factor of the shared data set the value tests read.
const testSF = 0.01

// shared is generated once by TestMain: every test below reads it, none writes it.
var shared struct {
	dir      string
	manifest *tpch.Manifest
}

func TestMain(m *testing.M) {
	os.Exit(runWithSharedData(m))
}

func runWithSharedData(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tpch-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	shared.dir = dir
	shared.manifest, err = tpch.Generate(context.Background(), tpch.GenerateOptions{SF: testSF, Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "generating shared TPC-H data:", err)
		return 1
	}
	return m.Run()
}

func TestTablesHaveSpecSchemas(t *testing.T) {
	tables := tpch.Tables()
	require.Len(t, tables, 8)
	domains := map[string]string{}
	for _, table := range tables {
		domains[table.Name] = table.Domain
		for _, f := range table.Schema.Fields() {
			require.False(t, f.Nullable, "%s.%s", table.Name, f.Name)
			sqlType, ok := f.Metadata.GetValue(tpch.SQLTypeKey)
			require.True(t, ok, "%s.%s has no SQL type", table.Name, f.Name)
			require.Equal(t, expectedArrowType(f.Name), f.Type.String(), "%s.%s (%s)", table.Name, f.Name, sqlType)
		}
		got, ok := tpch.LookupTable(table.QualifiedName())
		require.True(t, ok)
		require.Equal(t, table.Name, got.Name)
	}
	require.Equal(t, map[string]string{
		"orders": "sales", "lineitem": "sales",
		"customer": "customers", "nation": "customers", "region": "customers",
		"part": "supply", "supplier": "supply", "partsupp": "supply",
	}, domains)

	sqlTypes := map[string]string{}
	for _, table := range tables {
		for _, f := range table.Schema.Fields() {
			sqlTypes[f.Name], _ = f.Metadata.GetValue(tpch.SQLTypeKey)
		}
	}
	for column, want := range map[string]string{
		"l_returnflag": "char(1)", "l_comment": "varchar(44)", "p_type": "varchar(25)",
		"p_brand": "char(10)", "c_phone": "char(15)", "s_name": "char(25)", "c_name": "varchar(25)",
		"o_orderpriority": "char(15)", "n_comment": "varchar(152)", "l_quantity": "numeric(15,2)",
		"o_orderdate": "date", "ps_availqty": "integer", "o_orderkey": "bigint",
	} {
		require.Equal(t, want, sqlTypes[column], column)
	}
}

// expectedArrowType states the type rules of the brief independently of the schema code.
func expectedArrowType(column string) string {
	switch column {
	case "l_linenumber", "p_size", "ps_availqty", "o_shippriority":
		return "int32"
	case "l_quantity", "l_extendedprice", "l_discount", "l_tax", "o_totalprice", "p_retailprice",
		"ps_supplycost", "s_acctbal", "c_acctbal":
		return "decimal(15, 2)"
	case "o_orderdate", "l_shipdate", "l_commitdate", "l_receiptdate":
		return "date32"
	}
	if strings.HasSuffix(column, "key") {
		return "int64"
	}
	return "utf8"
}

func TestGenerateRowCounts(t *testing.T) {
	want := map[string]int64{
		"region": 5, "nation": 25, "supplier": 100, "customer": 1500,
		"part": 2000, "partsupp": 8000, "orders": 15000,
	}
	for _, table := range tpch.Tables() {
		mt, ok := shared.manifest.Table(table.Name)
		require.True(t, ok, table.Name)
		require.Equal(t, table.Domain, mt.Domain)
		require.Equal(t, table.RowCount(testSF), mt.Rows, table.Name)
		var fileRows int64
		for _, f := range mt.Files {
			require.Regexp(t, `^`+table.Domain+`/`+table.Name+`/part-\d{5}\.parquet$`, f.Path)
			fileRows += f.Rows
		}
		require.Equal(t, mt.Rows, fileRows, table.Name)
		if n, ok := want[table.Name]; ok {
			require.Equal(t, n, mt.Rows, table.Name)
		}
	}
	lines, _ := shared.manifest.Table("lineitem")
	require.InDelta(t, 4*15000, lines.Rows, 1500, "1 to 7 lines per order average 4")
	require.Equal(t, testSF, shared.manifest.SF)
	require.Equal(t, tpch.GeneratorVersion, shared.manifest.GeneratorVersion)
}

func TestRowCountAtScaleFactorOne(t *testing.T) {
	want := map[string]int64{
		"region": 5, "nation": 25, "supplier": 10_000, "customer": 150_000,
		"part": 200_000, "partsupp": 800_000, "orders": 1_500_000,
	}
	for _, table := range tpch.Tables() {
		got := table.RowCount(1)
		if n, ok := want[table.Name]; ok {
			require.Equal(t, n, got, table.Name)
			continue
		}
		require.InEpsilon(t, 6_000_000, got, 0.005, "lineitem")
	}
}

func TestParquetReadsBackTheDeclaredSchema(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	for _, table := range tpch.Tables() {
		mt, _ := shared.manifest.Table(table.Name)
		for _, f := range mt.Files {
			rdr, err := file.OpenParquetFile(filepath.Join(shared.dir, f.Path), false)
			require.NoError(t, err)
			fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, mem)
			require.NoError(t, err)
			got, err := fr.Schema()
			require.NoError(t, err)
			require.Equal(t, table.Schema.NumFields(), got.NumFields())
			for i, want := range table.Schema.Fields() {
				field := got.Field(i)
				require.Equal(t, want.Name, field.Name)
				require.Truef(t, arrow.TypeEqual(want.Type, field.Type), "%s: %s read back as %s", want.Name, want.Type, field.Type)
				require.False(t, field.Nullable, want.Name)
				sqlType, _ := field.Metadata.GetValue(tpch.SQLTypeKey)
				wantSQL, _ := want.Metadata.GetValue(tpch.SQLTypeKey)
				require.Equal(t, wantSQL, sqlType, want.Name)
			}

			// Readers that ignore the stored Arrow schema see the same logical types.
			pqSchema := rdr.MetaData().Schema
			for i, want := range table.Schema.Fields() {
				logical := pqSchema.Column(i).LogicalType()
				switch want.Type.ID() {
				case arrow.DECIMAL128:
					dec, ok := logical.(schema.DecimalLogicalType)
					require.True(t, ok, want.Name)
					require.Equal(t, int32(15), dec.Precision())
					require.Equal(t, int32(2), dec.Scale())
				case arrow.DATE32:
					require.IsType(t, schema.DateLogicalType{}, logical, want.Name)
				case arrow.STRING:
					require.IsType(t, schema.StringLogicalType{}, logical, want.Name)
				}
			}

			require.Equal(t, f.Rows, rdr.NumRows())
			for rg := range rdr.NumRowGroups() {
				require.LessOrEqual(t, rdr.MetaData().RowGroup(rg).NumRows(), int64(128*1024))
			}
			require.NoError(t, rdr.Close())
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	ctx := context.Background()
	for _, parallelism := range []int{1, 3} {
		t.Run(fmt.Sprintf("parallelism %d", parallelism), func(t *testing.T) {
			m, err := tpch.Generate(ctx, tpch.GenerateOptions{
				SF: testSF, Dir: t.TempDir(), Parallelism: parallelism, Allocator: testutil.CheckedAllocator(t),
			})
			require.NoError(t, err)
			require.Equal(t, checksums(shared.manifest), checksums(m))
		})
	}
}

func checksums(m *tpch.Manifest) map[string]string {
	out := map[string]string{}
	for _, t := range m.Tables {
		for _, f := range t.Files {
			out[f.Path] = f.SHA256
		}
	}
	return out
}

func TestGenerateReusesMatchingData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: testSF, Dir: dir})
	require.NoError(t, err)

	// A stray file inside a table directory survives only as long as nothing regenerates.
	sentinel := filepath.Join(dir, "sales", "orders", "sentinel")
	require.NoError(t, os.WriteFile(sentinel, nil, 0o644))
	unrelated := filepath.Join(dir, "unrelated.txt")
	require.NoError(t, os.WriteFile(unrelated, nil, 0o644))

	tests := []struct {
		name        string
		opts        tpch.GenerateOptions
		regenerates bool
	}{
		{name: "same scale factor", opts: tpch.GenerateOptions{SF: testSF, Dir: dir}},
		{name: "forced", opts: tpch.GenerateOptions{SF: testSF, Dir: dir, Force: true}, regenerates: true},
		{name: "other scale factor", opts: tpch.GenerateOptions{SF: 0.02, Dir: dir}, regenerates: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(sentinel, nil, 0o644))
			m, err := tpch.Generate(ctx, tt.opts)
			require.NoError(t, err)
			require.Equal(t, tt.opts.SF, m.SF)
			_, statErr := os.Stat(sentinel)
			require.Equal(t, tt.regenerates, os.IsNotExist(statErr))
			require.FileExists(t, unrelated)
			if tt.opts.SF == testSF {
				require.Equal(t, checksums(first), checksums(m))
			}
			read, err := tpch.ReadManifest(dir)
			require.NoError(t, err)
			require.Equal(t, m, read)
		})
	}

	// A file that went missing makes the data set unusable, so it is regenerated.
	lines, _ := first.Table("lineitem")
	require.NoError(t, os.Remove(filepath.Join(dir, lines.Files[0].Path)))
	m, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: testSF, Dir: dir})
	require.NoError(t, err)
	require.Equal(t, checksums(first), checksums(m))
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	for _, opts := range []tpch.GenerateOptions{
		{SF: 0, Dir: t.TempDir()},
		{SF: -1, Dir: t.TempDir()},
		{SF: math.NaN(), Dir: t.TempDir()},
		{SF: 0.001, Dir: t.TempDir()},
		{SF: 0.01, Dir: ""},
	} {
		_, err := tpch.Generate(context.Background(), opts)
		require.Error(t, err, "%+v", opts)
		require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err), err.Error())
	}
}

func TestGenerateStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: testSF, Dir: t.TempDir()})
	require.ErrorIs(t, err, context.Canceled)
}

func TestRecordReaderMatchesParquet(t *testing.T) {
	for _, name := range []string{"nation", "customers.customer", "orders", "sales.lineitem", "partsupp"} {
		t.Run(name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			table, ok := tpch.LookupTable(name)
			require.True(t, ok)
			reader, err := tpch.NewRecordReader(context.Background(), name, testSF, mem)
			require.NoError(t, err)
			defer reader.Release()
			require.True(t, reader.Schema().Equal(table.Schema))

			var recs []arrow.RecordBatch
			for reader.Next() {
				rec := reader.RecordBatch()
				rec.Retain()
				recs = append(recs, rec)
			}
			require.NoError(t, reader.Err())
			generated := array.NewTableFromRecords(table.Schema, recs)
			for _, rec := range recs {
				rec.Release()
			}
			defer generated.Release()

			written := readTable(t, table.Name, mem)
			defer written.Release()
			require.Equal(t, written.NumRows(), generated.NumRows())
			for i := range table.Schema.NumFields() {
				want := concat(t, written.Column(i).Data(), mem)
				got := concat(t, generated.Column(i).Data(), mem)
				require.True(t, array.Equal(want, got), table.Schema.Field(i).Name)
				want.Release()
				got.Release()
			}
		})
	}
	_, err := tpch.NewRecordReader(context.Background(), "nope", testSF, nil)
	require.Equal(t, errs.KindNotFound, errs.KindOf(err))
}

// readTable reads every file of a table of the shared data set into one Arrow table.
func readTable(t *testing.T, name string, mem memory.Allocator) arrow.Table {
	t.Helper()
	mt, ok := shared.manifest.Table(name)
	require.True(t, ok, name)
	table, _ := tpch.LookupTable(name)
	var recs []arrow.RecordBatch
	for _, f := range mt.Files {
		rdr, err := file.OpenParquetFile(filepath.Join(shared.dir, f.Path), false)
		require.NoError(t, err)
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
		require.NoError(t, err)
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		require.NoError(t, err)
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			recs = append(recs, rec)
		}
		require.NoError(t, rr.Err())
		rr.Release()
		require.NoError(t, rdr.Close())
	}
	out := array.NewTableFromRecords(table.Schema, recs)
	for _, rec := range recs {
		rec.Release()
	}
	return out
}

func concat(t *testing.T, chunked *arrow.Chunked, mem memory.Allocator) arrow.Array {
	t.Helper()
	out, err := array.Concatenate(chunked.Chunks(), mem)
	require.NoError(t, err)
	return out
}

func BenchmarkGenerate(b *testing.B) {
	const sf = 0.05
	dir := b.TempDir()
	var rows, bytes int64
	for b.Loop() {
		m, err := tpch.Generate(context.Background(), tpch.GenerateOptions{SF: sf, Dir: dir, Force: true})
		if err != nil {
			b.Fatal(err)
		}
		rows, bytes = 0, 0
		for _, t := range m.Tables {
			for _, f := range t.Files {
				rows += f.Rows
				bytes += f.Bytes
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/1e6, "MB/op")
}
