package catalog_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/planner/expr"
)

func TestTypesCompatible(t *testing.T) {
	tests := []struct {
		declared, actual arrow.DataType
		want             bool
	}{
		{expr.Int64, expr.Int64, true},
		{expr.Int64, expr.Int32, true},
		{expr.Int32, expr.Int64, false},
		{expr.String, arrow.BinaryTypes.LargeString, true},
		{expr.Float64, expr.Int32, true},
		{expr.Decimal(15, 2), expr.Decimal(12, 2), true},
		{expr.Decimal(15, 2), expr.Decimal(15, 3), false},
		{expr.Timestamp, expr.TimestampTZ, false},
		{expr.TimestampTZ, expr.TimestampTZ, true},
		{expr.Date, expr.String, false},
		{expr.Bool, expr.Int8, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, catalog.TypesCompatible(tt.declared, tt.actual), "%s from %s", tt.declared, tt.actual)
	}
}
