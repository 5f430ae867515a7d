package sqllogic

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/planner/expr"
)

// TablesDomain is the domain (and PostgreSQL schema) of the script tables.
const TablesDomain = "slt"

// Table is one script table: a CSV file with a header row, NULL written as NULL.
type Table struct {
	Name string
	// DDL is the CREATE TABLE statement as written, for PostgreSQL.
	DDL     string
	Columns []catalog.ColumnDef
}

var createTable = regexp.MustCompile(`(?is)^create\s+table\s+` + TablesDomain + `\.(\w+)\s*\((.*)\)$`)

// ReadTables reads dir/tables.sql: CREATE TABLE slt.<name> (<column> <type>, ...) statements
// separated by semicolons, each over dir/<name>.csv.
func ReadTables(dir string) ([]Table, error) {
	path := filepath.Join(dir, "tables.sql")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var text strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		text.WriteString(line + "\n")
	}
	var out []Table
	for _, stmt := range strings.Split(text.String(), ";") {
		stmt = strings.TrimSpace(stmt)
		if stmt == "" {
			continue
		}
		m := createTable.FindStringSubmatch(stmt)
		if m == nil {
			return nil, fmt.Errorf("%s: expected CREATE TABLE %s.<name> (...), found %q", path, TablesDomain, firstLine(stmt))
		}
		t := Table{Name: m[1], DDL: stmt}
		for _, col := range splitTopLevel(m[2]) {
			parts := strings.Fields(col)
			if len(parts) < 2 {
				return nil, fmt.Errorf("%s: table %s: column %q needs a name and a type", path, t.Name, col)
			}
			typ, err := columnType(strings.ToLower(strings.Join(parts[1:], " ")))
			if err != nil {
				return nil, fmt.Errorf("%s: table %s column %s: %w", path, t.Name, parts[0], err)
			}
			t.Columns = append(t.Columns, catalog.ColumnDef{Name: parts[0], Type: typ, PhysicalType: strings.Join(parts[1:], " ")})
		}
		out = append(out, t)
	}
	return out, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// splitTopLevel splits a column list on commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

var numericType = regexp.MustCompile(`^numeric\((\d+),\s*(\d+)\)$`)

func columnType(t string) (arrow.DataType, error) {
	switch t {
	case "smallint":
		return expr.Int16, nil
	case "integer", "int":
		return expr.Int32, nil
	case "bigint":
		return expr.Int64, nil
	case "real":
		return expr.Float32, nil
	case "double precision":
		return expr.Float64, nil
	case "text":
		return expr.String, nil
	case "boolean":
		return expr.Bool, nil
	case "date":
		return expr.Date, nil
	case "timestamp":
		return expr.Timestamp, nil
	case "timestamptz", "timestamp with time zone":
		return expr.TimestampTZ, nil
	}
	if m := numericType.FindStringSubmatch(t); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		return expr.Decimal(int32(p), int32(s)), nil
	}
	if strings.HasPrefix(t, "varchar") {
		return expr.String, nil
	}
	return nil, fmt.Errorf("type %q is not one the script tables use", t)
}

// RegisterTables adds the domain slt with a files source over dir and one product holding
// the tables.
func RegisterTables(cat *catalog.Catalog, dir string, tables []Table) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := cat.PutDomain(catalog.Domain{Name: TablesDomain, Owners: []string{"admin"}}); err != nil {
		return err
	}
	if err := cat.PutSource(catalog.Source{Domain: TablesDomain, Name: "files", Type: "files", Options: map[string]string{"root": abs}}); err != nil {
		return err
	}
	p := &catalog.Product{Domain: TablesDomain, Name: "tables", Version: "1.0.0", Status: catalog.StatusActive, Owner: "admin"}
	for _, t := range tables {
		p.Datasets = append(p.Datasets, &catalog.Dataset{
			Domain: TablesDomain, Name: t.Name, Product: p.Name, Version: p.Version, Status: p.Status, Owner: p.Owner,
			Source:  "files",
			Object:  connectors.Object{Table: t.Name + ".csv", Format: "csv", Options: map[string]string{"null": "NULL"}},
			Columns: t.Columns,
		})
	}
	return cat.PutProduct(p)
}

// LoadTables (re)creates schema slt in PostgreSQL with the tables and copies their CSV data.
func LoadTables(ctx context.Context, conn *pgx.Conn, dir string, tables []Table) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "drop schema if exists "+TablesDomain+" cascade; create schema "+TablesDomain); err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, t.DDL); err != nil {
				return fmt.Errorf("table %s: %w", t.Name, err)
			}
			f, err := os.Open(filepath.Join(dir, t.Name+".csv"))
			if err != nil {
				return err
			}
			_, err = tx.Conn().PgConn().CopyFrom(ctx, f, fmt.Sprintf("copy %s.%s from stdin with (format csv, header true, null 'NULL')", TablesDomain, t.Name))
			f.Close()
			if err != nil {
				return fmt.Errorf("copying %s.csv: %w", t.Name, err)
			}
		}
		return nil
	})
}
