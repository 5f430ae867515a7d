package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/connectors/postgres"
	"github.com/meshgate/meshgate/internal/testutil"
)

var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")

// harness creates tables in the public schema of the test database with pgx's binary COPY.
type harness struct {
	dsn string
}

var _ conntest.Harness = (*harness)(nil)

func newHarness(t *testing.T) *harness {
	return &harness{dsn: testutil.PostgresDSN(t)}
}

func (h *harness) Name() string { return "postgres" }

func (h *harness) Capabilities() conntest.Capabilities {
	return conntest.Capabilities{
		TextEquality: connectors.Exact, TextOrder: true, TextLike: true, BoolCompare: true,
		FullJoin: true, PhysicalSplits: true,
	}
}

func (h *harness) Source(t *testing.T) connectors.Source {
	return openSource(t, map[string]string{"dsn": h.dsn, "max_connections": "2"})
}

func openSource(t *testing.T, options map[string]string) connectors.Source {
	t.Helper()
	src, err := postgres.NewFactory(postgres.Options{}).Open(context.Background(), connectors.SourceConfig{
		Domain: "test", Name: "pg", Type: "postgres", Options: options,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func (h *harness) admin(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), h.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func uniqueName(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return base + "_" + hex.EncodeToString(b[:])
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func pgType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.BOOL:
		return "boolean"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "real"
	case arrow.FLOAT64:
		return "double precision"
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("numeric(%d,%d)", d.Precision, d.Scale)
	case arrow.STRING:
		return "text"
	case arrow.BINARY:
		return "bytea"
	case arrow.DATE32:
		return "date"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "timestamptz"
		}
		return "timestamp"
	}
	panic("no PostgreSQL type for " + t.String())
}

// pgValue converts a canonical value for pgx.
func pgValue(t arrow.DataType, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case decimal128.Num:
		return pgtype.Numeric{Int: x.BigInt(), Exp: -t.(*arrow.Decimal128Type).Scale, Valid: true}
	case arrow.Date32:
		return time.Unix(int64(x)*86400, 0).UTC()
	case arrow.Timestamp:
		return time.UnixMicro(int64(x)).UTC()
	}
	return v
}

func (h *harness) CreateTable(t *testing.T, spec conntest.TableSpec) connectors.Object {
	t.Helper()
	ctx := context.Background()
	conn := h.admin(t)
	name := uniqueName(spec.Name)
	defs := make([]string, len(spec.Columns))
	names := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		defs[i] = quoteIdent(c.Name) + " " + pgType(c.Type)
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
	rows := make([][]any, len(spec.Rows))
	for r, row := range spec.Rows {
		rows[r] = make([]any, len(row))
		for i, v := range row {
			rows[r][i] = pgValue(spec.Columns[i].Type, v)
		}
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"public", name}, names, pgx.CopyFromRows(rows))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "ANALYZE public."+quoteIdent(name))
	require.NoError(t, err)
	return connectors.Object{Table: "public." + quoteIdent(name), Options: spec.Options}
}

func TestConformance(t *testing.T) {
	conntest.Run(t, newHarness(t))
}
