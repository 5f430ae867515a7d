package expr

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// SortKey orders by an expression. NullsFirst follows PostgreSQL's default when the query does
// not say: NULLs sort as larger than every value (last ascending, first descending).
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

func (k SortKey) String() string {
	s := k.Expr.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst != k.Desc {
		if k.NullsFirst {
			s += " NULLS FIRST"
		} else {
			s += " NULLS LAST"
		}
	}
	return s
}

// AggCall is one aggregate computed by an Aggregate node (or pushed to a source). ID names the
// output column.
type AggCall struct {
	ID       ColumnID
	Func     string // registered aggregate name; count with no Args is count(*)
	Args     []Expr
	Distinct bool
	Filter   Expr      // FILTER (WHERE …), nil if none
	OrderBy  []SortKey // string_agg/array_agg ordering, nil if none
	Type     arrow.DataType
}

func (a AggCall) String() string {
	var b strings.Builder
	b.WriteString(a.Func + "(")
	if a.Distinct {
		b.WriteString("DISTINCT ")
	}
	if len(a.Args) == 0 && a.Func == "count" {
		b.WriteString("*")
	}
	b.WriteString(joinExprs(a.Args))
	if len(a.OrderBy) > 0 {
		keys := make([]string, len(a.OrderBy))
		for i, k := range a.OrderBy {
			keys[i] = k.String()
		}
		b.WriteString(" ORDER BY " + strings.Join(keys, ", "))
	}
	b.WriteString(")")
	if a.Filter != nil {
		b.WriteString(" FILTER (WHERE " + a.Filter.String() + ")")
	}
	return b.String()
}

// NamedExpr is an expression producing the output column ID.
type NamedExpr struct {
	ID   ColumnID
	Name string
	Expr Expr
}

// JoinKind is the kind of a join. Semi and anti joins output only the left side's columns.
type JoinKind int

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	CrossJoin
	SemiJoin // rows of the left with at least one match
	AntiJoin // rows of the left with no match (NOT EXISTS)
	// NullAwareAntiJoin is NOT IN: a left row is kept only if it matches no right row, its key
	// is not NULL, and the right side has no NULL key (else the predicate is NULL, not true).
	NullAwareAntiJoin
	// MarkJoin outputs every left row once with a boolean mark column: true if some right
	// row matches, NULL if none does but some comparison was NULL (IN, ANY and ALL
	// subqueries), false otherwise. It decorrelates EXISTS and IN used as values.
	MarkJoin
)

var joinKindNames = [...]string{"INNER", "LEFT", "RIGHT", "FULL", "CROSS", "SEMI", "ANTI", "NULL-AWARE ANTI", "MARK"}

func (k JoinKind) String() string { return joinKindNames[k] }

// OutputsRight reports whether the join's output includes the right side's columns.
func (k JoinKind) OutputsRight() bool {
	return k != SemiJoin && k != AntiJoin && k != NullAwareAntiJoin && k != MarkJoin
}
