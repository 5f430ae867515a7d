package parse

import (
	"math"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// canonicalTypes maps PostgreSQL's internal type names (what the grammar produces for SQL
// spellings: INTEGER → int4, DOUBLE PRECISION → float8, CHAR → bpchar, …) and the SQL
// spellings themselves to the canonical names of TypeName.Name.
var canonicalTypes = map[string]string{
	"int2":                     TypeSmallint,
	"smallint":                 TypeSmallint,
	"int4":                     TypeInteger,
	"int":                      TypeInteger,
	"integer":                  TypeInteger,
	"int8":                     TypeBigint,
	"bigint":                   TypeBigint,
	"float4":                   TypeReal,
	"real":                     TypeReal,
	"float8":                   TypeDouble,
	"double precision":         TypeDouble,
	"numeric":                  TypeNumeric,
	"decimal":                  TypeNumeric,
	"varchar":                  TypeVarchar,
	"character varying":        TypeVarchar,
	"bpchar":                   TypeChar,
	"character":                TypeChar,
	"text":                     TypeText,
	"bool":                     TypeBoolean,
	"boolean":                  TypeBoolean,
	"date":                     TypeDate,
	"time":                     TypeTime,
	"timetz":                   TypeTimeTZ,
	"time with time zone":      TypeTimeTZ,
	"timestamp":                TypeTimestamp,
	"timestamptz":              TypeTimestampTZ,
	"timestamp with time zone": TypeTimestampTZ,
	"interval":                 TypeInterval,
	"bytea":                    TypeBytea,
	"uuid":                     TypeUUID,
	"json":                     TypeJSON,
	"jsonb":                    TypeJSONB,
	"bit":                      TypeBit,
	"varbit":                   TypeVarbit,
	"bit varying":              TypeVarbit,
}

// Interval field bits (utils/datetime.h: INTERVAL_MASK of MONTH 1, YEAR 2, DAY 3, HOUR 10,
// MINUTE 11, SECOND 12) and the qualifiers the grammar builds from them.
const (
	intervalMonth     = 1 << 1
	intervalYear      = 1 << 2
	intervalDay       = 1 << 3
	intervalHour      = 1 << 10
	intervalMinute    = 1 << 11
	intervalSecond    = 1 << 12
	intervalFullRange = 0x7FFF
)

var intervalFields = map[int]string{
	intervalYear:                 "year",
	intervalMonth:                "month",
	intervalDay:                  "day",
	intervalHour:                 "hour",
	intervalMinute:               "minute",
	intervalSecond:               "second",
	intervalYear | intervalMonth: "year to month",
	intervalDay | intervalHour:   "day to hour",
	intervalDay | intervalHour | intervalMinute:                  "day to minute",
	intervalDay | intervalHour | intervalMinute | intervalSecond: "day to second",
	intervalHour | intervalMinute:                                "hour to minute",
	intervalHour | intervalMinute | intervalSecond:               "hour to second",
	intervalMinute | intervalSecond:                              "minute to second",
	intervalFullRange:                                            "",
}

func (c *converter) typeName(tn *pg_query.TypeName) (TypeName, error) {
	if tn == nil {
		return TypeName{}, c.invalid(-1, "missing type name")
	}
	loc := tn.GetLocation()
	if tn.GetSetof() {
		return TypeName{}, c.notSupported(loc, "SETOF types")
	}
	if tn.GetPctType() {
		return TypeName{}, c.notSupported(loc, "%%TYPE references")
	}
	parts, err := c.nameParts(tn.GetNames(), loc)
	if err != nil {
		return TypeName{}, err
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	if len(parts) != 1 {
		return TypeName{}, c.notSupported(loc, "user-defined type %s", strings.Join(parts, "."))
	}
	t := TypeName{Name: parts[0], Array: len(tn.GetArrayBounds()) > 0, Pos: c.pos(loc)}
	if canonical, ok := canonicalTypes[t.Name]; ok {
		t.Name = canonical
	}
	for _, mod := range tn.GetTypmods() {
		k := mod.GetAConst()
		ival, ok := k.GetVal().(*pg_query.A_Const_Ival)
		if k == nil || k.GetIsnull() || !ok {
			return TypeName{}, c.invalid(firstKnown(nodeLocation(mod), loc),
				"type modifiers of %s must be integer constants", t.Name)
		}
		t.Modifiers = append(t.Modifiers, int(ival.Ival.GetIval()))
	}
	if limit := maxModifiers(t.Name); len(t.Modifiers) > limit {
		if limit == 0 {
			return TypeName{}, c.invalid(loc, "type modifier is not allowed for type %s", t.Name)
		}
		return TypeName{}, c.invalid(loc, "type %s takes at most %d modifier(s), found %d",
			t.Name, limit, len(t.Modifiers))
	}
	if t.Name == TypeInterval && len(t.Modifiers) > 0 {
		// The grammar puts the field qualifier first as a bit mask, then the precision.
		fields, ok := intervalFields[t.Modifiers[0]]
		if !ok {
			return TypeName{}, c.invalid(loc, "invalid INTERVAL type modifier")
		}
		t.IntervalFields = fields
		t.Modifiers = t.Modifiers[1:]
		if len(t.Modifiers) == 0 {
			t.Modifiers = nil
		}
	}
	return t, nil
}

// maxModifiers is how many modifiers a type accepts (for interval: the field mask the grammar
// adds plus a precision). PostgreSQL's grammar accepts a modifier list on any type name
// (bool(0), varchar(1, 2)) and rejects it later for built-in types; this package rejects it at
// once so Modifiers only holds what means something. Types PostgreSQL does not build in keep
// their modifiers for the binder to judge.
func maxModifiers(name string) int {
	switch name {
	case TypeSmallint, TypeInteger, TypeBigint, TypeReal, TypeDouble, TypeText, TypeBoolean,
		TypeDate, TypeBytea, TypeUUID, TypeJSON, TypeJSONB:
		return 0
	case TypeVarchar, TypeChar, TypeBit, TypeVarbit, TypeTime, TypeTimeTZ, TypeTimestamp,
		TypeTimestampTZ:
		return 1
	case TypeNumeric, TypeInterval:
		return 2
	}
	return math.MaxInt
}
