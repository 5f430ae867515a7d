package catalogapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/catalogapi"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/governance"
)

// server runs the API over a catalog with a files source, on a real HTTP listener.
func server(t *testing.T) (base string, dir string) {
	t.Helper()
	dir = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "files"), 0o750))
	ts := time.Now().UTC().Format("2006-01-02 15:04:05")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "files", "orders.csv"), []byte("id,state,email,placed_at\n1,open,a@x,"+ts+"\n2,shipped,b@x,"+ts+"\n"), 0o600))
	var users []governance.User
	for _, u := range []struct {
		name  string
		roles []string
	}{{"root", []string{"admin"}}, {"alice", nil}, {"bob", nil}} {
		h, err := governance.HashPassword(u.name)
		require.NoError(t, err)
		users = append(users, governance.User{Name: u.name, PasswordHash: h, Roles: u.roles})
	}
	ids, err := governance.NewIdentities(users, governance.DefaultIdentityOptions())
	require.NoError(t, err)
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: dir})
	rules := catalog.DefaultRules()
	rules.MaskedClassifications = nil
	svc, err := selfserve.Open(selfserve.Options{Catalog: cat, Dir: filepath.Join(dir, "catalog"), Rules: &rules, ScheduleTick: -1, NoSync: true})
	require.NoError(t, err)
	mux := http.NewServeMux()
	catalogapi.New(svc, ids).Mount(mux, func(h http.Handler) http.Handler { return governance.HTTPAuth(ids, h) })
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); _ = svc.Close(); _ = cat.Close() })
	return srv.URL, dir
}

func login(t *testing.T, base, user string) *catalogapi.Client {
	t.Helper()
	c := &catalogapi.Client{BaseURL: base}
	require.NoError(t, c.Login(context.Background(), user, user))
	return c
}

func status(t *testing.T, err error) int {
	t.Helper()
	var e *catalogapi.Error
	require.True(t, errors.As(err, &e), "want an API error, got %v", err)
	return e.Status
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(catalogapi.OpenAPI, &doc))
	for _, r := range catalogapi.New(nil, nil).Routes() {
		ops, ok := doc.Paths[r.Path]
		require.True(t, ok, "openapi.json lacks path %s", r.Path)
		_, ok = ops[strings.ToLower(r.Method)]
		require.True(t, ok, "openapi.json lacks %s %s", r.Method, r.Path)
	}
}

func TestAPI(t *testing.T) {
	base, dir := server(t)
	ctx := context.Background()
	root, alice, bob := login(t, base, "root"), login(t, base, "alice"), login(t, base, "bob")

	bad := &catalogapi.Client{BaseURL: base}
	require.Equal(t, http.StatusUnauthorized, status(t, bad.Login(ctx, "alice", "wrong")))

	d, err := root.CreateDomain(ctx, catalog.Domain{Name: "shop", Owners: []string{"alice"}})
	require.NoError(t, err)
	require.Equal(t, uint64(1), d.Revision)
	_, err = root.CreateDomain(ctx, catalog.Domain{Name: "shop", Owners: []string{"alice"}})
	require.Equal(t, http.StatusConflict, status(t, err))
	_, err = root.CreateDomain(ctx, catalog.Domain{Name: "Bad Name", Owners: []string{"alice"}})
	require.Equal(t, http.StatusUnprocessableEntity, status(t, err))

	// Updates with a stale revision conflict; the owner may update.
	stale := uint64(0)
	_, err = alice.UpdateDomain(ctx, catalog.Domain{Name: "shop", Owners: []string{"alice"}, Description: "x"}, &stale)
	require.Equal(t, http.StatusConflict, status(t, err))
	cur := uint64(1)
	d, err = alice.UpdateDomain(ctx, catalog.Domain{Name: "shop", Owners: []string{"alice"}, Description: "Web shop", Rules: &catalog.Rules{RequiredTags: []string{"shop"}}}, &cur)
	require.NoError(t, err)
	require.Equal(t, uint64(2), d.Revision)
	_, err = bob.UpdateDomain(ctx, catalog.Domain{Name: "shop", Owners: []string{"bob"}}, nil)
	require.Equal(t, http.StatusForbidden, status(t, err))

	src := catalogapi.SourceRequest{Name: "files", Type: "files", Options: map[string]string{"root": filepath.Join(dir, "files")}}
	_, err = alice.AddSource(ctx, "shop", src)
	require.NoError(t, err)
	_, err = alice.AddSource(ctx, "shop", src)
	require.Equal(t, http.StatusConflict, status(t, err))
	_, err = alice.AddSource(ctx, "shp", src)
	require.Equal(t, http.StatusNotFound, status(t, err))
	_, err = alice.AddSource(ctx, "shop", catalogapi.SourceRequest{Name: "x", Type: "oracle"})
	require.Equal(t, http.StatusUnprocessableEntity, status(t, err))
	v, err := alice.UpdateSource(ctx, "shop", src)
	require.NoError(t, err)
	require.Equal(t, uint64(1), v.Revision, "an identical update changes nothing")

	contract, err := os.ReadFile("../testdata/orders.yaml")
	require.NoError(t, err)
	res, err := alice.Register(ctx, contract, true)
	require.NoError(t, err)
	require.True(t, res.DryRun)
	_, err = alice.Product(ctx, "shop", "orders")
	require.Equal(t, http.StatusNotFound, status(t, err), "a dry run registers nothing")
	res, err = alice.Register(ctx, contract, false)
	require.NoError(t, err)
	require.Equal(t, "1.0.0", res.Version)

	// The domain's own rules apply on top of the global ones.
	untagged := strings.Replace(strings.Replace(string(contract), "tags: [shop]", "tags: [web]", 1), "version: 1.0.0", "version: 1.1.0", 1)
	_, err = alice.Register(ctx, []byte(untagged), false)
	require.Equal(t, http.StatusUnprocessableEntity, status(t, err))
	require.ErrorContains(t, err, `tags: tag "shop" is required`)

	ps, err := bob.Search(ctx, "e-mail")
	require.NoError(t, err)
	require.Len(t, ps, 1)
	desc, err := bob.Describe(ctx, "shop", "orders@v1")
	require.NoError(t, err)
	require.Equal(t, `shop.orders@v1`, desc.Name)
	require.True(t, desc.Live.Reachable)

	_, err = bob.Retire(ctx, "shop", "orders", "1.0.0")
	require.Equal(t, http.StatusForbidden, status(t, err))
	_, err = alice.Deprecate(ctx, "shop", "orders", "1.0.0", catalogapi.LifecycleRequest{Sunset: "2001-01-01"})
	require.Equal(t, http.StatusBadRequest, status(t, err))
	p, err := alice.Deprecate(ctx, "shop", "orders", "1.0.0", catalogapi.LifecycleRequest{Sunset: time.Now().AddDate(0, 1, 0).Format("2006-01-02")})
	require.NoError(t, err)
	require.Equal(t, catalog.StatusDeprecated, p.Status)
	_, err = alice.Check(ctx, "shop", "orders", "")
	require.Equal(t, http.StatusNotImplemented, status(t, err), "this server has no query engine attached")

	require.Equal(t, http.StatusPreconditionFailed, status(t, alice.DeleteSource(ctx, "shop", "files")))
	p, err = alice.Retire(ctx, "shop", "orders", "1.0.0")
	require.NoError(t, err)
	require.Equal(t, catalog.StatusRetired, p.Status)
	require.NoError(t, alice.DeleteSource(ctx, "shop", "files"))
	srcs, err := alice.Sources(ctx, "shop")
	require.NoError(t, err)
	require.Empty(t, srcs)

	// Unknown JSON fields are refused rather than ignored.
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/domains", strings.NewReader(`{"name": "ops", "ownerz": ["x"]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+root.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
