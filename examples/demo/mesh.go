package demo

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/governance"
)

// Domains of the demo mesh, each with the source that holds its TPC-H tables.
var domainSources = []struct {
	domain, owner, source, description string
}{
	{"sales", "sales-team", "warehouse", "Orders and their line items."},
	{"customers", "crm-team", "crm", "Customers and the nation/region reference data."},
	{"supply", "supply-team", "erp", "Parts, suppliers and supplier stock."},
}

// User is a demo login. Passwords equal user names: demo only.
type User struct {
	Name   string
	Roles  []string
	Groups []string
	Attrs  map[string]string
}

// Users are the demo mesh's logins.
func Users() []User {
	return []User{
		{Name: "admin", Roles: []string{"admin", "governance"}},
		{Name: "analyst", Roles: []string{"analyst"}, Attrs: map[string]string{"region": "EUROPE"}},
		{Name: "steward", Roles: []string{"steward", "governance"}, Groups: []string{"data-stewards"}},
	}
}

// Identities returns the demo users with bcrypt hashes of their names as passwords.
func Identities() ([]governance.User, error) {
	var out []governance.User
	for _, u := range Users() {
		h, err := governance.HashPassword(u.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, governance.User{Name: u.Name, PasswordHash: h, Roles: u.Roles, Groups: u.Groups, Attrs: u.Attrs})
	}
	return out, nil
}

// Register adds the demo domains, their file sources over dataDir (the TPC-H output root,
// holding <domain>/<table>/*.parquet) and the products of contracts/*.yaml to cat.
func Register(cat *catalog.Catalog, dataDir string) error {
	for _, d := range domainSources {
		if err := cat.PutDomain(catalog.Domain{Name: d.domain, Description: d.description, Owners: []string{d.owner, "group:data-stewards"}}); err != nil {
			return err
		}
		src := catalog.Source{Domain: d.domain, Name: d.source, Type: "files", Options: map[string]string{"root": filepath.Join(dataDir, d.domain)}}
		if err := cat.PutSource(src); err != nil {
			return err
		}
	}
	names, err := fs.Glob(Files, "contracts/*.yaml")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := Files.ReadFile(name)
		if err != nil {
			return err
		}
		c, err := catalog.ParseContract(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p, err := c.ToProduct()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := cat.PutProduct(p); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Policies returns the demo governance policies (policies.yaml).
func Policies() ([]*governance.Policy, error) {
	data, err := Files.ReadFile("policies.yaml")
	if err != nil {
		return nil, err
	}
	return governance.ParsePolicies(data)
}
