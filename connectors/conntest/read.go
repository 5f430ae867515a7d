package conntest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
)

// openAll opens every column of spec with IDs 1..n.
func openAll(t *testing.T, src connectors.Source, obj connectors.Object, cols []ColumnSpec) connectors.TableHandle {
	t.Helper()
	h, err := src.OpenTable(context.Background(), obj, connCols(cols, 1))
	require.NoError(t, err)
	return h
}

func connCols(cols []ColumnSpec, firstID expr.ColumnID) []connectors.Column {
	out := make([]connectors.Column, len(cols))
	for i, c := range cols {
		out[i] = connectors.Column{ID: firstID + expr.ColumnID(i), Name: c.Name, Type: c.Type}
	}
	return out
}

func ref(cols []ColumnSpec, i int) *expr.ColumnRef {
	return &expr.ColumnRef{ID: expr.ColumnID(i + 1), Name: cols[i].Name, Type: cols[i].Type}
}

// readAll reads every split of h and returns its rows as canonical values.
func readAll(t *testing.T, h connectors.TableHandle, mem memory.Allocator) [][]any {
	t.Helper()
	splits, err := h.Splits(context.Background())
	require.NoError(t, err)
	var rows [][]any
	for _, s := range splits {
		rows = append(rows, readSplit(t, h, s, mem, 0)...)
	}
	return rows
}

// readSplit reads one split, checking every batch has exactly the handle's column types.
func readSplit(t *testing.T, h connectors.TableHandle, s connectors.Split, mem memory.Allocator, batchRows int) [][]any {
	t.Helper()
	r, err := h.Scan(context.Background(), s, connectors.ScanOptions{Alloc: mem, BatchRows: batchRows})
	require.NoError(t, err)
	defer r.Release()
	cols := h.Columns()
	var rows [][]any
	for r.Next() {
		rec := r.RecordBatch()
		require.Equal(t, len(cols), int(rec.NumCols()))
		for i, c := range cols {
			require.Truef(t, arrow.TypeEqual(c.Type, rec.Column(i).DataType()), "column %s: handle declares %s, batch has %s", c.Name, c.Type, rec.Column(i).DataType())
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j := range row {
				row[j] = expr.ValueAt(rec.Column(j), i)
			}
			rows = append(rows, row)
		}
	}
	require.NoError(t, r.Err())
	return rows
}

// key renders a row for multiset comparison.
func key(row []any) string {
	var b strings.Builder
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b.WriteString("NULL")
		case []byte:
			fmt.Fprintf(&b, "bytes:%x", x)
		case decimal128.Num:
			b.WriteString("dec:" + x.BigInt().String())
		default:
			fmt.Fprintf(&b, "%T:%v", v, v)
		}
		b.WriteByte('|')
	}
	return b.String()
}

// requireSameRows compares two multisets of rows.
func requireSameRows(t *testing.T, want, got [][]any, msgAndArgs ...any) {
	t.Helper()
	ks := func(rows [][]any) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = key(r)
		}
		sort.Strings(out)
		return out
	}
	require.Equal(t, ks(want), ks(got), msgAndArgs...)
}

func project(rows [][]any, idx ...int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		p := make([]any, len(idx))
		for j, k := range idx {
			p[j] = r[k]
		}
		out[i] = p
	}
	return out
}

func where(rows [][]any, keep func([]any) bool) [][]any {
	var out [][]any
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// compare orders two non-NULL canonical values of one type the way the gateway does
// (bytewise for text and binary).
func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp3(x, b.(int64))
	case float64:
		return cmp3(x, b.(float64))
	case decimal128.Num:
		return x.Cmp(b.(decimal128.Num))
	case arrow.Date32:
		return cmp3(x, b.(arrow.Date32))
	case arrow.Timestamp:
		return cmp3(x, b.(arrow.Timestamp))
	case string:
		return strings.Compare(x, b.(string))
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case bool:
		bb := b.(bool)
		switch {
		case x == bb:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	panic(fmt.Sprintf("compare: unexpected %T", a))
}

func cmp3[T int64 | float64 | arrow.Date32 | arrow.Timestamp](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// golden compares got with testdata/<name> of the calling package; with -update (if the
// test binary defines that flag) it rewrites the file.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run the tests with -update to create %s", path)
	require.Equal(t, string(want), got)
}
