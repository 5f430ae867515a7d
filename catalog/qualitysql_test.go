package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
)

func ordersProduct(t *testing.T, edit func(string) string) *catalog.Product {
	t.Helper()
	doc := string(readTestdata(t, "orders.yaml"))
	if edit != nil {
		doc = edit(doc)
	}
	d, err := catalog.ParseDocument([]byte(doc))
	require.NoError(t, err)
	p, err := d.Validate()
	require.NoError(t, err)
	return p
}

func pinnedRef(ds *catalog.Dataset) string { return `shop."` + ds.Name + `@v1"` }

func TestPlanQuality(t *testing.T) {
	checks, err := catalog.PlanQuality(ordersProduct(t, nil), pinnedRef)
	require.NoError(t, err)
	type want struct{ path, rule, sql, expect, unit string }
	var got []want
	for _, c := range checks {
		got = append(got, want{c.Path, c.Rule, c.SQL, c.Expect.String(), c.Unit})
	}
	require.Equal(t, []want{
		{"schema[0].quality[0]", "rowCount", `SELECT count(*) FROM shop."orders@v1"`, ">= 2", "rows"},
		{"schema[0].properties[0].quality[0]", "duplicateCount", `SELECT count("id") - count(DISTINCT "id") FROM shop."orders@v1"`, "= 0", "rows"},
		{"schema[0].properties[1].quality[0]", "validValues", `SELECT count(*) FROM shop."orders@v1" WHERE "state" IS NOT NULL AND "state" NOT IN ('open', 'shipped', 'it''s')`, "= 0", "rows"},
		{"schema[0].properties[1].quality[1]", "nullCheck", `SELECT CASE WHEN count(*) = 0 THEN 0 ELSE 100.0 * (count(*) - count("state")) / count(*) END FROM shop."orders@v1"`, "< 5", "percent"},
		{"schema[0].properties[3].quality[0]", "freshness", `SELECT max("placed_at") FROM shop."orders@v1"`, "<= 2", "d"},
		{"slaProperties[0]", "freshness", `SELECT max("placed_at") FROM shop."orders@v1"`, "<= 12", "h"},
	}, got)
	require.Equal(t, 10*time.Minute, checks[0].Every)
	require.True(t, checks[4].Age)
}

func TestPlanQualityRejects(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"unknown library rule", "rule: rowCount", "rule: rowCnt", `schema[0].quality[0]: rule: "rowCnt" is not supported yet`},
		{"column rule on the table", "rule: rowCount", "rule: nullCheck", "schema[0].quality[0]: rule nullCheck belongs under a property"},
		{"cron schedule", `schedule: "@every 10m"`, `schedule: "0 20 * * *"`, "schema[0].quality[0]: schedule: not supported yet: schedule \"0 20 * * *\""},
		{"two expectations", "mustBeGreaterOrEqualTo: 2", "mustBeGreaterOrEqualTo: 2\n        mustBeLessThan: 9", "declare one of"},
		{"sql without expectation", "      - rule: rowCount\n        mustBeGreaterOrEqualTo: 2\n", "      - type: sql\n        query: SELECT 1\n", "schema[0].quality[0]: declare what the value must be"},
		{"custom engine", "      - rule: rowCount\n", "      - type: custom\n        engine: soda\n        implementation: x\n", "not supported yet: custom rules"},
		{"sla element unknown", "element: orders.placed_at", "element: orders.nope", `slaProperties[0].element: dataset orders has no column "nope"`},
		{"sla unit unknown", "unit: h\n    element", "unit: fortnights\n    element", `slaProperties[0]: unit "fortnights" is not a time unit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ordersProduct(t, func(s string) string {
				require.Contains(t, s, tt.from)
				return strings.Replace(s, tt.from, tt.to, 1)
			})
			_, err := catalog.PlanQuality(p, pinnedRef)
			var v *catalog.ValidationError
			require.True(t, errors.As(err, &v), "%v", err)
			require.Len(t, v.Problems, 1)
			require.Contains(t, v.Problems[0], tt.want)
		})
	}
}

func TestExpectationHolds(t *testing.T) {
	tests := []struct {
		e    catalog.Expectation
		v    float64
		want bool
	}{
		{catalog.Expectation{Op: "=", Value: 0}, 0, true},
		{catalog.Expectation{Op: "=", Value: 0}, 1, false},
		{catalog.Expectation{Op: "!=", Value: 0}, 1, true},
		{catalog.Expectation{Op: ">", Value: 0}, 0, false},
		{catalog.Expectation{Op: ">=", Value: 2}, 2, true},
		{catalog.Expectation{Op: "<", Value: 5}, 5, false},
		{catalog.Expectation{Op: "<=", Value: 5}, 5, true},
		{catalog.Expectation{Op: "between", Value: 1, Upper: 3}, 3, true},
		{catalog.Expectation{Op: "between", Value: 1, Upper: 3}, 0.5, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.e.Holds(tt.v), "%s holds for %v", tt.e, tt.v)
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"@hourly", time.Hour, ""},
		{"@daily", 24 * time.Hour, ""},
		{"@every 15m", 15 * time.Minute, ""},
		{"@every 10ms", 0, "at least 1s"},
		{"0 * * * *", 0, "not supported yet"},
	}
	for _, tt := range tests {
		got, err := catalog.ParseSchedule(tt.in)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestFreshnessLimit(t *testing.T) {
	d, ok := ordersProduct(t, nil).FreshnessLimit()
	require.True(t, ok)
	require.Equal(t, 12*time.Hour, d)
}
