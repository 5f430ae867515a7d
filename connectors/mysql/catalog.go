package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
)

// relation is what the catalog says about a dataset's object.
type relation struct {
	obj     connectors.Object
	schema  string // database of a table; "" for queries
	table   string
	columns []myColumn
	isTable bool
	rows    float64 // TABLE_ROWS estimate; negative if unknown
	bytes   float64
}

const columnsSQL = `SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE),
       COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0),
       COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '')
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION`

const tableSQL = `SELECT TABLE_TYPE, COALESCE(TABLE_ROWS, -1), COALESCE(DATA_LENGTH, -1)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`

func (s *source) loadRelation(ctx context.Context, obj connectors.Object) (*relation, error) {
	c, err := s.conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if obj.Query != "" {
		return s.describeQuery(ctx, c, obj)
	}
	if obj.Table == "" {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: the dataset names neither a table nor a query", s.name)
	}
	parts, err := sqlgen.ParseTableName(obj.Table)
	if err != nil {
		return nil, err
	}
	var schema any
	rel := &relation{obj: obj, table: parts[len(parts)-1], rows: -1, bytes: -1}
	switch len(parts) {
	case 2:
		schema, rel.schema = parts[0], parts[0]
	case 3:
		return nil, errs.New(errs.KindInvalidArgument, "source %s: table name %s has three parts; MySQL names are database.table", s.name, obj.Table)
	}
	what := "reading the catalog entry of " + obj.Table
	var tableType string
	err = c.QueryRowContext(ctx, tableSQL, schema, rel.table).Scan(&tableType, &rel.rows, &rel.bytes)
	switch {
	case err == sql.ErrNoRows:
		return nil, errs.New(errs.KindNotFound, "source %s: table or view %s does not exist (or the source's user cannot see it)", s.name, obj.Table)
	case err != nil:
		return nil, s.queryError(ctx, err, what)
	}
	rel.isTable = tableType == "BASE TABLE"
	rows, err := c.QueryContext(ctx, columnsSQL, schema, rel.table)
	if err != nil {
		return nil, s.queryError(ctx, err, what)
	}
	defer rows.Close()
	for rows.Next() {
		var col myColumn
		if err := rows.Scan(&col.name, &col.dataType, &col.columnType, &col.precision, &col.scale, &col.charset, &col.collation); err != nil {
			return nil, s.queryError(ctx, err, what)
		}
		rel.columns = append(rel.columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, err, what)
	}
	return rel, nil
}

// describeQuery runs the dataset's query with no rows wanted and reads its result metadata.
// Character sets and collations of query columns are unknown, so their text caps are the
// conservative ones.
func (s *source) describeQuery(ctx context.Context, c *sql.Conn, obj connectors.Object) (*relation, error) {
	if strings.TrimSpace(obj.Query) == "" {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: the dataset's SQL query is empty", s.name)
	}
	text := "SELECT * FROM (" + strings.TrimRight(strings.TrimSpace(obj.Query), ";") + ") AS " + s.dialect.QuoteIdent("q") + " LIMIT 0"
	rows, err := c.QueryContext(ctx, text)
	if err != nil {
		return nil, s.queryError(ctx, err, "describing the dataset's SQL query")
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, s.queryError(ctx, err, "describing the dataset's SQL query")
	}
	rel := &relation{obj: obj, rows: -1, bytes: -1}
	for _, ct := range types {
		col := myColumn{name: ct.Name()}
		name := strings.ToLower(ct.DatabaseTypeName())
		if rest, ok := strings.CutPrefix(name, "unsigned "); ok {
			name = rest
			col.columnType = name + " unsigned"
		} else {
			col.columnType = name
		}
		col.dataType = name
		if p, sc, ok := ct.DecimalSize(); ok {
			col.precision, col.scale = p, sc
		}
		if name == "bit" {
			if l, ok := ct.Length(); ok {
				col.precision = l
			}
		}
		rel.columns = append(rel.columns, col)
	}
	return rel, nil
}

// Describe returns the object's columns mapped to Arrow types; columns of types without a
// mapping are read as text and listed in warnings.
func (s *source) Describe(ctx context.Context, obj connectors.Object) (*arrow.Schema, []string, error) {
	rel, err := s.loadRelation(ctx, obj)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	fields := make([]arrow.Field, len(rel.columns))
	for i, c := range rel.columns {
		t, known := c.natural()
		if !known {
			warnings = append(warnings, fmt.Sprintf("column %s of %s has type %s, which has no Arrow mapping: it is read as text", c.name, objectName(obj), c.columnType))
		}
		if c.dataType == "decimal" && c.precision > 38 {
			warnings = append(warnings, fmt.Sprintf("column %s of %s is %s; it is read as numeric(38,%d) and values with more digits fail", c.name, objectName(obj), c.columnType, c.scale))
		}
		fields[i] = arrow.Field{Name: c.name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), warnings, nil
}

// OpenTable binds cols by name to the object's columns. No data is read.
func (s *source) OpenTable(ctx context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	rel, err := s.loadRelation(ctx, obj)
	if err != nil {
		return nil, err
	}
	bound := make([]sqlgen.Column, len(cols))
	for i, c := range cols {
		mc, err := findColumn(rel.columns, c.Name, obj)
		if err != nil {
			return nil, err
		}
		typ := c.Type
		if typ == nil {
			typ, _ = mc.natural()
		}
		b, err := mc.bind(typ)
		if err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "column %s of %s (source %s): %v; declare a type it maps to", c.Name, objectName(obj), s.name, err)
		}
		bound[i] = sqlgen.Column{ID: c.ID, Name: mc.name, Type: typ, Caps: b.caps, Widen: b.widen}
	}
	return newHandle(s, rel, bound)
}

// findColumn matches by exact name, then ignoring case (MySQL column names are
// case-insensitive).
func findColumn(cols []myColumn, name string, obj connectors.Object) (myColumn, error) {
	var folded []myColumn
	for _, c := range cols {
		if c.name == name {
			return c, nil
		}
		if strings.EqualFold(c.name, name) {
			folded = append(folded, c)
		}
	}
	if len(folded) == 1 {
		return folded[0], nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return myColumn{}, errs.New(errs.KindNotFound, "column %s does not exist in %s; its columns are %s", name, objectName(obj), strings.Join(names, ", "))
}

// objectName names a dataset's object in messages: its table, or "the dataset's SQL query"
// (the query text can be long and is the domain's, not the caller's).
func objectName(obj connectors.Object) string {
	if obj.Query != "" {
		return "the dataset's SQL query"
	}
	return obj.Table
}
