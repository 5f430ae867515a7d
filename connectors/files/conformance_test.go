package files_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/planner/expr"
)

var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")

// conformanceHarness writes the suite's tables as Parquet files under a temporary root. A
// table's "splits" option is the number of row groups it is written in; the source makes
// every row group its own split.
type conformanceHarness struct {
	root string
}

var _ conntest.Harness = (*conformanceHarness)(nil)

func (h *conformanceHarness) Name() string { return "files" }

func (h *conformanceHarness) Capabilities() conntest.Capabilities {
	return conntest.Capabilities{TextEquality: connectors.Inexact, PhysicalSplits: true, PruneOnly: true}
}

func (h *conformanceHarness) Source(t *testing.T) connectors.Source {
	src, err := files.NewFactory(files.Options{TargetSplitRows: 1}).Open(context.Background(), connectors.SourceConfig{
		Domain: "test", Name: "files", Type: "files", Options: map[string]string{files.OptionRoot: h.root},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func (h *conformanceHarness) CreateTable(t *testing.T, spec conntest.TableSpec) connectors.Object {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := spec.Name + "_" + hex.EncodeToString(b[:]) + ".parquet"
	path := filepath.Join(h.root, name)
	t.Cleanup(func() { _ = os.Remove(path) })
	WriteParquet(t, path, spec.Columns, spec.Rows, spec.Options["splits"])
	return connectors.Object{Table: name, Format: files.FormatParquet}
}

// WriteParquet writes rows of canonical values (nil for NULL) as a Parquet file, in as many
// row groups as splits says (default one).
func WriteParquet(t *testing.T, path string, cols []conntest.ColumnSpec, rows [][]any, splits string) {
	t.Helper()
	mem := memory.NewGoAllocator()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for _, row := range rows {
		for i, v := range row {
			require.NoError(t, expr.AppendValue(rb.Field(i), v))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	groupRows := max(len(rows), 1)
	if n, err := strconv.Atoi(splits); err == nil && n > 1 {
		groupRows = (len(rows) + n - 1) / n
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := pqarrow.NewFileWriter(schema, f,
		parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(int64(groupRows)), parquet.WithAllocator(mem)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	require.NoError(t, err)
	require.NoError(t, w.WriteBuffered(rec))
	require.NoError(t, w.Close())
}

func TestConformance(t *testing.T) {
	conntest.Run(t, &conformanceHarness{root: t.TempDir()})
}
