package client

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

var typesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "ratio", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "raw", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "at_utc", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// typesRecord has every type the formats render, NULLs, and text that needs quoting.
func typesRecord(t testing.TB, mem memory.Allocator) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, typesSchema)
	defer b.Release()
	at := time.Date(2024, 2, 29, 13, 45, 6, 123456000, time.UTC)
	rows := []struct {
		id    int64
		name  *string
		cents *int64
		ratio *float64
		ok    *bool
		raw   []byte
		day   bool
		at    bool
		tags  []string
	}{
		{1, ptr("alice"), ptr[int64](1050), ptr(1.5), ptr(true), []byte{0xde, 0xad}, true, true, []string{"a", "b"}},
		{22, ptr(`comma, "quote"`), ptr[int64](-99), ptr(math.NaN()), ptr(false), []byte{}, true, true, []string{}},
		{333, ptr("ünïcødé\nline"), ptr[int64](123456789), ptr(math.Inf(-1)), nil, nil, false, false, nil},
		{4444, nil, nil, nil, nil, nil, false, false, nil},
	}
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		if r.name == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(*r.name)
		}
		if r.cents == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(*r.cents))
		}
		if r.ratio == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(*r.ratio)
		}
		if r.ok == nil {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.BooleanBuilder).Append(*r.ok)
		}
		if r.raw == nil {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BinaryBuilder).Append(r.raw)
		}
		if r.day {
			b.Field(6).(*array.Date32Builder).Append(arrow.Date32FromTime(at))
		} else {
			b.Field(6).AppendNull()
		}
		if r.at {
			b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixMicro()))
			b.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixMicro()))
		} else {
			b.Field(7).AppendNull()
			b.Field(8).AppendNull()
		}
		if r.tags == nil {
			b.Field(9).AppendNull()
		} else {
			lb := b.Field(9).(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(r.tags, nil)
		}
	}
	return b.NewRecordBatch()
}

func ptr[T any](v T) *T { return &v }

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func TestFormatsGolden(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatCSV, FormatJSON} {
		t.Run(string(f), func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			rec := typesRecord(t, mem)
			defer rec.Release()
			// Two batches: the table aligns across batches, the others stream.
			first, second := rec.NewSlice(0, 2), rec.NewSlice(2, rec.NumRows())
			defer first.Release()
			defer second.Release()

			var out bytes.Buffer
			w := newResultWriter(f, &out)
			require.NoError(t, w.begin(typesSchema))
			require.NoError(t, w.batch(first))
			require.NoError(t, w.batch(second))
			require.NoError(t, w.end(rec.NumRows()))
			golden(t, "types."+string(f)+".golden", out.Bytes())
		})
	}
}

func TestTableFooterAndEmptyResults(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int32}}, nil)
	tests := []struct {
		rows int64
		want string
	}{
		{0, " n\n---\n(0 rows)\n"},
		{1, " n\n---\n(1 row)\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := newResultWriter(FormatTable, &out)
		require.NoError(t, w.begin(schema))
		require.NoError(t, w.end(tt.rows))
		require.Equal(t, tt.want, out.String())
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "CSV", "json"} {
		_, err := ParseFormat(s)
		require.NoError(t, err)
	}
	_, err := ParseFormat("xml")
	require.EqualError(t, err, `unknown format "xml": use table, csv or json`)
}
