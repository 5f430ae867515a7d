package flight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
)

func arrayFromJSON(t *testing.T, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	arr, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	require.NoError(t, err)
	return arr
}

func TestPlainArray(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	tests := []struct {
		name  string
		build func(mem memory.Allocator) arrow.Array
		want  arrow.DataType
		json  string
	}{
		{"dictionary", func(mem memory.Allocator) arrow.Array {
			values := arrayFromJSON(t, mem, arrow.BinaryTypes.String, `["EU","US"]`)
			defer values.Release()
			indices := arrayFromJSON(t, mem, arrow.PrimitiveTypes.Int16, `[1,0,null,1]`)
			defer indices.Release()
			return array.NewDictionaryArray(dict, indices, values)
		}, arrow.BinaryTypes.String, `["US","EU",null,"US"]`},
		{"string view", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.BinaryTypes.StringView, `["a", null, "a much longer string than twelve bytes"]`)
		}, arrow.BinaryTypes.String, `["a",null,"a much longer string than twelve bytes"]`},
		{"large string", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.BinaryTypes.LargeString, `["x", null]`)
		}, arrow.BinaryTypes.String, `["x",null]`},
		{"binary view", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.BinaryTypes.BinaryView, `["AQI=", null]`)
		}, arrow.BinaryTypes.Binary, `["AQI=",null]`},
		{"large binary", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.BinaryTypes.LargeBinary, `["AQI="]`)
		}, arrow.BinaryTypes.Binary, `["AQI="]`},
		{"list of string views, sliced", func(mem memory.Allocator) arrow.Array {
			full := arrayFromJSON(t, mem, arrow.ListOf(arrow.BinaryTypes.StringView), `[["skip"], ["a","b"], null, []]`)
			defer full.Release()
			return array.NewSlice(full, 1, 4)
		}, arrow.ListOf(arrow.BinaryTypes.String), `[["a","b"],null,[]]`},
		{"struct with a large string", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.StructOf(arrow.Field{Name: "s", Type: arrow.BinaryTypes.LargeString, Nullable: true}), `[{"s":"q"}, null]`)
		}, arrow.StructOf(arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}), `[{"s":"q"},null]`},
		{"plain types pass through", func(mem memory.Allocator) arrow.Array {
			return arrayFromJSON(t, mem, arrow.PrimitiveTypes.Int32, `[1,null]`)
		}, arrow.PrimitiveTypes.Int32, `[1,null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			in := tt.build(mem)
			defer in.Release()
			require.True(t, arrow.TypeEqual(tt.want, plainType(in.DataType())), "plainType: %s", plainType(in.DataType()))
			out, err := plainArray(context.Background(), mem, in)
			require.NoError(t, err)
			defer out.Release()
			require.True(t, arrow.TypeEqual(tt.want, out.DataType()), "got %s", out.DataType())
			js, err := out.MarshalJSON()
			require.NoError(t, err)
			require.JSONEq(t, tt.json, string(js))
		})
	}
}

func TestPlainSchemaKeepsMetadata(t *testing.T) {
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	in := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.StringView, Metadata: md}}, &md)
	out := plainSchema(in)
	require.True(t, arrow.TypeEqual(arrow.BinaryTypes.String, out.Field(0).Type))
	require.Equal(t, md, out.Field(0).Metadata)
	require.Equal(t, md, out.Metadata())
	plain := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	require.Same(t, plain, plainSchema(plain))
}

func TestResultSchemaAnnotatesColumns(t *testing.T) {
	md := arrow.NewMetadata([]string{ColumnDescriptionKey, flightsql.TypeNameKey}, []string{"Balance.", "money"})
	in := arrow.NewSchema([]arrow.Field{
		{Name: "bal", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}, Nullable: true, Metadata: md},
		{Name: "name", Type: arrow.BinaryTypes.StringView},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	}, nil)
	out := resultSchema(in)
	get := func(i int, key string) string {
		v, ok := out.Field(i).Metadata.GetValue(key)
		require.True(t, ok, "field %d has no %s", i, key)
		return v
	}
	require.Equal(t, "money", get(0, flightsql.TypeNameKey), "metadata the engine set wins")
	require.Equal(t, "15", get(0, flightsql.PrecisionKey))
	require.Equal(t, "2", get(0, flightsql.ScaleKey))
	require.Equal(t, "Balance.", get(0, flightsql.RemarksKey))
	require.Equal(t, "Balance.", get(0, ColumnDescriptionKey))
	require.True(t, arrow.TypeEqual(arrow.BinaryTypes.String, out.Field(1).Type), "plain encodings")
	require.Equal(t, "varchar", get(1, flightsql.TypeNameKey))
	require.Equal(t, "1", get(1, flightsql.IsCaseSensitiveKey))
	require.Equal(t, "32", get(2, flightsql.PrecisionKey), "len(yyyy-mm-dd hh:mm:ss.ffffff+hh:mm)")
	require.Equal(t, "6", get(2, flightsql.ScaleKey))
}

func TestSplitRecord(t *testing.T) {
	mem := testutil.CheckedAllocator(t)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
	build := func(sizes ...int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i, size := range sizes {
			b.Field(0).(*array.StringBuilder).Append(strings.Repeat("v", size))
			b.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		return b.NewRecordBatch()
	}
	const limit = 1 << 20
	budget := limit - messageOverhead(schema)
	uniform := make([]int, 10_000)
	for i := range uniform {
		uniform[i] = 500 // ~5 MB in all
	}
	skewed := append(make([]int, 1000), 700_000, 700_000) // two huge values at the end
	tests := []struct {
		name      string
		sizes     []int
		minSlices int
	}{
		{"small batch stays whole", []int{10, 20}, 1},
		{"uniform rows", uniform, 5},
		{"skewed rows", skewed, 3},
		{"one row larger than the limit is sent alone", []int{2 << 20}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := build(tt.sizes...)
			defer rec.Release()
			slices := splitRecord(rec, limit)
			require.GreaterOrEqual(t, len(slices), tt.minSlices)
			var rows int64
			for _, s := range slices {
				if s.NumRows() > 1 {
					require.LessOrEqual(t, recordBytes(s, 0, s.NumRows()), budget)
				}
				require.Equal(t, rows, s.Column(1).(*array.Int64).Value(0), "slices are in order")
				rows += s.NumRows()
				s.Release()
			}
			require.Equal(t, rec.NumRows(), rows)
		})
	}
}

func TestParamValuesCoerceToDeclaredTypes(t *testing.T) {
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tests := []struct {
		name    string
		bound   arrow.DataType
		json    string
		target  arrow.DataType
		want    any
		wantErr string
	}{
		{"int32 to bigint", arrow.PrimitiveTypes.Int32, `[7]`, arrow.PrimitiveTypes.Int64, int64(7), ""},
		{"bigint out of integer range", arrow.PrimitiveTypes.Int64, `[3000000000]`, arrow.PrimitiveTypes.Int32, nil, "value out of range"},
		{"text to bigint", arrow.BinaryTypes.String, `["42"]`, arrow.PrimitiveTypes.Int64, int64(42), ""},
		{"text that is no number", arrow.BinaryTypes.String, `["4x"]`, arrow.PrimitiveTypes.Int64, nil, "parameter $1 expects bigint but was bound as varchar: text is not an integer"},
		{"integral decimal to bigint", dec(5, 2), `["12.00"]`, arrow.PrimitiveTypes.Int64, int64(12), ""},
		{"fractional decimal to bigint", dec(5, 2), `["12.50"]`, arrow.PrimitiveTypes.Int64, nil, "not an integer"},
		{"float to double", arrow.PrimitiveTypes.Float32, `[1.5]`, arrow.PrimitiveTypes.Float64, 1.5, ""},
		{"decimal rescaled", dec(5, 1), `["1.5"]`, dec(10, 3), decimal128.FromI64(1500), ""},
		{"int to decimal", arrow.PrimitiveTypes.Int64, `[2]`, dec(10, 2), decimal128.FromI64(200), ""},
		{"decimal too wide", arrow.PrimitiveTypes.Int64, `[123456]`, dec(4, 2), nil, "does not fit numeric(4,2)"},
		{"decimal without a declared type", dec(5, 2), `["1.00"]`, arrow.Null, nil, "cast it in SQL"},
		{"text to date", arrow.BinaryTypes.String, `["2024-02-29"]`, arrow.FixedWidthTypes.Date32, arrow.Date32FromTime(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)), ""},
		{"milliseconds to microseconds", &arrow.TimestampType{Unit: arrow.Millisecond}, `["2024-01-01T00:00:01.5"]`, ts, arrow.Timestamp(1704067201500000), ""},
		{"text to timestamp", arrow.BinaryTypes.String, `["2024-01-01 00:00:01+01:00"]`, ts, arrow.Timestamp(1704063601000000), ""},
		{"string view to text", arrow.BinaryTypes.StringView, `["x"]`, arrow.BinaryTypes.String, "x", ""},
		{"bool to text is refused", arrow.FixedWidthTypes.Boolean, `[true]`, arrow.BinaryTypes.String, nil, "incompatible type; declare the type you bind in SQL, e.g. CAST($1 AS boolean)"},
		{"null stays null", arrow.PrimitiveTypes.Int64, `[null]`, arrow.PrimitiveTypes.Int64, nil, ""},
		{"unknown target keeps the value", arrow.FixedWidthTypes.Boolean, `[false]`, arrow.Null, false, ""},
		{"unsupported bound type", arrow.FixedWidthTypes.Time32s, `[86399]`, arrow.Null, nil, "not supported yet: parameters of type time32[s]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			col := arrayFromJSON(t, mem, tt.bound, tt.json)
			defer col.Release()
			rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "p", Type: tt.bound, Nullable: true}}, nil), []arrow.Array{col}, 1)
			defer rec.Release()
			params := arrow.NewSchema([]arrow.Field{{Name: "$1", Type: tt.target, Nullable: true}}, nil)

			encoded, err := encodeParams(rec, mem)
			require.NoError(t, err)
			got, err := decodeParams(encoded, params, mem)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), strings.Trim(tt.json, `[]"`), "errors never echo values")
				return
			}
			require.NoError(t, err)
			require.Equal(t, []any{tt.want}, got)
		})
	}

	t.Run("parameter count", func(t *testing.T) {
		_, err := decodeParams(nil, arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.Null}}, nil), memory.DefaultAllocator)
		require.ErrorContains(t, err, "takes 1 parameter(s) but 0 were bound")
	})
}

func TestLikePattern(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		pattern *string
		matches []string
		misses  []string
	}{
		{nil, []string{"", "anything"}, nil},
		{str("sales"), []string{"sales"}, []string{"Sales", "sales2"}},
		{str("s%"), []string{"s", "sales"}, []string{"hr"}},
		{str("_r"), []string{"hr"}, []string{"r", "hrr"}},
		{str(`a\_b`), []string{"a_b"}, []string{"axb"}},
		{str(`50\%`), []string{"50%"}, []string{"500"}},
		{str("a.b*"), []string{"a.b*"}, []string{"axbb"}},
	}
	for _, tt := range tests {
		match, err := likePattern(tt.pattern)
		require.NoError(t, err)
		for _, s := range tt.matches {
			require.True(t, match(s), "%v should match %q", tt.pattern, s)
		}
		for _, s := range tt.misses {
			require.False(t, match(s), "%v should not match %q", tt.pattern, s)
		}
	}
}

func TestToStatus(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tests := []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{errs.New(errs.KindInvalidArgument, "bad SQL"), codes.InvalidArgument, "bad SQL"},
		{errs.New(errs.KindNotFound, "x"), codes.NotFound, "x"},
		{errs.New(errs.KindAlreadyExists, "x"), codes.AlreadyExists, "x"},
		{errs.New(errs.KindPermissionDenied, "x"), codes.PermissionDenied, "x"},
		{errs.New(errs.KindUnauthenticated, "x"), codes.Unauthenticated, "x"},
		{errs.NotSupportedf("x"), codes.Unimplemented, "not supported yet: x"},
		{errs.New(errs.KindResourceExhausted, "x"), codes.ResourceExhausted, "x"},
		{errs.New(errs.KindUnavailable, "x"), codes.Unavailable, "x"},
		{errs.New(errs.KindCanceled, "x"), codes.Canceled, "x"},
		{errs.New(errs.KindDeadlineExceeded, "x"), codes.DeadlineExceeded, "x"},
		{errs.New(errs.KindConflict, "x"), codes.Aborted, "x"},
		{errs.New(errs.KindFailedPrecondition, "x"), codes.FailedPrecondition, "x"},
		{fmt.Errorf("wrapped: %w", errs.New(errs.KindNotFound, "y")), codes.NotFound, "wrapped: y"},
		{context.Canceled, codes.Canceled, "query canceled"},
		{fmt.Errorf("reading: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "query ran past its deadline"},
		{status.Error(codes.OutOfRange, "from gRPC"), codes.OutOfRange, "from gRPC"},
		{errors.New("password=hunter2 leaked by a bug"), codes.Internal, "internal error (query id q1)"},
		{errs.Wrap(errs.KindInternal, errors.New("detail"), "planner bug"), codes.Internal, "internal error (query id q1)"},
	}
	for _, tt := range tests {
		st, ok := status.FromError(toStatus(log, tt.err, "q1"))
		require.True(t, ok)
		require.Equal(t, tt.code, st.Code(), "%v", tt.err)
		require.Equal(t, tt.msg, st.Message())
	}
	require.Contains(t, logs.String(), "password=hunter2 leaked by a bug", "the detail goes to the log")
	require.Contains(t, logs.String(), "query_id=q1")
	require.NoError(t, toStatus(log, nil, ""))
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{MaxBatchBytes: 1000}.withDefaults()
	require.Equal(t, DefaultAddr, o.Addr)
	require.Equal(t, "mesh", o.Catalog)
	require.Equal(t, 10*time.Minute, o.TicketTTL)
	require.EqualValues(t, MinMaxBatchBytes, o.MaxBatchBytes, "raised to the 1 MiB minimum")
	require.Equal(t, 64<<20, o.MaxRecvBytes)
	require.NotNil(t, o.Logger)
	require.NotNil(t, o.Now)
	require.Equal(t, DefaultOptions().MaxBatchBytes, Options{}.withDefaults().MaxBatchBytes)

	_, err := NewServer(Options{}, nil, nil, nil)
	require.ErrorContains(t, err, "needs an engine")
}
