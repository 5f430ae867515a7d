package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/testutil"
)

// crmPolicies govern domain crm, the demo's customer tables served from PostgreSQL: the
// analyst's rows are those of its own region, found by a subquery over nation and region.
const crmPolicies = `
policies:
  - name: crm-own-region
    scope: domain
    domain: crm
    kind: row_filter
    datasets: [crm.customer]
    predicate: >-
      c_nationkey IN (SELECT n_nationkey FROM crm.nation n
                      JOIN crm.region r ON n.n_regionkey = r.r_regionkey
                      WHERE r.r_name = principal_attr('region'))
    when: {roles: [analyst]}
  - name: crm-segment
    scope: domain
    domain: crm
    kind: row_filter
    datasets: [crm.orders]
    predicate: o_totalprice > 300000
    when: {roles: [analyst]}
`

// registerCRM registers domain crm over the TPC-H database LoadPostgres made at dsn, bound
// to the demo's customer and sales contracts.
func registerCRM(dsn string) func(c *catalog.Catalog, _ string) error {
	return func(c *catalog.Catalog, _ string) error {
		if err := c.PutDomain(catalog.Domain{Name: "crm", Owners: []string{"admin"}}); err != nil {
			return err
		}
		if err := c.PutSource(catalog.Source{Domain: "crm", Name: "pg", Type: "postgres", Options: map[string]string{"dsn": dsn}}); err != nil {
			return err
		}
		for contract, schema := range map[string]string{"contracts/customers.yaml": "customers", "contracts/sales.yaml": "sales"} {
			data, err := demo.Files.ReadFile(contract)
			if err != nil {
				return err
			}
			ct, err := catalog.ParseContract(data)
			if err != nil {
				return err
			}
			ct.Domain = "crm"
			p, err := ct.ToProduct()
			if err != nil {
				return err
			}
			p.Domain = "crm"
			for _, d := range p.Datasets {
				d.Domain, d.Source = "crm", "pg"
				d.Object = connectors.Object{Table: schema + "." + d.Name}
			}
			if err := c.PutProduct(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// TestRowFilterPushdown shows that a row filter runs in the source: the rows a PostgreSQL
// scan returns (EXPLAIN ANALYZE) are exactly the rows the filter admits.
func TestRowFilterPushdown(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	target, err := tpch.LoadPostgres(context.Background(), dsn, tpch.LoadOptions{SF: testSF})
	require.NoError(t, err)
	policies, err := governance.ParsePolicies([]byte(crmPolicies))
	require.NoError(t, err)
	n, _ := startTestNode(t, testNode{extraPolicies: policies, extraBootstrap: registerCRM(target)})
	analyst := adbcConnection(t, n.flightAddr, "analyst")
	admin := adbcConnection(t, n.flightAddr, "admin")

	for _, tc := range []struct{ dataset, admitted string }{
		{"crm.orders", "SELECT count(*) FROM crm.orders WHERE o_totalprice > 300000"},
		{"crm.customer", `SELECT count(*) FROM crm.customer c JOIN crm.nation n ON c.c_nationkey = n.n_nationkey
			JOIN crm.region r ON n.n_regionkey = r.r_regionkey WHERE r.r_name = 'EUROPE'`},
	} {
		t.Run(tc.dataset, func(t *testing.T) {
			want := queryRows(t, admin, tc.admitted)[0][0]
			got := queryRows(t, analyst, "SELECT count(*) FROM "+tc.dataset)[0][0]
			require.Equal(t, want, got, "the analyst counts the admitted rows")

			plan := strings.Join(flatten(queryRows(t, analyst, "EXPLAIN ANALYZE SELECT * FROM "+tc.dataset)), "\n")
			t.Log(plan)
			read := scanRows(t, plan, tc.dataset)
			require.Equal(t, want, strconv.FormatInt(read, 10), "rows read from the source equal the rows the filter admits:\n%s", plan)
		})
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, " "))
	}
	return out
}

// scanRowsRE finds the rows= figure of an EXPLAIN ANALYZE scan line.
var scanRowsRE = regexp.MustCompile(`rows=(\d+)`)

// scanRows returns the rows the scan of dataset returned in an EXPLAIN ANALYZE plan; the
// scan's line is followed by a note naming its datasets.
func scanRows(t *testing.T, plan, dataset string) int64 {
	t.Helper()
	var scan string
	for _, line := range strings.Split(plan, "\n") {
		if strings.Contains(line, "Scan ") {
			scan = line
		}
		if strings.Contains(line, "· dataset "+dataset+" ") {
			m := scanRowsRE.FindStringSubmatch(scan)
			require.NotNil(t, m, "no rows= on the scan line %q", scan)
			v, err := strconv.ParseInt(m[1], 10, 64)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no scan of %s in:\n%s", dataset, plan)
	return 0
}
