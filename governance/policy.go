package governance

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
)

// Policy kinds.
const (
	KindGrant     = "grant"      // allow reading datasets (and optionally only some columns)
	KindDeny      = "deny"       // forbid reading datasets or columns; wins over any grant
	KindRowFilter = "row_filter" // only rows satisfying Predicate are visible
	KindMask      = "mask"       // values of the targeted columns are masked
)

// Policy scopes.
const (
	ScopeGlobal = "global" // set by mesh admins, applies to every domain
	ScopeDomain = "domain" // set by a domain's owners, applies to that domain only
)

// Policy is one governance rule (DESIGN.md §4).
type Policy struct {
	Name    string `yaml:"name" json:"name"`
	Version int    `yaml:"version" json:"version"`
	Scope   string `yaml:"scope" json:"scope"`
	// Domain is the owning domain of a domain-scoped policy.
	Domain      string `yaml:"domain" json:"domain,omitempty"`
	Kind        string `yaml:"kind" json:"kind"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Datasets are domain.dataset patterns with * wildcards; empty means every dataset in scope.
	Datasets []string `yaml:"datasets" json:"datasets,omitempty"`
	// Columns target columns by name; Classifications and Tags target every column carrying
	// one of them (ABAC).
	Columns         []string `yaml:"columns" json:"columns,omitempty"`
	Classifications []string `yaml:"classifications" json:"classifications,omitempty"`
	Tags            []string `yaml:"tags" json:"tags,omitempty"`
	// When restricts the principals the policy applies to; empty applies to everyone. For a
	// grant it lists the grantees.
	When Condition `yaml:"when" json:"when,omitempty"`
	// Except exempts principals even when When matches.
	Except Condition `yaml:"except" json:"except,omitempty"`
	// Predicate is the row filter, a SQL boolean expression over the dataset's columns and
	// current_user(), has_role('r'), in_group('g'), principal_attr('name').
	Predicate string    `yaml:"predicate" json:"predicate,omitempty"`
	Mask      *MaskSpec `yaml:"mask" json:"mask,omitempty"`

	line int
}

// Condition matches principals: any listed role, group or user (if any are listed) and every
// listed attribute value.
type Condition struct {
	Roles      []string          `yaml:"roles" json:"roles,omitempty"`
	Groups     []string          `yaml:"groups" json:"groups,omitempty"`
	Users      []string          `yaml:"users" json:"users,omitempty"`
	Attributes map[string]string `yaml:"attributes" json:"attributes,omitempty"`
}

// IsEmpty reports whether the condition lists nothing.
func (c Condition) IsEmpty() bool {
	return len(c.Roles) == 0 && len(c.Groups) == 0 && len(c.Users) == 0 && len(c.Attributes) == 0
}

// Matches reports whether p satisfies the condition; an empty condition matches everyone.
func (c Condition) Matches(p *Principal) bool {
	if len(c.Roles)+len(c.Groups)+len(c.Users) > 0 {
		hit := false
		for _, r := range c.Roles {
			hit = hit || p.HasRole(r)
		}
		for _, g := range c.Groups {
			hit = hit || p.InGroup(g)
		}
		for _, u := range c.Users {
			hit = hit || p.User == u
		}
		if !hit {
			return false
		}
	}
	for k, v := range c.Attributes {
		if got, ok := p.Attr(k); !ok || got != v {
			return false
		}
	}
	return true
}

// MaskSpec says how a mask policy transforms values.
type MaskSpec struct {
	// Kind is redact, show_first, show_last, hash, null, date_trunc, constant or expression.
	Kind string `yaml:"kind" json:"kind"`
	// N is the number of characters kept by show_first/show_last.
	N int `yaml:"n" json:"n,omitempty"`
	// Unit is year or month for date_trunc.
	Unit string `yaml:"unit" json:"unit,omitempty"`
	// Value is the constant for constant masks (SQL literal text, cast to the column type).
	Value string `yaml:"value" json:"value,omitempty"`
	// Expression is a SQL expression over the column, written with the column's name.
	Expression string `yaml:"expression" json:"expression,omitempty"`
}

var maskKinds = map[string]bool{"redact": true, "show_first": true, "show_last": true, "hash": true, "null": true, "date_trunc": true, "constant": true, "expression": true}

// policyFile is the YAML document of `meshgate policy apply -f`.
type policyFile struct {
	Policies []yaml.Node `yaml:"policies"`
}

// ParsePolicies decodes a policies document and validates every policy, reporting every
// problem with its line.
func ParsePolicies(data []byte) ([]*Policy, error) {
	var f policyFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "policies document is not valid YAML")
	}
	var out []*Policy
	var problems []string
	names := map[string]int{}
	for _, n := range f.Policies {
		p := &Policy{line: n.Line}
		if err := n.Decode(p); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", n.Line, err))
			continue
		}
		for _, pr := range p.Validate() {
			problems = append(problems, fmt.Sprintf("line %d: policy %q: %s", n.Line, p.Name, pr))
		}
		if prev, dup := names[p.Name]; dup && p.Name != "" {
			problems = append(problems, fmt.Sprintf("line %d: policy %q is also defined at line %d", n.Line, p.Name, prev))
		}
		names[p.Name] = n.Line
		out = append(out, p)
	}
	if len(problems) > 0 {
		return nil, &catalog.ValidationError{Subject: "policies document", Problems: problems}
	}
	return out, nil
}

// Validate returns every problem of the policy.
func (p *Policy) Validate() []string {
	var out []string
	if p.Name == "" {
		out = append(out, "name is required")
	}
	if p.Scope == "" {
		p.Scope = ScopeGlobal
	}
	if p.Version == 0 {
		p.Version = 1
	}
	switch p.Scope {
	case ScopeGlobal:
	case ScopeDomain:
		if p.Domain == "" {
			out = append(out, "domain is required for scope domain")
		}
		for _, d := range p.Datasets {
			if !strings.HasPrefix(d, p.Domain+".") {
				out = append(out, fmt.Sprintf("dataset pattern %q is outside domain %s", d, p.Domain))
			}
		}
	default:
		out = append(out, fmt.Sprintf("scope %q must be global or domain", p.Scope))
	}
	for _, d := range p.Datasets {
		if _, err := path.Match(d, "x.y"); err != nil || !strings.Contains(d, ".") {
			out = append(out, fmt.Sprintf("dataset pattern %q must look like domain.dataset (with * wildcards)", d))
		}
	}
	switch p.Kind {
	case KindGrant, KindDeny:
		if p.Predicate != "" || p.Mask != nil {
			out = append(out, p.Kind+" policies take no predicate or mask")
		}
	case KindRowFilter:
		if strings.TrimSpace(p.Predicate) == "" {
			out = append(out, "row_filter needs a predicate")
		}
	case KindMask:
		switch {
		case p.Mask == nil:
			out = append(out, "mask policies need a mask: {kind: ...}")
		case !maskKinds[p.Mask.Kind]:
			out = append(out, fmt.Sprintf("mask kind %q must be one of redact, show_first, show_last, hash, null, date_trunc, constant, expression", p.Mask.Kind))
		case (p.Mask.Kind == "show_first" || p.Mask.Kind == "show_last") && p.Mask.N <= 0:
			out = append(out, p.Mask.Kind+" needs n > 0")
		case p.Mask.Kind == "date_trunc" && p.Mask.Unit != "year" && p.Mask.Unit != "month":
			out = append(out, "date_trunc needs unit year or month")
		case p.Mask.Kind == "expression" && strings.TrimSpace(p.Mask.Expression) == "":
			out = append(out, "expression masks need an expression")
		case p.Mask.Kind == "constant" && p.Mask.Value == "":
			out = append(out, "constant masks need a value")
		}
		if len(p.Columns)+len(p.Classifications)+len(p.Tags) == 0 {
			out = append(out, "mask policies need columns, classifications or tags to target")
		}
	default:
		out = append(out, fmt.Sprintf("kind %q must be grant, deny, row_filter or mask", p.Kind))
	}
	return out
}

// Line is the policy's line in the document it came from (0 if unknown).
func (p *Policy) Line() int { return p.line }

// ID is the policy's audit identity: name@version.
func (p *Policy) ID() string { return p.Name + "@v" + strconv.Itoa(p.Version) }

func (p *Policy) appliesToDataset(ds *catalog.Dataset) bool {
	if p.Scope == ScopeDomain && ds.Domain != p.Domain {
		return false
	}
	if len(p.Datasets) == 0 {
		return true
	}
	name := ds.QualifiedName()
	for _, pat := range p.Datasets {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

func (p *Policy) appliesToPrincipal(pr *Principal) bool {
	if !p.Except.IsEmpty() && p.Except.Matches(pr) {
		return false
	}
	return p.When.Matches(pr)
}

func (p *Policy) targetsColumn(col catalog.ColumnDef) bool {
	for _, c := range p.Columns {
		if c == col.Name {
			return true
		}
	}
	for _, c := range p.Classifications {
		if strings.EqualFold(c, col.Classification) {
			return true
		}
	}
	for _, t := range p.Tags {
		for _, ct := range col.Tags {
			if strings.EqualFold(t, ct) {
				return true
			}
		}
	}
	return false
}

// DatasetAccess is what the policies say about one principal reading one dataset.
type DatasetAccess struct {
	// Denied is non-nil (PermissionDenied) when the principal may not read the dataset.
	Denied error
	// DeniedColumns maps columns the principal may not read to the deciding policy.
	DeniedColumns map[string]string
	RowFilters    []RowFilter
	Masks         map[string]ColumnMask
}

// RowFilter is a row-filter predicate to apply.
type RowFilter struct {
	PolicyID  string
	Predicate string
}

// ColumnMask is a mask to apply to one column.
type ColumnMask struct {
	PolicyID string
	Spec     MaskSpec
	// Key is the HMAC key for hash masks (per domain). Never logged or shown.
	Key []byte
}

// PolicySet is an immutable set of policies with the keys masks need.
type PolicySet struct {
	policies []*Policy
	maskKey  []byte
}

// NewPolicySet returns a set over policies. maskKey is the mesh secret from which each
// domain's hash-mask key is derived.
func NewPolicySet(policies []*Policy, maskKey []byte) *PolicySet {
	ps := append([]*Policy(nil), policies...)
	// Global policies first so that, for conflicting masks, the global one wins.
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Scope == ScopeGlobal && ps[j].Scope != ScopeGlobal })
	return &PolicySet{policies: ps, maskKey: maskKey}
}

// Policies returns the policies in evaluation order.
func (s *PolicySet) Policies() []*Policy { return s.policies }

// DomainMaskKey returns the HMAC key hash masks use in a domain: equal values hash equally
// inside a domain, so they still join there, but not across domains.
func (s *PolicySet) DomainMaskKey(domain string) []byte {
	m := hmac.New(sha256.New, s.maskKey)
	m.Write([]byte("meshgate mask key\x00" + domain))
	return m.Sum(nil)
}

// Evaluate decides what principal p sees of dataset ds. Order and conflicts follow
// DESIGN.md §4: a deny wins over any grant; where grants exist in a scope, the principal needs
// one in that scope (so domain grants only narrow global ones); every applicable row filter
// applies; for a column with several masks the global one wins.
func (s *PolicySet) Evaluate(p *Principal, ds *catalog.Dataset) *DatasetAccess {
	acc := &DatasetAccess{DeniedColumns: map[string]string{}, Masks: map[string]ColumnMask{}}
	grantsInScope := map[string]bool{}
	grantedInScope := map[string]bool{}
	grantedColumns := map[string]map[string]bool{} // scope → columns granted (nil entry = all)
	for _, pol := range s.policies {
		if !pol.appliesToDataset(ds) {
			continue
		}
		switch pol.Kind {
		case KindGrant:
			grantsInScope[pol.Scope] = true
			if !pol.appliesToPrincipal(p) {
				continue
			}
			grantedInScope[pol.Scope] = true
			if len(pol.Columns) == 0 {
				grantedColumns[pol.Scope] = nil
				continue
			}
			if cols, ok := grantedColumns[pol.Scope]; !ok || cols != nil {
				if cols == nil {
					cols = map[string]bool{}
					grantedColumns[pol.Scope] = cols
				}
				for _, c := range pol.Columns {
					cols[c] = true
				}
			}
		case KindDeny:
			if !pol.appliesToPrincipal(p) {
				continue
			}
			if len(pol.Columns)+len(pol.Classifications)+len(pol.Tags) == 0 {
				if acc.Denied == nil {
					acc.Denied = errs.New(errs.KindPermissionDenied, "access to dataset %s is denied by policy %s", ds.QualifiedName(), pol.Name)
				}
				continue
			}
			for _, col := range ds.Columns {
				if pol.targetsColumn(col) {
					if _, ok := acc.DeniedColumns[col.Name]; !ok {
						acc.DeniedColumns[col.Name] = pol.Name
					}
				}
			}
		case KindRowFilter:
			if pol.appliesToPrincipal(p) {
				acc.RowFilters = append(acc.RowFilters, RowFilter{PolicyID: pol.ID(), Predicate: pol.Predicate})
			}
		case KindMask:
			if !pol.appliesToPrincipal(p) {
				continue
			}
			for _, col := range ds.Columns {
				if _, done := acc.Masks[col.Name]; done || !pol.targetsColumn(col) {
					continue
				}
				m := ColumnMask{PolicyID: pol.ID(), Spec: *pol.Mask}
				if pol.Mask.Kind == "hash" {
					m.Key = s.DomainMaskKey(ds.Domain)
				}
				acc.Masks[col.Name] = m
			}
		}
	}
	for scope := range grantsInScope {
		if acc.Denied == nil && !grantedInScope[scope] {
			acc.Denied = errs.New(errs.KindPermissionDenied, "dataset %s is not granted to user %s; ask the owners of domain %s for access", ds.QualifiedName(), p.User, ds.Domain)
		}
		if cols := grantedColumns[scope]; cols != nil {
			for _, col := range ds.Columns {
				if !cols[col.Name] {
					if _, ok := acc.DeniedColumns[col.Name]; !ok {
						acc.DeniedColumns[col.Name] = "column grants (" + scope + ")"
					}
				}
			}
		}
	}
	return acc
}

// CoversColumn reports whether some mask policy targets column col of dataset ds (for some
// principals): the registration rule "every pii column is masked" asks this.
func (s *PolicySet) CoversColumn(ds *catalog.Dataset, col catalog.ColumnDef) bool {
	for _, p := range s.policies {
		if p.Kind == KindMask && p.appliesToDataset(ds) && p.targetsColumn(col) {
			return true
		}
	}
	return false
}

// AppliesTo reports whether the policy's principal condition selects p.
func (p *Policy) AppliesTo(pr *Principal) bool { return p.appliesToPrincipal(pr) }
