package parse

import "strconv"

// Node is anything an error may point at. Position is a byte offset into the original SQL
// text, -1 when unknown; LineCol turns it into a line and column.
type Node interface {
	Position() int
}

// Statement is one parsed SQL statement: *Select, *Explain, *Set, *Show or *Transaction.
type Statement interface {
	Node
	statementNode()
}

// Expr is a scalar expression.
type Expr interface {
	Node
	exprNode()
}

// TableExpr is one item of a FROM clause: *TableName, *SubqueryTable or *JoinTable.
type TableExpr interface {
	Node
	tableExprNode()
}

// ---------------------------------------------------------------------------------------------
// Statements

// Select is a query: a SELECT, a VALUES list, or a set operation over two queries.
//
// Exactly one of three shapes is used:
//   - a SELECT: Targets (and optionally everything else);
//   - a VALUES list: Values, plus optionally With, OrderBy, Limit, Offset;
//   - a set operation: SetOp, plus optionally With, OrderBy, Limit, Offset, which apply to the
//     result of the set operation.
type Select struct {
	With *With
	// Distinct is plain SELECT DISTINCT. DistinctOn holds the expressions of
	// SELECT DISTINCT ON (...); the two are never both set.
	Distinct   bool
	DistinctOn []Expr
	Targets    []SelectItem
	// From lists the FROM items; more than one means an implicit cross join.
	From    []TableExpr
	Where   Expr
	GroupBy []GroupingElement
	Having  Expr
	Windows []NamedWindow
	OrderBy []OrderItem
	// Limit is nil for no limit (also for LIMIT ALL and LIMIT NULL); FETCH FIRST n ROWS ONLY
	// sets it too. Offset is nil for no offset.
	Limit  Expr
	Offset Expr
	SetOp  *SetOperation
	// Values holds the rows of a VALUES list; all rows have the same length.
	Values [][]Expr
	// Pos is approximate: the first select-list item, the first VALUES expression, or the
	// left operand of a set operation.
	Pos int
}

// SetOperation is `Left UNION|INTERSECT|EXCEPT [ALL] Right`.
type SetOperation struct {
	Op    SetOpKind
	All   bool
	Left  *Select
	Right *Select
}

// With is a WITH clause. WITH RECURSIVE is rejected as not supported.
type With struct {
	CTEs []CTE
	Pos  int
}

// CTE is one `name [(columns)] AS (query)` of a WITH clause. [NOT] MATERIALIZED is an
// optimizer hint that does not change results; it is accepted and dropped.
type CTE struct {
	Name          string
	ColumnAliases []string
	Query         *Select
	Pos           int
}

// SelectItem is one entry of the select list: an expression with an optional alias, or a star
// (`*` or `qualifier.*`). PostgreSQL accepts an alias on `qualifier.*` and ignores it when
// expanding the star; it is kept here for fidelity.
type SelectItem struct {
	Expr  Expr
	Alias string
	Star  bool
	// StarQualifier is the table qualifier of `t.*` (or `schema.t.*`); empty for a bare `*`.
	StarQualifier []string
	Pos           int
}

// OrderItem is one ORDER BY entry. NullsFirst is nil when NULLS FIRST/LAST is not written
// (PostgreSQL's default: NULLS LAST for ascending, NULLS FIRST for descending).
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst *bool
}

// NamedWindow is `WINDOW name AS (spec)`.
type NamedWindow struct {
	Name string
	Spec WindowSpec
	Pos  int
}

// GroupingElement is one GROUP BY item.
//
//   - GroupingColumns: Exprs holds one expression, or several for a parenthesized list
//     `(a, b)`. At the top level of GROUP BY a list groups by each of its columns; inside
//     GROUPING SETS it is one grouping set.
//   - GroupingEmpty: `()`, the empty grouping set (the grand total).
//   - GroupingRollup, GroupingCube: Items are the ROLLUP/CUBE arguments; each item is one
//     expression or a parenthesized list of expressions.
//   - GroupingSets: Sets are the elements of GROUPING SETS (...), which may nest ROLLUP, CUBE
//     and GROUPING SETS.
type GroupingElement struct {
	Kind  GroupingKind
	Exprs []Expr
	Items [][]Expr
	Sets  []GroupingElement
	Pos   int
}

// Explain is `EXPLAIN [ANALYZE] [VERBOSE] query`, also in the `EXPLAIN (ANALYZE, VERBOSE,
// FORMAT TEXT) query` form. Other EXPLAIN options are rejected.
type Explain struct {
	Analyze bool
	Verbose bool
	Query   *Select
	Pos     int
}

// Set is a session setting change: `SET [LOCAL|SESSION] name {TO|=} value[, ...]`,
// `SET name TO DEFAULT`, `RESET name` and `RESET ALL` (Name "all").
type Set struct {
	// Name is the lower-case setting name; PostgreSQL's spellings are normalized
	// (SET TIME ZONE → "timezone", SET NAMES → "client_encoding").
	Name string
	// Value is the new value as text, string literals without quotes; a list is joined with
	// ", " as PostgreSQL does. Empty when Default is set.
	Value string
	// Default is set for SET name TO DEFAULT, SET TIME ZONE LOCAL, RESET name and RESET ALL.
	Default bool
	Local   bool
	Pos     int
}

// Show is `SHOW name` (Name is lower-case; `SHOW ALL` has Name "all").
type Show struct {
	Name string
	Pos  int
}

// Transaction is BEGIN / START TRANSACTION, COMMIT / END or ROLLBACK / ABORT. JDBC and BI
// tools send these around read-only work; meshgate sessions are read-only and every query
// runs on its own, so the server may accept them as no-ops. Transaction modes (ISOLATION LEVEL,
// READ ONLY, DEFERRABLE) are accepted and dropped for that reason; savepoints, two-phase
// commit and AND CHAIN are rejected as not supported.
type Transaction struct {
	Kind TransactionKind
	Pos  int
}

// ---------------------------------------------------------------------------------------------
// FROM items

// TableName names a dataset: 1–3 parts (dataset, domain.dataset, mesh.domain.dataset).
// Unquoted identifiers are already lower-cased by PostgreSQL's rules; quoted ones are exact.
type TableName struct {
	Parts []string
	Alias *Alias
	Pos   int
}

// SubqueryTable is a derived table `[LATERAL] (query) [AS alias(cols)]`, also used for
// `(VALUES ...) AS v(a, b)`. Alias may be nil (PostgreSQL 16+ allows unaliased subqueries).
type SubqueryTable struct {
	Query   *Select
	Alias   *Alias
	Lateral bool
	Pos     int
}

// JoinTable is an explicit join. Cross joins have neither On nor Using; natural joins have
// Natural set and neither On nor Using. Alias is set for `(a JOIN b ...) AS j`.
type JoinTable struct {
	Kind    JoinKind
	Natural bool
	Left    TableExpr
	Right   TableExpr
	On      Expr
	Using   []string
	Alias   *Alias
	// Pos is approximate: the start of the left operand.
	Pos int
}

// Alias is `AS name [(column, ...)]`.
type Alias struct {
	Name    string
	Columns []string
}

// ---------------------------------------------------------------------------------------------
// Expressions. Pos follows PostgreSQL: the start of a literal, name or call; the operator of
// an operator expression; the keyword of a special form (IS, BETWEEN, IN, CASE, …).

// ColumnRef is a possibly qualified column name: col, t.col, domain.t.col, mesh.domain.t.col.
type ColumnRef struct {
	Parts []string
	Pos   int
}

// IntegerLit is an integer literal that fits in int64 (decimal, or 0x/0o/0b with optional
// underscores). A leading minus sign is folded in by PostgreSQL's grammar.
type IntegerLit struct {
	Value int64
	Pos   int
}

// NumericLit is a numeric literal kept as exact text so the binder can type it exactly:
// "0.05", "1e10", "-1.5", or an integer beyond int64 in decimal digits. Underscores are
// removed and hexadecimal, octal and binary integers are converted to decimal.
type NumericLit struct {
	Text string
	Pos  int
}

// StringLit is a string literal ('…', E'…', U&'…', $$…$$), escapes already processed.
type StringLit struct {
	Value string
	Pos   int
}

// BoolLit is TRUE or FALSE.
type BoolLit struct {
	Value bool
	Pos   int
}

// NullLit is NULL.
type NullLit struct {
	Pos int
}

// TypedLiteral is a string literal given a type: `date '1998-12-01'`, `interval '90' day`,
// `timestamp '…'`, and equally `'…'::date` and `CAST('…' AS date)`. PostgreSQL treats all of
// these as a constant of that type, decoded by the type's input function, so they are one
// node here; the binder decodes Value according to Type.
type TypedLiteral struct {
	Type  TypeName
	Value string
	Pos   int
}

// Param is a query parameter $Index (1-based); JDBC `?` placeholders arrive here numbered.
type Param struct {
	Index int
	Pos   int
}

// BinaryOp is `Left Op Right` for Op one of + - * / % ^ || = <> < <= > >= (`!=` is
// normalized to `<>`). Other operators are rejected as not supported.
type BinaryOp struct {
	Op    string
	Left  Expr
	Right Expr
	Pos   int
}

// UnaryOp is `Op Operand` for Op "-" or "+". A minus sign in front of a numeric literal is
// folded into the literal instead.
type UnaryOp struct {
	Op      string
	Operand Expr
	Pos     int
}

// BoolExpr is AND, OR (two or more Args, flattened by PostgreSQL's grammar for chains) or NOT
// (one Arg). NOT EXISTS is BoolExpr{Not, [Exists]}.
type BoolExpr struct {
	Op   BoolOp
	Args []Expr
	Pos  int
}

// IsNull is `Arg IS [NOT] NULL` (also ISNULL / NOTNULL).
type IsNull struct {
	Arg Expr
	Not bool
	Pos int
}

// IsBool is `Arg IS [NOT] TRUE|FALSE|UNKNOWN`.
type IsBool struct {
	Arg   Expr
	Value TruthValue
	Not   bool
	Pos   int
}

// IsDistinct is `Left IS [NOT] DISTINCT FROM Right`.
type IsDistinct struct {
	Left  Expr
	Right Expr
	Not   bool
	Pos   int
}

// Between is `Arg [NOT] BETWEEN [SYMMETRIC] Low AND High`.
type Between struct {
	Arg       Expr
	Low       Expr
	High      Expr
	Not       bool
	Symmetric bool
	Pos       int
}

// Like is `Arg [NOT] LIKE|ILIKE Pattern [ESCAPE Escape]`, also written with the operators
// ~~, ~~*, !~~, !~~*. Escape is nil when not given (the default escape is backslash).
type Like struct {
	Arg             Expr
	Pattern         Expr
	Escape          Expr
	Not             bool
	CaseInsensitive bool
	Pos             int
}

// RegexMatch is a POSIX regular expression match: `Arg ~ Pattern` (and ~*, !~, !~*).
type RegexMatch struct {
	Arg             Expr
	Pattern         Expr
	Not             bool
	CaseInsensitive bool
	Pos             int
}

// InList is `Arg [NOT] IN (List...)`.
type InList struct {
	Arg  Expr
	List []Expr
	Not  bool
	Pos  int
}

// InSubquery is `Arg [NOT] IN (Query)`.
type InSubquery struct {
	Arg   Expr
	Query *Select
	Not   bool
	Pos   int
}

// Exists is `EXISTS (Query)`.
type Exists struct {
	Query *Select
	Pos   int
}

// ScalarSubquery is a subquery used as a value: `(SELECT max(x) FROM t)`.
type ScalarSubquery struct {
	Query *Select
	Pos   int
}

// Quantified is `Arg Op ANY|SOME|ALL (Query)` or `Arg Op ANY|ALL (Array)`, with Op one of
// = <> < <= > >=. Exactly one of Query and Array is set; Array is an expression of array type
// (a parameter, a column) or an *ArrayLit for `ARRAY[...]`.
type Quantified struct {
	Arg   Expr
	Op    string
	Kind  QuantifierKind
	Query *Select
	Array Expr
	Pos   int
}

// RowExpr is a row constructor `(a, b)` or `ROW(a, b)`. The binder accepts it in
// comparisons with another row, in `row [NOT] IN (list of rows)` and `row IN (subquery)`.
type RowExpr struct {
	Elems []Expr
	Pos   int
}

// ArrayLit is `ARRAY[elem, ...]`. It only appears as Quantified.Array; array constructors
// elsewhere are rejected as not supported.
type ArrayLit struct {
	Elems []Expr
	Pos   int
}

// Case is `CASE [Operand] WHEN … THEN … [ELSE Else] END`; Operand is nil for a searched CASE.
type Case struct {
	Operand Expr
	Whens   []WhenClause
	Else    Expr
	Pos     int
}

// WhenClause is one `WHEN Cond THEN Result`. For a simple CASE, Cond is the value compared
// with the operand.
type WhenClause struct {
	Cond   Expr
	Result Expr
}

// Cast is `CAST(Arg AS Type)` or `Arg::Type` when Arg is not a string literal (a string
// literal with a type is a TypedLiteral).
type Cast struct {
	Arg  Expr
	Type TypeName
	Pos  int
}

// FuncCall is a function, aggregate or window function call.
//
// Name is lower-case unless quoted, with a leading "pg_catalog" schema removed. SQL special
// forms arrive here under PostgreSQL's function names and argument order:
//
//	EXTRACT(field FROM x)                 extract('field', x)     field lower-case
//	SUBSTRING(x FROM a FOR b)             substring(x, a, b)      also (x FROM a), (x FOR b) → (x, 1, b)
//	SUBSTRING(x SIMILAR p ESCAPE e)       substring(x, p, e)      told apart from the above by argument types only
//	POSITION(sub IN x)                    position(x, sub)        string first, like strpos
//	TRIM([BOTH] [chars] FROM x)           btrim(x [, chars])      LEADING → ltrim, TRAILING → rtrim
//	x AT TIME ZONE z                      timezone(z, x)          x AT LOCAL → timezone(x)
//	COALESCE, NULLIF, GREATEST, LEAST     coalesce, nullif, greatest, least
//	GROUPING(a, b)                        grouping(a, b)
//	CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME, LOCALTIMESTAMP
//	                                      same name, no args (or one IntegerLit precision arg)
//	CURRENT_USER, CURRENT_ROLE, SESSION_USER, USER
//	                                      current_user()
//	CURRENT_CATALOG, CURRENT_SCHEMA       current_catalog(), current_schema()
//
// Star is count(*). OrderBy is the aggregate's ORDER BY (string_agg(x, ',' ORDER BY y)), or
// with WithinGroup set the WITHIN GROUP (ORDER BY …) of an ordered-set aggregate such as
// percentile_cont. Filter is FILTER (WHERE …). Over is the OVER clause of a window call.
type FuncCall struct {
	Name        []string
	Args        []Expr
	Star        bool
	Distinct    bool
	OrderBy     []OrderItem
	WithinGroup bool
	Filter      Expr
	Over        *WindowSpec
	Pos         int
}

// WindowSpec is an OVER clause or a WINDOW definition. `OVER w` has only Ref set;
// `OVER (w ORDER BY x)` refines window w. Frame is nil when no frame clause is written
// (the default: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW with ORDER BY, the whole
// partition without).
type WindowSpec struct {
	Ref         string
	PartitionBy []Expr
	OrderBy     []OrderItem
	Frame       *Frame
	Pos         int
}

// Frame is `ROWS|RANGE|GROUPS BETWEEN Start AND End`; the short form `ROWS start` has End
// CurrentRow, as in PostgreSQL. Frame exclusion is rejected as not supported.
type Frame struct {
	Mode  FrameMode
	Start FrameBound
	End   FrameBound
}

// FrameBound is one end of a frame; Offset is set for Preceding and Following.
type FrameBound struct {
	Kind   BoundKind
	Offset Expr
}

// TypeName is a SQL type as written in a cast or typed literal.
//
// Name is the canonical lower-case PostgreSQL name (see the Type* constants: int4 and integer
// are both TypeInteger, varchar is TypeVarchar, timestamptz is TypeTimestampTZ, …); a name
// PostgreSQL does not build in is kept as written (lower-case unless quoted) for the binder to
// reject. Modifiers are the integer type modifiers: numeric(15,2) → [15 2], varchar(25) →
// [25], timestamp(3) → [3], interval second(3) → [3]. PostgreSQL gives a bare CAST(x AS char)
// the modifier [1] (char(1)), and so does this package. IntervalFields is the interval
// qualifier in lower case ("day", "year to month", "day to second"), empty when absent. Array
// is set for `type[]`.
type TypeName struct {
	Name           string
	Modifiers      []int
	IntervalFields string
	Array          bool
	Pos            int
}

// Canonical type names produced in TypeName.Name.
const (
	TypeSmallint    = "smallint"
	TypeInteger     = "integer"
	TypeBigint      = "bigint"
	TypeReal        = "real"
	TypeDouble      = "double precision"
	TypeNumeric     = "numeric"
	TypeVarchar     = "character varying"
	TypeChar        = "character"
	TypeText        = "text"
	TypeBoolean     = "boolean"
	TypeDate        = "date"
	TypeTime        = "time"
	TypeTimeTZ      = "time with time zone"
	TypeTimestamp   = "timestamp"
	TypeTimestampTZ = "timestamp with time zone"
	TypeInterval    = "interval"
	TypeBytea       = "bytea"
	TypeUUID        = "uuid"
	TypeJSON        = "json"
	TypeJSONB       = "jsonb"
	TypeBit         = "bit"
	TypeVarbit      = "bit varying"
)

// ---------------------------------------------------------------------------------------------
// Enumerations. Zero values are invalid so a forgotten field shows up in tests.

// SetOpKind is the operator of a SetOperation.
type SetOpKind int

const (
	SetUnion SetOpKind = iota + 1
	SetIntersect
	SetExcept
)

// JoinKind is the kind of a JoinTable.
type JoinKind int

const (
	JoinInner JoinKind = iota + 1
	JoinLeft
	JoinRight
	JoinFull
	JoinCross
)

// BoolOp is the operator of a BoolExpr.
type BoolOp int

const (
	BoolAnd BoolOp = iota + 1
	BoolOr
	BoolNot
)

// TruthValue is the value tested by IsBool.
type TruthValue int

const (
	TruthTrue TruthValue = iota + 1
	TruthFalse
	TruthUnknown
)

// QuantifierKind is ANY (also spelled SOME) or ALL.
type QuantifierKind int

const (
	QuantAny QuantifierKind = iota + 1
	QuantAll
)

// GroupingKind is the kind of a GroupingElement.
type GroupingKind int

const (
	GroupingColumns GroupingKind = iota + 1
	GroupingEmpty
	GroupingRollup
	GroupingCube
	GroupingSets
)

// FrameMode is ROWS, RANGE or GROUPS.
type FrameMode int

const (
	FrameRows FrameMode = iota + 1
	FrameRange
	FrameGroups
)

// BoundKind is the kind of a FrameBound.
type BoundKind int

const (
	BoundUnboundedPreceding BoundKind = iota + 1
	BoundPreceding
	BoundCurrentRow
	BoundFollowing
	BoundUnboundedFollowing
)

// TransactionKind is the kind of a Transaction statement.
type TransactionKind int

const (
	TxBegin TransactionKind = iota + 1
	TxCommit
	TxRollback
)

func (k SetOpKind) String() string {
	return enumName(int(k), "UNION", "INTERSECT", "EXCEPT")
}

func (k JoinKind) String() string {
	return enumName(int(k), "INNER", "LEFT", "RIGHT", "FULL", "CROSS")
}

func (k BoolOp) String() string { return enumName(int(k), "AND", "OR", "NOT") }

func (k TruthValue) String() string { return enumName(int(k), "TRUE", "FALSE", "UNKNOWN") }

func (k QuantifierKind) String() string { return enumName(int(k), "ANY", "ALL") }

func (k GroupingKind) String() string {
	return enumName(int(k), "COLUMNS", "EMPTY", "ROLLUP", "CUBE", "GROUPING SETS")
}

func (k FrameMode) String() string { return enumName(int(k), "ROWS", "RANGE", "GROUPS") }

func (k BoundKind) String() string {
	return enumName(int(k), "UNBOUNDED PRECEDING", "PRECEDING", "CURRENT ROW", "FOLLOWING",
		"UNBOUNDED FOLLOWING")
}

func (k TransactionKind) String() string { return enumName(int(k), "BEGIN", "COMMIT", "ROLLBACK") }

// enumName names the 1-based value v from names, or says it is invalid.
func enumName(v int, names ...string) string {
	if v < 1 || v > len(names) {
		return "invalid(" + strconv.Itoa(v) + ")"
	}
	return names[v-1]
}

// ---------------------------------------------------------------------------------------------
// Interface plumbing.

func (s *Select) Position() int      { return s.Pos }
func (s *Explain) Position() int     { return s.Pos }
func (s *Set) Position() int         { return s.Pos }
func (s *Show) Position() int        { return s.Pos }
func (s *Transaction) Position() int { return s.Pos }

func (*Select) statementNode()      {}
func (*Explain) statementNode()     {}
func (*Set) statementNode()         {}
func (*Show) statementNode()        {}
func (*Transaction) statementNode() {}

func (t *TableName) Position() int     { return t.Pos }
func (t *SubqueryTable) Position() int { return t.Pos }
func (t *JoinTable) Position() int     { return t.Pos }

func (*TableName) tableExprNode()     {}
func (*SubqueryTable) tableExprNode() {}
func (*JoinTable) tableExprNode()     {}

func (e *ColumnRef) Position() int      { return e.Pos }
func (e *IntegerLit) Position() int     { return e.Pos }
func (e *NumericLit) Position() int     { return e.Pos }
func (e *StringLit) Position() int      { return e.Pos }
func (e *BoolLit) Position() int        { return e.Pos }
func (e *NullLit) Position() int        { return e.Pos }
func (e *TypedLiteral) Position() int   { return e.Pos }
func (e *Param) Position() int          { return e.Pos }
func (e *BinaryOp) Position() int       { return e.Pos }
func (e *UnaryOp) Position() int        { return e.Pos }
func (e *BoolExpr) Position() int       { return e.Pos }
func (e *IsNull) Position() int         { return e.Pos }
func (e *IsBool) Position() int         { return e.Pos }
func (e *IsDistinct) Position() int     { return e.Pos }
func (e *Between) Position() int        { return e.Pos }
func (e *Like) Position() int           { return e.Pos }
func (e *RegexMatch) Position() int     { return e.Pos }
func (e *InList) Position() int         { return e.Pos }
func (e *InSubquery) Position() int     { return e.Pos }
func (e *Exists) Position() int         { return e.Pos }
func (e *ScalarSubquery) Position() int { return e.Pos }
func (e *Quantified) Position() int     { return e.Pos }
func (e *ArrayLit) Position() int       { return e.Pos }
func (e *RowExpr) Position() int        { return e.Pos }
func (e *Case) Position() int           { return e.Pos }
func (e *Cast) Position() int           { return e.Pos }
func (e *FuncCall) Position() int       { return e.Pos }

func (*ColumnRef) exprNode()      {}
func (*IntegerLit) exprNode()     {}
func (*NumericLit) exprNode()     {}
func (*StringLit) exprNode()      {}
func (*BoolLit) exprNode()        {}
func (*NullLit) exprNode()        {}
func (*TypedLiteral) exprNode()   {}
func (*Param) exprNode()          {}
func (*BinaryOp) exprNode()       {}
func (*UnaryOp) exprNode()        {}
func (*BoolExpr) exprNode()       {}
func (*IsNull) exprNode()         {}
func (*IsBool) exprNode()         {}
func (*IsDistinct) exprNode()     {}
func (*Between) exprNode()        {}
func (*Like) exprNode()           {}
func (*RegexMatch) exprNode()     {}
func (*InList) exprNode()         {}
func (*InSubquery) exprNode()     {}
func (*Exists) exprNode()         {}
func (*ScalarSubquery) exprNode() {}
func (*Quantified) exprNode()     {}
func (*ArrayLit) exprNode()       {}
func (*RowExpr) exprNode()        {}
func (*Case) exprNode()           {}
func (*Cast) exprNode()           {}
func (*FuncCall) exprNode()       {}

var (
	_ Statement = (*Select)(nil)
	_ Statement = (*Explain)(nil)
	_ Statement = (*Set)(nil)
	_ Statement = (*Show)(nil)
	_ Statement = (*Transaction)(nil)
	_ TableExpr = (*TableName)(nil)
	_ TableExpr = (*SubqueryTable)(nil)
	_ TableExpr = (*JoinTable)(nil)
	_ Expr      = (*FuncCall)(nil)
)
