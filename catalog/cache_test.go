package catalog_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
)

func TestSchemaCacheHitsMissesAndInvalidation(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.csv"), []byte("a,b\n1,x\n"), 0o600))
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: dir})
	t.Cleanup(func() { _ = cat.Close() })
	reg := prometheus.NewRegistry()
	require.NoError(t, cat.RegisterMetrics(reg))
	require.NoError(t, cat.PutDomain(catalog.Domain{Name: "d", Owners: []string{"u"}}))
	src := catalog.Source{Domain: "d", Name: "f", Type: "files", Options: map[string]string{"root": dir}}
	require.NoError(t, cat.PutSource(src))
	obj := connectors.Object{Table: "t.csv"}
	ctx := context.Background()

	count := func(name, cache string) float64 {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				if m.GetLabel()[0].GetValue() == cache {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	steps := []struct {
		name         string
		before       func()
		hits, misses float64
		cols         int
	}{
		{"first lookup asks the source", nil, 0, 1, 2},
		{"second is cached", nil, 1, 1, 2},
		{"re-registering the source invalidates", func() {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "t.csv"), []byte("a,b,c\n1,x,2\n"), 0o600))
			require.NoError(t, cat.PutSource(src))
		}, 1, 2, 3},
		{"cached again", nil, 2, 2, 3},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		got, err := cat.DescribeObject(ctx, "d", "f", obj)
		require.NoError(t, err, s.name)
		require.Len(t, got.Schema.Fields(), s.cols, s.name)
		require.Equal(t, s.hits, count("meshgate_catalog_cache_hits_total", "schema"), s.name)
		require.Equal(t, s.misses, count("meshgate_catalog_cache_misses_total", "schema"), s.name)
	}
}
