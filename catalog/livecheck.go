package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// CheckLive compares the product's datasets with what their sources hold: every declared
// column must exist with a compatible type. Problems carry their path in the contract. An
// error is returned (instead of problems) when a source cannot be reached at all.
func (c *Catalog) CheckLive(ctx context.Context, p *Product) ([]string, error) {
	var problems []string
	for i, ds := range p.Datasets {
		path := fmt.Sprintf("schema[%d]", i)
		c.mu.RLock()
		_, registered := c.sources[ds.Domain+"/"+ds.Source]
		c.mu.RUnlock()
		if !registered {
			continue // reported by CheckProduct
		}
		got, err := c.DescribeObject(ctx, ds.Domain, ds.Source, ds.Object)
		if err != nil {
			switch errs.KindOf(err) {
			case errs.KindNotFound, errs.KindInvalidArgument:
				problems = append(problems, fmt.Sprintf("%s.customProperties: dataset %s: %s %q cannot be read from source %s/%s: %v", path, ds.Name, objectWord(ds), objectName(ds), ds.Domain, ds.Source, err))
				continue
			}
			return nil, errs.Wrap(errs.KindUnavailable, err, "the live check of dataset %s against source %s/%s failed; make sure the source is reachable (meshgate source test)", ds.QualifiedName(), ds.Domain, ds.Source)
		}
		for j, col := range ds.Columns {
			cpath := fmt.Sprintf("%s.properties[%d]", path, j)
			idx := got.Schema.FieldIndices(col.Name)
			if len(idx) == 0 {
				for k, f := range got.Schema.Fields() {
					if strings.EqualFold(f.Name, col.Name) {
						idx = []int{k}
					}
				}
			}
			if len(idx) == 0 {
				var names []string
				for _, f := range got.Schema.Fields() {
					names = append(names, f.Name)
				}
				msg := fmt.Sprintf("%s.name: column %q does not exist in %s %q of source %s/%s", cpath, col.Name, objectWord(ds), objectName(ds), ds.Domain, ds.Source)
				if s := Closest(col.Name, names, 3); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, ", ") + "?"
				}
				problems = append(problems, msg)
				continue
			}
			actual := got.Schema.Field(idx[0]).Type
			if !TypesCompatible(col.Type, actual) {
				problems = append(problems, fmt.Sprintf("%s.physicalType: column %q is declared %s but the source has %s; declare physicalType %s", cpath, col.Name, expr.SQLTypeName(col.Type), expr.SQLTypeName(actual), expr.SQLTypeName(actual)))
			}
		}
	}
	return problems, nil
}

func objectWord(ds *Dataset) string {
	if ds.Object.Query != "" {
		return "query"
	}
	return "object"
}

func objectName(ds *Dataset) string {
	if ds.Object.Query != "" {
		return strings.Join(strings.Fields(ds.Object.Query), " ")
	}
	return ds.Object.Table
}

// TypesCompatible reports whether a column declared as declared can be served from a
// source column of type actual: the same type, or the same family where the declared type
// holds every value of the source's (a wider integer, any string, a decimal of the same
// scale and no smaller precision, a date or timestamp of the same time-zone kind).
func TypesCompatible(declared, actual arrow.DataType) bool {
	if arrow.TypeEqual(declared, actual) {
		return true
	}
	switch {
	case isString(declared) && isString(actual):
		return true
	case isInt(declared) && isInt(actual):
		return intWidth(declared) >= intWidth(actual)
	case isFloat(declared) && (isFloat(actual) || isInt(actual)):
		return true
	}
	switch d := declared.(type) {
	case *arrow.Decimal128Type:
		switch a := actual.(type) {
		case *arrow.Decimal128Type:
			return d.Scale == a.Scale && d.Precision >= a.Precision
		case *arrow.Decimal256Type:
			return d.Scale == a.Scale && d.Precision >= a.Precision
		}
		if isInt(actual) {
			return true
		}
	case *arrow.TimestampType:
		if a, ok := actual.(*arrow.TimestampType); ok {
			return (d.TimeZone == "") == (a.TimeZone == "")
		}
	case *arrow.Date32Type:
		return actual.ID() == arrow.DATE64
	}
	return false
}

func isString(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

func isFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64 || t.ID() == arrow.FLOAT16
}

func isInt(t arrow.DataType) bool { return intWidth(t) > 0 }

func intWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return 8
	case arrow.INT16, arrow.UINT16:
		return 16
	case arrow.INT32, arrow.UINT32:
		return 32
	case arrow.INT64, arrow.UINT64:
		return 64
	}
	return 0
}
