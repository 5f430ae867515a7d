package files_test

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestCSVInferenceAndOptions(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "people.csv"),
		"id,name,score,active,born,seen,seen_tz,note\n"+
			"1,Ann,1.5,true,1990-01-02,2024-01-02 10:00:00,2024-01-02T10:00:00Z,\n"+
			"2,\"Bob, Jr.\",2,false,1991-03-04,2024-01-02 11:30:00.25,2024-01-02 12:00:00+02:00,x\n"+
			"3,,,,,,,\n")
	writeFile(t, filepath.Join(root, "semi.tsv"), "a\tb\n1\tNA\nNA\tz\n")
	writeFile(t, filepath.Join(root, "noheader.csv"), "5;x\n6;y\n")
	writeFile(t, filepath.Join(root, "headeronly.csv"), "a,b\n")

	src := openSource(t, root, files.Options{})
	for _, tc := range []struct {
		name      string
		obj       connectors.Object
		wantNames []string
		wantTypes []arrow.DataType
		wantRows  [][]any
	}{
		{
			name:      "header and inference",
			obj:       connectors.Object{Table: "people.csv"},
			wantNames: []string{"id", "name", "score", "active", "born", "seen", "seen_tz", "note"},
			wantTypes: []arrow.DataType{expr.Int64, expr.String, expr.Float64, expr.Bool, expr.Date, expr.Timestamp, expr.TimestampTZ, expr.String},
			wantRows: [][]any{
				{int64(1), "Ann", 1.5, true, int64(7306), int64(1704189600000000), int64(1704189600000000), nil},
				{int64(2), "Bob, Jr.", 2.0, false, int64(7732), int64(1704195000250000), int64(1704189600000000), "x"},
				{int64(3), nil, nil, nil, nil, nil, nil, nil},
			},
		},
		{
			name:      "tab delimiter from the extension, custom null",
			obj:       connectors.Object{Table: "semi.tsv", Options: map[string]string{"null": "NA"}},
			wantNames: []string{"a", "b"},
			wantTypes: []arrow.DataType{expr.Int64, expr.String},
			wantRows:  [][]any{{int64(1), nil}, {nil, "z"}},
		},
		{
			name:      "no header, delimiter option",
			obj:       connectors.Object{Table: "noheader.csv", Options: map[string]string{"header": "false", "delimiter": ";"}},
			wantNames: []string{"column1", "column2"},
			wantTypes: []arrow.DataType{expr.Int64, expr.String},
			wantRows:  [][]any{{int64(5), "x"}, {int64(6), "y"}},
		},
		{
			name:      "header only",
			obj:       connectors.Object{Table: "headeronly.csv"},
			wantNames: []string{"a", "b"},
			wantTypes: []arrow.DataType{expr.String, expr.String},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema, _, err := src.Describe(context.Background(), tc.obj)
			require.NoError(t, err)
			for i, f := range schema.Fields() {
				require.Equal(t, tc.wantNames[i], f.Name)
				require.Truef(t, arrow.TypeEqual(tc.wantTypes[i], f.Type), "%s: %s", f.Name, f.Type)
				require.True(t, f.Nullable)
			}
			mem := testutil.CheckedAllocator(t)
			h := openTable(t, src, tc.obj)
			require.Equal(t, tc.wantRows, scanAll(t, h, mem))
			nh, support := h.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{call(expr.FnIsNull, colRef(t, h, tc.wantNames[0]))})
			require.Nil(t, nh, "CSV files carry no statistics to prune with")
			require.Equal(t, []connectors.FilterSupport{connectors.Unsupported}, support)
		})
	}
}

func TestCSVDeclaredSchemaProjectionAndErrors(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "sales/a.csv"), "k,amount,day\n1,10.50,2024-01-01\n2,3,2024-01-02\n")
	writeFile(t, filepath.Join(root, "sales/b.csv"), "DAY,Amount,k\n2024-02-01,7.25,3\n") // other order and case
	var gz []byte
	{
		path := filepath.Join(root, "sales/c.csv.gz")
		f, err := os.Create(path)
		require.NoError(t, err)
		w := gzip.NewWriter(f)
		_, err = w.Write([]byte("k,amount,day\n4,1.00,2024-03-01\n"))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.NoError(t, f.Close())
		gz, _ = os.ReadFile(path)
	}
	require.NotEmpty(t, gz)
	writeFile(t, filepath.Join(root, "bad/x.csv"), "k,amount\n1,2\n2,oops\n")

	src := openSource(t, root, files.Options{})
	obj := connectors.Object{Table: "sales/*", Format: "csv"}
	cols := []connectors.Column{
		{ID: 1, Name: "k", Type: expr.Int32},
		{ID: 2, Name: "amount", Type: expr.Decimal(10, 2)},
		{ID: 3, Name: "day", Type: expr.Date},
	}
	h, err := src.OpenTable(context.Background(), obj, cols)
	require.NoError(t, err)
	require.Greater(t, h.Stats().Rows, 0.0)
	mem := testutil.CheckedAllocator(t)
	rows := scanAll(t, h, mem)
	require.Equal(t, [][]any{
		{int64(1), "10.50", int64(19723)},
		{int64(2), "3.00", int64(19724)},
		{int64(3), "7.25", int64(19754)},
		{int64(4), "1.00", int64(19783)},
	}, rows)

	ph := h.(connectors.ProjectionPushdown).ApplyProjection([]expr.ColumnID{3})
	require.Equal(t, [][]any{{int64(19723)}, {int64(19724)}, {int64(19754)}, {int64(19783)}}, scanAll(t, ph, mem))
	lh := h.(connectors.LimitPushdown).ApplyLimit(1)
	require.Len(t, scanAll(t, lh, mem), 3, "each file is capped at the limit")

	t.Run("bad value names file, line and column, never the value", func(t *testing.T) {
		mem := testutil.CheckedAllocator(t)
		bh, err := src.OpenTable(context.Background(), connectors.Object{Table: "bad/x.csv"},
			[]connectors.Column{{ID: 1, Name: "k", Type: expr.Int64}, {ID: 2, Name: "amount", Type: expr.Int64}})
		require.NoError(t, err)
		splits, err := bh.Splits(context.Background())
		require.NoError(t, err)
		rr, err := bh.Scan(context.Background(), splits[0], connectors.ScanOptions{Alloc: mem})
		require.NoError(t, err)
		defer rr.Release()
		require.False(t, rr.Next())
		require.ErrorIs(t, rr.Err(), errs.InvalidArgument)
		require.Contains(t, rr.Err().Error(), "file bad/x.csv line 3: the value of column amount is not a valid bigint")
		require.NotContains(t, rr.Err().Error(), "oops")
	})

	t.Run("unsupported quote", func(t *testing.T) {
		_, _, err := src.Describe(context.Background(), connectors.Object{Table: "bad/x.csv", Options: map[string]string{"quote": "'"}})
		require.ErrorIs(t, err, errs.NotSupported)
	})

	t.Run("missing column lists the header", func(t *testing.T) {
		_, err := src.OpenTable(context.Background(), obj, []connectors.Column{{ID: 1, Name: "nope", Type: expr.Int64}})
		require.ErrorIs(t, err, errs.NotFound)
		require.Contains(t, err.Error(), "available columns: k, amount, day")
	})
}

func writeIPC(t testing.TB, path string, stream bool, schema *arrow.Schema, recs ...arrow.RecordBatch) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	if stream {
		w := ipc.NewWriter(f, ipc.WithSchema(schema))
		for _, r := range recs {
			require.NoError(t, w.Write(r))
		}
		require.NoError(t, w.Close())
		return
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
}

func TestArrowIPC(t *testing.T) {
	root := t.TempDir()
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32},
		{Name: "big", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "tag", Type: dictType},
		{Name: "list", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
	}, nil)
	gen := memory.NewGoAllocator()
	b := array.NewRecordBuilder(gen, schema)
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 2, 3}, nil)
	b.Field(1).(*array.LargeStringBuilder).AppendValues([]string{"a", "", "c"}, []bool{true, false, true})
	tags := b.Field(2).(*array.BinaryDictionaryBuilder)
	for _, s := range []string{"x", "y", "x"} {
		require.NoError(t, tags.AppendString(s))
	}
	lb := b.Field(3).(*array.ListBuilder)
	for i := 0; i < 3; i++ {
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	writeIPC(t, filepath.Join(root, "t.arrow"), false, schema, rec, rec)
	writeIPC(t, filepath.Join(root, "s.arrows"), true, schema, rec)
	rec.Release()

	src := openSource(t, root, files.Options{})
	for _, tc := range []struct {
		table    string
		wantRows int
	}{{"t.arrow", 6}, {"s.arrows", 3}} {
		t.Run(tc.table, func(t *testing.T) {
			obj := connectors.Object{Table: tc.table}
			described, warnings, err := src.Describe(context.Background(), obj)
			require.NoError(t, err)
			require.Len(t, warnings, 1)
			require.Contains(t, warnings[0], "column list")
			require.Equal(t, 3, described.NumFields())
			for _, f := range described.Fields()[1:] {
				require.Truef(t, arrow.TypeEqual(expr.String, f.Type), "%s: %s", f.Name, f.Type)
			}
			mem := testutil.CheckedAllocator(t)
			h, err := src.OpenTable(context.Background(), obj, []connectors.Column{
				{ID: 1, Name: "tag", Type: expr.String}, {ID: 2, Name: "big", Type: expr.String}, {ID: 3, Name: "id", Type: expr.Int64},
			})
			require.NoError(t, err)
			rows := scanAll(t, h, mem)
			require.Len(t, rows, tc.wantRows)
			require.Equal(t, []any{"x", "a", int64(1)}, rows[0])
			require.Equal(t, []any{"y", nil, int64(2)}, rows[1])

			_, err = src.OpenTable(context.Background(), obj, []connectors.Column{{ID: 1, Name: "list", Type: expr.String}})
			require.ErrorIs(t, err, errs.NotSupported)
		})
	}
}
