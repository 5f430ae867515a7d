package flightsql

import (
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/planner/expr"
)

// pushedFunctions are the functions and operators sent to the server, spelled as the
// gateway spells them: a remote meshgate computes them exactly like this one. Functions
// PostgreSQL spells differently from the gateway (btrim, strpos) are left out.
var pushedFunctions = []string{
	expr.FnAdd, expr.FnSub, expr.FnMul, expr.FnDiv, expr.FnMod, expr.FnNeg, expr.FnConcatOp,
	"coalesce", "nullif", "length", "abs", "round", "floor", "ceil", "extract", "date_trunc",
}

// operators keep PostgreSQL's infix spelling; every other pushed function is rendered as
// the gateway's own name applied to its arguments.
var operators = map[string]bool{
	expr.FnAdd: true, expr.FnSub: true, expr.FnMul: true, expr.FnDiv: true, expr.FnMod: true, expr.FnNeg: true,
	expr.FnConcatOp: true, "extract": true,
}

// Dialect returns the SQL dialect sent to Flight SQL servers: PostgreSQL's spelling (the
// gateway's own SQL), with typed placeholders ($1::bigint) bound through prepared
// statements, text ordered bytewise without a COLLATE clause (a meshgate has no other
// collation), no blank-padded CHAR comparisons, and the functions of pushedFunctions only.
func Dialect() *sqlgen.Dialect {
	d := sqlgen.Postgres()
	d.Name = "flightsql"
	d.OrderCollate = ""
	d.PaddedParam = nil
	// meshgate accepts only a constant LIMIT.
	d.LimitLiteral = true
	// A meshgate computes avg over decimals as the gateway does; the integer form used for
	// PostgreSQL would overflow its decimal128 arithmetic.
	d.GatewayDecimalAvg = true
	fns := map[string]sqlgen.FuncRule{}
	for _, name := range pushedFunctions {
		r, ok := d.Functions[name]
		if !ok {
			continue
		}
		if !operators[name] {
			r.Template, r.Render = name+"({*})", nil
		}
		fns[name] = r
	}
	d.Functions = fns
	d.Aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true, "bool_and": true, "bool_or": true}
	return d
}
