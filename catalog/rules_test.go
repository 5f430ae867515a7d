package catalog_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
)

func TestRulesCheck(t *testing.T) {
	masked := func(_ *catalog.Dataset, c catalog.ColumnDef) bool { return c.Name == "email" }
	prior := func(version string) []*catalog.Product {
		return []*catalog.Product{{Domain: "shop", Name: "orders", Version: version}}
	}
	tests := []struct {
		name     string
		edit     func(string) string
		rules    catalog.Rules
		existing []*catalog.Product
		covered  catalog.MaskCoverage
		want     []string
	}{
		{"meets the defaults", nil, catalog.DefaultRules(), prior("0.9.0"), masked, nil},
		{"everything wrong", func(s string) string {
			s = strings.Replace(s, "team:\n  - username: alice\n    role: owner\n", "", 1)
			s = strings.Replace(s, "  purpose: \"Orders of the web shop.\"", "  usage: \"ask alice\"", 1)
			s = strings.Replace(s, "    description: \"One row per order.\"\n", "", 1)
			s = strings.Replace(s, "        classification: public\n", "", 1)
			s = strings.Replace(s, "classification: internal\n        description: \"When", "classification: secret\n        description: \"When", 1)
			return strings.Replace(s, "  - property: freshness", "  - property: availability", 1)
		}, catalog.DefaultRules(), prior("1.0.0"), nil, []string{
			"team: the product has no owner",
			"description.purpose: the product has no description",
			"slaProperties: no freshness SLA is declared",
			"schema[0].description: dataset orders has no description",
			"schema[0].properties[1].classification: column orders.state has no classification",
			"schema[0].properties[2].classification: column shop.orders.email is classified pii but no mask policy covers it",
			`schema[0].properties[3].classification: column orders.placed_at: classification "secret" is not one of public, internal, confidential, pii, restricted`,
		}},
		{"version must increase", nil, catalog.DefaultRules(), prior("1.2.0"), masked, []string{
			"version: 1.0.0 is not greater than the registered version 1.2.0 of shop.orders",
		}},
		{"domain rules tighten", nil, catalog.DefaultRules().With(&catalog.Rules{RequiredTags: []string{"gdpr"}, Classifications: []string{"internal", "pii", "public"}}), nil, masked, []string{
			`tags: tag "gdpr" is required`,
		}},
		{"no rules", func(s string) string {
			return strings.Replace(s, "team:\n  - username: alice\n    role: owner\n", "", 1)
		}, catalog.Rules{}, prior("9.0.0"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ordersProduct(t, tt.edit)
			got := tt.rules.Check(p, tt.existing, tt.covered)
			require.Len(t, got, len(tt.want), "%q", got)
			for i, w := range tt.want {
				require.True(t, strings.HasPrefix(got[i], w), "problem %d: want prefix %q, got %q", i, w, got[i])
			}
		})
	}
}

func TestParseRules(t *testing.T) {
	r, err := catalog.ParseRules([]byte("require_owner: true\nmasked_classifications: [PII]\n"))
	require.NoError(t, err)
	require.Equal(t, catalog.Rules{RequireOwner: true, MaskedClassifications: []string{"pii"}}, r)
	_, err = catalog.ParseRules([]byte("require_ownr: true\n"))
	require.ErrorContains(t, err, "field require_ownr not found")
}

func TestRulesWith(t *testing.T) {
	global := catalog.Rules{Classifications: []string{"public", "internal", "pii"}, MaskedClassifications: []string{"pii"}}
	got := global.With(&catalog.Rules{RequireQualityRules: true, Classifications: []string{"internal", "pii"}, MaskedClassifications: []string{"internal"}})
	require.True(t, got.RequireQualityRules)
	require.Equal(t, []string{"internal", "pii"}, got.Classifications)
	require.Equal(t, []string{"pii", "internal"}, got.MaskedClassifications)
	require.Equal(t, global, global.With(nil))
}
