package parse

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/meshgate/meshgate/internal/errs"
)

// Parsed is one parsed statement with what the layers above need besides the tree.
type Parsed struct {
	Stmt Statement
	// NumParams is the number of parameters the statement takes: the highest $n it references
	// after `?` rewriting, 0 for none. As in PostgreSQL, lower numbers may go unreferenced.
	NumParams int
	// SQL is the original text; every Pos in Stmt is a byte offset into it.
	SQL string
}

// Where describes a position of the statement as "line L, column C" ("" when unknown).
func (p *Parsed) Where(pos int) string { return Where(p.SQL, pos) }

// Parse parses exactly one SQL statement. Trailing semicolons, whitespace and comments are
// allowed. JDBC-style `?` placeholders are rewritten to `$n` first (see RewritePlaceholders);
// positions in the result still refer to sql as given.
//
// Errors: *SyntaxError (kind InvalidArgument) for text PostgreSQL rejects; InvalidArgument for
// zero or several statements and malformed text; NotSupported, naming the construct and its
// position, for valid SQL meshgate does not serve (anything but queries, EXPLAIN, SET, SHOW and
// transaction control, and the constructs listed in ast.go).
func Parse(sql string) (*Parsed, error) {
	if err := checkText(sql); err != nil {
		return nil, err
	}
	rw, err := rewritePlaceholders(sql)
	if err != nil {
		return nil, err
	}
	tree, err := pg_query.Parse(rw.text)
	if err != nil {
		return nil, syntaxError(err, sql, rw.text, rw.offsets)
	}
	stmts := tree.GetStmts()
	switch len(stmts) {
	case 0:
		return nil, errs.New(errs.KindInvalidArgument, "expected one statement, found 0")
	case 1:
	default:
		// PostgreSQL starts the second statement right after the semicolon.
		second := rw.offsets.original(int(stmts[1].GetStmtLocation()))
		for second >= 0 && second < len(sql) && strings.IndexByte(" \t\r\n\f", sql[second]) >= 0 {
			second++
		}
		return nil, errs.New(errs.KindInvalidArgument,
			"expected one statement, found %d (the second starts%s); send statements one at a time",
			len(stmts), at(sql, second))
	}
	c := &converter{sql: sql, offsets: rw.offsets}
	stmt, err := c.statement(stmts[0])
	if err != nil {
		return nil, err
	}
	return &Parsed{Stmt: stmt, NumParams: rw.numParams, SQL: sql}, nil
}

// checkText rejects text the C parser would misread: it stops at a NUL byte, and positions
// are only meaningful in valid UTF-8 (PostgreSQL rejects other bytes before parsing too).
func checkText(sql string) error {
	if i := strings.IndexByte(sql, 0); i >= 0 {
		return invalidArgument(sql, i, "SQL text contains a NUL byte")
	}
	if !utf8.ValidString(sql) {
		for i, r := range sql {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(sql[i:]); size == 1 {
					return invalidArgument(sql, i, "SQL text is not valid UTF-8")
				}
			}
		}
	}
	return nil
}

// converter turns pg_query's tree into the AST. It knows the original text so positions and
// error messages refer to what the user wrote.
type converter struct {
	sql     string
	offsets offsetMap
}

// pos maps a pg_query location (in the rewritten text) to a byte offset of the original.
func (c *converter) pos(location int32) int { return c.offsets.original(int(location)) }

func (c *converter) notSupported(location int32, format string, args ...any) error {
	return notSupported(c.sql, c.pos(location), format, args...)
}

func (c *converter) invalid(location int32, format string, args ...any) error {
	return invalidArgument(c.sql, c.pos(location), format, args...)
}

func (c *converter) statement(raw *pg_query.RawStmt) (Statement, error) {
	loc := raw.GetStmtLocation()
	node := raw.GetStmt()
	switch n := node.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		return c.query(n.SelectStmt)
	case *pg_query.Node_ExplainStmt:
		return c.explain(n.ExplainStmt, loc)
	case *pg_query.Node_VariableSetStmt:
		return c.set(n.VariableSetStmt, loc)
	case *pg_query.Node_VariableShowStmt:
		return &Show{Name: strings.ToLower(n.VariableShowStmt.GetName()), Pos: c.pos(loc)}, nil
	case *pg_query.Node_TransactionStmt:
		return c.transaction(n.TransactionStmt, loc)
	}
	return nil, readOnly(statementKind(node))
}

func readOnly(kind string) error {
	return errs.NotSupportedf("%s statements; meshgate serves read-only queries", kind)
}

// readOnlyClause rejects a clause that would write or lock (SELECT … FOR UPDATE, a DELETE in
// WITH).
func readOnlyClause(clause string) error {
	return errs.NotSupportedf("%s; meshgate serves read-only queries", clause)
}

// statementKind names a statement for messages: "INSERT", "CREATE TABLE", "COPY", ….
func statementKind(node *pg_query.Node) string {
	switch n := node.GetNode().(type) {
	case *pg_query.Node_InsertStmt:
		return "INSERT"
	case *pg_query.Node_UpdateStmt:
		return "UPDATE"
	case *pg_query.Node_DeleteStmt:
		return "DELETE"
	case *pg_query.Node_MergeStmt:
		return "MERGE"
	case *pg_query.Node_CopyStmt:
		return "COPY"
	case *pg_query.Node_CreateStmt:
		return "CREATE TABLE"
	case *pg_query.Node_CreateTableAsStmt:
		if n.CreateTableAsStmt.GetObjtype() == pg_query.ObjectType_OBJECT_MATVIEW {
			return "CREATE MATERIALIZED VIEW"
		}
		return "CREATE TABLE AS"
	case *pg_query.Node_ViewStmt:
		return "CREATE VIEW"
	case *pg_query.Node_IndexStmt:
		return "CREATE INDEX"
	case *pg_query.Node_CreateSchemaStmt:
		return "CREATE SCHEMA"
	case *pg_query.Node_CreatedbStmt:
		return "CREATE DATABASE"
	case *pg_query.Node_CreateFunctionStmt:
		return "CREATE FUNCTION"
	case *pg_query.Node_DropStmt:
		return "DROP"
	case *pg_query.Node_DropdbStmt:
		return "DROP DATABASE"
	case *pg_query.Node_AlterTableStmt:
		return "ALTER TABLE"
	case *pg_query.Node_RenameStmt:
		return "ALTER … RENAME"
	case *pg_query.Node_TruncateStmt:
		return "TRUNCATE"
	case *pg_query.Node_GrantStmt:
		if n.GrantStmt.GetIsGrant() {
			return "GRANT"
		}
		return "REVOKE"
	case *pg_query.Node_GrantRoleStmt:
		return "GRANT/REVOKE role"
	case *pg_query.Node_VacuumStmt:
		if n.VacuumStmt.GetIsVacuumcmd() {
			return "VACUUM"
		}
		return "ANALYZE"
	case *pg_query.Node_PrepareStmt:
		return "PREPARE"
	case *pg_query.Node_ExecuteStmt:
		return "EXECUTE"
	case *pg_query.Node_DeallocateStmt:
		return "DEALLOCATE"
	case *pg_query.Node_LockStmt:
		return "LOCK"
	case *pg_query.Node_CallStmt:
		return "CALL"
	case *pg_query.Node_DoStmt:
		return "DO"
	case *pg_query.Node_DiscardStmt:
		return "DISCARD"
	case *pg_query.Node_ListenStmt:
		return "LISTEN"
	case *pg_query.Node_NotifyStmt:
		return "NOTIFY"
	case *pg_query.Node_DeclareCursorStmt:
		return "DECLARE CURSOR"
	case *pg_query.Node_FetchStmt:
		return "FETCH"
	case *pg_query.Node_ClosePortalStmt:
		return "CLOSE"
	case *pg_query.Node_CommentStmt:
		return "COMMENT"
	case *pg_query.Node_RefreshMatViewStmt:
		return "REFRESH MATERIALIZED VIEW"
	case *pg_query.Node_CheckPointStmt:
		return "CHECKPOINT"
	case *pg_query.Node_ExplainStmt:
		return "EXPLAIN"
	case *pg_query.Node_TransactionStmt:
		return "transaction control"
	}
	// Everything else is named after its node: CreateRoleStmt → CREATE ROLE.
	name := strings.TrimSuffix(nodeName(node), "Stmt")
	var words []string
	start := 0
	for i := 1; i <= len(name); i++ {
		if i == len(name) || ('A' <= name[i] && name[i] <= 'Z') {
			words = append(words, strings.ToUpper(name[start:i]))
			start = i
		}
	}
	return strings.Join(words, " ")
}

// nodeName is the pg_query type name of a node ("CreateRoleStmt"), the fallback wording for
// statements and expressions without a friendlier name.
func nodeName(node *pg_query.Node) string {
	if node == nil || node.GetNode() == nil {
		return "empty node"
	}
	// The oneof wrapper type is named after the node: *pg_query.Node_CreateRoleStmt.
	return strings.TrimPrefix(fmt.Sprintf("%T", node.GetNode()), "*pg_query.Node_")
}

func (c *converter) explain(stmt *pg_query.ExplainStmt, loc int32) (Statement, error) {
	e := &Explain{Pos: c.pos(loc)}
	for _, opt := range stmt.GetOptions() {
		def := opt.GetDefElem()
		if def == nil {
			return nil, c.invalid(loc, "malformed EXPLAIN option")
		}
		name := strings.ToLower(def.GetDefname())
		switch name {
		case "analyze", "verbose":
			on, err := c.explainBool(def)
			if err != nil {
				return nil, err
			}
			if name == "analyze" {
				e.Analyze = on
			} else {
				e.Verbose = on
			}
		case "format":
			format := strings.ToLower(def.GetArg().GetString_().GetSval())
			if format != "text" {
				return nil, c.notSupported(def.GetLocation(),
					"EXPLAIN FORMAT %s; only FORMAT TEXT is offered", strings.ToUpper(format))
			}
		case "costs", "buffers", "timing", "summary", "settings", "wal", "generic_plan",
			"memory", "serialize":
			return nil, c.notSupported(def.GetLocation(),
				"EXPLAIN option %s; meshgate offers ANALYZE, VERBOSE and FORMAT TEXT", strings.ToUpper(name))
		default:
			return nil, c.invalid(def.GetLocation(),
				"unrecognized EXPLAIN option %q; use ANALYZE, VERBOSE or FORMAT TEXT", name)
		}
	}
	query := stmt.GetQuery()
	sel := query.GetSelectStmt()
	if sel == nil {
		return nil, errs.NotSupportedf("EXPLAIN of %s statements; meshgate serves read-only queries",
			statementKind(query))
	}
	q, err := c.query(sel)
	if err != nil {
		return nil, err
	}
	e.Query = q
	return e, nil
}

// explainBool reads a boolean EXPLAIN option the way PostgreSQL's defGetBoolean does: no
// argument means true; true/false/on/off in any case, or 1/0.
func (c *converter) explainBool(def *pg_query.DefElem) (bool, error) {
	arg := def.GetArg()
	if arg == nil {
		return true, nil
	}
	if s := arg.GetString_(); s != nil {
		switch strings.ToLower(s.GetSval()) {
		case "true", "on":
			return true, nil
		case "false", "off":
			return false, nil
		}
	}
	if i := arg.GetInteger(); i != nil {
		switch i.GetIval() {
		case 1:
			return true, nil
		case 0:
			return false, nil
		}
	}
	return false, c.invalid(def.GetLocation(), "EXPLAIN option %s requires a Boolean value",
		strings.ToUpper(def.GetDefname()))
}

func (c *converter) set(stmt *pg_query.VariableSetStmt, loc int32) (Statement, error) {
	s := &Set{Name: strings.ToLower(stmt.GetName()), Local: stmt.GetIsLocal(), Pos: c.pos(loc)}
	switch stmt.GetKind() {
	case pg_query.VariableSetKind_VAR_SET_VALUE:
		values := make([]string, 0, len(stmt.GetArgs()))
		for _, arg := range stmt.GetArgs() {
			v, ok := settingValue(arg)
			if !ok {
				return nil, c.notSupported(loc, "this value for SET %s; use a string or number", s.Name)
			}
			values = append(values, v)
		}
		s.Value = strings.Join(values, ", ")
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		s.Default = true
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		s.Name, s.Default = "all", true
	case pg_query.VariableSetKind_VAR_SET_CURRENT:
		return nil, c.notSupported(loc, "SET %s FROM CURRENT", s.Name)
	default: // VAR_SET_MULTI: SET TRANSACTION …, SET SESSION CHARACTERISTICS AS TRANSACTION …
		return nil, c.notSupported(loc, "SET %s; meshgate sessions are read-only with fixed transaction modes",
			strings.ToUpper(stmt.GetName()))
	}
	return s, nil
}

// settingValue is the text of one SET argument: strings unquoted, numbers as written.
func settingValue(arg *pg_query.Node) (string, bool) {
	k := arg.GetAConst()
	if k == nil || k.GetIsnull() {
		return "", false
	}
	switch v := k.GetVal().(type) {
	case *pg_query.A_Const_Sval:
		return v.Sval.GetSval(), true
	case *pg_query.A_Const_Ival:
		return strconv.FormatInt(int64(v.Ival.GetIval()), 10), true
	case *pg_query.A_Const_Fval:
		return v.Fval.GetFval(), true
	case *pg_query.A_Const_Boolval:
		return strconv.FormatBool(v.Boolval.GetBoolval()), true
	}
	return "", false
}

func (c *converter) transaction(stmt *pg_query.TransactionStmt, loc int32) (Statement, error) {
	if stmt.GetChain() {
		return nil, c.notSupported(loc, "AND CHAIN; meshgate sessions have no transactions to chain")
	}
	t := &Transaction{Pos: c.pos(loc)}
	switch stmt.GetKind() {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		t.Kind = TxBegin
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		t.Kind = TxCommit
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		t.Kind = TxRollback
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg_query.TransactionStmtKind_TRANS_STMT_RELEASE,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return nil, readOnly("SAVEPOINT")
	default:
		return nil, readOnly("two-phase commit")
	}
	return t, nil
}
