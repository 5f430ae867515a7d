package mysql_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/conntest"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/internal/testutil"
	"github.com/meshgate/meshgate/planner/expr"
)

var _ = flag.Bool("update", false, "rewrite the golden files under testdata/")

// harness creates tables in the test database. Text columns get textCollation: the suite
// runs with utf8mb4_general_ci, the common default, where text equality is Inexact.
type harness struct {
	dsn           string
	textCollation string
}

var _ conntest.Harness = (*harness)(nil)

func newHarness(t *testing.T) *harness {
	return &harness{dsn: testutil.MySQLDSN(t), textCollation: "utf8mb4_general_ci"}
}

func (h *harness) Name() string { return "mysql" }

func (h *harness) Capabilities() conntest.Capabilities {
	if strings.HasSuffix(h.textCollation, "_nopad_bin") {
		return conntest.Capabilities{TextEquality: connectors.Exact, TextOrder: true, TextLike: true}
	}
	return conntest.Capabilities{TextEquality: connectors.Inexact, TextLike: true}
}

func (h *harness) Source(t *testing.T) connectors.Source {
	return openSource(t, map[string]string{"dsn": h.dsn, "max_connections": "2"})
}

func openSource(t *testing.T, options map[string]string) connectors.Source {
	t.Helper()
	src, err := mysql.NewFactory(mysql.Options{}).Open(context.Background(), connectors.SourceConfig{
		Domain: "test", Name: "my", Type: "mysql", Options: options,
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func (h *harness) admin(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", h.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func uniqueName(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return base + "_" + hex.EncodeToString(b[:])
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func (h *harness) sqlType(t arrow.DataType) string {
	switch t.ID() {
	case arrow.BOOL:
		return "BOOL"
	case arrow.INT16:
		return "SMALLINT"
	case arrow.INT32:
		return "INT"
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT32:
		return "FLOAT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("DECIMAL(%d,%d)", d.Precision, d.Scale)
	case arrow.STRING:
		return "LONGTEXT CHARACTER SET utf8mb4 COLLATE " + h.textCollation
	case arrow.BINARY:
		return "LONGBLOB"
	case arrow.DATE32:
		return "DATE"
	case arrow.TIMESTAMP:
		return "DATETIME(6)"
	}
	panic("no MySQL type for " + t.String())
}

// myValue converts a canonical value for go-sql-driver.
func myValue(t arrow.DataType, v any) any {
	switch x := v.(type) {
	case decimal128.Num:
		return expr.FormatDecimal(x, t.(*arrow.Decimal128Type).Scale)
	case arrow.Date32:
		return x.FormattedString()
	case arrow.Timestamp:
		return x.ToTime(arrow.Microsecond).UTC().Format("2006-01-02 15:04:05.999999")
	}
	return v
}

func (h *harness) CreateTable(t *testing.T, spec conntest.TableSpec) connectors.Object {
	t.Helper()
	ctx := context.Background()
	db := h.admin(t)
	name := uniqueName(spec.Name)
	defs := make([]string, len(spec.Columns))
	names := make([]string, len(spec.Columns))
	for i, c := range spec.Columns {
		defs[i] = quoteIdent(c.Name) + " " + h.sqlType(c.Type)
		names[i] = quoteIdent(c.Name)
	}
	_, err := db.ExecContext(ctx, "CREATE TABLE "+quoteIdent(name)+" ("+strings.Join(defs, ", ")+") ENGINE=InnoDB")
	require.NoError(t, err)
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", h.dsn); err == nil {
			_, _ = db.Exec("DROP TABLE IF EXISTS " + quoteIdent(name))
			db.Close()
		}
	})
	const chunk = 200
	for start := 0; start < len(spec.Rows); start += chunk {
		rows := spec.Rows[start:min(start+chunk, len(spec.Rows))]
		var args []any
		tuples := make([]string, len(rows))
		for r, row := range rows {
			tuples[r] = "(" + strings.TrimSuffix(strings.Repeat("?, ", len(row)), ", ") + ")"
			for i, v := range row {
				args = append(args, myValue(spec.Columns[i].Type, v))
			}
		}
		_, err := db.ExecContext(ctx, "INSERT INTO "+quoteIdent(name)+" ("+strings.Join(names, ", ")+") VALUES "+strings.Join(tuples, ", "), args...)
		require.NoError(t, err)
	}
	_, err = db.ExecContext(ctx, "ANALYZE TABLE "+quoteIdent(name))
	require.NoError(t, err)
	return connectors.Object{Table: quoteIdent(name), Options: spec.Options}
}

func TestConformance(t *testing.T) {
	conntest.Run(t, newHarness(t))
}

// The suite again with text columns under a binary no-pad collation, where text equality,
// ordering and grouping are exact.
func TestConformanceNoPadBin(t *testing.T) {
	h := newHarness(t)
	h.textCollation = "utf8mb4_nopad_bin"
	conntest.Run(t, h)
}
