package parse

// ColumnName is the output column name PostgreSQL gives a select-list item: its alias, else a
// name derived from the expression (FigureColname in PostgreSQL's parse analysis), else
// "?column?". It returns "" for a star item, whose columns come from the tables it expands.
//
// Derived names: a column reference gives its last part; a function call its name (so TRIM
// gives "btrim" and AT TIME ZONE "timezone", as in PostgreSQL); a cast the name of its
// argument, else PostgreSQL's internal name of the type ("int4", "date", "timestamptz"), which
// is also the name of a typed literal; CASE the name of its ELSE branch or "case"; EXISTS
// "exists"; a scalar subquery the name of its first column ("?column?" when that column is a
// star, which only the binder can expand). One difference from PostgreSQL:
// SESSION_USER, USER and CURRENT_ROLE are all current_user here, so they are named
// "current_user".
func ColumnName(item SelectItem) string {
	switch {
	case item.Star:
		return ""
	case item.Alias != "":
		return item.Alias
	}
	if name, strength := figureColumnName(item.Expr); strength > 0 {
		return name
	}
	return "?column?"
}

// figureColumnName returns a name for e and how strong it is: 2 for a real name, 1 for a
// fallback (type name, "case") that a stronger name inside may override, 0 for none.
func figureColumnName(e Expr) (string, int) {
	switch e := e.(type) {
	case *ColumnRef:
		return e.Parts[len(e.Parts)-1], 2
	case *FuncCall:
		return e.Name[len(e.Name)-1], 2
	case *Cast:
		if name, strength := figureColumnName(e.Arg); strength > 1 {
			return name, strength
		}
		return internalTypeName(e.Type), 1
	case *TypedLiteral:
		return internalTypeName(e.Type), 1
	case *Case:
		if name, strength := figureColumnName(e.Else); strength > 1 {
			return name, strength
		}
		return "case", 1
	case *Exists:
		return "exists", 2
	case *ArrayLit:
		return "array", 2
	case *RowExpr:
		return "row", 2
	case *ScalarSubquery:
		q := e.Query
		for q.SetOp != nil {
			q = q.SetOp.Left
		}
		if len(q.Targets) > 0 && !q.Targets[0].Star {
			return ColumnName(q.Targets[0]), 2
		}
		if len(q.Values) > 0 {
			return "column1", 2
		}
	}
	return "", 0
}

// internalTypeName is the name PostgreSQL stores for a type, which it uses for column names.
func internalTypeName(t TypeName) string {
	switch t.Name {
	case TypeSmallint:
		return "int2"
	case TypeInteger:
		return "int4"
	case TypeBigint:
		return "int8"
	case TypeReal:
		return "float4"
	case TypeDouble:
		return "float8"
	case TypeVarchar:
		return "varchar"
	case TypeChar:
		return "bpchar"
	case TypeBoolean:
		return "bool"
	case TypeTimeTZ:
		return "timetz"
	case TypeTimestampTZ:
		return "timestamptz"
	case TypeVarbit:
		return "varbit"
	}
	return t.Name
}
