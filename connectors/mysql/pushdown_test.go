package mysql_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/internal/testutil"
)

// pushdownHarness creates the pushdown suite's tables in the test database with the common
// default collation (utf8mb4_general_ci: text equality is case-insensitive there, so it is
// pushed Inexact and text ordering and grouping stay in the gateway). The source reads the
// DSN from the environment through a secret reference, as a domain registers it.
func pushdownHarness(t *testing.T) *pushdowntest.Harness {
	h := newHarness(t)
	return &pushdowntest.Harness{
		Type:    "mysql",
		Factory: mysql.NewFactory(mysql.Options{}),
		Options: map[string]string{mysql.OptionDSN: "env:" + testutil.EnvMySQL, mysql.OptionMaxConnections: "4"},
		Create:  h.createPushdownTable,
		DatasetOptions: map[string]map[string]string{
			"orders":   {mysql.ObjectSplitColumn: "o_orderkey", mysql.ObjectSplits: "2"},
			"lineitem": {mysql.ObjectSplitColumn: "l_orderkey", mysql.ObjectSplits: "3"},
		},
		Unreachable: func(addr string) map[string]string {
			return map[string]string{
				mysql.OptionDSN:            "meshgate:" + pushdowntest.Secret + "@tcp(" + addr + ")/meshgate_test",
				mysql.OptionConnectTimeout: "2s",
			}
		},
	}
}

func (h *harness) createPushdownTable(t *testing.T, name string, tbl pushdowntest.Table) string {
	t.Helper()
	ctx := context.Background()
	db := h.admin(t)
	defs := make([]string, len(tbl.Columns))
	names := make([]string, len(tbl.Columns))
	for i, c := range tbl.Columns {
		defs[i] = quoteIdent(c.Name) + " " + c.SQLType
		if c.CaseInsensitive {
			defs[i] += " COLLATE utf8mb4_general_ci"
		}
		names[i] = quoteIdent(c.Name)
	}
	_, err := db.ExecContext(ctx, "CREATE TABLE "+quoteIdent(name)+" ("+strings.Join(defs, ", ")+
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")
	require.NoError(t, err)
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", h.dsn); err == nil {
			_, _ = db.Exec("DROP TABLE IF EXISTS " + quoteIdent(name))
			db.Close()
		}
	})
	const chunk = 200
	for start := 0; start < len(tbl.Rows); start += chunk {
		rows := tbl.Rows[start:min(start+chunk, len(tbl.Rows))]
		var args []any
		tuples := make([]string, len(rows))
		for r, row := range rows {
			tuples[r] = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(row)), ", ") + ")"
			for i, v := range row {
				args = append(args, myValue(tbl.Columns[i].Type, v))
			}
		}
		_, err := db.ExecContext(ctx, "INSERT INTO "+quoteIdent(name)+" ("+strings.Join(names, ", ")+") VALUES "+strings.Join(tuples, ", "), args...)
		require.NoError(t, err)
	}
	_, err = db.ExecContext(ctx, "ANALYZE TABLE "+quoteIdent(name))
	require.NoError(t, err)
	return quoteIdent(name)
}

// TestPlannerPushdown runs the shop's queries through the planner and checks the SQL sent
// to MariaDB (testdata/planner.golden) and the results.
func TestPlannerPushdown(t *testing.T) {
	pushdowntest.Run(t, pushdownHarness(t))
}

// TestHostileInput sends hostile identifiers and values through the planner: the source
// receives them as quoted identifiers and bind parameters, and answers like the gateway.
func TestHostileInput(t *testing.T) {
	pushdowntest.RunHostile(t, pushdownHarness(t))
}

// TestFailureIsolation: a hanging source fails fast as Unavailable without its password
// showing, its breaker opens, other domains keep working; contract drift names the column.
func TestFailureIsolation(t *testing.T) {
	pushdowntest.RunIsolation(t, pushdownHarness(t))
}
