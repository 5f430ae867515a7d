package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// relation is what the catalog says about a dataset's object.
type relation struct {
	obj     connectors.Object
	columns []pgColumn
	// Tables only (kind r, m or p): size for splits and estimates.
	isTable  bool
	kind     byte
	tuples   float64 // reltuples; negative if never analyzed
	bytes    int64   // pg_relation_size
	pageSize int64
}

// columnsSQL lists a relation's columns with domains resolved to their base types and the
// determinism of their collations.
const columnsSQL = `SELECT a.attname,
       bt.oid::int8,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       format_type(a.atttypid, a.atttypmod),
       bt.typtype::text,
       bt.typcategory::text,
       COALESCE(co.collisdeterministic, true)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`

const relationSQL = `SELECT c.relkind::text, c.reltuples::float8, pg_catalog.pg_relation_size(c.oid),
       current_setting('block_size')::int8
FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass`

// loadRelation reads the catalog entry of a table or view, or describes a query.
func (s *source) loadRelation(ctx context.Context, obj connectors.Object) (*relation, error) {
	conn, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	if obj.Query != "" {
		return s.describeQuery(ctx, conn.Conn(), obj)
	}
	if obj.Table == "" {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: the dataset names neither a table nor a query", s.name)
	}
	parts, err := sqlgen.ParseTableName(obj.Table)
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = s.dialect.QuoteIdent(p)
	}
	regclass := strings.Join(quoted, ".")
	what := "reading the catalog entry of " + obj.Table
	rel := &relation{obj: obj, tuples: -1}
	var kind string
	err = conn.QueryRow(ctx, relationSQL, regclass).Scan(&kind, &rel.tuples, &rel.bytes, &rel.pageSize)
	if err != nil {
		if e := s.queryError(ctx, err, what); errs.KindOf(e) == errs.KindNotFound {
			return nil, errs.New(errs.KindNotFound, "source %s: table or view %s does not exist (or the source's user cannot see it)", s.name, obj.Table)
		} else {
			return nil, e
		}
	}
	rel.kind = kind[0]
	rel.isTable = kind == "r" || kind == "m" || kind == "p"
	rows, err := conn.Query(ctx, columnsSQL, regclass)
	if err != nil {
		return nil, s.queryError(ctx, err, what)
	}
	defer rows.Close()
	for rows.Next() {
		var c pgColumn
		var oid int64
		var typtype, category string
		var deterministic bool
		if err := rows.Scan(&c.name, &oid, &c.typmod, &c.typname, &typtype, &category, &deterministic); err != nil {
			return nil, s.queryError(ctx, err, what)
		}
		c.oid = uint32(oid)
		c.typtype, c.category = typtype[0], category[0]
		if !deterministic {
			c.collation = nondeterministicCollation
		}
		rel.columns = append(rel.columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, err, what)
	}
	return rel, nil
}

// describeQuery prepares a dataset's SQL query (unnamed, so nothing stays on the server) and
// reads its result columns.
func (s *source) describeQuery(ctx context.Context, conn *pgx.Conn, obj connectors.Object) (*relation, error) {
	sd, err := conn.PgConn().Prepare(ctx, "", obj.Query, nil)
	if err != nil {
		return nil, s.queryError(ctx, err, "describing the dataset's SQL query")
	}
	rel := &relation{obj: obj, tuples: -1}
	for _, f := range sd.Fields {
		c := pgColumn{name: f.Name, oid: f.DataTypeOID, typmod: f.TypeModifier, typtype: 'b', collation: unknownCollation}
		if dt, ok := conn.TypeMap().TypeForOID(f.DataTypeOID); ok {
			c.typname = dt.Name
		} else {
			c.typname = "type oid " + strconv.FormatUint(uint64(f.DataTypeOID), 10)
			var typtype, category string
			if err := conn.QueryRow(ctx, "SELECT format_type($1::oid, $2), typtype::text, typcategory::text FROM pg_catalog.pg_type WHERE oid = $1::oid",
				int64(f.DataTypeOID), f.TypeModifier).Scan(&c.typname, &typtype, &category); err == nil {
				c.typtype, c.category = typtype[0], category[0]
			}
		}
		rel.columns = append(rel.columns, c)
	}
	return rel, nil
}

// Describe returns the object's columns mapped to Arrow types. Columns of types without a
// mapping are read in PostgreSQL's text form as utf8 and listed in warnings.
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
			warnings = append(warnings, fmt.Sprintf("column %s of %s has type %s, which has no Arrow mapping: it is read as text", c.name, objectName(obj), c.typname))
		}
		if p, _, ok := numericTypmod(c.typmod); c.oid == pgtype.NumericOID && ok && p > expr.MaxDecimalPrecision {
			warnings = append(warnings, fmt.Sprintf("column %s of %s is %s; it is read as %s and values with more digits fail", c.name, objectName(obj), c.typname, expr.SQLTypeName(t)))
		}
		fields[i] = arrow.Field{Name: c.name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), warnings, nil
}

// OpenTable binds cols by name to the object's columns and checks that each can be read as
// its declared type. No data is read.
func (s *source) OpenTable(ctx context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	rel, err := s.loadRelation(ctx, obj)
	if err != nil {
		return nil, err
	}
	bound := make([]sqlgen.Column, len(cols))
	for i, c := range cols {
		pc, err := findColumn(rel.columns, c.Name, obj)
		if err != nil {
			return nil, err
		}
		typ := c.Type
		if typ == nil {
			typ, _ = pc.natural()
		}
		b, err := pc.bind(typ)
		if err != nil {
			return nil, errs.New(errs.KindInvalidArgument, "column %s of %s (source %s): %v; declare a type it maps to", c.Name, objectName(obj), s.name, err)
		}
		bound[i] = sqlgen.Column{ID: c.ID, Name: pc.name, Type: typ, Caps: b.caps, Widen: b.widen, PadTo: b.padTo}
	}
	return newHandle(s, rel, bound)
}

// findColumn matches a declared column to the source's by exact name, then ignoring case
// if that is unambiguous.
func findColumn(cols []pgColumn, name string, obj connectors.Object) (pgColumn, error) {
	var folded []pgColumn
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
	return pgColumn{}, errs.New(errs.KindNotFound, "column %s does not exist in %s; its columns are %s", name, objectName(obj), strings.Join(names, ", "))
}

// objectName names a dataset's object in messages: its table, or "the dataset's SQL query"
// (the query text can be long and is the domain's, not the caller's).
func objectName(obj connectors.Object) string {
	if obj.Query != "" {
		return "the dataset's SQL query"
	}
	return obj.Table
}
