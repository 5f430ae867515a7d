package sqlgen

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/planner/expr"
)

// Caps says what a source computes on a column (or on an expression's value) exactly like
// the gateway does. A connector derives them per column from the source's type and
// collation; the builder pushes an operation only if every operand has the capability it
// needs. IS [NOT] NULL needs none: every type mapping keeps NULLs.
type Caps uint8

const (
	// CapCompare: =, <>, IN, IS [NOT] DISTINCT FROM against any value of the gateway type,
	// GROUP BY, count(DISTINCT) and join equality give the gateway's answer.
	CapCompare Caps = 1 << iota
	// CapPrune: = and IN match a superset of what the gateway matches (a case-insensitive or
	// PAD SPACE collation); usable for Inexact filters in positive positions only.
	CapPrune
	// CapOrder: <, <=, >, >=, ORDER BY, min and max order like the gateway (bytewise for
	// text, given the dialect's OrderCollate).
	CapOrder
	// CapLike: LIKE matches like the gateway (case-sensitive, per character, trailing spaces
	// significant).
	CapLike
	// CapValue: the source's value is the gateway's value, so functions, arithmetic, sum
	// and avg over it and outputs of expressions are computed alike.
	CapValue
	// CapGroup: GROUP BY and DISTINCT over the column group like the gateway even though
	// comparisons with other values may not (PostgreSQL char(n): every value is padded to n,
	// but comparisons with text ignore trailing blanks). Implied by CapCompare.
	CapGroup

	// CapAll is what plain numeric, date and timestamp columns of a lossless mapping have.
	CapAll = CapCompare | CapOrder | CapLike | CapValue
	// CapNone marks a column the builder only reads, tests for NULL and projects.
	CapNone Caps = 0
)

// Has reports whether c includes every capability in want.
func (c Caps) Has(want Caps) bool { return c&want == want }

// groups reports whether GROUP BY and DISTINCT on a value with caps c group like the gateway.
func (c Caps) groups() bool { return c.Has(CapCompare) || c.Has(CapGroup) }

// Column is one column of a base relation: how the connector found it in the source.
type Column struct {
	ID expr.ColumnID
	// Name is the column's name in the source; it is always quoted when rendered.
	Name string
	// Type is the type the gateway sees (the dataset's declared type).
	Type arrow.DataType
	// Caps are the operations the source computes on it exactly like the gateway.
	Caps Caps
	// Widen is set when the source's type is narrower than Type but every value converts
	// losslessly (int4 read as bigint, numeric(15,2) as numeric(38,9)): arithmetic and
	// function arguments then render CAST(column AS Type) so overflow and result types match
	// the gateway's; comparisons use the bare column (and its indexes).
	Widen bool
	// PadTo is n for a blank-padded CHAR(n) column that the gateway reads without its
	// trailing blanks while the source compares it ignoring them (PostgreSQL bpchar). With a
	// dialect that sets PaddedParam, = and IN against a text value bound as that type are
	// pushed: Exact unless the value ends in a blank (both sides then agree), Inexact
	// otherwise (the source also matches values that differ in trailing blanks). <> and NOT
	// IN are pushed only when exact. 0: not padded.
	PadTo int
}
