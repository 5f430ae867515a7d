package parse

import (
	"strconv"
	"strings"
)

// Format renders a statement, FROM item or expression as PostgreSQL SQL that parses back to
// the same tree (positions aside). It is meant for EXPLAIN output, messages and tests: every
// identifier that is not a plain lower-case name is double-quoted, every operand that is not
// a name, literal or call is parenthesized, and special forms are written in SQL syntax
// (EXTRACT(…), POSITION(… IN …), CURRENT_DATE, COALESCE(…)).
func Format(n Node) string {
	var f formatter
	f.node(n)
	return f.b.String()
}

type formatter struct {
	b strings.Builder
}

func (f *formatter) write(parts ...string) {
	for _, p := range parts {
		f.b.WriteString(p)
	}
}

func (f *formatter) node(n Node) {
	switch n := n.(type) {
	case nil:
	case Statement:
		f.statement(n)
	case TableExpr:
		f.tableExpr(n, false)
	case Expr:
		f.expr(n)
	}
}

func (f *formatter) statement(s Statement) {
	switch s := s.(type) {
	case *Select:
		f.query(s)
	case *Explain:
		f.write("EXPLAIN ")
		if s.Analyze {
			f.write("ANALYZE ")
		}
		if s.Verbose {
			f.write("VERBOSE ")
		}
		f.query(s.Query)
	case *Set:
		switch {
		case s.Name == "all" && s.Default:
			f.write("RESET ALL")
			return
		case s.Local:
			f.write("SET LOCAL ", settingName(s.Name), " TO ")
		default:
			f.write("SET ", settingName(s.Name), " TO ")
		}
		if s.Default {
			f.write("DEFAULT")
		} else {
			f.write(quoteString(s.Value))
		}
	case *Show:
		if s.Name == "all" {
			f.write("SHOW ALL")
		} else {
			f.write("SHOW ", settingName(s.Name))
		}
	case *Transaction:
		f.write(s.Kind.String())
	}
}

// settingName writes a setting name. Custom settings are "extension.name", which PostgreSQL
// reads from dotted identifiers; a name with an empty part is quoted whole.
func settingName(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if p == "" {
			return QuoteIdent(name)
		}
		parts[i] = QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func (f *formatter) query(s *Select) {
	if s.With != nil {
		f.write("WITH ")
		for i, cte := range s.With.CTEs {
			if i > 0 {
				f.write(", ")
			}
			f.write(QuoteIdent(cte.Name))
			if len(cte.ColumnAliases) > 0 {
				f.write(" (", identList(cte.ColumnAliases), ")")
			}
			f.write(" AS (")
			f.query(cte.Query)
			f.write(")")
		}
		f.write(" ")
	}
	switch {
	case s.SetOp != nil:
		f.write("(")
		f.query(s.SetOp.Left)
		f.write(") ", s.SetOp.Op.String())
		if s.SetOp.All {
			f.write(" ALL")
		}
		f.write(" (")
		f.query(s.SetOp.Right)
		f.write(")")
	case len(s.Values) > 0:
		f.write("VALUES ")
		for i, row := range s.Values {
			if i > 0 {
				f.write(", ")
			}
			f.write("(")
			f.exprList(row)
			f.write(")")
		}
	default:
		f.selectBody(s)
	}
	if len(s.OrderBy) > 0 {
		f.write(" ORDER BY ")
		f.orderItems(s.OrderBy)
	}
	if s.Limit != nil {
		f.write(" LIMIT ")
		f.operand(s.Limit)
	}
	if s.Offset != nil {
		f.write(" OFFSET ")
		f.operand(s.Offset)
	}
}

func (f *formatter) selectBody(s *Select) {
	f.write("SELECT")
	switch {
	case s.Distinct:
		f.write(" DISTINCT")
	case len(s.DistinctOn) > 0:
		f.write(" DISTINCT ON (")
		f.exprList(s.DistinctOn)
		f.write(")")
	}
	for i, item := range s.Targets {
		if i > 0 {
			f.write(",")
		}
		f.write(" ")
		switch {
		case item.Star && len(item.StarQualifier) > 0:
			f.write(qualifiedName(item.StarQualifier), ".*")
			if item.Alias != "" {
				f.write(" AS ", QuoteIdent(item.Alias))
			}
		case item.Star:
			f.write("*")
		default:
			f.expr(item.Expr)
			if item.Alias != "" {
				f.write(" AS ", QuoteIdent(item.Alias))
			}
		}
	}
	for i, t := range s.From {
		if i == 0 {
			f.write(" FROM ")
		} else {
			f.write(", ")
		}
		f.tableExpr(t, false)
	}
	if s.Where != nil {
		f.write(" WHERE ")
		f.expr(s.Where)
	}
	for i, g := range s.GroupBy {
		if i == 0 {
			f.write(" GROUP BY ")
		} else {
			f.write(", ")
		}
		f.grouping(g)
	}
	if s.Having != nil {
		f.write(" HAVING ")
		f.expr(s.Having)
	}
	for i, w := range s.Windows {
		if i == 0 {
			f.write(" WINDOW ")
		} else {
			f.write(", ")
		}
		f.write(QuoteIdent(w.Name), " AS (")
		f.windowSpec(w.Spec)
		f.write(")")
	}
}

func (f *formatter) grouping(g GroupingElement) {
	switch g.Kind {
	case GroupingColumns:
		if len(g.Exprs) == 1 {
			f.expr(g.Exprs[0])
			return
		}
		f.write("(")
		f.exprList(g.Exprs)
		f.write(")")
	case GroupingEmpty:
		f.write("()")
	case GroupingRollup, GroupingCube:
		f.write(g.Kind.String(), " (")
		for i, item := range g.Items {
			if i > 0 {
				f.write(", ")
			}
			if len(item) == 1 {
				f.expr(item[0])
				continue
			}
			f.write("(")
			f.exprList(item)
			f.write(")")
		}
		f.write(")")
	case GroupingSets:
		f.write("GROUPING SETS (")
		for i, sub := range g.Sets {
			if i > 0 {
				f.write(", ")
			}
			f.grouping(sub)
		}
		f.write(")")
	}
}

// tableExpr writes a FROM item. Joins nested inside a join are parenthesized, so the tree
// reads back the same whatever the nesting.
func (f *formatter) tableExpr(t TableExpr, nested bool) {
	switch t := t.(type) {
	case *TableName:
		f.write(qualifiedName(t.Parts))
		f.alias(t.Alias)
	case *SubqueryTable:
		if t.Lateral {
			f.write("LATERAL ")
		}
		f.write("(")
		f.query(t.Query)
		f.write(")")
		f.alias(t.Alias)
	case *JoinTable:
		parens := nested || t.Alias != nil
		if parens {
			f.write("(")
		}
		f.tableExpr(t.Left, true)
		f.write(" ")
		if t.Natural {
			f.write("NATURAL ")
		}
		switch t.Kind {
		case JoinInner:
			f.write("JOIN ")
		case JoinCross:
			f.write("CROSS JOIN ")
		default:
			f.write(t.Kind.String(), " JOIN ")
		}
		f.tableExpr(t.Right, true)
		if t.On != nil {
			f.write(" ON ")
			f.expr(t.On)
		}
		if len(t.Using) > 0 {
			f.write(" USING (", identList(t.Using), ")")
		}
		if parens {
			f.write(")")
		}
		f.alias(t.Alias)
	}
}

func (f *formatter) alias(a *Alias) {
	if a == nil {
		return
	}
	f.write(" AS ", QuoteIdent(a.Name))
	if len(a.Columns) > 0 {
		f.write(" (", identList(a.Columns), ")")
	}
}

func (f *formatter) orderItems(items []OrderItem) {
	for i, item := range items {
		if i > 0 {
			f.write(", ")
		}
		f.expr(item.Expr)
		if item.Desc {
			f.write(" DESC")
		}
		if item.NullsFirst != nil {
			if *item.NullsFirst {
				f.write(" NULLS FIRST")
			} else {
				f.write(" NULLS LAST")
			}
		}
	}
}

func (f *formatter) exprList(exprs []Expr) {
	for i, e := range exprs {
		if i > 0 {
			f.write(", ")
		}
		f.expr(e)
	}
}

// operand writes e, parenthesized unless it is self-delimiting (a name, a literal, a call…).
func (f *formatter) operand(e Expr) {
	if isAtom(e) {
		f.expr(e)
		return
	}
	f.write("(")
	f.expr(e)
	f.write(")")
}

func isAtom(e Expr) bool {
	switch e := e.(type) {
	case *ColumnRef, *StringLit, *BoolLit, *NullLit, *Param, *TypedLiteral, *FuncCall, *Case, *Cast,
		*ScalarSubquery, *Exists, *ArrayLit, *RowExpr:
		return true
	case *IntegerLit:
		return e.Value >= 0 // "- -5" would be fine, "--5" is a comment
	case *NumericLit:
		return !strings.HasPrefix(e.Text, "-")
	}
	return false
}

func (f *formatter) expr(e Expr) {
	switch e := e.(type) {
	case *ColumnRef:
		f.write(qualifiedName(e.Parts))
	case *IntegerLit:
		f.write(strconv.FormatInt(e.Value, 10))
	case *NumericLit:
		f.write(e.Text)
	case *StringLit:
		f.write(quoteString(e.Value))
	case *BoolLit:
		f.write(strings.ToUpper(strconv.FormatBool(e.Value)))
	case *NullLit:
		f.write("NULL")
	case *TypedLiteral:
		f.typedLiteral(e)
	case *Param:
		f.write("$", strconv.Itoa(e.Index))
	case *BinaryOp:
		f.operand(e.Left)
		f.write(" ", e.Op, " ")
		f.operand(e.Right)
	case *UnaryOp:
		f.write(e.Op)
		f.operand(e.Operand)
	case *BoolExpr:
		f.boolExpr(e)
	case *IsNull:
		f.operand(e.Arg)
		f.write(" IS ", not(e.Not), "NULL")
	case *IsBool:
		f.operand(e.Arg)
		f.write(" IS ", not(e.Not), e.Value.String())
	case *IsDistinct:
		f.operand(e.Left)
		f.write(" IS ", not(e.Not), "DISTINCT FROM ")
		f.operand(e.Right)
	case *Between:
		f.operand(e.Arg)
		f.write(" ", not(e.Not), "BETWEEN ")
		if e.Symmetric {
			f.write("SYMMETRIC ")
		}
		f.operand(e.Low)
		f.write(" AND ")
		f.operand(e.High)
	case *Like:
		f.operand(e.Arg)
		f.write(" ", not(e.Not))
		if e.CaseInsensitive {
			f.write("ILIKE ")
		} else {
			f.write("LIKE ")
		}
		f.operand(e.Pattern)
		if e.Escape != nil {
			f.write(" ESCAPE ")
			f.operand(e.Escape)
		}
	case *RegexMatch:
		op := "~"
		if e.Not {
			op = "!~"
		}
		if e.CaseInsensitive {
			op += "*"
		}
		f.operand(e.Arg)
		f.write(" ", op, " ")
		f.operand(e.Pattern)
	case *InList:
		f.operand(e.Arg)
		f.write(" ", not(e.Not), "IN (")
		f.exprList(e.List)
		f.write(")")
	case *InSubquery:
		f.operand(e.Arg)
		f.write(" ", not(e.Not), "IN (")
		f.query(e.Query)
		f.write(")")
	case *Exists:
		f.write("EXISTS (")
		f.query(e.Query)
		f.write(")")
	case *ScalarSubquery:
		f.write("(")
		f.query(e.Query)
		f.write(")")
	case *Quantified:
		f.operand(e.Arg)
		f.write(" ", e.Op, " ", e.Kind.String(), " (")
		if e.Query != nil {
			f.query(e.Query)
		} else {
			f.expr(e.Array)
		}
		f.write(")")
	case *ArrayLit:
		f.write("ARRAY[")
		f.exprList(e.Elems)
		f.write("]")
	case *RowExpr:
		f.write("ROW(")
		f.exprList(e.Elems)
		f.write(")")
	case *Case:
		f.write("CASE")
		if e.Operand != nil {
			f.write(" ")
			f.expr(e.Operand)
		}
		for _, w := range e.Whens {
			f.write(" WHEN ")
			f.expr(w.Cond)
			f.write(" THEN ")
			f.expr(w.Result)
		}
		if e.Else != nil {
			f.write(" ELSE ")
			f.expr(e.Else)
		}
		f.write(" END")
	case *Cast:
		f.write("CAST(")
		f.expr(e.Arg)
		f.write(" AS ", formatType(e.Type), ")")
	case *FuncCall:
		f.funcCall(e)
	}
}

func not(negated bool) string {
	if negated {
		return "NOT "
	}
	return ""
}

func (f *formatter) boolExpr(e *BoolExpr) {
	if e.Op == BoolNot {
		f.write("NOT ")
		f.operand(e.Args[0])
		return
	}
	for i, arg := range e.Args {
		if i > 0 {
			f.write(" ", e.Op.String(), " ")
		}
		f.operand(arg)
	}
}

// prefixLiteralTypes are the types written `TYPE 'value'` rather than CAST('value' AS type).
var prefixLiteralTypes = map[string]bool{
	TypeDate: true, TypeTime: true, TypeTimeTZ: true, TypeTimestamp: true, TypeTimestampTZ: true,
	TypeInterval: true,
}

func (f *formatter) typedLiteral(e *TypedLiteral) {
	t := e.Type
	if !prefixLiteralTypes[t.Name] || t.Array {
		f.write("CAST(", quoteString(e.Value), " AS ", formatType(t), ")")
		return
	}
	if t.Name == TypeInterval {
		// INTERVAL(p) 'v' without fields; INTERVAL 'v' fields(p) with them.
		f.write("INTERVAL")
		if t.IntervalFields == "" && len(t.Modifiers) > 0 {
			f.write("(", intList(t.Modifiers), ")")
		}
		f.write(" ", quoteString(e.Value))
		if t.IntervalFields != "" {
			f.write(" ", strings.ToUpper(t.IntervalFields))
			if len(t.Modifiers) > 0 {
				f.write("(", intList(t.Modifiers), ")")
			}
		}
		return
	}
	f.write(strings.ToUpper(formatType(t)), " ", quoteString(e.Value))
}

// sqlValueFunctions are written as keywords when called without decorations.
var sqlValueFunctions = map[string]bool{
	"current_date": true, "current_time": true, "current_timestamp": true, "localtime": true,
	"localtimestamp": true, "current_user": true, "current_catalog": true, "current_schema": true,
}

// keywordCalls are functions with their own grammar rule, written as keyword calls.
var keywordCalls = map[string]bool{
	"coalesce": true, "nullif": true, "greatest": true, "least": true, "grouping": true,
}

func (f *formatter) funcCall(e *FuncCall) {
	plain := !e.Star && !e.Distinct && len(e.OrderBy) == 0 && e.Filter == nil && e.Over == nil
	if plain && len(e.Name) == 1 {
		name := e.Name[0]
		switch {
		case sqlValueFunctions[name] && len(e.Args) == 0:
			f.write(strings.ToUpper(name))
			return
		case sqlValueFunctions[name] && len(e.Args) == 1 && name != "current_date" &&
			strings.Contains(name, "time") && isNonNegativeInt(e.Args[0]):
			f.write(strings.ToUpper(name), "(")
			f.expr(e.Args[0])
			f.write(")")
			return
		case keywordCalls[name] && len(e.Args) > 0:
			f.write(strings.ToUpper(name), "(")
			f.exprList(e.Args)
			f.write(")")
			return
		case name == "extract" && len(e.Args) == 2 && isLowerStringLit(e.Args[0]):
			f.write("EXTRACT(", quoteString(e.Args[0].(*StringLit).Value), " FROM ")
			f.expr(e.Args[1])
			f.write(")")
			return
		case name == "position" && len(e.Args) == 2:
			f.write("POSITION(")
			f.operand(e.Args[1])
			f.write(" IN ")
			f.operand(e.Args[0])
			f.write(")")
			return
		}
	}
	f.write(qualifiedName(e.Name), "(")
	switch {
	case e.Star:
		f.write("*")
	default:
		if e.Distinct {
			f.write("DISTINCT ")
		}
		f.exprList(e.Args)
		if len(e.OrderBy) > 0 && !e.WithinGroup {
			f.write(" ORDER BY ")
			f.orderItems(e.OrderBy)
		}
	}
	f.write(")")
	if e.WithinGroup {
		f.write(" WITHIN GROUP (ORDER BY ")
		f.orderItems(e.OrderBy)
		f.write(")")
	}
	if e.Filter != nil {
		f.write(" FILTER (WHERE ")
		f.expr(e.Filter)
		f.write(")")
	}
	if e.Over != nil {
		w := *e.Over
		if w.Ref != "" && len(w.PartitionBy) == 0 && len(w.OrderBy) == 0 && w.Frame == nil {
			f.write(" OVER ", QuoteIdent(w.Ref))
			return
		}
		f.write(" OVER (")
		f.windowSpec(w)
		f.write(")")
	}
}

func isNonNegativeInt(e Expr) bool {
	i, ok := e.(*IntegerLit)
	return ok && i.Value >= 0 && i.Value <= 1<<31-1
}

func isLowerStringLit(e Expr) bool {
	s, ok := e.(*StringLit)
	return ok && s.Value == strings.ToLower(s.Value)
}

func (f *formatter) windowSpec(w WindowSpec) {
	var parts []string
	if w.Ref != "" {
		parts = append(parts, QuoteIdent(w.Ref))
	}
	if len(w.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+formatExprs(w.PartitionBy))
	}
	if len(w.OrderBy) > 0 {
		var sub formatter
		sub.orderItems(w.OrderBy)
		parts = append(parts, "ORDER BY "+sub.b.String())
	}
	if fr := w.Frame; fr != nil {
		parts = append(parts, fr.Mode.String()+" BETWEEN "+formatBound(fr.Start)+" AND "+formatBound(fr.End))
	}
	f.write(strings.Join(parts, " "))
}

func formatBound(b FrameBound) string {
	if b.Offset == nil {
		return b.Kind.String()
	}
	var sub formatter
	sub.operand(b.Offset)
	return sub.b.String() + " " + b.Kind.String()
}

func formatExprs(exprs []Expr) string {
	var sub formatter
	sub.exprList(exprs)
	return sub.b.String()
}

// formatType spells a TypeName so that it parses back to the same TypeName.
func formatType(t TypeName) string {
	var s string
	mods := ""
	if len(t.Modifiers) > 0 {
		mods = "(" + intList(t.Modifiers) + ")"
	}
	switch t.Name {
	case TypeTimeTZ:
		s = "time" + mods + " with time zone"
	case TypeTimestampTZ:
		s = "timestamp" + mods + " with time zone"
	case TypeInterval:
		s = "interval"
		switch {
		case t.IntervalFields != "":
			s += " " + t.IntervalFields + mods
		default:
			s += mods
		}
	case TypeChar, TypeBit:
		// Bare CHARACTER and BIT mean length 1; the internal names have no default length.
		switch {
		case len(t.Modifiers) > 0:
			s = t.Name + mods
		case t.Name == TypeChar:
			s = "bpchar"
		default:
			s = `"bit"`
		}
	case TypeSmallint, TypeInteger, TypeBigint, TypeReal, TypeDouble, TypeNumeric, TypeVarchar,
		TypeBoolean, TypeTime, TypeTimestamp, TypeVarbit:
		s = t.Name + mods
	default:
		s = QuoteIdent(t.Name) + mods
	}
	if t.Array {
		s += "[]"
	}
	return s
}

func intList(values []int) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ", ")
}

func identList(names []string) string { return strings.Join(quoteAll(names), ", ") }

func qualifiedName(parts []string) string { return strings.Join(quoteAll(parts), ".") }

func quoteAll(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = QuoteIdent(p)
	}
	return out
}

// quoteString writes a standard SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// QuoteIdent returns name as PostgreSQL reads it back exactly: bare when it is a lower-case
// identifier that is not a keyword, double-quoted otherwise.
func QuoteIdent(name string) string {
	if isBareIdent(name) && !sqlKeywords[name] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func isBareIdent(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		switch {
		case b == '_' || ('a' <= b && b <= 'z'):
		case i > 0 && (b == '$' || ('0' <= b && b <= '9')):
		default:
			return false
		}
	}
	return true
}

// sqlKeywords are PostgreSQL 17's keywords that are not unreserved (parser/kwlist.h): as
// identifiers they need quotes in some position, so Format always quotes them.
var sqlKeywords = func() map[string]bool {
	words := strings.Fields(`all analyse analyze and any array as asc asymmetric authorization
	between bigint binary bit boolean both case cast char character check coalesce collate
	collation column concurrently constraint create cross current_catalog current_date
	current_role current_schema current_time current_timestamp current_user dec decimal default
	deferrable desc distinct do else end except exists extract false fetch float for foreign
	freeze from full grant greatest group grouping having ilike in initially inner inout int
	integer intersect interval into is isnull join json json_array json_arrayagg json_exists
	json_object json_objectagg json_query json_scalar json_serialize json_table json_value lateral
	leading least left like limit localtime localtimestamp merge_action national natural nchar
	none normalize not notnull null nullif numeric offset on only or order out outer overlaps
	overlay placing position precision primary real references returning right row select
	session_user setof similar smallint some substring symmetric system_user table tablesample
	then time timestamp to trailing treat trim true union unique user using values varchar
	variadic verbose when where window with xmlattributes xmlconcat xmlelement xmlexists
	xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`)
	set := make(map[string]bool, len(words))
	for _, w := range words {
		set[w] = true
	}
	return set
}()
