package postgres

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/planner/expr"
)

// pgColumn is one column as the catalog (or a statement description) reports it, with
// domains resolved to their base type.
type pgColumn struct {
	name     string
	oid      uint32 // base type
	typmod   int32
	typname  string // format_type of the declared type, for messages
	typtype  byte   // 'b' base, 'e' enum, 'c' composite, 'r' range, 'm' multirange, 'p' pseudo
	category byte   // pg_type.typcategory: 'A' for arrays
	// collation is what the catalog says about a text column's collation: deterministic
	// (equality is bytewise) or not; unknownCollation for query columns.
	collation collationKind
}

type collationKind int

const (
	deterministicCollation collationKind = iota
	nondeterministicCollation
	unknownCollation
)

// natural returns the Arrow type a PostgreSQL type maps to, and whether the mapping is
// defined (false: the column is read in text form as utf8, with a warning from Describe).
func (c pgColumn) natural() (arrow.DataType, bool) {
	switch c.oid {
	case pgtype.BoolOID:
		return expr.Bool, true
	case pgtype.Int2OID:
		return expr.Int16, true
	case pgtype.Int4OID:
		return expr.Int32, true
	case pgtype.Int8OID:
		return expr.Int64, true
	case pgtype.Float4OID:
		return expr.Float32, true
	case pgtype.Float8OID:
		return expr.Float64, true
	case pgtype.NumericOID:
		p, s, ok := numericTypmod(c.typmod)
		if !ok {
			// Unconstrained numeric: what catalog.ParseSQLType gives "numeric".
			return expr.Decimal(38, 9), true
		}
		// Wider than decimal128: values beyond 38 digits fail when read (Describe warns).
		return expr.Decimal(min(p, expr.MaxDecimalPrecision), s), true
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.QCharOID,
		pgtype.JSONOID, pgtype.JSONBOID, pgtype.UUIDOID:
		return expr.String, true
	case pgtype.ByteaOID:
		return expr.Binary, true
	case pgtype.DateOID:
		return expr.Date, true
	case pgtype.TimestampOID:
		return expr.Timestamp, true
	case pgtype.TimestamptzOID:
		return expr.TimestampTZ, true
	case pgtype.IntervalOID:
		return expr.Interval, true
	}
	if c.typtype == 'e' || c.category == 'A' {
		return expr.String, true
	}
	return expr.String, false
}

// numericTypmod decodes numeric's type modifier into precision and scale.
func numericTypmod(typmod int32) (p, s int32, ok bool) {
	if typmod < 4 {
		return 0, 0, false
	}
	m := typmod - 4
	return (m >> 16) & 0xffff, int32(int16(m & 0xffff)), true
}

// caps returns what the source computes exactly like the gateway on a column read as its
// natural type.
func (c pgColumn) caps() sqlgen.Caps {
	switch c.oid {
	case pgtype.TextOID, pgtype.VarcharOID:
		switch c.collation {
		case deterministicCollation:
			return sqlgen.CapAll
		default:
			// Ordering is forced bytewise with COLLATE "C"; equality may ignore case or
			// accents: the source finds a superset.
			return sqlgen.CapOrder | sqlgen.CapValue | sqlgen.CapPrune
		}
	case pgtype.NameOID:
		return sqlgen.CapAll
	case pgtype.BPCharOID:
		// char(n) values are read without trailing blanks, which PostgreSQL ignores when it
		// groups and compares them, so grouping is exact. Equality with a value bound as
		// bpchar is pushed through sqlgen.Column.PadTo (padTo).
		if c.typmod > 0 {
			return sqlgen.CapGroup
		}
		return sqlgen.CapNone
	case pgtype.BoolOID, pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.Float4OID, pgtype.Float8OID,
		pgtype.NumericOID, pgtype.ByteaOID, pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return sqlgen.CapAll
	}
	return sqlgen.CapNone
}

// padTo returns n for a char(n) column (bpchar's type modifier is n plus the 4-byte varlena
// header), 0 for any other column.
func (c pgColumn) padTo() int {
	if c.oid != pgtype.BPCharOID || c.typmod <= 4 {
		return 0
	}
	return int(c.typmod - 4)
}

// binding is how a column is read for a declared gateway type.
type binding struct {
	caps  sqlgen.Caps
	widen bool
	// padTo is n when a char(n) column is read as text (sqlgen.Column.PadTo).
	padTo int
}

// bind checks that a column of the source can be read as the declared type and returns the
// pushdown capabilities that remain. Lossless widenings keep them; other conversions the
// decoder performs (text form, numeric to double precision, narrowing with range checks)
// keep none, so nothing but projection and IS NULL is pushed on such a column.
func (c pgColumn) bind(declared arrow.DataType) (binding, error) {
	nat, _ := c.natural()
	if arrow.TypeEqual(nat, declared) {
		return binding{caps: c.caps(), padTo: c.padTo()}, nil
	}
	if !canDecode(c.oid, declared) {
		return binding{}, fmt.Errorf("its type %s cannot be read as %s", c.typname, expr.SQLTypeName(declared))
	}
	if losslessWidening(nat, declared) && c.caps() == sqlgen.CapAll {
		return binding{caps: sqlgen.CapAll, widen: true}, nil
	}
	return binding{caps: sqlgen.CapNone}, nil
}

// losslessWidening reports whether every value of from is a value of to, unchanged.
func losslessWidening(from, to arrow.DataType) bool {
	switch {
	case expr.IsInteger(from) && expr.IsInteger(to):
		return intBytes(to) >= intBytes(from)
	case expr.IsInteger(from) && expr.IsDecimal(to), expr.IsDecimal(from) && expr.IsDecimal(to):
		pf, sf, _ := expr.DecimalOf(from)
		pt, st, _ := expr.DecimalOf(to)
		return st >= sf && pt-st >= pf-sf
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.DATE32 && to.ID() == arrow.TIMESTAMP:
		return to.(*arrow.TimestampType).TimeZone == ""
	case from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP:
		// A timestamp without time zone read as an instant is taken as UTC, which is what
		// the source's sessions (TimeZone UTC) do when the two are compared.
		return true
	}
	return false
}

func intBytes(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32:
		return 4
	}
	return 8
}
