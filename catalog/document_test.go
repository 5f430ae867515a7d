package catalog_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/internal/errs"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestParseDocumentSyntaxErrors(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		line, col int
		msg       string
	}{
		{"empty", "  \n", 1, 1, "empty"},
		{"bad indentation", "apiVersion: v3.0.2\nkind: DataContract\n  id: x: y\n", 3, 3, "mapping values are not allowed"},
		{"tab", "apiVersion: v3.0.2\nschema:\n\t- name: x\n", 3, 1, "cannot start any token"},
		{"json", "{\n  \"apiVersion\": \"v3.0.2\",\n  \"kind\" \"DataContract\"\n}", 3, 10, "invalid character"},
		{"scalar document", "just text", 1, 1, "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.ParseDocument([]byte(tt.doc))
			var se *catalog.SyntaxError
			require.True(t, errors.As(err, &se), "%v", err)
			require.Equal(t, tt.line, se.Line, err.Error())
			require.Equal(t, tt.col, se.Column, err.Error())
			require.Contains(t, se.Error(), tt.msg)
			require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
		})
	}
}

func TestDocumentValidate(t *testing.T) {
	good := string(readTestdata(t, "orders.yaml"))
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"valid", func(s string) string { return s }, nil},
		{"valid as JSON", func(s string) string {
			d, err := catalog.ParseDocument([]byte(s))
			require.NoError(t, err)
			b, err := json.Marshal(d.Tree)
			require.NoError(t, err)
			return string(b)
		}, nil},
		{"schema and meshgate problems together", func(s string) string {
			s = strings.Replace(s, "status: active\n", "", 1)
			s = strings.Replace(s, "        physicalType: bigint\n", "        physicalType: bigint\n        logicalType: integr\n", 1)
			s = strings.Replace(s, "      - property: meshgate.source\n        value: files\n", "", 1)
			return strings.Replace(s, "physicalType: text\n        classification: public", "physicalType: geometry\n        classification: public", 1)
		}, []string{
			"status: is required",
			`schema[0].properties[0].logicalType: "integr" is not one of the allowed values`,
			"schema[0].customProperties: meshgate.source is required",
			`schema[0].properties[1]: column "state": type "geometry" is not supported yet`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := catalog.ParseDocument([]byte(tt.edit(good)))
			require.NoError(t, err)
			p, err := d.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				require.Equal(t, "shop.orders", p.Key())
				require.Equal(t, "alice", p.Owner)
				require.Len(t, p.Datasets[0].Columns, 4)
				return
			}
			var v *catalog.ValidationError
			require.True(t, errors.As(err, &v), "%v", err)
			for _, w := range tt.want {
				found := false
				for _, p := range v.Problems {
					found = found || strings.HasPrefix(p, w)
				}
				require.True(t, found, "missing %q in %q", w, v.Problems)
			}
		})
	}
}

// The demo contracts are valid ODCS and meet the default rules (the demo node registers
// them at start without going through the rules; this keeps them exemplary).
func TestDemoContractsMeetDefaultRules(t *testing.T) {
	names, err := fs.Glob(demo.Files, "contracts/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := demo.Files.ReadFile(name)
			require.NoError(t, err)
			d, err := catalog.ParseDocument(data)
			require.NoError(t, err)
			p, err := d.Validate()
			require.NoError(t, err)
			everything := func(*catalog.Dataset, catalog.ColumnDef) bool { return true }
			require.Empty(t, catalog.DefaultRules().Check(p, nil, everything))
		})
	}
}

func TestContractRoundTrip(t *testing.T) {
	d, err := catalog.ParseDocument(readTestdata(t, "orders.yaml"))
	require.NoError(t, err)
	stored, err := catalog.MarshalContract(d.Contract)
	require.NoError(t, err)
	again, err := catalog.ParseDocument(stored)
	require.NoError(t, err)
	p1, err := d.Validate()
	require.NoError(t, err)
	p2, err := again.Validate()
	require.NoError(t, err, "a stored contract is still valid")
	require.Equal(t, p1.Datasets[0].Columns, p2.Datasets[0].Columns)
	require.Equal(t, p1.SLA, p2.SLA)
}
