package meshtest

import (
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/planner/expr"
)

// WriteParquet writes rows of canonical values (nil for NULL) as a Parquet file with the
// given schema, in row groups of at most groupRows rows (0: one row group).
func WriteParquet(t testing.TB, path string, schema *arrow.Schema, rows [][]any, groupRows int) {
	t.Helper()
	mem := memory.NewGoAllocator()
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for _, row := range rows {
		for i, v := range row {
			require.NoError(t, expr.AppendValue(rb.Field(i), v))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	if groupRows <= 0 {
		groupRows = max(len(rows), 1)
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
