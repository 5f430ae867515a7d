package sqllogic_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/plannertest"
	"github.com/meshgate/meshgate/planner/sqllogic"
)

var update = flag.Bool("update", false, "rewrite the scripts' expected rows with PostgreSQL's answers (needs MESHGATE_TEST_PG)")

// scriptSF is the scale factor of the demo TPC-H data the scripts may read.
const scriptSF = 0.01

// TestScripts runs testdata/*.slt against meshgate; with -update it first rewrites their
// expectations from PostgreSQL.
func TestScripts(t *testing.T) {
	ctx := context.Background()
	tablesDir := filepath.Join("testdata", "tables")
	tables, err := sqllogic.ReadTables(tablesDir)
	require.NoError(t, err)
	mesh := plannertest.DemoMesh(t, plannertest.MeshOptions{
		SF:       scriptSF,
		Register: func(cat *catalog.Catalog) error { return sqllogic.RegisterTables(cat, tablesDir, tables) },
		Planner:  planner.Options{Alloc: testutil.CheckedAllocator(t)},
	})
	meshgate := func(ctx context.Context, sql string) (*plannertest.Result, error) {
		return plannertest.Run(ctx, mesh.Planner, plannertest.Admin(), sql)
	}

	var postgres sqllogic.Engine
	if *update {
		dsn := testutil.PostgresDSN(t)
		target, err := tpch.LoadPostgres(ctx, dsn, tpch.LoadOptions{SF: scriptSF})
		require.NoError(t, err)
		conn, err := pgx.Connect(ctx, target)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close(context.Background()) })
		require.NoError(t, sqllogic.LoadTables(ctx, conn, tablesDir, tables))
		_, err = conn.Exec(ctx, "set time zone 'UTC'; set statement_timeout = '60s'")
		require.NoError(t, err)
		postgres = func(ctx context.Context, sql string) (*plannertest.Result, error) {
			return plannertest.RunPostgres(ctx, conn, sql)
		}
	}

	paths, err := filepath.Glob(filepath.Join("testdata", "*.slt"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			script, err := sqllogic.ParseFile(path)
			require.NoError(t, err)
			if *update {
				text, problems := sqllogic.Update(ctx, script, meshgate, postgres)
				require.NoError(t, os.WriteFile(path, text, 0o644))
				for _, p := range problems {
					t.Error(p.String())
				}
				if script, err = sqllogic.ParseFile(path); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range sqllogic.Check(ctx, script, meshgate) {
				t.Error(f.String())
			}
		})
	}
}
