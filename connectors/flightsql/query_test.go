package flightsql_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

// A dataset defined by a query on the remote: described from the prepared statement's
// schema, filtered on top, read through the planner's split, wrong names reported.
func TestQueryObject(t *testing.T) {
	h := &harness{r: startRemote(t)}
	src := h.Source(t)
	cols := []conntest.ColumnSpec{{Name: "id", Type: expr.Int64}, {Name: "name", Type: expr.String}}
	obj := h.CreateTable(t, conntest.TableSpec{Name: "people", Columns: cols, Rows: [][]any{
		{int64(1), "ada"}, {int64(2), "grace"}, {int64(3), nil}, {int64(4), "edsger"},
	}})
	q := connectors.Object{Query: "SELECT id, upper(name) AS shout FROM " + obj.Table + " WHERE id > 1"}
	ctx := context.Background()
	schema, warnings, err := src.Describe(ctx, q)
	require.NoError(t, err)
	require.Empty(t, warnings)
	require.Equal(t, "id", schema.Field(0).Name)
	require.Equal(t, "shout", schema.Field(1).Name)

	th, err := src.OpenTable(ctx, q, []connectors.Column{{ID: 1, Name: "id", Type: expr.Int64}, {ID: 2, Name: "shout", Type: expr.String}})
	require.NoError(t, err)
	fh, support := th.(connectors.FilterPushdown).ApplyFilter([]expr.Expr{
		&expr.Call{Func: expr.FnLt, Args: []expr.Expr{&expr.ColumnRef{ID: 1, Name: "id", Type: expr.Int64}, expr.Int64Lit(4)}, Type: expr.Bool}})
	require.Equal(t, []connectors.FilterSupport{connectors.Exact}, support)
	require.Contains(t, fh.Explain(), "upper(name)")
	mem := testutil.CheckedAllocator(t)
	splits, err := fh.Splits(ctx)
	require.NoError(t, err)
	var got [][]any
	for _, sp := range splits {
		r, err := fh.Scan(ctx, sp, connectors.ScanOptions{Alloc: mem})
		require.NoError(t, err)
		for r.Next() {
			rec := r.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				got = append(got, []any{expr.ValueAt(rec.Column(0), i), expr.ValueAt(rec.Column(1), i)})
			}
		}
		require.NoError(t, r.Err())
		r.Release()
	}
	require.ElementsMatch(t, [][]any{{int64(2), "GRACE"}, {int64(3), nil}}, got)

	_, err = src.OpenTable(ctx, q, []connectors.Column{{ID: 1, Name: "nope", Type: expr.Int64}})
	require.ErrorContains(t, err, "column nope does not exist in the dataset's query; its columns are id, shout")
	_, _, err = src.Describe(ctx, connectors.Object{Table: "remote.missing_table"})
	require.ErrorContains(t, err, "table remote.missing_table does not exist")
	_, _, err = src.Describe(ctx, connectors.Object{Query: "SELEC nonsense"})
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err), "%v", err)
	require.ErrorContains(t, err, "source test/remote: describing the dataset's query: the server rejected the statement")
}
