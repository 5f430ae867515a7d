package governance

import (
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

var customer = &catalog.Dataset{Domain: "customers", Name: "customer", Columns: []catalog.ColumnDef{
	{Name: "id", Type: expr.Int64, Classification: "internal"},
	{Name: "phone", Type: expr.String, Classification: "pii"},
	{Name: "email", Type: expr.String, Classification: "pii", Tags: []string{"contact"}},
	{Name: "region", Type: expr.String, Classification: "public"},
}}

func mustParse(t *testing.T, doc string) []*Policy {
	t.Helper()
	ps, err := ParsePolicies([]byte(doc))
	require.NoError(t, err)
	return ps
}

var (
	analyst = &Principal{User: "ann", Roles: []string{"analyst"}, Attrs: map[string]string{"region": "EU"}}
	admin   = &Principal{User: "root", Roles: []string{"admin"}}
	intern  = &Principal{User: "ian", Roles: []string{"intern"}, Groups: []string{"juniors"}}
)

func TestEvaluate(t *testing.T) {
	doc := `
policies:
  - {name: mask-phone, kind: mask, columns: [phone], mask: {kind: show_last, n: 4}, when: {roles: [analyst]}}
  - {name: redact-pii, kind: mask, classifications: [pii], mask: {kind: redact}, when: {roles: [analyst, intern]}}
  - {name: domain-hash, scope: domain, domain: customers, kind: mask, columns: [phone], mask: {kind: hash}}
  - {name: eu-only, scope: domain, domain: customers, kind: row_filter, datasets: [customers.customer], predicate: "region = principal_attr('region')", when: {attributes: {region: EU}}}
  - {name: no-interns, kind: deny, datasets: ["customers.*"], when: {groups: [juniors]}}
  - {name: hide-email, kind: deny, tags: [contact], when: {roles: [analyst]}, except: {users: [boss]}}
`
	set := NewPolicySet(mustParse(t, doc), []byte("k"))

	acc := set.Evaluate(analyst, customer)
	require.NoError(t, acc.Denied)
	require.Equal(t, "mask-phone@v1", acc.Masks["phone"].PolicyID, "the first global mask wins over later and domain ones")
	require.Equal(t, "show_last", acc.Masks["phone"].Spec.Kind)
	require.Equal(t, "redact-pii@v1", acc.Masks["email"].PolicyID, "classification targets every pii column")
	require.NotContains(t, acc.Masks, "region")
	require.Equal(t, []RowFilter{{PolicyID: "eu-only@v1", Predicate: "region = principal_attr('region')"}}, acc.RowFilters)
	require.Equal(t, "hide-email", acc.DeniedColumns["email"])

	boss := &Principal{User: "boss", Roles: []string{"analyst"}}
	require.NotContains(t, set.Evaluate(boss, customer).DeniedColumns, "email", "except exempts")

	acc = set.Evaluate(intern, customer)
	require.ErrorIs(t, acc.Denied, errs.PermissionDenied, "a deny wins")

	acc = set.Evaluate(admin, customer)
	require.NoError(t, acc.Denied)
	require.Equal(t, "domain-hash@v1", acc.Masks["phone"].PolicyID, "a domain mask for everyone applies to admins too")
	require.NotEmpty(t, acc.Masks["phone"].Key)
	require.Empty(t, acc.RowFilters)
}

func TestGrantsNarrowPerScope(t *testing.T) {
	doc := `
policies:
  - {name: global-analysts, kind: grant, datasets: ["customers.*"], when: {roles: [analyst]}}
  - {name: domain-eu, scope: domain, domain: customers, kind: grant, datasets: [customers.customer], columns: [id, region], when: {attributes: {region: EU}}}
`
	set := NewPolicySet(mustParse(t, doc), nil)
	acc := set.Evaluate(analyst, customer)
	require.NoError(t, acc.Denied)
	require.Equal(t, map[string]string{"phone": "column grants (domain)", "email": "column grants (domain)"}, acc.DeniedColumns)

	usAnalyst := &Principal{User: "u", Roles: []string{"analyst"}, Attrs: map[string]string{"region": "US"}}
	require.ErrorIs(t, set.Evaluate(usAnalyst, customer).Denied, errs.PermissionDenied, "the domain grant narrows the global one")
	require.ErrorIs(t, set.Evaluate(intern, customer).Denied, errs.PermissionDenied, "no global grant")
	other := &catalog.Dataset{Domain: "sales", Name: "orders"}
	require.NoError(t, set.Evaluate(intern, other).Denied, "no grant in scope for sales: open")
}

func TestDomainMaskKeys(t *testing.T) {
	set := NewPolicySet(nil, []byte("mesh secret"))
	require.Equal(t, set.DomainMaskKey("customers"), set.DomainMaskKey("customers"))
	require.NotEqual(t, set.DomainMaskKey("customers"), set.DomainMaskKey("sales"), "hashes join within a domain only")
}

func TestParsePoliciesListsEveryProblemWithItsLine(t *testing.T) {
	doc := `policies:
  - name: a
    kind: mask
    mask: {kind: show_last}
  - name: b
    kind: row_filter
  - name: a
    kind: grant
    scope: domain
    datasets: [sales.orders]
  - name: c
    kind: teleport
`
	_, err := ParsePolicies([]byte(doc))
	require.Error(t, err)
	var ve *catalog.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
	require.Equal(t, []string{
		`line 2: policy "a": show_last needs n > 0`,
		`line 2: policy "a": mask policies need columns, classifications or tags to target`,
		`line 5: policy "b": row_filter needs a predicate`,
		`line 7: policy "a": domain is required for scope domain`,
		`line 7: policy "a": dataset pattern "sales.orders" is outside domain `,
		`line 7: policy "a" is also defined at line 2`,
		`line 11: policy "c": kind "teleport" must be grant, deny, row_filter or mask`,
	}, ve.Problems)

	_, err = ParsePolicies([]byte("policies: [\n"))
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
}

type owners []catalog.Domain

func (o owners) Domains() []catalog.Domain { return o }

type memAudit struct{ records []AuditRecord }

func (m *memAudit) Record(_ context.Context, r AuditRecord) error {
	m.records = append(m.records, r)
	return nil
}

func TestPolicyStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "policies.json")
	audit := &memAudit{}
	var published *PolicySet
	opts := PolicyStoreOptions{
		Path: path, MaskKey: []byte("k"), Audit: audit,
		Owners:   owners{{Name: "customers", Owners: []string{"crm-lead", "group:crm"}}},
		OnChange: func(s *PolicySet) { published = s },
	}
	store, err := OpenPolicyStore(opts)
	require.NoError(t, err)
	domainDoc := mustParse(t, `policies:
  - {name: eu, scope: domain, domain: customers, kind: row_filter, predicate: "region = 'EU'"}`)
	globalDoc := mustParse(t, `policies:
  - {name: pii, kind: mask, classifications: [pii], mask: {kind: redact}}`)

	crmMember := &Principal{User: "cm", Groups: []string{"crm"}}
	_, err = store.Apply(ctx, crmMember, globalDoc)
	require.ErrorIs(t, err, errs.PermissionDenied, "only admins change global policies")
	_, err = store.Apply(ctx, intern, domainDoc)
	require.ErrorIs(t, err, errs.PermissionDenied, "only the domain's owners change its policies")
	require.Empty(t, audit.records, "nothing was changed, nothing audited")

	res, err := store.Apply(ctx, crmMember, domainDoc)
	require.NoError(t, err)
	require.Equal(t, []string{"eu"}, res.Created)
	res, err = store.Apply(ctx, admin, append(globalDoc, domainDoc...))
	require.NoError(t, err)
	require.Equal(t, []string{"pii"}, res.Created)
	require.Equal(t, []string{"eu"}, res.Unchanged)
	changed := mustParse(t, `policies:
  - {name: eu, scope: domain, domain: customers, kind: row_filter, predicate: "region IN ('EU', 'UK')"}`)
	res, err = store.Apply(ctx, crmMember, changed)
	require.NoError(t, err)
	require.Equal(t, []string{"eu"}, res.Updated)
	require.Len(t, published.Policies(), 2)
	require.Len(t, audit.records, 3)
	require.Equal(t, AuditPolicyChange, audit.records[0].Kind)

	// A restart reads the same policies and versions back.
	reopened, err := OpenPolicyStore(opts)
	require.NoError(t, err)
	versions := map[string]int{}
	for _, p := range reopened.List() {
		versions[p.Name] = p.Version
	}
	require.Equal(t, map[string]int{"eu": 2, "pii": 1}, versions)

	require.ErrorIs(t, reopened.Delete(ctx, crmMember, "pii"), errs.PermissionDenied)
	require.NoError(t, reopened.Delete(ctx, admin, "pii"))
	require.ErrorIs(t, reopened.Delete(ctx, admin, "pii"), errs.NotFound)
	var names []string
	for _, p := range reopened.List() {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	require.Equal(t, []string{"eu"}, names)
}
