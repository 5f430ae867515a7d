package files_test

import (
	"path/filepath"
	"testing"

	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
)

// pushdownHarness writes the pushdown suite's tables as Parquet files: lineitem in row
// groups of 500 rows (one split each), so EXPLAIN shows row groups pruned by statistics.
func pushdownHarness(t *testing.T) *pushdowntest.Harness {
	root := t.TempDir()
	return &pushdowntest.Harness{
		Type:    "files",
		Factory: files.NewFactory(files.Options{TargetSplitRows: 1}),
		Options: map[string]string{files.OptionRoot: root},
		Format:  files.FormatParquet,
		Create: func(t *testing.T, name string, tbl pushdowntest.Table) string {
			groupRows := 0
			if tbl.Name == "lineitem" || tbl.Name == "orders" {
				groupRows = 200
			}
			pushdowntest.WriteParquet(t, filepath.Join(root, name+".parquet"), tbl, groupRows)
			return name + ".parquet"
		},
	}
}

// TestPlannerPushdown runs the shop's queries through the planner over Parquet files and
// checks what the files connector prunes (testdata/planner.golden) and the results.
func TestPlannerPushdown(t *testing.T) {
	pushdowntest.Run(t, pushdownHarness(t))
}
