package bind

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// Catalog resolves datasets and opens their sources.
type Catalog interface {
	Dataset(domain, name string) (*catalog.Dataset, error)
	OpenSource(ctx context.Context, ds *catalog.Dataset) (connectors.Source, error)
}

// Policies says what a principal may see of a dataset.
type Policies interface {
	Evaluate(p *governance.Principal, ds *catalog.Dataset) *governance.DatasetAccess
}

// Options configure one binding.
type Options struct {
	Catalog   Catalog
	Policies  Policies
	Principal *governance.Principal
	// DefaultSchema resolves one-part dataset names (the session's schema); empty means a
	// one-part name is an error.
	DefaultSchema string
	// CatalogName is the mesh's name, accepted as the first part of three-part names.
	CatalogName string
	// Now is the statement's start time: current_date and current_timestamp read it, so every
	// row sees one value.
	Now time.Time
	// Fold evaluates constant expressions (executor/eval.FoldConstant).
	Fold func(expr.Expr) (*expr.Literal, error)
	// Params are the values of $1..$n when known (execution), nil when only preparing. They
	// are needed at bind time only for LIMIT and OFFSET.
	Params []any
	// IDs allocates column IDs; shared with the optimizer.
	IDs *logical.IDs
}

// Result is a bound query.
type Result struct {
	Plan logical.Node
	// Names are the output column names as the client sees them (duplicates allowed).
	Names []string
	// ParamTypes are the inferred types of $1..$n.
	ParamTypes []arrow.DataType
	// Access lists what the query reads, for audit.
	Access []DatasetUse
}

// DatasetUse records one dataset a query reads and the governance applied to it.
type DatasetUse struct {
	Dataset  string
	Columns  []string
	Policies []string
	// Refs are the names the query addressed the dataset by: domain.dataset, or
	// domain.dataset@vN for a pinned major version (catalog.Dataset.Ref).
	Refs []string
}

// Query binds a query (a *parse.Select) to a logical plan.
func Query(ctx context.Context, p *parse.Parsed, q *parse.Select, opts Options) (*Result, error) {
	if opts.IDs == nil {
		opts.IDs = &logical.IDs{}
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.CatalogName == "" {
		opts.CatalogName = "mesh"
	}
	qb := &queryBinder{ctx: ctx, opts: opts, parsed: p, paramTypes: map[int]arrow.DataType{}, uses: map[string]*DatasetUse{}}
	bb := qb.newBlock(nil, nil)
	plan, names, err := bb.bindQuery(q)
	if err != nil {
		return nil, err
	}
	plan, types := finalizeParams(plan, p.NumParams)
	res := &Result{Plan: plan, Names: names, ParamTypes: types}
	for _, name := range qb.useOrder {
		res.Access = append(res.Access, *qb.uses[name])
	}
	return res, nil
}

// queryBinder holds what every block of one statement shares.
type queryBinder struct {
	ctx        context.Context
	opts       Options
	parsed     *parse.Parsed
	paramTypes map[int]arrow.DataType
	uses       map[string]*DatasetUse
	useOrder   []string
	// policyDepth counts nested policy expressions, which can reference other datasets.
	policyDepth int
}

func (qb *queryBinder) newID() expr.ColumnID { return qb.opts.IDs.New() }

func (qb *queryBinder) newBlock(parent *scope, ctes *cteScope) *blockBinder {
	return &blockBinder{qb: qb, outer: parent, ctes: ctes}
}

// blockBinder binds one query block (one SELECT).
type blockBinder struct {
	qb    *queryBinder
	outer *scope // enclosing block's scope, for correlated references
	ctes  *cteScope

	scope *scope
	cur   logical.Node

	// Aggregation state of the SELECT being bound.
	aggregating bool
	aggs        []expr.AggCall
	windows     []logical.WindowFunc
	// deferred are subqueries met in post-aggregation clauses, bound once the aggregate exists.
	deferred []deferredSubquery
	// correlated collects outer columns this block references.
	correlated map[expr.ColumnID]bool
	// namedWindows are the WINDOW clause definitions of the SELECT being bound.
	namedWindows []parse.NamedWindow
}

func (b *blockBinder) where(pos int) string {
	if w := b.qb.parsed.Where(pos); w != "" {
		return " at " + w
	}
	return ""
}

func (b *blockBinder) invalid(pos int, format string, args ...any) error {
	return errs.New(errs.KindInvalidArgument, "%s%s", fmt.Sprintf(format, args...), b.where(pos))
}

func (b *blockBinder) notSupported(pos int, format string, args ...any) error {
	return errs.NotSupportedf("%s%s", fmt.Sprintf(format, args...), b.where(pos))
}

// finalizeParams gives parameters whose type nothing determined the type text (PostgreSQL's
// unknown resolves to text) and returns the type of each parameter.
func finalizeParams(plan logical.Node, n int) (logical.Node, []arrow.DataType) {
	types := make([]arrow.DataType, n)
	fix := func(e expr.Expr) expr.Expr {
		return expr.Transform(e, func(x expr.Expr) expr.Expr {
			p, ok := x.(*expr.Param)
			if !ok {
				return x
			}
			if expr.IsNull(p.Type) {
				p = &expr.Param{Index: p.Index, Type: expr.String}
			}
			if p.Index >= 1 && p.Index <= n && types[p.Index-1] == nil {
				types[p.Index-1] = p.Type
			}
			return p
		})
	}
	plan = mapPlanExprs(plan, fix)
	for i := range types {
		if types[i] == nil {
			types[i] = expr.String
		}
	}
	return plan, types
}

// mapPlanExprs applies f to every expression of every node.
func mapPlanExprs(plan logical.Node, f func(expr.Expr) expr.Expr) logical.Node {
	out, _ := logical.Transform(plan, func(n logical.Node) (logical.Node, error) {
		switch x := n.(type) {
		case *logical.Filter:
			cp := *x
			cp.Pred = f(x.Pred)
			return &cp, nil
		case *logical.Project:
			cp := *x
			cp.Exprs = mapNamed(x.Exprs, f)
			return &cp, nil
		case *logical.Aggregate:
			cp := *x
			cp.Groups = mapNamed(x.Groups, f)
			cp.Aggs = make([]expr.AggCall, len(x.Aggs))
			for i, a := range x.Aggs {
				a.Args = mapExprs(a.Args, f)
				if a.Filter != nil {
					a.Filter = f(a.Filter)
				}
				a.OrderBy = mapKeys(a.OrderBy, f)
				cp.Aggs[i] = a
			}
			return &cp, nil
		case *logical.Join:
			cp := *x
			if x.On != nil {
				cp.On = f(x.On)
			}
			return &cp, nil
		case *logical.Sort:
			cp := *x
			cp.Keys = mapKeys(x.Keys, f)
			return &cp, nil
		case *logical.TopN:
			cp := *x
			cp.Keys = mapKeys(x.Keys, f)
			return &cp, nil
		case *logical.Window:
			cp := *x
			cp.Funcs = make([]logical.WindowFunc, len(x.Funcs))
			for i, w := range x.Funcs {
				w.Args = mapExprs(w.Args, f)
				w.PartitionBy = mapExprs(w.PartitionBy, f)
				w.OrderBy = mapKeys(w.OrderBy, f)
				cp.Funcs[i] = w
			}
			return &cp, nil
		case *logical.Values:
			cp := *x
			cp.Rows = make([][]expr.Expr, len(x.Rows))
			for i, r := range x.Rows {
				cp.Rows[i] = mapExprs(r, f)
			}
			return &cp, nil
		}
		return n, nil
	})
	return out
}

func mapExprs(es []expr.Expr, f func(expr.Expr) expr.Expr) []expr.Expr {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		out[i] = f(e)
	}
	return out
}

func mapNamed(es []expr.NamedExpr, f func(expr.Expr) expr.Expr) []expr.NamedExpr {
	out := make([]expr.NamedExpr, len(es))
	for i, e := range es {
		out[i] = expr.NamedExpr{ID: e.ID, Name: e.Name, Expr: f(e.Expr)}
	}
	return out
}

func mapKeys(ks []expr.SortKey, f func(expr.Expr) expr.Expr) []expr.SortKey {
	if ks == nil {
		return nil
	}
	out := make([]expr.SortKey, len(ks))
	for i, k := range ks {
		out[i] = expr.SortKey{Expr: f(k.Expr), Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return out
}

// SubstituteParams replaces parameters by literal values cast to their inferred types.
func SubstituteParams(plan logical.Node, values []any, fold func(expr.Expr) (*expr.Literal, error)) (logical.Node, error) {
	var err error
	out := mapPlanExprs(plan, func(e expr.Expr) expr.Expr {
		return expr.Transform(e, func(x expr.Expr) expr.Expr {
			p, ok := x.(*expr.Param)
			if !ok {
				return x
			}
			if p.Index < 1 || p.Index > len(values) {
				if err == nil {
					err = errs.New(errs.KindInvalidArgument, "parameter $%d has no value; bind %d parameter(s)", p.Index, p.Index)
				}
				return x
			}
			lit, e2 := paramLiteral(values[p.Index-1], p.Type, fold)
			if e2 != nil && err == nil {
				err = errs.Wrap(errs.KindInvalidArgument, e2, "parameter $%d", p.Index)
			}
			if lit == nil {
				return x
			}
			return lit
		})
	})
	return out, err
}

// paramLiteral converts a bound parameter value to a literal of the parameter's inferred type.
// The value is either a typed *expr.Literal (as decoded from a client's Arrow parameter batch)
// or a canonical Go value; text for a non-text parameter is parsed like a SQL literal.
func paramLiteral(v any, t arrow.DataType, fold func(expr.Expr) (*expr.Literal, error)) (*expr.Literal, error) {
	var src *expr.Literal
	switch x := v.(type) {
	case nil:
		return expr.NullOf(t), nil
	case *expr.Literal:
		src = x
	case string:
		src = expr.StringLit(x)
	default:
		lit, err := expr.LiteralFromValue(t, v)
		if err != nil {
			return nil, err
		}
		return lit, nil
	}
	if arrow.TypeEqual(src.Type, t) || src.Value == nil {
		return &expr.Literal{Type: t, Value: src.Value}, nil
	}
	return fold(&expr.Cast{Arg: src, Type: t})
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

type governanceMask = governance.ColumnMask

func sameType(a, b arrow.DataType) bool { return arrow.TypeEqual(a, b) }
