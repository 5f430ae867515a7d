package flightsql_test

import (
	"testing"

	"github.com/meshgate/meshgate/connectors/flightsql"
	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
)

// pushdownHarness serves the pushdown suite's tables from a meshgate node in this process;
// the source reads them through its Flight SQL front door.
func pushdownHarness(t *testing.T) *pushdowntest.Harness {
	r := startRemote(t)
	return &pushdowntest.Harness{
		Type:    "flightsql",
		Factory: flightsql.NewFactory(flightsql.Options{}),
		Options: r.sourceOptions(),
		Create: func(t *testing.T, name string, tbl pushdowntest.Table) string {
			r.addTable(t, name, tbl.Columns, tbl.Rows, 0)
			return "remote." + name
		},
		DatasetOptions: map[string]map[string]string{
			"lineitem": {flightsql.ObjectSplitColumn: "l_orderkey", flightsql.ObjectSplits: "3"},
		},
		Unreachable: func(addr string) map[string]string {
			return map[string]string{
				flightsql.OptionURI: "grpc+tcp://" + addr, flightsql.OptionUser: "admin",
				flightsql.OptionPassword: pushdowntest.Secret, flightsql.OptionConnectTimeout: "2s",
			}
		},
	}
}

// TestPlannerPushdown runs the shop's queries through the planner and checks the SQL sent
// to the remote meshgate (testdata/planner.golden) and the results.
func TestPlannerPushdown(t *testing.T) {
	pushdowntest.Run(t, pushdownHarness(t))
}

// TestFailureIsolation: a hanging Flight SQL server fails fast as Unavailable without the
// password showing, its breaker opens, other domains keep working.
func TestFailureIsolation(t *testing.T) {
	pushdowntest.RunIsolation(t, pushdownHarness(t))
}

// TestHostileInput sends hostile identifiers and values through the planner to the remote
// meshgate: they arrive as quoted identifiers and bound parameters.
func TestHostileInput(t *testing.T) {
	pushdowntest.RunHostile(t, pushdownHarness(t))
}
