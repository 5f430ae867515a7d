package selfserve_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

var (
	admin = &governance.Principal{User: "root", Roles: []string{"admin"}}
	alice = &governance.Principal{User: "alice"}
	carol = &governance.Principal{User: "carol", Groups: []string{"shop-team"}}
	bob   = &governance.Principal{User: "bob"}
)

// mesh is a data directory with a CSV file the tests' files source serves.
type mesh struct {
	dir   string
	audit *governance.AuditLog
	now   time.Time
}

func newMesh(t *testing.T) *mesh {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "files"), 0o750))
	now := time.Now().UTC().Truncate(time.Second)
	csv := "id,state,email,placed_at\n"
	for i, st := range []string{"open", "shipped", "open"} {
		csv += strings.Join([]string{string(rune('1' + i)), st, "a@example.com", now.Add(-time.Duration(i) * time.Hour).Format("2006-01-02 15:04:05")}, ",") + "\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "files", "orders.csv"), []byte(csv), 0o600))
	audit, err := governance.OpenAuditLog(filepath.Join(dir, "audit.jsonl"), governance.AuditOptions{Sync: false, Now: time.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = audit.Close() })
	return &mesh{dir: dir, audit: audit, now: now}
}

// open starts a catalog and a self-serve service over the mesh's data directory, as a node
// (re)starting does.
func (m *mesh) open(t *testing.T, tweak func(*selfserve.Options)) (*catalog.Catalog, *selfserve.Service) {
	t.Helper()
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: m.dir})
	opts := selfserve.Options{Catalog: cat, Dir: filepath.Join(m.dir, "catalog"), Audit: m.audit, ScheduleTick: -1, NoSync: true}
	if tweak != nil {
		tweak(&opts)
	}
	svc, err := selfserve.Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close(); _ = cat.Close() })
	return cat, svc
}

func contract(t *testing.T, edit func(string) string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/orders.yaml")
	require.NoError(t, err)
	s := string(b)
	if edit != nil {
		s = edit(s)
	}
	return []byte(s)
}

func version(v string) func(string) string {
	return func(s string) string { return strings.Replace(s, "version: 1.0.0", "version: "+v, 1) }
}

// setupShop creates domain shop (owners alice and group shop-team) and its files source.
func setupShop(t *testing.T, svc *selfserve.Service, m *mesh) {
	t.Helper()
	ctx := context.Background()
	_, err := svc.PutDomain(ctx, admin, catalog.Domain{Name: "shop", Owners: []string{"alice", "group:shop-team"}}, nil)
	require.NoError(t, err)
	_, err = svc.PutSource(ctx, alice, selfserve.SourceChange{Source: catalog.Source{Domain: "shop", Name: "files", Type: "files", Options: map[string]string{"root": filepath.Join(m.dir, "files")}}, Create: true})
	require.NoError(t, err)
}

// noMasks lets every pii column pass the mask rule: the rule itself is tested in catalog.
func everythingMasked(o *selfserve.Options) {
	rules := catalog.DefaultRules()
	rules.MaskedClassifications = nil
	o.Rules = &rules
}

func TestRegisterPersistsAcrossRestarts(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	cat, svc := m.open(t, everythingMasked)
	setupShop(t, svc, m)

	res, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"shop.orders", `shop."orders@v1"`}, res.Datasets)
	again, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	require.True(t, again.Unchanged, "registering the same contract twice is a no-op")

	v2 := func(s string) string {
		s = version("2.0.0")(s)
		return strings.Replace(s, "        description: \"Order state.\"", "        description: \"Order state (v2).\"", 1)
	}
	_, err = svc.Register(ctx, carol, contract(t, v2), selfserve.RegisterOptions{})
	require.NoError(t, err, "a member of an owning group registers too")
	_, err = svc.Deprecate(ctx, alice, selfserve.LifecycleChange{Domain: "shop", Product: "orders", Version: "1.0.0", Sunset: time.Now().Add(48 * time.Hour), Note: "use 2.0.0"})
	require.NoError(t, err)
	before, err := svc.Product("shop", "orders")
	require.NoError(t, err)
	require.NoError(t, svc.Close())
	require.NoError(t, cat.Close())

	cat, svc = m.open(t, everythingMasked)
	after, err := svc.Product("shop", "orders")
	require.NoError(t, err)
	require.Equal(t, before.Revision, after.Revision)
	require.Equal(t, before.Versions, after.Versions)
	cur, err := cat.Dataset("shop", "orders")
	require.NoError(t, err)
	require.Equal(t, "2.0.0", cur.Version)
	pinned, err := cat.Dataset("shop", "orders@v1")
	require.NoError(t, err)
	require.Equal(t, "1.0.0", pinned.Version)
	require.Equal(t, catalog.StatusDeprecated, pinned.Status)
	src, err := svc.Source("shop", "files")
	require.NoError(t, err)
	require.Equal(t, "files", src.Type)
}

func TestAuthorization(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	_, svc := m.open(t, everythingMasked)
	setupShop(t, svc, m)
	tests := []struct {
		name string
		do   func() error
		kind errs.Kind
	}{
		{"non-admin creates a domain", func() error {
			_, err := svc.PutDomain(ctx, alice, catalog.Domain{Name: "ops", Owners: []string{"alice"}}, nil)
			return err
		}, errs.KindPermissionDenied},
		{"non-owner registers", func() error {
			_, err := svc.Register(ctx, bob, contract(t, nil), selfserve.RegisterOptions{})
			return err
		}, errs.KindPermissionDenied},
		{"non-owner adds a source", func() error {
			_, err := svc.PutSource(ctx, bob, selfserve.SourceChange{Source: catalog.Source{Domain: "shop", Name: "more", Type: "files", Options: map[string]string{"root": m.dir}}})
			return err
		}, errs.KindPermissionDenied},
		{"non-owner updates the domain", func() error {
			_, err := svc.PutDomain(ctx, bob, catalog.Domain{Name: "shop", Owners: []string{"bob"}}, nil)
			return err
		}, errs.KindPermissionDenied},
		{"unknown domain", func() error {
			_, err := svc.Register(ctx, alice, contract(t, func(s string) string { return strings.Replace(s, "domain: shop", "domain: shp", 1) }), selfserve.RegisterOptions{})
			return err
		}, errs.KindNotFound},
		{"secret in clear", func() error {
			_, err := svc.PutSource(ctx, alice, selfserve.SourceChange{Source: catalog.Source{Domain: "shop", Name: "pg", Type: "postgres", Options: map[string]string{"password": "hunter2"}}})
			return err
		}, errs.KindInvalidArgument},
		{"admin may change any domain", func() error {
			_, err := svc.Register(ctx, admin, contract(t, nil), selfserve.RegisterOptions{})
			return err
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.kind < 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.kind, errs.KindOf(err), "%v", err)
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
	recs, err := m.audit.ReadAll()
	require.NoError(t, err)
	var denied []string
	for _, r := range recs {
		if r.Kind == governance.AuditCatalogChange && r.Decision == governance.DecisionDenied {
			denied = append(denied, r.Principal+" "+r.Action+" "+r.Object)
		}
	}
	require.Equal(t, []string{"alice create domain ops", "bob register product shop.orders", "bob create source shop/more", "bob update domain shop"}, denied)
}

func TestRegisterRejectsWithEveryProblemAndStoresNothing(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	cat, svc := m.open(t, nil) // default rules: pii must be masked, and nothing masks here
	setupShop(t, svc, m)
	bad := contract(t, func(s string) string {
		s = strings.Replace(s, "      - name: email\n", "      - name: e_mail\n", 1)
		s = strings.Replace(s, "physicalType: bigint", "physicalType: integer", 1)
		return strings.Replace(s, "rule: rowCount", "rule: rowCnt", 1)
	})
	_, err := svc.Register(ctx, alice, bad, selfserve.RegisterOptions{})
	var v *catalog.ValidationError
	require.True(t, errors.As(err, &v), "%v", err)
	want := []string{
		"schema[0].properties[2].classification: column shop.orders.e_mail is classified pii but no mask policy covers it",
		`schema[0].quality[0]: rule: "rowCnt" is not supported yet`,
		`schema[0].properties[0].physicalType: column "id" is declared integer but the source has bigint`,
		`schema[0].properties[2].name: column "e_mail" does not exist in object "orders.csv" of source shop/files; did you mean email?`,
	}
	require.Len(t, v.Problems, len(want), "%q", v.Problems)
	for _, w := range want {
		found := false
		for _, p := range v.Problems {
			found = found || strings.HasPrefix(p, w)
		}
		require.True(t, found, "missing %q in %q", w, v.Problems)
	}
	_, err = cat.ProductVersions("shop", "orders")
	require.Equal(t, errs.KindNotFound, errs.KindOf(err), "nothing is half-registered")
}

func TestConcurrentRegistrationConflicts(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	_, svc := m.open(t, everythingMasked)
	setupShop(t, svc, m)
	res, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	stale := res.Revision
	_, err = svc.Register(ctx, alice, contract(t, version("1.1.0")), selfserve.RegisterOptions{Expect: &stale})
	require.NoError(t, err)
	_, err = svc.Register(ctx, alice, contract(t, version("1.2.0")), selfserve.RegisterOptions{Expect: &stale})
	var ce *selfserve.ConflictError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, stale+1, ce.Current)
	require.Equal(t, "1.1.0", ce.CurrentVersion)
	require.Equal(t, errs.KindConflict, errs.KindOf(err))
}

func TestLifecycleAndWarnings(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	clock := m.now
	cat, svc := m.open(t, func(o *selfserve.Options) {
		everythingMasked(o)
		o.Now = func() time.Time { return clock }
	})
	setupShop(t, svc, m)
	_, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	require.Empty(t, svc.Warnings([]string{"shop.orders"}))

	_, err = svc.Deprecate(ctx, alice, selfserve.LifecycleChange{Domain: "shop", Product: "orders", Version: "1.0.0", Sunset: clock.Add(-time.Hour)})
	require.ErrorContains(t, err, "is in the past")
	_, err = svc.Deprecate(ctx, alice, selfserve.LifecycleChange{Domain: "shop", Product: "orders", Version: "1.0.0", Sunset: clock.Add(24 * time.Hour), Note: "use shop.sales"})
	require.NoError(t, err)
	require.Equal(t, []string{"data product shop.orders version 1.0.0 (dataset shop.orders) is deprecated; it will be retired on " + clock.Add(24*time.Hour).Format("2006-01-02") + ": use shop.sales"},
		svc.Warnings([]string{"shop.orders", "mesh.products"}))

	// At the sunset the scheduler retires the version: it is no longer served.
	clock = clock.Add(25 * time.Hour)
	svc.Tick(ctx)
	_, err = cat.Dataset("shop", "orders")
	require.Equal(t, errs.KindNotFound, errs.KindOf(err))
	p, err := svc.Product("shop", "orders")
	require.NoError(t, err)
	require.Equal(t, catalog.StatusRetired, p.Versions[0].Status)
	_, err = svc.Retire(ctx, alice, selfserve.LifecycleChange{Domain: "shop", Product: "orders", Version: "1.0.0"})
	require.Equal(t, errs.KindFailedPrecondition, errs.KindOf(err))
	require.Empty(t, svc.Search(""), "retired products are not listed")
}

func TestSearchAndDescribe(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	_, svc := m.open(t, everythingMasked)
	setupShop(t, svc, m)
	_, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"web shop", []string{"description"}},
		{"e-mail", []string{"column orders.email description"}},
		{"PLACED", []string{"column orders.placed_at"}},
		{"nothing like this", nil},
	}
	for _, tt := range tests {
		got := svc.Search(tt.text)
		if tt.text == "nothing like this" {
			require.Empty(t, got)
			continue
		}
		require.Len(t, got, 1, tt.text)
		require.Equal(t, tt.want, got[0].Matches, tt.text)
	}
	d, err := svc.Describe(ctx, "shop", "orders")
	require.NoError(t, err)
	require.True(t, d.Live.Reachable, d.Live.Error)
	require.Equal(t, "alice", d.Owner)
	require.Equal(t, "pii", d.Columns[2].Classification)
	_, err = svc.Describe(ctx, "shop", "order")
	require.ErrorContains(t, err, "did you mean shop.orders?")
}

// Registrations racing on one product: each either wins, or loses with a conflict (or with
// the version rule, when a higher version won first); the store and the catalog agree.
func TestRacingRegistrations(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	cat, svc := m.open(t, everythingMasked)
	setupShop(t, svc, m)
	_, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	const n = 8
	errsCh := make(chan error, n)
	for i := 1; i <= n; i++ {
		go func() {
			_, err := svc.Register(ctx, alice, contract(t, version(fmt.Sprintf("1.%d.0", i))), selfserve.RegisterOptions{})
			errsCh <- err
		}()
	}
	wins := 0
	for i := 0; i < n; i++ {
		err := <-errsCh
		switch k := errs.KindOf(err); {
		case err == nil:
			wins++
		case k == errs.KindConflict, k == errs.KindInvalidArgument:
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	require.Positive(t, wins)
	vs, err := cat.ProductVersions("shop", "orders")
	require.NoError(t, err)
	require.Len(t, vs, wins+1)
	p, err := svc.Product("shop", "orders")
	require.NoError(t, err)
	require.Equal(t, uint64(wins+1), p.Revision)
}
