package tpch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/internal/testutil"
)

func TestDatabaseName(t *testing.T) {
	for sf, want := range map[float64]string{
		0.01: "meshgate_tpch_sf0_01",
		0.05: "meshgate_tpch_sf0_05",
		1:    "meshgate_tpch_sf1",
		10:   "meshgate_tpch_sf10",
	} {
		require.Equal(t, want, tpch.DatabaseName(sf))
	}
}

func TestLoadPostgresRejectsBadScaleFactor(t *testing.T) {
	_, err := tpch.LoadPostgres(context.Background(), "postgres://nowhere.invalid/x", tpch.LoadOptions{SF: 0})
	require.ErrorContains(t, err, "scale factor")
}

// TestLoadPostgresRunsAllQueries loads each scale factor and runs the 22 queries on PostgreSQL:
// each must return at least one row, and its first row no NULL, except where the spec's
// validation parameter selects nothing at that scale with faithful data.
func TestLoadPostgresRunsAllQueries(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	tests := []struct {
		sf float64
		// empty lists the queries that return no rows at this scale factor, and why.
		empty map[int]string
	}{
		{sf: 0.01, empty: map[int]string{
			18: "an order needs 7 lines with sum(l_quantity) > 300: 0.64 such orders are expected among 15000 and this data set has none",
		}},
		{sf: 0.05},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("sf %g", tt.sf), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			loaded, err := tpch.LoadPostgres(ctx, dsn, tpch.LoadOptions{SF: tt.sf})
			require.NoError(t, err)

			conn, err := pgx.Connect(ctx, loaded)
			require.NoError(t, err)
			defer conn.Close(ctx)

			var database string
			require.NoError(t, conn.QueryRow(ctx, "select current_database()").Scan(&database))
			require.Equal(t, tpch.DatabaseName(tt.sf), database)

			for _, table := range tpch.Tables() {
				var rows int64
				require.NoError(t, conn.QueryRow(ctx, "select count(*) from "+table.QualifiedName()).Scan(&rows))
				require.Equal(t, table.RowCount(tt.sf), rows, table.QualifiedName())
			}

			var loadedAt time.Time
			require.NoError(t, conn.QueryRow(ctx, "select loaded_at from public.meshgate_tpch_load").Scan(&loadedAt))

			for n := 1; n <= tpch.QueryCount; n++ {
				rows, err := conn.Query(ctx, tpch.Query(n))
				require.NoError(t, err, "Q%d", n)
				var count int
				for rows.Next() {
					values, err := rows.Values()
					require.NoError(t, err)
					if count == 0 {
						for i, v := range values {
							require.NotNil(t, v, "Q%d: column %s of the first row is NULL", n, rows.FieldDescriptions()[i].Name)
						}
					}
					count++
				}
				require.NoError(t, rows.Err(), "Q%d", n)
				if reason, ok := tt.empty[n]; ok {
					require.Zero(t, count, "Q%d was expected empty (%s): update the test", n, reason)
					continue
				}
				require.Positive(t, count, "TPC-H Q%d returned no rows at SF %g", n, tt.sf)
			}

			// A second load of the same scale factor finds the marker and changes nothing.
			again, err := tpch.LoadPostgres(ctx, dsn, tpch.LoadOptions{SF: tt.sf})
			require.NoError(t, err)
			require.Equal(t, loaded, again)
			var markers int
			var loadedAgainAt time.Time
			require.NoError(t, conn.QueryRow(ctx, "select count(*), max(loaded_at) from public.meshgate_tpch_load").Scan(&markers, &loadedAgainAt))
			require.Equal(t, 1, markers)
			require.True(t, loadedAt.Equal(loadedAgainAt), "the second LoadPostgres call reloaded the data")
		})
	}
}

// Two concurrent loads of a scale factor nobody else uses: the advisory lock lets one load
// while the other waits and then finds the marker.
func TestLoadPostgresConcurrentCallsLoadOnce(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const sf = 0.011
	admin, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer admin.Close(ctx)
	drop := "drop database if exists " + pgx.Identifier{tpch.DatabaseName(sf)}.Sanitize() + " with (force)"
	_, err = admin.Exec(ctx, drop)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Exec(context.Background(), drop) }) //nolint:errcheck // best effort

	var wg sync.WaitGroup
	var loaded [2]string
	var errors [2]error
	for i := range loaded {
		wg.Go(func() { loaded[i], errors[i] = tpch.LoadPostgres(ctx, dsn, tpch.LoadOptions{SF: sf}) })
	}
	wg.Wait()
	require.NoError(t, errors[0])
	require.NoError(t, errors[1])
	require.Equal(t, loaded[0], loaded[1])

	conn, err := pgx.Connect(ctx, loaded[0])
	require.NoError(t, err)
	defer conn.Close(ctx)
	var markers int
	require.NoError(t, conn.QueryRow(ctx, "select count(*) from public.meshgate_tpch_load").Scan(&markers))
	require.Equal(t, 1, markers)
	lineitem, _ := tpch.LookupTable("lineitem")
	var rows int64
	require.NoError(t, conn.QueryRow(ctx, "select count(*) from sales.lineitem").Scan(&rows))
	require.Equal(t, lineitem.RowCount(sf), rows)
}
