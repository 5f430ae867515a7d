package flightsql_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/connectors/flightsql"
	"github.com/meshgate/meshgate/connectors/internal/meshtest"
	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
	"github.com/meshgate/meshgate/planner/expr"
)

var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")

// remote is a meshgate node started in this process: a catalog and planner over Parquet
// files, behind its Flight SQL front door on a free port. Tables are datasets of domain
// "remote"; the source under test reads them as "remote.<dataset>".
type remote struct {
	mesh *meshtest.Mesh
	root string
	addr string
}

func startRemote(t *testing.T) *remote {
	t.Helper()
	r := &remote{root: t.TempDir()}
	r.mesh = meshtest.New(t, meshtest.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{TargetSplitRows: 1})}})
	r.mesh.AddSource(t, "remote", "files", "files", map[string]string{files.OptionRoot: r.root})
	r.addr = r.mesh.ServeFlight(t, meshtest.FlightOptions{})
	return r
}

// sourceOptions are the options of a flightsql source reading the remote node.
func (r *remote) sourceOptions() map[string]string {
	return map[string]string{
		flightsql.OptionURI: "grpc+tcp://" + r.addr, flightsql.OptionUser: meshtest.FlightUser,
		flightsql.OptionPassword: meshtest.FlightPassword, flightsql.OptionMaxStreams: "2",
	}
}

var notName = regexp.MustCompile(`[^a-z0-9_]+`)

func uniqueName(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	base = strings.Trim(notName.ReplaceAllString(strings.ToLower(base), "_"), "_")
	if base == "" || base[0] < 'a' || base[0] > 'z' {
		base = "t_" + base
	}
	return base + "_" + hex.EncodeToString(b[:])
}

// addTable writes a table as Parquet and registers it as a dataset of the remote node,
// in row groups of groupRows (0: one).
func (r *remote) addTable(t *testing.T, name string, cols []pushdowntest.Column, rows [][]any, groupRows int) {
	t.Helper()
	tbl := pushdowntest.Table{Name: name, Columns: cols, Rows: rows}
	pushdowntest.WriteParquet(t, filepath.Join(r.root, name+".parquet"), tbl, groupRows)
	r.mesh.AddContract(t, pushdowntest.Contract(t, "remote", name, "files",
		pushdowntest.Dataset{Table: tbl, Object: name + ".parquet", Format: files.FormatParquet}))
}

func columns(specs []conntest.ColumnSpec) []pushdowntest.Column {
	out := make([]pushdowntest.Column, len(specs))
	for i, c := range specs {
		out[i] = pushdowntest.Column{Name: c.Name, SQLType: sqlType(c.Type), Type: c.Type}
	}
	return out
}

func sqlType(t arrow.DataType) string {
	if t.ID() == arrow.STRING {
		return "text"
	}
	return expr.SQLTypeName(t)
}

// harness runs the conformance suite against the remote node.
type harness struct{ r *remote }

var _ conntest.Harness = (*harness)(nil)

func (h *harness) Name() string { return "flightsql" }

func (h *harness) Capabilities() conntest.Capabilities {
	return conntest.Capabilities{TextEquality: connectors.Exact, TextOrder: true, TextLike: true, BoolCompare: true, FullJoin: true}
}

func (h *harness) Source(t *testing.T) connectors.Source {
	src, err := flightsql.NewFactory(flightsql.Options{}).Open(context.Background(), connectors.SourceConfig{
		Domain: "test", Name: "remote", Type: "flightsql", Options: h.r.sourceOptions(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func (h *harness) CreateTable(t *testing.T, spec conntest.TableSpec) connectors.Object {
	t.Helper()
	name := uniqueName(spec.Name)
	h.r.addTable(t, name, columns(spec.Columns), spec.Rows, 0)
	return connectors.Object{Table: "remote." + name, Options: spec.Options}
}

// TestConformance runs the shared suite against a meshgate node serving Parquet files.
func TestConformance(t *testing.T) {
	conntest.Run(t, &harness{r: startRemote(t)})
}
