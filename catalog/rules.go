package catalog

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/internal/errs"
)

// Rules are computational governance rules a contract must meet to be registered
// (DESIGN.md §3). The mesh has one global set (a YAML file); a domain may add its own,
// which only tighten the global ones.
type Rules struct {
	// RequireOwner: the contract's team names a member with role owner.
	RequireOwner bool `yaml:"require_owner" json:"require_owner,omitempty"`
	// RequireDescription: the contract and every schema object have a description.
	RequireDescription bool `yaml:"require_description" json:"require_description,omitempty"`
	// RequireClassification: every column has a classification.
	RequireClassification bool `yaml:"require_classification" json:"require_classification,omitempty"`
	// Classifications, when set, are the only classifications allowed.
	Classifications []string `yaml:"classifications" json:"classifications,omitempty"`
	// MaskedClassifications: columns with one of these classifications must be covered by a
	// mask policy.
	MaskedClassifications []string `yaml:"masked_classifications" json:"masked_classifications,omitempty"`
	// RequireFreshnessSLA: slaProperties declares freshness.
	RequireFreshnessSLA bool `yaml:"require_freshness_sla" json:"require_freshness_sla,omitempty"`
	// RequireVersionIncrease: a new version is a semantic version greater than every
	// registered version of the product.
	RequireVersionIncrease bool `yaml:"require_version_increase" json:"require_version_increase,omitempty"`
	// RequiredTags must all appear in the contract's tags.
	RequiredTags []string `yaml:"required_tags" json:"required_tags,omitempty"`
	// RequireQualityRules: at least one quality rule is declared.
	RequireQualityRules bool `yaml:"require_quality_rules" json:"require_quality_rules,omitempty"`
}

// DefaultRules are the global rules when no rules file is configured: every product has
// an owner and a description, every column a classification among public, internal,
// confidential, pii and restricted, pii and restricted columns are masked, freshness is
// declared and versions increase.
func DefaultRules() Rules {
	return Rules{
		RequireOwner: true, RequireDescription: true, RequireClassification: true,
		Classifications:       []string{"public", "internal", "confidential", "pii", "restricted"},
		MaskedClassifications: []string{"pii", "restricted"},
		RequireFreshnessSLA:   true, RequireVersionIncrease: true,
	}
}

// ParseRules reads a rules YAML document. Unknown keys are errors, so a misspelt rule is
// never silently ignored.
func ParseRules(data []byte) (Rules, error) {
	var r Rules
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil {
		return Rules{}, errs.Wrap(errs.KindInvalidArgument, err, "rules document")
	}
	r.normalize()
	return r, nil
}

func (r *Rules) normalize() {
	for i, c := range r.Classifications {
		r.Classifications[i] = strings.ToLower(c)
	}
	for i, c := range r.MaskedClassifications {
		r.MaskedClassifications[i] = strings.ToLower(c)
	}
}

// With returns r tightened by a domain's rules: any rule either requires holds, allowed
// classifications are those both allow.
func (r Rules) With(d *Rules) Rules {
	if d == nil {
		return r
	}
	out := r
	out.RequireOwner = r.RequireOwner || d.RequireOwner
	out.RequireDescription = r.RequireDescription || d.RequireDescription
	out.RequireClassification = r.RequireClassification || d.RequireClassification
	out.RequireFreshnessSLA = r.RequireFreshnessSLA || d.RequireFreshnessSLA
	out.RequireVersionIncrease = r.RequireVersionIncrease || d.RequireVersionIncrease
	out.RequireQualityRules = r.RequireQualityRules || d.RequireQualityRules
	switch {
	case len(r.Classifications) == 0:
		out.Classifications = d.Classifications
	case len(d.Classifications) > 0:
		out.Classifications = nil
		for _, c := range r.Classifications {
			if slices.Contains(d.Classifications, strings.ToLower(c)) {
				out.Classifications = append(out.Classifications, c)
			}
		}
	}
	out.MaskedClassifications = union(r.MaskedClassifications, d.MaskedClassifications)
	out.RequiredTags = union(r.RequiredTags, d.RequiredTags)
	return out
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		if !slices.Contains(out, strings.ToLower(x)) {
			out = append(out, strings.ToLower(x))
		}
	}
	return out
}

// MaskCoverage answers whether some mask policy covers a column of a dataset.
type MaskCoverage func(ds *Dataset, col ColumnDef) bool

// Check returns every violation of the rules by product p, each with its path in the
// contract. existing are the product's registered versions; covered answers the mask rule.
func (r Rules) Check(p *Product, existing []*Product, covered MaskCoverage) []string {
	var problems []string
	bad := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	c := p.Contract
	if r.RequireOwner && p.Owner == "" {
		bad("team", "the product has no owner: add a team member with role: owner (rule require_owner)")
	}
	if r.RequireDescription && p.Description == "" {
		bad("description.purpose", "the product has no description (rule require_description)")
	}
	if r.RequireFreshnessSLA {
		if _, ok := p.SLAValue("freshness"); !ok {
			bad("slaProperties", "no freshness SLA is declared: add {property: freshness, value: N, unit: d} (rule require_freshness_sla)")
		}
	}
	for _, t := range r.RequiredTags {
		if !slices.ContainsFunc(p.Tags, func(x string) bool { return strings.EqualFold(x, t) }) {
			bad("tags", "tag %q is required (rule required_tags)", t)
		}
	}
	if r.RequireQualityRules && !hasQuality(c) {
		bad("schema", "no quality rule is declared (rule require_quality_rules)")
	}
	if r.RequireVersionIncrease {
		nv, err := ParseVersion(p.Version)
		if err != nil {
			bad("version", "%v (rule require_version_increase)", err)
		} else {
			for _, e := range existing {
				ev, err := ParseVersion(e.Version)
				if err != nil || e.Version == p.Version {
					continue
				}
				if nv.Compare(ev) <= 0 {
					bad("version", "%s is not greater than the registered version %s of %s; increase it (rule require_version_increase)", p.Version, e.Version, p.Key())
					break
				}
			}
		}
	}
	if c == nil {
		return problems
	}
	for i, obj := range c.Schema {
		var ds *Dataset
		for _, d := range p.Datasets {
			if d.Name == obj.Name {
				ds = d
			}
		}
		if r.RequireDescription && obj.Description == "" {
			bad(fmt.Sprintf("schema[%d].description", i), "dataset %s has no description (rule require_description)", obj.Name)
		}
		for j, prop := range obj.Properties {
			path := fmt.Sprintf("schema[%d].properties[%d].classification", i, j)
			class := strings.ToLower(prop.Classification)
			switch {
			case class == "" && r.RequireClassification:
				bad(path, "column %s.%s has no classification (rule require_classification)", obj.Name, prop.Name)
			case class != "" && len(r.Classifications) > 0 && !slices.Contains(r.Classifications, class):
				bad(path, "column %s.%s: classification %q is not one of %s", obj.Name, prop.Name, prop.Classification, strings.Join(r.Classifications, ", "))
			}
			if class != "" && slices.Contains(r.MaskedClassifications, class) && ds != nil {
				col, ok := ds.Column(prop.Name)
				if ok && (covered == nil || !covered(ds, col)) {
					bad(path, "column %s.%s is classified %s but no mask policy covers it; apply a mask policy for the column or classification first (meshgate policy apply)", ds.QualifiedName(), prop.Name, class)
				}
			}
		}
	}
	return problems
}

func hasQuality(c *Contract) bool {
	if c == nil {
		return false
	}
	if len(c.Quality) > 0 {
		return true
	}
	for _, o := range c.Schema {
		if len(o.Quality) > 0 {
			return true
		}
		for _, p := range o.Properties {
			if len(p.Quality) > 0 {
				return true
			}
		}
	}
	for _, s := range c.SLAProperties {
		if strings.EqualFold(s.Property, "freshness") && s.Element != "" {
			return true
		}
	}
	return false
}
