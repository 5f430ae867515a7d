package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflightsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
)

// lockedBuffer collects the node's logs from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// extraGovernance adds to the demo: a keyed-hash mask on customer names for analysts, and an
// unmasked copy of the customer dataset that analysts are denied.
var extraGovernance = `
policies:
  - name: hash-customer-name
    scope: domain
    domain: customers
    kind: mask
    datasets: [customers.customer]
    columns: [c_name]
    mask: {kind: hash}
    when: {roles: [analyst]}
  - name: deny-customer-copy
    scope: global
    kind: deny
    datasets: [customers.customer_copy]
    when: {roles: [analyst]}
`

// registerCustomerCopy registers customers.customer_copy over the same files as
// customers.customer, with no masks: the copy an attacker would like to UNION with.
func registerCustomerCopy(c *catalog.Catalog, _ string) error {
	data, err := demo.Files.ReadFile("contracts/customers.yaml")
	if err != nil {
		return err
	}
	ct, err := catalog.ParseContract(data)
	if err != nil {
		return err
	}
	ct.DataProduct, ct.Name, ct.ID = "customer-copy", "customer-copy", "copy"
	obj := ct.Schema[0]
	obj.Name = "customer_copy"
	ct.Schema = []catalog.SchemaObject{obj}
	p, err := ct.ToProduct()
	if err != nil {
		return err
	}
	p.Datasets[0].Object.Table = "customer/*.parquet"
	return c.PutProduct(p)
}

// secrets are the raw values of masked columns of every customer, visible or not.
type secrets struct {
	values []string
	// sample is a customer the analyst may see (EUROPE), and hidden one it may not.
	visiblePhone, hiddenPhone, visibleName string
}

func customerSecrets(t *testing.T) secrets {
	t.Helper()
	europe := map[int64]bool{6: true, 7: true, 19: true, 22: true, 23: true}
	hexOnly := regexp.MustCompile(`^[0-9a-f]+$`)
	var s secrets
	tableRows(t, "customer", func(rec arrow.RecordBatch, i int) {
		phone := col[*array.String](rec, "c_phone").Value(i)
		name := col[*array.String](rec, "c_name").Value(i)
		addr := col[*array.String](rec, "c_address").Value(i)
		for _, v := range []string{phone, name, addr} {
			// A hex-only value could appear by chance inside a hash mask's output.
			if len(v) >= 8 && !hexOnly.MatchString(v) {
				s.values = append(s.values, v)
			}
		}
		nation := col[*array.Int64](rec, "c_nationkey").Value(i)
		if europe[nation] && s.visiblePhone == "" {
			s.visiblePhone, s.visibleName = phone, name
		}
		if nation == 0 && s.hiddenPhone == "" {
			s.hiddenPhone = phone
		}
	})
	return s
}

// leaks returns the secrets that occur in text.
func (s secrets) leaks(text string, typed ...string) []string {
	var out []string
	for _, v := range s.values {
		skip := false
		for _, t := range typed {
			skip = skip || t == v
		}
		if !skip && strings.Contains(text, v) {
			out = append(out, v)
		}
	}
	return out
}

// TestGovernanceAdversarial runs the attacks of issue 5 as the analyst: every answer, error,
// EXPLAIN, log line and audit record is searched for raw values of masked columns (of every
// customer, visible or hidden by the row filter). The same queries as admin see raw values.
func TestGovernanceAdversarial(t *testing.T) {
	extra, err := governance.ParsePolicies([]byte(extraGovernance))
	require.NoError(t, err)
	logs := &lockedBuffer{}
	n, _ := startTestNode(t, testNode{extraPolicies: extra, extraBootstrap: registerCustomerCopy, logs: logs})
	sec := customerSecrets(t)
	require.NotEmpty(t, sec.visiblePhone)
	require.NotEmpty(t, sec.hiddenPhone)
	analyst := adbcConnection(t, n.flightAddr, "analyst")
	admin := adbcConnection(t, n.flightAddr, "admin")

	// everything the analyst saw, searched at the end together with logs and audit.
	var seen strings.Builder
	run := func(t *testing.T, sql string, params ...arrow.RecordBatch) ([][]string, error) {
		t.Helper()
		rows, err := tryQuery(analyst, sql, params...)
		for _, r := range rows {
			seen.WriteString(strings.Join(r, "\x00") + "\n")
		}
		if err != nil {
			seen.WriteString(err.Error() + "\n")
		}
		return rows, err
	}
	phoneParam := func(v string) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.BinaryTypes.String}}, nil))
		defer b.Release()
		b.Field(0).(*array.StringBuilder).Append(v)
		return b.NewRecordBatch()
	}
	maskedPhone := regexp.MustCompile(`^00-000-000-\d{4}$`)

	cases := []struct {
		name string
		sql  string
		// check inspects the analyst's rows; nil means "no error and nothing else to check".
		check func(t *testing.T, rows [][]string, err error)
	}{
		{"filter on a masked column", "SELECT count(*) FROM customers.customer WHERE c_phone = '" + sec.visiblePhone + "'",
			func(t *testing.T, rows [][]string, err error) {
				require.NoError(t, err)
				require.Equal(t, "0", rows[0][0])
			}},
		{"LIKE on a masked column", "SELECT count(*) FROM customers.customer WHERE c_phone LIKE '" + sec.visiblePhone[:6] + "%'",
			func(t *testing.T, rows [][]string, err error) {
				require.NoError(t, err)
				require.Equal(t, "0", rows[0][0])
			}},
		{"group by a masked column", "SELECT c_phone, count(*) FROM customers.customer GROUP BY c_phone", phonesMasked(maskedPhone, 0)},
		{"distinct on a masked column", "SELECT DISTINCT c_address FROM customers.customer", nil},
		{"order by a masked column, limit 1", "SELECT c_phone FROM customers.customer ORDER BY c_phone DESC LIMIT 1", phonesMasked(maskedPhone, 0)},
		{"min and max of masked columns", "SELECT min(c_phone), max(c_phone), min(c_address), max(c_name) FROM customers.customer", phonesMasked(maskedPhone, 0, 1)},
		{"join on a masked column in one domain", "SELECT a.c_phone, b.c_name FROM customers.customer a JOIN customers.customer b ON a.c_phone = b.c_phone LIMIT 50", phonesMasked(maskedPhone, 0)},
		{"join on a masked column across domains", "SELECT c.c_phone, s.s_phone FROM customers.customer c JOIN supply.supplier s ON c.c_phone = s.s_phone", nil},
		{"division by zero only on hidden rows", "SELECT count(*) FROM customers.customer WHERE 10 / c_nationkey > 0",
			func(t *testing.T, rows [][]string, err error) {
				require.NoError(t, err, "nation 0 is hidden by the row filter")
			}},
		{"failing cast only on hidden rows", "SELECT count(*) FROM customers.customer WHERE CAST(CASE WHEN c_nationkey = 0 THEN c_name ELSE '1' END AS integer) = 1",
			func(t *testing.T, rows [][]string, err error) { require.NoError(t, err) }},
		{"failing cast of a masked value", "SELECT CAST(c_phone AS integer) FROM customers.customer",
			func(t *testing.T, _ [][]string, err error) { require.Error(t, err) }},
		{"CTE re-reading the dataset", "WITH x AS (SELECT c_phone, c_name FROM customers.customer) SELECT * FROM x ORDER BY 1 LIMIT 20", phonesMasked(maskedPhone, 0)},
		{"scalar subquery re-reading the dataset", "SELECT (SELECT max(c_phone) FROM customers.customer)", phonesMasked(maskedPhone, 0)},
		{"IN subquery on a masked column", "SELECT count(*) FROM customers.customer WHERE c_phone IN (SELECT c_phone FROM customers.customer WHERE c_phone = '" + sec.hiddenPhone + "')",
			func(t *testing.T, rows [][]string, err error) {
				require.NoError(t, err)
				require.Equal(t, "0", rows[0][0])
			}},
		{"UNION with an unmasked copy the user is not granted", "SELECT c_phone FROM customers.customer UNION SELECT c_phone FROM customers.customer_copy",
			func(t *testing.T, _ [][]string, err error) { requireCode(t, err, adbc.StatusUnauthorized) }},
		{"audit table", "SELECT * FROM mesh.audit",
			func(t *testing.T, _ [][]string, err error) { requireCode(t, err, adbc.StatusUnauthorized) }},
		{"system tables", "SELECT * FROM mesh.columns", nil},
		{"policies table", "SELECT * FROM mesh.policies", nil},
		{"EXPLAIN", "EXPLAIN SELECT c_name, c_phone FROM customers.customer WHERE c_phone LIKE '%1'", nil},
		{"EXPLAIN ANALYZE", "EXPLAIN ANALYZE SELECT c_name, c_phone FROM customers.customer WHERE c_phone LIKE '%1'", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := run(t, c.sql)
			if c.check != nil {
				c.check(t, rows, err)
			} else {
				require.NoError(t, err)
			}
		})
	}

	t.Run("prepared statement parameters", func(t *testing.T) {
		for _, phone := range []string{sec.visiblePhone, sec.hiddenPhone} {
			p := phoneParam(phone)
			rows, err := run(t, "SELECT count(*) FROM customers.customer WHERE c_phone = ?", p)
			p.Release()
			require.NoError(t, err)
			require.Equal(t, "0", rows[0][0])
		}
	})

	t.Run("hash masks join within the domain", func(t *testing.T) {
		rows, err := run(t, "SELECT count(*) FROM customers.customer a JOIN customers.customer b ON a.c_name = b.c_name")
		require.NoError(t, err)
		require.NotEqual(t, "0", rows[0][0], "equal names hash equally, so the join still matches")
	})

	t.Run("results are not shared across users", func(t *testing.T) {
		const q = "SELECT c_phone FROM customers.customer ORDER BY c_custkey LIMIT 5"
		adminRows := queryRows(t, admin, q)
		analystRows, err := run(t, q)
		require.NoError(t, err)
		require.NotEqual(t, adminRows, analystRows)
		for _, r := range analystRows {
			require.Regexp(t, maskedPhone, r[0])
		}
	})

	t.Run("admin sees raw values", func(t *testing.T) {
		rows := queryRows(t, admin, "SELECT count(*) FROM customers.customer WHERE c_phone = '"+sec.hiddenPhone+"'")
		require.Equal(t, "1", rows[0][0])
		rows = queryRows(t, admin, "SELECT c_name FROM customers.customer WHERE c_phone = '"+sec.visiblePhone+"'")
		require.Equal(t, sec.visibleName, rows[0][0])
		queryRows(t, admin, "SELECT c_phone FROM customers.customer UNION SELECT c_phone FROM customers.customer_copy")

		// The attacks above would have worked without governance: the leak detector finds
		// raw values in admin's answers, and the division fails on the row admin can see.
		var raw strings.Builder
		for _, r := range queryRows(t, admin, "SELECT c_phone, c_address FROM customers.customer LIMIT 10") {
			raw.WriteString(strings.Join(r, " "))
		}
		require.NotEmpty(t, sec.leaks(raw.String()))
		_, err := tryQuery(admin, "SELECT count(*) FROM customers.customer WHERE 10 / c_nationkey > 0")
		require.ErrorContains(t, err, "division by zero")
	})

	// The typed literals above are the caller's own text; every other raw value must be absent.
	typed := []string{sec.visiblePhone, sec.hiddenPhone, sec.visiblePhone[:6]}
	require.Empty(t, sec.leaks(seen.String(), typed...), "raw values in the analyst's answers, errors or EXPLAIN")
	require.Empty(t, sec.leaks(logs.String(), typed...), "raw values in the node's logs")
	records, err := n.audit.ReadAll()
	require.NoError(t, err)
	var audit strings.Builder
	for _, r := range records {
		if r.Principal == "analyst" {
			audit.WriteString(r.SQL + "\n" + r.ErrorClass + "\n" + r.Detail + "\n")
		}
	}
	require.Empty(t, sec.leaks(audit.String(), typed...), "raw values in the audit log")
	_, err = os.Stat(n.audit.Path())
	require.NoError(t, err)
}

func phonesMasked(re *regexp.Regexp, cols ...int) func(t *testing.T, rows [][]string, err error) {
	return func(t *testing.T, rows [][]string, err error) {
		t.Helper()
		require.NoError(t, err)
		require.NotEmpty(t, rows)
		for _, r := range rows {
			for _, c := range cols {
				require.Regexp(t, re, r[c])
			}
		}
	}
}

func requireCode(t *testing.T, err error, code adbc.Status) {
	t.Helper()
	var aerr adbc.Error
	require.True(t, errors.As(err, &aerr), "%v", err)
	require.Equal(t, code, aerr.Code, aerr.Msg)
}

// TestAuditRecordsEveryQuery checks the audit file and mesh.audit after a few queries.
func TestAuditRecordsEveryQuery(t *testing.T) {
	n, _ := startDemoNode(t)
	analyst := adbcConnection(t, n.flightAddr, "analyst")
	admin := adbcConnection(t, n.flightAddr, "admin")
	queryRows(t, analyst, "SELECT c_phone FROM customers.customer WHERE c_acctbal > 0 LIMIT 3")
	_, err := tryQuery(analyst, "SELECT * FROM sales.nope")
	require.Error(t, err)

	records, err := n.audit.ReadAll()
	require.NoError(t, err)
	var mine []governance.AuditRecord
	for _, r := range records {
		if r.Principal == "analyst" {
			mine = append(mine, r)
		}
	}
	require.Len(t, mine, 2)
	ok := mine[0]
	require.Equal(t, governance.DecisionAllowed, ok.Decision)
	require.EqualValues(t, 3, ok.Rows)
	require.NotEmpty(t, ok.QueryID)
	require.Equal(t, governance.SQLHash(ok.SQL), ok.SQLHash)
	require.Contains(t, ok.Policies, "mask-customer-phone@v1")
	require.Contains(t, ok.Policies, "analyst-own-region@v1")
	require.Equal(t, "customers.customer", ok.Datasets[0].Name)
	require.Equal(t, []string{"c_phone"}, ok.Datasets[0].Projected)
	require.Contains(t, ok.Datasets[0].PredicateOnly, "c_acctbal")
	require.Equal(t, governance.DecisionError, mine[1].Decision)
	require.Equal(t, "not found", mine[1].ErrorClass)

	rows := queryRows(t, admin, "SELECT principal, decision, projected_columns, rows FROM mesh.audit WHERE principal = 'analyst' ORDER BY time")
	require.Equal(t, [][]string{{"analyst", "allowed", "customers.customer.c_phone", "3"}, {"analyst", "error", "", "0"}}, rows)
}

// TestImpersonation runs queries as a service principal on a user's behalf: the user's
// policies apply, the audit names both, and only granted targets are accepted.
func TestImpersonation(t *testing.T) {
	hash, err := governance.HashPassword("svc")
	require.NoError(t, err)
	n, _ := startTestNode(t, testNode{extraUsers: []governance.User{
		{Name: "svc", PasswordHash: hash, Roles: []string{"service"}, MayImpersonate: []string{"analyst"}},
	}})
	connect := func(target string) adbc.Connection {
		db, err := adbcflightsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
			adbc.OptionKeyURI: "grpc+tcp://" + n.flightAddr, adbc.OptionKeyUsername: "svc", adbc.OptionKeyPassword: "svc",
			adbcflightsql.OptionRPCCallHeaderPrefix + "x-meshgate-impersonate": target,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		cnxn, err := db.Open(context.Background())
		require.NoError(t, err)
		t.Cleanup(func() { _ = cnxn.Close() })
		return cnxn
	}

	asAnalyst := connect("analyst")
	rows := queryRows(t, asAnalyst, "SELECT c_phone, n_name FROM customers.customer JOIN customers.nation ON c_nationkey = n_nationkey JOIN customers.region ON n_regionkey = r_regionkey WHERE r_name <> 'EUROPE'")
	require.Empty(t, rows, "the analyst's row filter applies to the impersonated session")
	rows = queryRows(t, asAnalyst, "SELECT c_phone FROM customers.customer LIMIT 5")
	require.NotEmpty(t, rows)
	for _, r := range rows {
		require.Regexp(t, `^00-000-000-\d{4}$`, r[0], "phones are masked for the impersonated analyst")
	}

	_, err = tryQuery(connect("admin"), "SELECT 1")
	require.Error(t, err, "svc is not granted admin")
	require.Contains(t, err.Error(), "may not impersonate admin")

	records, err := n.audit.ReadAll()
	require.NoError(t, err)
	var found bool
	for _, r := range records {
		if r.Kind == governance.AuditQuery && r.Principal == "analyst" {
			require.Equal(t, "svc", r.Impersonator)
			found = true
		}
	}
	require.True(t, found, "impersonated queries are audited under both names")
}
