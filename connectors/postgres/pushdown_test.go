package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors/internal/pushdowntest"
	"github.com/meshgate/meshgate/connectors/postgres"
	"github.com/meshgate/meshgate/internal/testutil"
)

// pushdownHarness creates the pushdown suite's tables in the public schema; the source
// reads the DSN from the environment through a secret reference, as a domain registers it.
func pushdownHarness(t *testing.T) *pushdowntest.Harness {
	h := newHarness(t)
	conn := h.admin(t)
	_, err := conn.Exec(context.Background(),
		"CREATE COLLATION IF NOT EXISTS meshgate_test_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)")
	require.NoError(t, err)
	return &pushdowntest.Harness{
		Type:    "postgres",
		Factory: postgres.NewFactory(postgres.Options{}),
		Options: map[string]string{postgres.OptionDSN: "env:" + testutil.EnvPostgres, postgres.OptionMaxConnections: "4"},
		Create:  h.createPushdownTable,
		DatasetOptions: map[string]map[string]string{
			"orders":   {postgres.ObjectSplitColumn: "o_orderkey", postgres.ObjectSplits: "2"},
			"lineitem": {postgres.ObjectSplits: "3"},
		},
		Unreachable: func(addr string) map[string]string {
			return map[string]string{
				postgres.OptionDSN:            "postgres://meshgate:" + pushdowntest.Secret + "@" + addr + "/meshgate_test?sslmode=disable",
				postgres.OptionConnectTimeout: "2s",
			}
		},
	}
}

func (h *harness) createPushdownTable(t *testing.T, name string, tbl pushdowntest.Table) string {
	t.Helper()
	ctx := context.Background()
	conn := h.admin(t)
	defs := make([]string, len(tbl.Columns))
	names := make([]string, len(tbl.Columns))
	for i, c := range tbl.Columns {
		defs[i] = quoteIdent(c.Name) + " " + c.SQLType
		if c.CaseInsensitive {
			defs[i] += " COLLATE meshgate_test_ci"
		}
		names[i] = c.Name
	}
	_, err := conn.Exec(ctx, "CREATE TABLE public."+quoteIdent(name)+" ("+strings.Join(defs, ", ")+")")
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), h.dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS public."+quoteIdent(name))
			c.Close(context.Background())
		}
	})
	rows := make([][]any, len(tbl.Rows))
	for r, row := range tbl.Rows {
		rows[r] = make([]any, len(row))
		for i, v := range row {
			rows[r][i] = pgValue(tbl.Columns[i].Type, v)
		}
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"public", name}, names, pgx.CopyFromRows(rows))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "ANALYZE public."+quoteIdent(name))
	require.NoError(t, err)
	return "public." + quoteIdent(name)
}

// TestPlannerPushdown runs the shop's queries through the planner and checks the SQL sent
// to PostgreSQL (testdata/planner.golden) and the results.
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

// TestSelectiveAggregateMovesLittle: a selective filter and aggregate runs in PostgreSQL;
// EXPLAIN ANALYZE shows under 1 KB leaving it.
func TestSelectiveAggregateMovesLittle(t *testing.T) {
	pushdowntest.RunSelective(t, pushdownHarness(t))
}
