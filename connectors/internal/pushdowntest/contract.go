package pushdowntest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/meshgate/meshgate/catalog"
)

// Dataset binds one table to an object of a source.
type Dataset struct {
	Table  Table
	Object string
	// Format is the meshgate.format property (files only).
	Format string
	// Options become meshgate.option.<name> custom properties (split_column, splits).
	Options map[string]string
}

// Contract renders the ODCS v3 contract of a product of domain whose datasets live in
// source, as a domain would write it.
func Contract(t testing.TB, domain, product, source string, datasets ...Dataset) string {
	t.Helper()
	c := catalog.Contract{
		APIVersion: "v3.0.2", Kind: "DataContract", ID: domain + "-" + product, Version: "1.0.0", Status: "active",
		Domain: domain, DataProduct: product, Description: catalog.Description{Purpose: "pushdowntest fixture"},
		Team: []catalog.TeamMember{{Username: "admin", Role: "owner"}},
	}
	for _, ds := range datasets {
		obj := catalog.SchemaObject{Name: ds.Table.Name, PhysicalType: "table", CustomProperties: []catalog.CustomProperty{
			{Property: catalog.PropSource, Value: source}, {Property: catalog.PropObject, Value: ds.Object},
		}}
		if ds.Format != "" {
			obj.CustomProperties = append(obj.CustomProperties, catalog.CustomProperty{Property: catalog.PropFormat, Value: ds.Format})
		}
		for k, v := range ds.Options {
			obj.CustomProperties = append(obj.CustomProperties, catalog.CustomProperty{Property: "meshgate.option." + k, Value: v})
		}
		for _, col := range ds.Table.Columns {
			obj.Properties = append(obj.Properties, catalog.Property{Name: col.Name, PhysicalType: col.SQLType, Classification: "internal"})
		}
		c.Schema = append(c.Schema, obj)
	}
	out, err := yaml.Marshal(c)
	require.NoError(t, err)
	return string(out)
}
