package plannertest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
)

// MeshOptions configure DemoMesh.
type MeshOptions struct {
	// SF is the TPC-H scale factor of the demo data. Required.
	SF float64
	// DataDir receives the generated data; default t.TempDir().
	DataDir string
	// Register adds more domains, sources and products to the catalog after the demo ones.
	Register func(cat *catalog.Catalog) error
	// Planner overrides planner options (Catalog and Policies are filled in).
	Planner planner.Options
}

// Mesh is a demo mesh and a planner over it.
type Mesh struct {
	Catalog  *catalog.Catalog
	Policies *governance.PolicySet
	Planner  *planner.Planner
	DataDir  string
}

// DemoMesh generates TPC-H data at opts.SF, registers the demo domains, products and policies,
// and returns a planner over them.
func DemoMesh(t testing.TB, opts MeshOptions) *Mesh {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	_, err := tpch.Generate(context.Background(), tpch.GenerateOptions{SF: opts.SF, Dir: opts.DataDir})
	require.NoError(t, err)
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}})
	require.NoError(t, demo.Register(cat, opts.DataDir))
	if opts.Register != nil {
		require.NoError(t, opts.Register(cat))
	}
	policies, err := demo.Policies()
	require.NoError(t, err)
	ps := governance.NewPolicySet(policies, []byte("plannertest mask key"))
	po := opts.Planner
	po.Catalog = cat
	po.Policies = func() bind.Policies { return ps }
	return &Mesh{Catalog: cat, Policies: ps, Planner: planner.New(po), DataDir: opts.DataDir}
}

// Admin is the demo's administrator: no masks, no row filters.
func Admin() *governance.Principal {
	return &governance.Principal{User: "admin", Roles: []string{"admin", "governance"}}
}

// Analyst is the demo's analyst: masked customer phones and addresses, EUROPE's customers only.
func Analyst() *governance.Principal {
	return &governance.Principal{User: "analyst", Roles: []string{"analyst"}, Attrs: map[string]string{"region": "EUROPE"}}
}
