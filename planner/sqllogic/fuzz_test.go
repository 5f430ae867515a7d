package sqllogic_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/plannertest"
	"github.com/meshgate/meshgate/planner/sqllogic"
)

// FuzzParseExecute parses, plans and executes arbitrary SQL over the scripts' small tables
// and the demo mesh: whatever the text, meshgate must answer or fail with an error, never
// panic, and release every byte it allocated. The seed corpus is every statement of the
// scripts, so `go test` runs them all once more through this path.
//
//	go test ./planner/sqllogic -run '^$' -fuzz FuzzParseExecute -fuzztime 2m
func FuzzParseExecute(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.slt"))
	require.NoError(f, err)
	for _, path := range paths {
		script, err := sqllogic.ParseFile(path)
		require.NoError(f, err)
		for _, r := range script.Records {
			f.Add(r.SQL)
		}
	}
	tablesDir := filepath.Join("testdata", "tables")
	tables, err := sqllogic.ReadTables(tablesDir)
	require.NoError(f, err)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	mesh := plannertest.DemoMesh(f, plannertest.MeshOptions{
		SF:       scriptSF,
		Register: func(cat *catalog.Catalog) error { return sqllogic.RegisterTables(cat, tablesDir, tables) },
		// A small budget keeps runaway cross joins short; they fail with ResourceExhausted.
		Planner: planner.Options{Alloc: mem, MaxMemory: 64 << 20},
	})
	f.Fuzz(func(t *testing.T, sql string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = plannertest.Run(ctx, mesh.Planner, plannertest.Admin(), sql)
		if n := mem.CurrentAlloc(); n != 0 {
			t.Fatalf("%d bytes leaked by %q", n, sql)
		}
	})
}
