package pushdowntest

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/connectors/internal/meshtest"
	"github.com/meshgate/meshgate/internal/testutil"
)

// Harness connects the suite to the connector under test and a real instance of its source.
type Harness struct {
	// Type is the source type ("postgres").
	Type string
	// Factory opens sources of Type.
	Factory connectors.Factory
	// Options are the registration options of a source reading the instance. Use a secret
	// reference (env:NAME) for the password where the test can, as a domain would.
	Options map[string]string
	// Create creates table under the physical name name (the suite makes it unique), fills
	// it with the table's rows, removes it when t ends, and returns the meshgate.object
	// value that names it.
	Create func(t *testing.T, name string, table Table) string
	// Format is the meshgate.format of the datasets (files only).
	Format string
	// DatasetOptions are the meshgate.option.* properties of a dataset, by table name
	// (split_column, splits).
	DatasetOptions map[string]map[string]string
	// Unreachable returns the options of a source of Type whose server is at addr
	// (host:port), with a connect timeout of about 2s and the password Secret planted in
	// them (as a DSN password where the connector takes a DSN). The isolation test points it
	// at a server that accepts connections and never answers, then at a closed port.
	Unreachable func(addr string) map[string]string
}

// Secret is the password planted in Harness.Unreachable; it must never reach an error,
// EXPLAIN or the logs.
const Secret = "pl4nted-S3cret-do-not-leak"

// Env is a mesh with the shop in domain "shop" (source "db", the connector under test) and
// a Parquet copy of it in domain "ref" (source "files", computed by the gateway).
type Env struct {
	Mesh *meshtest.Mesh
	// Names maps each physical name the suite created to its table name, so EXPLAIN text
	// can be made independent of the run.
	Names map[string]string
	// Mem is the planner's checked allocator; it must hold no bytes when the test ends.
	Mem  *memory.CheckedAllocator
	Logs *meshtest.LogBuffer
	h    *Harness
	root string
	// objects maps physical names to the meshgate.object values naming them.
	objects map[string]string
}

// Setup creates the shop in the harness's source and its Parquet copy, and registers both
// as product "sales" of domains "shop" and "ref".
func Setup(t *testing.T, h *Harness) *Env {
	t.Helper()
	env := NewEnv(t, h)
	env.AddProduct(t, "sales", Shop()...)
	return env
}

// NewEnv registers the harness's source as shop/db and a Parquet directory as ref/files,
// with no product yet.
func NewEnv(t *testing.T, h *Harness) *Env {
	t.Helper()
	mem := testutil.CheckedAllocator(t)
	logs := &meshtest.LogBuffer{}
	reg := connectors.Registry{"files": files.NewFactory(files.Options{TargetSplitRows: 1})}
	reg[h.Type] = h.Factory
	m := meshtest.New(t, meshtest.Options{Connectors: reg, Alloc: mem, Logs: logs})
	env := &Env{Mesh: m, Names: map[string]string{}, Mem: mem, Logs: logs, h: h, root: t.TempDir(), objects: map[string]string{}}
	m.AddSource(t, "ref", "files", "files", map[string]string{files.OptionRoot: env.root})
	m.AddSource(t, "shop", "db", h.Type, h.Options)
	return env
}

// AddProduct creates tables in the source (under unique physical names) and as Parquet
// files, and registers them as product of domains "shop" and "ref".
func (e *Env) AddProduct(t *testing.T, product string, tables ...Table) {
	t.Helper()
	var shop, ref []Dataset
	for _, tbl := range tables {
		name := UniqueName(tbl.Name)
		e.Names[name] = tbl.Name
		e.objects[name] = e.h.Create(t, name, tbl)
		shop = append(shop, Dataset{Table: tbl, Object: e.objects[name], Format: e.h.Format, Options: e.h.DatasetOptions[tbl.Name]})
		WriteParquet(t, filepath.Join(e.root, tbl.Name+".parquet"), tbl, 0)
		ref = append(ref, Dataset{Table: tbl, Object: tbl.Name + ".parquet", Format: files.FormatParquet})
	}
	e.Mesh.AddContract(t, Contract(t, "shop", product, "db", shop...))
	e.Mesh.AddContract(t, Contract(t, "ref", product, "files", ref...))
}

// WriteParquet writes a table as a Parquet file in row groups of at most groupRows rows
// (0: one row group).
func WriteParquet(t testing.TB, path string, tbl Table, groupRows int) {
	t.Helper()
	fields := make([]arrow.Field, len(tbl.Columns))
	for i, c := range tbl.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	meshtest.WriteParquet(t, path, arrow.NewSchema(fields, nil), tbl.Rows, groupRows)
}

// UniqueName returns base with a random suffix, for physical objects of one test run.
func UniqueName(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return base + "_" + hex.EncodeToString(b[:])
}

// Normalize replaces the run's physical names by their table names.
func (e *Env) Normalize(s string) string {
	for phys, name := range e.Names {
		s = strings.ReplaceAll(s, phys, name)
	}
	return s
}

// updating reports whether the calling test binary was run with -update.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// CheckGolden compares got with testdata/<name> of the calling package, or rewrites it
// with -update.
func CheckGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file %s is missing; run the test with -update to create it", path)
	require.Equal(t, string(want), got, "EXPLAIN differs from %s; review the diff and rerun with -update if it is intended", path)
}
