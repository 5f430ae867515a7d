package catalog

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
)

// Domain is a business domain; its name is a SQL schema name.
type Domain struct {
	Name        string   `json:"name" yaml:"name"`
	Description string   `json:"description,omitempty" yaml:"description"`
	Owners      []string `json:"owners" yaml:"owners"` // users or group:NAME
	// Rules are the domain's own registration rules, checked on top of the global ones.
	Rules *Rules `json:"rules,omitempty" yaml:"rules"`
}

// Source is one connection a domain registered. Option values may be secret references
// (env:NAME, file:/path); they are resolved only when the source is opened and never returned.
type Source struct {
	Domain  string            `json:"domain" yaml:"domain"`
	Name    string            `json:"name" yaml:"name"`
	Type    string            `json:"type" yaml:"type"`
	Options map[string]string `json:"options,omitempty" yaml:"options"`
}

// Key returns "domain/name".
func (s *Source) Key() string { return s.Domain + "/" + s.Name }

// Status of a data product version.
const (
	StatusDraft      = "draft"
	StatusActive     = "active"
	StatusDeprecated = "deprecated"
	StatusRetired    = "retired"
)

// Product is one version of a data product.
type Product struct {
	ID          string
	Domain      string
	Name        string
	Version     string
	Status      string
	Description string
	Owner       string
	Tags        []string
	SLA         []SLAProperty
	Datasets    []*Dataset
	Contract    *Contract
	Registered  time.Time
	// RegisteredBy is the user who registered this version.
	RegisteredBy string
	// Sunset is when a deprecated product stops being served (zero: not set).
	Sunset time.Time
	// DeprecationNote tells consumers what to use instead.
	DeprecationNote string
	// Quality is the last quality check of this version (nil: never checked).
	Quality *QualityResult
}

// Key returns domain.product.
func (p *Product) Key() string { return p.Domain + "." + p.Name }

// Ref returns domain.product@version.
func (p *Product) Ref() string { return p.Key() + "@" + p.Version }

// Major is the major part of the product's version (-1 if it is not a semantic version).
func (p *Product) Major() int {
	v, err := ParseVersion(p.Version)
	if err != nil {
		return -1
	}
	return v.Major
}

// Served reports whether a version with this status can be queried.
func Served(status string) bool { return status == StatusActive || status == StatusDeprecated }

// SLAValue returns the declared service level named property (case-insensitive).
func (p *Product) SLAValue(property string) (SLAProperty, bool) {
	for _, s := range p.SLA {
		if strings.EqualFold(s.Property, property) {
			return s, true
		}
	}
	return SLAProperty{}, false
}

// SLAProperty is one declared service level (freshness, availability, ...).
type SLAProperty struct {
	Property string `json:"property"`
	Value    string `json:"value"`
	Unit     string `json:"unit,omitempty"`
	Element  string `json:"element,omitempty"`
}

// Dataset is one queryable table of a product, bound to an object of a source.
type Dataset struct {
	Domain      string
	Name        string
	Product     string
	Version     string
	Status      string
	Description string
	Owner       string
	Tags        []string
	Source      string // source name within the domain
	Object      connectors.Object
	Columns     []ColumnDef
	// System datasets (mesh.*) are served by the catalog itself.
	System bool
	// Pinned is the major version ("v1") when the dataset was addressed as
	// domain."dataset@v1"; empty for domain.dataset.
	Pinned string
}

// QualifiedName returns domain.dataset, without any version pin: policies, which govern a
// dataset in every version, match on it.
func (d *Dataset) QualifiedName() string { return d.Domain + "." + d.Name }

// Ref returns the name the dataset was addressed by: domain.dataset, or domain.dataset@vN
// for a pinned major version.
func (d *Dataset) Ref() string {
	if d.Pinned != "" {
		return d.QualifiedName() + "@" + d.Pinned
	}
	return d.QualifiedName()
}

// Column returns the named column definition.
func (d *Dataset) Column(name string) (ColumnDef, bool) {
	for _, c := range d.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnDef{}, false
}

// PrimaryKey returns the primary key column names in key order.
func (d *Dataset) PrimaryKey() []string {
	var out []string
	for _, c := range d.Columns {
		if c.PrimaryKey {
			out = append(out, c.Name)
		}
	}
	return out
}

// ColumnDef is a column as the contract declares it.
type ColumnDef struct {
	Name           string
	Type           arrow.DataType
	PhysicalType   string
	LogicalType    string
	Required       bool
	Unique         bool
	PrimaryKey     bool
	Classification string
	Description    string
	Tags           []string
}

// Nullable reports whether the column may hold NULLs.
func (c ColumnDef) Nullable() bool { return !c.Required }
