package snowflake_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/connectors/snowflake"
	"github.com/meshgate/meshgate/planner/expr"
)

// EnvSnowflake holds a gosnowflake DSN (user:password@account/database/schema?warehouse=...)
// for the live test. It is optional: no Snowflake account is reachable from CI, and
// MESHGATE_REQUIRE_SERVICES does not require it.
const EnvSnowflake = "MESHGATE_TEST_SNOWFLAKE"

type liveHarness struct{ dsn string }

func (h *liveHarness) Name() string { return "snowflake" }

func (h *liveHarness) Capabilities() conntest.Capabilities {
	return conntest.Capabilities{TextEquality: connectors.Exact, TextOrder: true, TextLike: true, BoolCompare: true, FullJoin: true}
}

func (h *liveHarness) Source(t *testing.T) connectors.Source {
	src, err := snowflake.NewFactory(snowflake.Options{}).Open(context.Background(), connectors.SourceConfig{
		Domain: "test", Name: "sf", Type: "snowflake",
		Options: map[string]string{snowflake.OptionDSN: "env:" + EnvSnowflake, snowflake.OptionMaxConnections: "2", snowflake.OptionConnectTimeout: "60s"},
		Secrets: func(v string) (string, error) { return os.Getenv(strings.TrimPrefix(v, "env:")), nil },
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func sfType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return "NUMBER(38,0)"
	case arrow.FLOAT32, arrow.FLOAT64:
		return "FLOAT"
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("NUMBER(%d,%d)", d.Precision, d.Scale)
	case arrow.STRING:
		return "VARCHAR"
	case arrow.BINARY:
		return "BINARY"
	case arrow.DATE32:
		return "DATE"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "TIMESTAMP_TZ(6)"
		}
		return "TIMESTAMP_NTZ(6)"
	}
	panic("no Snowflake type for " + t.String())
}

func sfValue(t arrow.DataType, v any) any {
	switch x := v.(type) {
	case decimal128.Num:
		return expr.FormatDecimal(x, t.(*arrow.Decimal128Type).Scale)
	case arrow.Date32:
		return x.FormattedString()
	case arrow.Timestamp:
		return x.ToTime(arrow.Microsecond).UTC().Format("2006-01-02 15:04:05.999999")
	case []byte:
		return hex.EncodeToString(x)
	}
	return v
}

func (h *liveHarness) CreateTable(t *testing.T, spec conntest.TableSpec) connectors.Object {
	cfg, err := sf.ParseDSN(h.dsn)
	require.NoError(t, err)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	t.Cleanup(func() { db.Close() })
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, spec.Name)) + "_" + strings.ToUpper(hex.EncodeToString(b[:]))
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	defs := make([]string, len(spec.Columns))
	names := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		defs[i], names[i] = q(c.Name)+" "+sfType(c.Type), q(c.Name)
	}
	ctx := context.Background()
	_, err = db.ExecContext(ctx, "CREATE TABLE "+q(name)+" ("+strings.Join(defs, ", ")+")")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+q(name)) })
	for _, row := range spec.Rows {
		ph := make([]string, len(row))
		args := make([]any, len(row))
		for i, v := range row {
			ph[i] = "CAST(? AS " + sfType(spec.Columns[i].Type) + ")"
			if spec.Columns[i].Type.ID() == arrow.BINARY {
				ph[i] = "TO_BINARY(?, 'HEX')"
			}
			args[i] = sfValue(spec.Columns[i].Type, v)
		}
		_, err := db.ExecContext(ctx, "INSERT INTO "+q(name)+" ("+strings.Join(names, ", ")+") SELECT "+strings.Join(ph, ", "), args...)
		require.NoError(t, err)
	}
	return connectors.Object{Table: q(cfg.Database) + "." + q(cfg.Schema) + "." + q(name), Options: spec.Options}
}

// TestLive runs the conformance suite against a real Snowflake account when
// MESHGATE_TEST_SNOWFLAKE holds a DSN.
func TestLive(t *testing.T) {
	dsn := os.Getenv(EnvSnowflake)
	if dsn == "" {
		t.Skip("no Snowflake account: set " + EnvSnowflake + " to a gosnowflake DSN (user:password@account/database/schema?warehouse=...) to run the live conformance suite; dialect SQL, type mapping, batch conversion and options are verified offline by the unit tests")
	}
	conntest.Run(t, &liveHarness{dsn: dsn})
}
