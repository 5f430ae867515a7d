package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/catalogapi"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/testutil"
)

// shipmentsContract is the logistics product the catalog e2e test registers; SCHEMA is the
// test's PostgreSQL schema.
const shipmentsV1 = `apiVersion: v3.0.2
kind: DataContract
id: 5d1c9f1e-0c55-4d0e-9d8e-3e1f7a1b2c01
name: shipments
version: 1.0.0
status: active
domain: logistics
dataProduct: shipments
description:
  purpose: "Shipments of customer orders with their carrier and delivery status."
tags: [logistics, shipping]
team:
  - username: steward
    role: owner
slaProperties:
  - property: freshness
    value: 1
    unit: d
    element: shipments.shipped_at
schema:
  - name: shipments
    physicalName: shipments
    description: "One row per shipment."
    customProperties:
      - property: meshgate.source
        value: pg
      - property: meshgate.object
        value: SCHEMA.shipments
    quality:
      - rule: rowCount
        mustBeBetween: [1, 1000]
      - type: sql
        name: no negative ids
        query: "SELECT count(*) FROM {object} WHERE id < 0"
        mustBe: 0
        schedule: "@every 1h"
    properties:
      - name: id
        physicalType: bigint
        primaryKey: true
        classification: internal
        description: "Shipment identifier."
        quality:
          - rule: duplicateCount
      - name: carrier
        physicalType: text
        classification: internal
        description: "Carrier name."
        quality:
          - rule: nullCheck
            unit: percent
            mustBeLessThan: 10
      - name: status
        physicalType: text
        classification: public
        description: "Delivery status."
        quality:
          - rule: validValues
            validValues: [in_transit, delivered]
      - name: email
        physicalType: text
        classification: pii
        description: "Recipient e-mail."
      - name: shipped_at
        physicalType: timestamptz
        classification: internal
        description: "When the shipment left."
`

// shipmentsV2 reads a view that renames carrier to carrier_name: a breaking change, hence
// a new major version.
func shipmentsV2(schema string) string {
	c := strings.ReplaceAll(shipmentsV1, "SCHEMA.shipments", schema+".shipments_v2")
	c = strings.Replace(c, "version: 1.0.0", "version: 2.0.0", 1)
	c = strings.Replace(c, "      - name: carrier\n", "      - name: carrier_name\n", 1)
	return c
}

// badContract breaks several rules at once: no owner, an unclassified column, a restricted column
// no mask covers, no freshness SLA, a version lower than the registered one, a column the
// source does not have, and an unknown contract key.
func badContract(schema string) string {
	return `apiVersion: v3.0.2
kind: DataContract
id: 5d1c9f1e-0c55-4d0e-9d8e-3e1f7a1b2c01
version: 1.5.0
status: active
domain: logistics
dataProduct: shipments
descripton: typo
description:
  purpose: "Shipments."
schema:
  - name: shipments
    description: "One row per shipment."
    customProperties:
      - property: meshgate.source
        value: pg
      - property: meshgate.object
        value: ` + schema + `.shipments
    properties:
      - name: id
        physicalType: bigint
        classification: internal
      - name: carrier
        physicalType: text
      - name: phone
        physicalType: text
        classification: restricted
`
}

func randomSuffix(t *testing.T) string {
	var b [4]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

// setupShipments creates a schema with a shipments table and a v2 view, dropped at the end.
func setupShipments(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	schema := "catalog_e2e_" + randomSuffix(t)
	_, err = conn.Exec(ctx, `CREATE SCHEMA `+schema+`;
		CREATE TABLE `+schema+`.shipments (id bigint PRIMARY KEY, carrier text, status text, email text, shipped_at timestamptz NOT NULL);
		INSERT INTO `+schema+`.shipments
		  SELECT i, CASE WHEN i % 20 = 0 THEN NULL ELSE 'carrier-' || (i % 3) END,
		         CASE WHEN i % 2 = 0 THEN 'delivered' ELSE 'in_transit' END,
		         'user' || i || '@example.com', now() - (i || ' minutes')::interval
		  FROM generate_series(1, 40) AS i;
		CREATE VIEW `+schema+`.shipments_v2 AS SELECT id, carrier AS carrier_name, status, email, shipped_at FROM `+schema+`.shipments;`)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = conn.Close(context.Background())
	})
	return schema
}

func apiError(t *testing.T, err error) *catalogapi.Error {
	t.Helper()
	var ae *catalogapi.Error
	require.True(t, errors.As(err, &ae), "want an API error, got %v", err)
	return ae
}

// TestCatalogSelfServe drives the self-serve catalog the way a domain team would: over the
// HTTP API with a real client and with the CLI binary, against a live node and a real
// PostgreSQL source.
func TestCatalogSelfServe(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	schema := setupShipments(t, dsn)
	t.Setenv("MESHGATE_E2E_PG", dsn)
	t.Setenv("MESHGATE_E2E_PG_DOWN", "postgres://nobody:x@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	maskEmail, err := governance.ParsePolicies([]byte(`policies:
  - name: mask-shipment-email
    scope: global
    kind: mask
    datasets: [logistics.shipments]
    columns: [email]
    mask: {kind: redact}
    when: {roles: [analyst]}
`))
	require.NoError(t, err)
	n, _ := startTestNode(t, testNode{extraPolicies: maskEmail})
	base := "http://" + n.httpAddr()
	ctx := context.Background()

	admin := &catalogapi.Client{BaseURL: base}
	require.NoError(t, admin.Login(ctx, "admin", "admin"))
	steward := &catalogapi.Client{BaseURL: base}
	require.NoError(t, steward.Login(ctx, "steward", "steward"))
	analyst := &catalogapi.Client{BaseURL: base}
	require.NoError(t, analyst.Login(ctx, "analyst", "analyst"))

	t.Run("openapi document", func(t *testing.T) {
		resp, err := http.Get(base + "/api/v1/openapi.json")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var doc map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		require.Contains(t, doc["paths"], "/api/v1/products")
	})

	t.Run("no token", func(t *testing.T) {
		_, err := (&catalogapi.Client{BaseURL: base}).Domains(ctx)
		require.Equal(t, http.StatusUnauthorized, apiError(t, err).Status)
	})

	// Domains: only mesh admins create them.
	_, err = steward.CreateDomain(ctx, catalog.Domain{Name: "logistics", Owners: []string{"steward"}})
	require.Equal(t, http.StatusForbidden, apiError(t, err).Status)
	_, err = admin.CreateDomain(ctx, catalog.Domain{Name: "logistics", Description: "Shipping and delivery.", Owners: []string{"steward"}})
	require.NoError(t, err)

	t.Run("sources", func(t *testing.T) {
		// A secret in clear is refused, and not echoed back.
		_, err := steward.AddSource(ctx, "logistics", catalogapi.SourceRequest{Name: "pg", Type: "postgres", Options: map[string]string{"dsn": dsn}})
		ae := apiError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, ae.Status)
		require.NotContains(t, ae.Error(), dsn)
		require.Contains(t, ae.Error(), "env:NAME")

		// Not an owner.
		_, err = analyst.AddSource(ctx, "logistics", catalogapi.SourceRequest{Name: "pg", Type: "postgres", Options: map[string]string{"dsn": "env:MESHGATE_E2E_PG"}})
		require.Equal(t, http.StatusForbidden, apiError(t, err).Status)

		// Unreachable: refused unless allow_unreachable.
		down := catalogapi.SourceRequest{Name: "pgdown", Type: "postgres", Options: map[string]string{"dsn": "env:MESHGATE_E2E_PG_DOWN"}}
		_, err = steward.AddSource(ctx, "logistics", down)
		ae = apiError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, ae.Status)
		require.Contains(t, ae.Error(), "allow-unreachable")
		down.AllowUnreachable = true
		v, err := steward.AddSource(ctx, "logistics", down)
		require.NoError(t, err)
		require.False(t, *v.Reachable)
		require.NoError(t, steward.DeleteSource(ctx, "logistics", "pgdown"))

		v, err = steward.AddSource(ctx, "logistics", catalogapi.SourceRequest{Name: "pg", Type: "postgres", Options: map[string]string{"dsn": "env:MESHGATE_E2E_PG"}})
		require.NoError(t, err)
		require.True(t, *v.Reachable)
		tested, err := steward.TestSource(ctx, "logistics", "pg")
		require.NoError(t, err)
		require.True(t, *tested.Reachable)
	})

	v1 := strings.ReplaceAll(shipmentsV1, "SCHEMA.", schema+".")

	t.Run("bad input", func(t *testing.T) {
		_, err := steward.Register(ctx, []byte(strings.Replace(v1, "domain: logistics", "domain: logistic", 1)), false)
		ae := apiError(t, err)
		require.Equal(t, http.StatusNotFound, ae.Status)
		require.Contains(t, ae.Error(), "did you mean logistics")

		_, err = steward.Register(ctx, []byte("apiVersion: v3.0.2\nkind: DataContract\n  id: x: y\n"), false)
		ae = apiError(t, err)
		require.Equal(t, http.StatusBadRequest, ae.Status)
		require.Equal(t, 3, ae.Line)
		require.Positive(t, ae.Column)
		require.Contains(t, ae.Error(), "line 3, column")

		_, err = analyst.Register(ctx, []byte(v1), false)
		require.Equal(t, http.StatusForbidden, apiError(t, err).Status)
	})

	res, err := steward.Register(ctx, []byte(v1), false)
	require.NoError(t, err)
	require.Equal(t, "logistics.shipments", res.Product)
	require.Contains(t, res.Datasets, "logistics.shipments")

	cnxn := adbcConnection(t, n.flightAddr, "admin")
	require.Equal(t, [][]string{{"40"}}, queryRows(t, cnxn, "SELECT count(*) FROM logistics.shipments"))
	require.Equal(t, [][]string{{"carrier-1"}}, queryRows(t, cnxn, "SELECT carrier FROM logistics.shipments WHERE id = 1"))
	analystCnxn := adbcConnection(t, n.flightAddr, "analyst")
	masked := queryRows(t, analystCnxn, "SELECT email FROM logistics.shipments WHERE id = 1")
	require.NotEqual(t, "user1@example.com", masked[0][0], "the pii column is masked for analysts")

	// Build the CLI once for the rest of the test.
	bin := filepath.Join(t.TempDir(), "meshgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	cli := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "MESHGATE_PASSWORD=steward")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	t.Run("evolve to v2 with the CLI; v1 stays addressable", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "shipments-v2.yaml")
		require.NoError(t, os.WriteFile(file, []byte(shipmentsV2(schema)), 0o600))
		out, stderr, err := cli("register", "-f", file, "--http", base, "--user", "steward")
		require.NoError(t, err, stderr)
		require.Contains(t, out, "registered logistics.shipments 2.0.0")

		require.Equal(t, [][]string{{"carrier-1"}}, queryRows(t, cnxn, "SELECT carrier_name FROM logistics.shipments WHERE id = 1"))
		require.Equal(t, [][]string{{"carrier-1"}}, queryRows(t, cnxn, `SELECT carrier FROM logistics."shipments@v1" WHERE id = 1`))
		_, err = tryQuery(cnxn, "SELECT carrier FROM logistics.shipments")
		require.Error(t, err, "v2 renamed the column")

		p, err := steward.Product(ctx, "logistics", "shipments")
		require.NoError(t, err)
		require.Equal(t, "2.0.0", p.Version)
		require.Len(t, p.Versions, 2)
		require.Contains(t, p.Versions[0].Names, `logistics."shipments@v1"`)
	})

	t.Run("a rule-violating contract is rejected with every violation", func(t *testing.T) {
		before, err := steward.Product(ctx, "logistics", "shipments")
		require.NoError(t, err)
		_, err = steward.Register(ctx, []byte(badContract(schema)), false)
		ae := apiError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, ae.Status)
		want := []string{
			"descripton: is not a property",  // JSON schema
			"team: the product has no owner", // require_owner
			"schema[0].properties[1].classification: column shipments.carrier has no classification",
			"schema[0].properties[2].classification: column logistics.shipments.phone is classified restricted but no mask policy covers it",
			"slaProperties: no freshness SLA", // require_freshness_sla
			"version: 1.5.0 is not greater than the registered version 2.0.0",
			`schema[0].properties[2].name: column "phone" does not exist`, // live source
		}
		for _, w := range want {
			found := false
			for _, p := range ae.Problems {
				found = found || strings.Contains(p, w)
			}
			require.True(t, found, "missing violation %q in %q", w, ae.Problems)
		}
		after, err := steward.Product(ctx, "logistics", "shipments")
		require.NoError(t, err)
		require.Equal(t, before.Revision, after.Revision, "nothing is half-registered")
		require.Len(t, after.Versions, 2)
	})

	t.Run("concurrent update is a conflict", func(t *testing.T) {
		p, err := steward.Product(ctx, "logistics", "shipments")
		require.NoError(t, err)
		v21 := strings.Replace(shipmentsV2(schema), "version: 2.0.0", "version: 2.1.0", 1)
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/products", strings.NewReader(v21))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+steward.Token)
		req.Header.Set("If-Match", itoa(int(p.Revision)-1))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		var body catalogapi.ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		require.Equal(t, p.Revision, *body.CurrentRevision)
		require.Equal(t, "2.0.0", body.CurrentVersion)
	})

	t.Run("meshgate check reports quality results", func(t *testing.T) {
		out, stderr, err := cli("check", "logistics.shipments", "--http", base, "--user", "steward")
		require.NoError(t, err, out+stderr)
		require.Contains(t, out, "logistics.shipments 2.0.0: passed (6 of 6 rules passed)")
		for _, rule := range []string{"rowCount", "no negative ids", "duplicateCount", "nullCheck", "validValues", "freshness SLA"} {
			require.Contains(t, out, rule)
		}
		rows := queryRows(t, cnxn, "SELECT version, quality, fresh FROM mesh.products WHERE domain = 'logistics' AND version = '2.0.0'")
		require.Equal(t, [][]string{{"2.0.0", "passed (6 of 6 rules passed)", "true"}}, rows)

		// A failing rule makes the command fail, and says which.
		res, err := steward.Check(ctx, "logistics", "shipments", "1.0.0")
		require.NoError(t, err)
		require.Equal(t, catalog.QualityPassed, res.Status)
	})

	t.Run("products, describe", func(t *testing.T) {
		out, stderr, err := cli("products", "recipient", "--http", base, "--user", "steward")
		require.NoError(t, err, stderr)
		require.Contains(t, out, "logistics.shipments")
		require.Contains(t, out, "column shipments.email description")

		out, stderr, err = cli("describe", "logistics.shipments", "--http", base, "--user", "steward")
		require.NoError(t, err, stderr)
		for _, s := range []string{"logistics.shipments 2.0.0 (active)", "owner:    steward", "freshness=1 d", "reachable", "email", "pii", "quality:  passed"} {
			require.Contains(t, out, s)
		}
	})

	t.Run("deprecated products warn on query", func(t *testing.T) {
		out, stderr, err := cli("product", "deprecate", "logistics.shipments", "2.0.0", "--sunset", time.Now().AddDate(1, 0, 0).Format("2006-01-02"), "--note", "use sales.deliveries", "--http", base, "--user", "steward")
		require.NoError(t, err, out+stderr)
		out, stderr, err = cli("sql", "--addr", n.flightAddr, "--user", "admin", "--password", "admin", "--format", "csv", "-e", "SELECT count(*) AS n FROM logistics.shipments")
		require.NoError(t, err, stderr)
		require.Equal(t, "n\n40\n", out)
		require.Contains(t, stderr, "WARNING: data product logistics.shipments version 2.0.0 (dataset logistics.shipments) is deprecated")
		require.Contains(t, stderr, "use sales.deliveries")

		// A pinned older version warns about that version, not the current one.
		out, stderr, err = cli("product", "deprecate", "logistics.shipments", "1.0.0", "--sunset", time.Now().AddDate(0, 1, 0).Format("2006-01-02"), "--http", base, "--user", "steward")
		require.NoError(t, err, out+stderr)
		_, stderr, err = cli("sql", "--addr", n.flightAddr, "--user", "admin", "--password", "admin", "--format", "csv", "-e", `SELECT count(*) AS n FROM logistics."shipments@v1"`)
		require.NoError(t, err, stderr)
		require.Contains(t, stderr, "WARNING: data product logistics.shipments version 1.0.0")
	})

	t.Run("changes are audited", func(t *testing.T) {
		recs, err := n.audit.ReadAll()
		require.NoError(t, err)
		seen := map[string]string{}
		for _, r := range recs {
			if r.Kind == governance.AuditCatalogChange {
				seen[r.Action+" "+r.Object] = r.Decision
			}
		}
		require.Equal(t, governance.DecisionAllowed, seen["create domain logistics"])
		require.Equal(t, governance.DecisionAllowed, seen["create source logistics/pg"])
		require.Equal(t, governance.DecisionAllowed, seen["register product logistics.shipments@2.0.0"])
		require.Equal(t, governance.DecisionDenied, seen["register product logistics.shipments"])
		require.Equal(t, governance.DecisionAllowed, seen["deprecate product logistics.shipments@2.0.0"])
	})

	t.Run("cache metrics are exported", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		require.Contains(t, b.String(), `meshgate_catalog_cache_misses_total{cache="schema"}`)
	})
}

// TestDemoQualityCheck runs the demo contracts' quality rules through the API: they push
// down to the demo's Parquet files through the planner.
func TestDemoQualityCheck(t *testing.T) {
	n, _ := startDemoNode(t)
	c := &catalogapi.Client{BaseURL: "http://" + n.httpAddr()}
	ctx := context.Background()
	require.NoError(t, c.Login(ctx, "admin", "admin"))
	res, err := c.Check(ctx, "sales", "order-book", "")
	require.NoError(t, err)
	require.Equal(t, catalog.QualityPassed, res.Status, "%+v", res.Rules)
	require.Len(t, res.Rules, 3)
	// Analysts are neither owners nor admins.
	analyst := &catalogapi.Client{BaseURL: c.BaseURL}
	require.NoError(t, analyst.Login(ctx, "analyst", "analyst"))
	_, err = analyst.Check(ctx, "sales", "order-book", "")
	require.Equal(t, http.StatusForbidden, apiError(t, err).Status)
}
