package governance

import (
	"slices"
	"sort"
	"strings"
)

// Principal is an authenticated caller (DESIGN.md §1).
type Principal struct {
	User   string
	Roles  []string
	Groups []string
	// Attrs are attributes such as region=EU that row filters and conditional masks read.
	Attrs map[string]string
	// Impersonator is the service principal that runs the query on User's behalf, if any.
	Impersonator string
}

// HasRole reports whether the principal holds role r.
func (p *Principal) HasRole(r string) bool { return slices.Contains(p.Roles, r) }

// InGroup reports whether the principal is a member of group g.
func (p *Principal) InGroup(g string) bool { return slices.Contains(p.Groups, g) }

// Attr returns an attribute value and whether it is set.
func (p *Principal) Attr(name string) (string, bool) {
	v, ok := p.Attrs[name]
	return v, ok
}

// Fingerprint identifies everything about the principal that policies can depend on. Caches
// key on it so one user's cached result never serves another (DESIGN.md §4).
func (p *Principal) Fingerprint() string {
	var b strings.Builder
	b.WriteString("u=" + p.User)
	roles := slices.Clone(p.Roles)
	sort.Strings(roles)
	b.WriteString(";r=" + strings.Join(roles, ","))
	groups := slices.Clone(p.Groups)
	sort.Strings(groups)
	b.WriteString(";g=" + strings.Join(groups, ","))
	keys := make([]string, 0, len(p.Attrs))
	for k := range p.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(";" + k + "=" + p.Attrs[k])
	}
	return b.String()
}
