package files

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestConverters(t *testing.T) {
	build := func(mem memory.Allocator, dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		fill(b)
		return b.NewArray()
	}
	for _, tc := range []struct {
		name     string
		raw      arrow.DataType
		fill     func(b array.Builder)
		declared arrow.DataType
		slice    bool // convert a slice with a non-zero offset
		want     []any
	}{
		{"fixed size binary", &arrow.FixedSizeBinaryType{ByteWidth: 2}, func(b array.Builder) {
			b.(*array.FixedSizeBinaryBuilder).AppendValues([][]byte{[]byte("ab"), []byte("cd"), []byte("ef")}, []bool{true, false, true})
		}, expr.Binary, true, []any{nil, "ef"}},
		{"string view", arrow.BinaryTypes.StringView, func(b array.Builder) {
			b.(*array.StringViewBuilder).AppendValues([]string{"x", "a longer string than twelve bytes"}, nil)
		}, expr.String, false, []any{"x", "a longer string than twelve bytes"}},
		{"large string", arrow.BinaryTypes.LargeString, func(b array.Builder) {
			b.(*array.LargeStringBuilder).AppendValues([]string{"x", "y"}, []bool{false, true})
		}, expr.String, false, []any{nil, "y"}},
		{"uint64 to decimal", arrow.PrimitiveTypes.Uint64, func(b array.Builder) {
			b.(*array.Uint64Builder).AppendValues([]uint64{18446744073709551615, 1}, nil)
		}, expr.Decimal(20, 0), false, []any{"18446744073709551615", "1"}},
		{"date64", arrow.FixedWidthTypes.Date64, func(b array.Builder) {
			b.(*array.Date64Builder).AppendValues([]arrow.Date64{86_400_000, -1}, nil)
		}, expr.Date, false, []any{int64(1), int64(-1)}},
		{"int8 slice with nulls to bigint", arrow.PrimitiveTypes.Int8, func(b array.Builder) {
			b.(*array.Int8Builder).AppendValues([]int8{1, 2, 3, 4}, []bool{true, false, true, false})
		}, expr.Int64, true, []any{nil, int64(3), nil}},
		{"uint32 to bigint", arrow.PrimitiveTypes.Uint32, func(b array.Builder) {
			b.(*array.Uint32Builder).AppendValues([]uint32{4294967295}, nil)
		}, expr.Int64, false, []any{int64(4294967295)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := testutil.CheckedAllocator(t)
			in := build(mem, tc.raw, tc.fill)
			defer in.Release()
			if tc.slice {
				s := array.NewSlice(in, 1, int64(in.Len()))
				defer s.Release()
				in = s
			}
			canonical, reason := canonicalType(tc.raw)
			require.Empty(t, reason)
			conv, err := newConverter(tc.raw, canonical, tc.declared, mem)
			require.NoError(t, err)
			require.NotNil(t, conv)
			out, err := conv(in)
			require.NoError(t, err)
			defer out.Release()
			require.True(t, arrow.TypeEqual(tc.declared, out.DataType()), "got %s", out.DataType())
			got := make([]any, out.Len())
			for i := range got {
				if out.IsNull(i) {
					continue
				}
				switch a := out.(type) {
				case *array.Binary:
					got[i] = string(a.Value(i))
				case *array.String:
					got[i] = a.Value(i)
				case *array.Decimal128:
					got[i] = a.Value(i).BigInt().String()
				case *array.Date32:
					got[i] = int64(a.Value(i))
				case *array.Int64:
					got[i] = a.Value(i)
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}
