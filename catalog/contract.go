package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Contract is an Open Data Contract Standard (ODCS) v3 document: the fields meshgate reads.
// meshgate's own settings (dataset binding) live under customProperties, as ODCS intends.
type Contract struct {
	APIVersion       string           `yaml:"apiVersion" json:"apiVersion"`
	Kind             string           `yaml:"kind" json:"kind"`
	ID               string           `yaml:"id" json:"id"`
	Name             string           `yaml:"name" json:"name,omitempty"`
	Version          string           `yaml:"version" json:"version"`
	Status           string           `yaml:"status" json:"status"`
	Domain           string           `yaml:"domain" json:"domain,omitempty"`
	DataProduct      string           `yaml:"dataProduct" json:"dataProduct,omitempty"`
	Tenant           string           `yaml:"tenant" json:"tenant,omitempty"`
	Description      Description      `yaml:"description" json:"description,omitempty"`
	Tags             []string         `yaml:"tags" json:"tags,omitempty"`
	Team             []TeamMember     `yaml:"team" json:"team,omitempty"`
	SLAProperties    []SLAEntry       `yaml:"slaProperties" json:"slaProperties,omitempty"`
	Schema           []SchemaObject   `yaml:"schema" json:"schema,omitempty"`
	Quality          []QualityRule    `yaml:"quality" json:"quality,omitempty"`
	CustomProperties []CustomProperty `yaml:"customProperties" json:"customProperties,omitempty"`
}

// Description is ODCS's description object. A plain string is accepted as the purpose.
type Description struct {
	Purpose     string `yaml:"purpose" json:"purpose,omitempty"`
	Limitations string `yaml:"limitations" json:"limitations,omitempty"`
	Usage       string `yaml:"usage" json:"usage,omitempty"`
}

// UnmarshalYAML accepts both the ODCS object and a plain string.
func (d *Description) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Purpose = n.Value
		return nil
	}
	type plain Description
	return n.Decode((*plain)(d))
}

// Text is the description to show users.
func (d Description) Text() string {
	return strings.TrimSpace(d.Purpose)
}

// TeamMember is one member of the product's team.
type TeamMember struct {
	Username string `yaml:"username" json:"username"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Role     string `yaml:"role" json:"role,omitempty"`
}

// SLAEntry is one ODCS slaProperties entry.
type SLAEntry struct {
	Property string `yaml:"property" json:"property"`
	Value    any    `yaml:"value" json:"value"`
	Unit     string `yaml:"unit" json:"unit,omitempty"`
	Element  string `yaml:"element" json:"element,omitempty"`
}

// SchemaObject is a table-like element of the contract; each becomes a dataset.
type SchemaObject struct {
	Name             string           `yaml:"name" json:"name"`
	PhysicalName     string           `yaml:"physicalName" json:"physicalName,omitempty"`
	LogicalType      string           `yaml:"logicalType" json:"logicalType,omitempty"`
	PhysicalType     string           `yaml:"physicalType" json:"physicalType,omitempty"`
	Description      string           `yaml:"description" json:"description,omitempty"`
	Tags             []string         `yaml:"tags" json:"tags,omitempty"`
	Properties       []Property       `yaml:"properties" json:"properties,omitempty"`
	Quality          []QualityRule    `yaml:"quality" json:"quality,omitempty"`
	CustomProperties []CustomProperty `yaml:"customProperties" json:"customProperties,omitempty"`
}

// Property is a column of a schema object.
type Property struct {
	Name               string           `yaml:"name" json:"name"`
	LogicalType        string           `yaml:"logicalType" json:"logicalType,omitempty"`
	PhysicalType       string           `yaml:"physicalType" json:"physicalType,omitempty"`
	Required           bool             `yaml:"required" json:"required,omitempty"`
	Unique             bool             `yaml:"unique" json:"unique,omitempty"`
	PrimaryKey         bool             `yaml:"primaryKey" json:"primaryKey,omitempty"`
	PrimaryKeyPosition int              `yaml:"primaryKeyPosition" json:"primaryKeyPosition,omitempty"`
	Classification     string           `yaml:"classification" json:"classification,omitempty"`
	Description        string           `yaml:"description" json:"description,omitempty"`
	Tags               []string         `yaml:"tags" json:"tags,omitempty"`
	Quality            []QualityRule    `yaml:"quality" json:"quality,omitempty"`
	CustomProperties   []CustomProperty `yaml:"customProperties" json:"customProperties,omitempty"`
}

// QualityRule is an ODCS quality entry.
type QualityRule struct {
	Name          string `yaml:"name" json:"name,omitempty"`
	Type          string `yaml:"type" json:"type,omitempty"` // library | sql | text | custom
	Rule          string `yaml:"rule" json:"rule,omitempty"` // library rule name
	Description   string `yaml:"description" json:"description,omitempty"`
	Query         string `yaml:"query" json:"query,omitempty"`
	MustBe        any    `yaml:"mustBe" json:"mustBe,omitempty"`
	MustNotBe     any    `yaml:"mustNotBe" json:"mustNotBe,omitempty"`
	MustBeGT      any    `yaml:"mustBeGreaterThan" json:"mustBeGreaterThan,omitempty"`
	MustBeGE      any    `yaml:"mustBeGreaterOrEqualTo" json:"mustBeGreaterOrEqualTo,omitempty"`
	MustBeLT      any    `yaml:"mustBeLessThan" json:"mustBeLessThan,omitempty"`
	MustBeLE      any    `yaml:"mustBeLessOrEqualTo" json:"mustBeLessOrEqualTo,omitempty"`
	MustBeBetween []any  `yaml:"mustBeBetween" json:"mustBeBetween,omitempty"`
	ValidValues   []any  `yaml:"validValues" json:"validValues,omitempty"`
	Unit          string `yaml:"unit" json:"unit,omitempty"`
	Schedule      string `yaml:"schedule" json:"schedule,omitempty"`
}

// CustomProperty is an ODCS customProperties entry.
type CustomProperty struct {
	Property string `yaml:"property" json:"property"`
	Value    any    `yaml:"value" json:"value"`
}

// Custom property names meshgate reads on a schema object.
const (
	PropSource = "meshgate.source" // source name within the domain
	PropObject = "meshgate.object" // table/view name, or file path/glob
	PropQuery  = "meshgate.query"  // SQL query instead of an object
	PropFormat = "meshgate.format" // files: parquet|csv|arrow
	// Other meshgate.option.<name> properties become connectors.Object options.
	propOptionPrefix = "meshgate.option."
)

func customValue(props []CustomProperty, name string) string {
	for _, p := range props {
		if p.Property == name {
			return fmt.Sprint(p.Value)
		}
	}
	return ""
}

// Owner returns the username of the team member with role owner, if any.
func (c *Contract) Owner() string {
	for _, m := range c.Team {
		if strings.EqualFold(m.Role, "owner") {
			return m.Username
		}
	}
	return ""
}

// ToProduct converts a contract into a product and its datasets. It checks what meshgate needs
// to serve the product and reports every problem at once.
func (c *Contract) ToProduct() (*Product, error) {
	var problems []string
	bad := func(path, format string, args ...any) {
		problems = append(problems, path+": "+fmt.Sprintf(format, args...))
	}
	if c.Kind != "" && c.Kind != "DataContract" {
		bad("kind", "must be DataContract")
	}
	if c.Domain == "" {
		bad("domain", "is required: the domain that owns the product")
	}
	name := c.DataProduct
	if name == "" {
		name = c.Name
	}
	if name == "" {
		bad("dataProduct", "is required (or name)")
	}
	if c.Version == "" {
		bad("version", "is required (semantic version such as 1.0.0)")
	}
	status := strings.ToLower(c.Status)
	if status == "" {
		status = StatusActive
	}
	p := &Product{
		ID: c.ID, Domain: c.Domain, Name: name, Version: c.Version, Status: status,
		Description: c.Description.Text(), Owner: c.Owner(), Tags: c.Tags, Contract: c,
	}
	for _, s := range c.SLAProperties {
		p.SLA = append(p.SLA, SLAProperty{Property: s.Property, Value: fmt.Sprint(s.Value), Unit: s.Unit, Element: s.Element})
	}
	if len(c.Schema) == 0 {
		bad("schema", "declares no dataset")
	}
	seen := map[string]bool{}
	for i, obj := range c.Schema {
		path := fmt.Sprintf("schema[%d]", i)
		if obj.Name == "" {
			bad(path+".name", "is required")
			continue
		}
		if seen[obj.Name] {
			bad(path+".name", "dataset %q is declared twice", obj.Name)
		}
		seen[obj.Name] = true
		ds := &Dataset{
			Domain: c.Domain, Name: obj.Name, Product: name, Version: c.Version, Status: status,
			Description: obj.Description, Owner: p.Owner, Tags: append(append([]string(nil), c.Tags...), obj.Tags...),
			Source: customValue(obj.CustomProperties, PropSource),
		}
		if ds.Description == "" {
			ds.Description = p.Description
		}
		ds.Object = connectors.Object{
			Table:   customValue(obj.CustomProperties, PropObject),
			Query:   customValue(obj.CustomProperties, PropQuery),
			Format:  customValue(obj.CustomProperties, PropFormat),
			Options: map[string]string{},
		}
		for _, cp := range obj.CustomProperties {
			if opt, ok := strings.CutPrefix(cp.Property, propOptionPrefix); ok {
				ds.Object.Options[opt] = fmt.Sprint(cp.Value)
			}
		}
		if ds.Object.Table == "" && ds.Object.Query == "" {
			ds.Object.Table = obj.PhysicalName
		}
		if ds.Source == "" {
			bad(path+".customProperties", "%s is required: the source that holds dataset %q", PropSource, obj.Name)
		}
		if ds.Object.Table == "" && ds.Object.Query == "" {
			bad(path+".customProperties", "%s (or physicalName) is required for dataset %q", PropObject, obj.Name)
		}
		if len(obj.Properties) == 0 {
			bad(path+".properties", "dataset %q declares no column", obj.Name)
		}
		cols := map[string]bool{}
		for j, prop := range obj.Properties {
			ppath := fmt.Sprintf("%s.properties[%d]", path, j)
			if prop.Name == "" {
				bad(ppath+".name", "is required")
				continue
			}
			if cols[prop.Name] {
				bad(ppath+".name", "column %q is declared twice", prop.Name)
			}
			cols[prop.Name] = true
			t, err := ContractType(prop.PhysicalType, prop.LogicalType)
			if err != nil {
				bad(ppath, "column %q: %v", prop.Name, err)
				continue
			}
			ds.Columns = append(ds.Columns, ColumnDef{
				Name: prop.Name, Type: t, PhysicalType: prop.PhysicalType, LogicalType: prop.LogicalType,
				Required: prop.Required || prop.PrimaryKey, Unique: prop.Unique, PrimaryKey: prop.PrimaryKey,
				Classification: strings.ToLower(prop.Classification), Description: prop.Description, Tags: prop.Tags,
			})
		}
		p.Datasets = append(p.Datasets, ds)
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Subject: "contract " + c.Domain + "." + name, Problems: problems}
	}
	return p, nil
}

// ValidationError lists every problem found in a document, each with its path.
type ValidationError struct {
	Subject  string
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s is invalid (%d problems):\n  - %s", e.Subject, len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

// ErrorKind classifies a validation error as an invalid argument.
func (e *ValidationError) ErrorKind() errs.Kind { return errs.KindInvalidArgument }

// ProblemList returns every problem, for API responses.
func (e *ValidationError) ProblemList() []string { return e.Problems }

// ContractType maps a contract column's physicalType (SQL spelling, preferred) or ODCS
// logicalType to an Arrow type.
func ContractType(physical, logical string) (arrow.DataType, error) {
	if physical != "" {
		return ParseSQLType(physical)
	}
	switch strings.ToLower(logical) {
	case "string", "":
		return expr.String, nil
	case "integer":
		return expr.Int64, nil
	case "number":
		return expr.Float64, nil
	case "boolean":
		return expr.Bool, nil
	case "date":
		return expr.Date, nil
	case "timestamp":
		return expr.TimestampTZ, nil
	}
	return nil, fmt.Errorf("logicalType %q is not supported yet; declare a physicalType", logical)
}

// ParseSQLType maps a SQL type spelling (as PostgreSQL, MySQL and Snowflake write them) to an
// Arrow type.
func ParseSQLType(s string) (arrow.DataType, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	var mods []int32
	if i := strings.IndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
		for _, m := range strings.Split(name[i+1:len(name)-1], ",") {
			v, err := strconv.Atoi(strings.TrimSpace(m))
			if err != nil {
				return nil, fmt.Errorf("type %q has a non-numeric modifier", s)
			}
			mods = append(mods, int32(v))
		}
		name = strings.TrimSpace(name[:i])
	}
	switch name {
	case "boolean", "bool":
		return expr.Bool, nil
	case "tinyint", "int1":
		return expr.Int8, nil
	case "smallint", "int2":
		return expr.Int16, nil
	case "integer", "int", "int4", "mediumint":
		return expr.Int32, nil
	case "bigint", "int8", "long":
		return expr.Int64, nil
	case "real", "float4", "float":
		return expr.Float32, nil
	case "double", "double precision", "float8":
		return expr.Float64, nil
	case "decimal", "numeric", "number":
		p, sc := int32(38), int32(9)
		if len(mods) >= 1 {
			p = mods[0]
			sc = 0
		}
		if len(mods) == 2 {
			sc = mods[1]
		}
		if p < 1 || p > 38 || sc < 0 || sc > p {
			return nil, fmt.Errorf("type %q is out of range: precision 1..38, scale 0..precision", s)
		}
		return expr.Decimal(p, sc), nil
	case "varchar", "character varying", "char", "character", "bpchar", "text", "string", "uuid", "json", "jsonb", "nvarchar", "nchar":
		return expr.String, nil
	case "bytea", "binary", "varbinary", "blob":
		return expr.Binary, nil
	case "date":
		return expr.Date, nil
	case "timestamp", "timestamp without time zone", "datetime", "timestamp_ntz":
		return expr.Timestamp, nil
	case "timestamptz", "timestamp with time zone", "timestamp_tz", "timestamp_ltz":
		return expr.TimestampTZ, nil
	}
	return nil, fmt.Errorf("type %q is not supported yet", s)
}
