package selfserve_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
)

// withPlanner runs quality SQL through a real planner over the service's catalog, as the
// node does.
func withPlanner(cat **catalog.Catalog) func(*selfserve.Options) {
	return func(o *selfserve.Options) {
		everythingMasked(o)
		policies := governance.NewPolicySet(nil, []byte("k"))
		var pl *planner.Planner
		o.Query = func(ctx context.Context, sql string) (array.RecordReader, error) {
			if pl == nil {
				pl = planner.New(planner.Options{Catalog: *cat, Policies: func() bind.Policies { return policies }})
			}
			st, err := pl.Prepare(ctx, planner.Request{Principal: admin, SQL: sql})
			if err != nil {
				return nil, err
			}
			return st.Execute(ctx, nil)
		}
		*cat = o.Catalog
	}
}

func TestQualityCheck(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	var cat *catalog.Catalog
	_, svc := m.open(t, withPlanner(&cat))
	setupShop(t, svc, m)
	strict := contract(t, func(s string) string {
		// "shipped" is not accepted: one row fails validValues; placed_at is at most 2h old.
		return strings.Replace(s, `validValues: [open, shipped, "it's"]`, "validValues: [open]", 1)
	})
	_, err := svc.Register(ctx, alice, strict, selfserve.RegisterOptions{})
	require.NoError(t, err)

	_, err = svc.Check(ctx, bob, "shop", "orders", "")
	require.ErrorContains(t, err, "does not own domain shop")

	res, err := svc.Check(ctx, alice, "shop", "orders", "")
	require.NoError(t, err)
	byName := map[string]catalog.RuleResult{}
	for _, r := range res.Rules {
		byName[r.Name] = r
	}
	require.Equal(t, catalog.QualityFailed, res.Status(), "%+v", res.Rules)
	type want struct {
		status   string
		measured float64
	}
	for name, w := range map[string]want{
		"rowCount": {catalog.QualityPassed, 3}, "duplicateCount": {catalog.QualityPassed, 0},
		"validValues": {catalog.QualityFailed, 1}, "nullCheck": {catalog.QualityPassed, 0},
	} {
		r := byName[name]
		require.Equal(t, w.status, r.Status, "%s: %+v", name, r)
		require.NotNil(t, r.Measured, name)
		require.Equal(t, w.measured, *r.Measured, name)
	}
	require.Equal(t, catalog.QualityPassed, byName["freshness"].Status, "%+v", byName["freshness"])
	require.Equal(t, catalog.QualityPassed, byName["freshness SLA"].Status, "%+v", byName["freshness SLA"])
	require.Equal(t, m.now, res.DataUpdatedAt["orders"])

	// The result is stored: shown on the product and in mesh.products, and kept across a
	// restart.
	p, err := svc.Product("shop", "orders")
	require.NoError(t, err)
	require.Equal(t, catalog.QualityFailed, p.Versions[0].Quality)
	require.NoError(t, svc.Close())
	cat2, svc2 := m.open(t, everythingMasked)
	vs, err := cat2.ProductVersions("shop", "orders")
	require.NoError(t, err)
	require.NotNil(t, vs[0].Quality)
	require.Equal(t, "5 of 6 rules passed", vs[0].Quality.Summary())
	require.Empty(t, svc2.Warnings([]string{"shop.orders"}), "the data is fresh")
	require.NoError(t, svc2.Close())

	// Thirteen hours later, the 12h freshness SLA is missed: queries say so.
	_, later := m.open(t, func(o *selfserve.Options) {
		everythingMasked(o)
		o.Now = func() time.Time { return m.now.Add(13 * time.Hour) }
	})
	w := later.Warnings([]string{"shop.orders"})
	require.Len(t, w, 1)
	require.Contains(t, w[0], "dataset shop.orders misses its freshness SLA of 12h0m0s")
}

// Rules with a schedule run from the scheduler's tick when due; the result records the
// trigger.
func TestScheduledQualityCheck(t *testing.T) {
	m := newMesh(t)
	ctx := context.Background()
	var cat *catalog.Catalog
	clock := m.now
	_, svc := m.open(t, func(o *selfserve.Options) {
		withPlanner(&cat)(o)
		o.Now = func() time.Time { return clock }
	})
	setupShop(t, svc, m)
	_, err := svc.Register(ctx, alice, contract(t, nil), selfserve.RegisterOptions{})
	require.NoError(t, err)
	quality := func() *catalog.QualityResult {
		vs, err := cat.ProductVersions("shop", "orders")
		require.NoError(t, err)
		return vs[0].Quality
	}
	svc.Tick(ctx)
	first := quality()
	require.NotNil(t, first, "never checked: due at once")
	require.Equal(t, selfserve.TriggerSchedule, first.Trigger)
	require.Equal(t, catalog.QualityPassed, first.Status(), "%+v", first.Rules)

	clock = clock.Add(5 * time.Minute)
	svc.Tick(ctx)
	require.Equal(t, first.CheckedAt, quality().CheckedAt, "the schedule is every 10m")

	clock = clock.Add(6 * time.Minute)
	svc.Tick(ctx)
	require.Equal(t, clock.UTC(), quality().CheckedAt)
}
