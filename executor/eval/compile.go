package eval

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// Layout maps a column ID to its position in the input batch.
type Layout map[expr.ColumnID]int

// Evaluator computes a compiled expression over record batches. It is immutable and safe for
// concurrent use by several partitions.
type Evaluator interface {
	// Eval computes the expression for every row of batch; the result has batch.NumRows()
	// rows and is owned by the caller.
	Eval(alloc memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error)
}

// Compile prepares e for evaluation over batches with the given layout: it checks every
// function and type combination against the registry, binds a kernel per call, folds constant
// sub-expressions, and pre-compiles LIKE patterns, IN-list sets and to_char formats.
func Compile(e expr.Expr, layout Layout) (Evaluator, error) {
	c := &compiler{layout: layout}
	root, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	return &evaluator{root: root, typ: e.DataType(), cols: c.cols, pos: c.pos}, nil
}

// IsConstant reports whether e reads no column and no parameter and calls no function whose
// value depends on when it runs (current_date and friends, which the binder folds).
func IsConstant(e expr.Expr) bool {
	constant := true
	expr.Walk(e, func(n expr.Expr) bool {
		switch x := n.(type) {
		case *expr.ColumnRef, *expr.Param:
			constant = false
		case *expr.Call:
			if f, ok := expr.Lookup(x.Func); !ok || f.Resolve == nil {
				constant = false
			}
		}
		return constant
	})
	return constant
}

// FoldConstant evaluates an expression without column references and parameters to a literal
// of the expression's type (the binder folds `date '1998-12-01' - interval '90' day` and
// `CAST('12' AS int)` this way). Evaluation errors are returned as they would be at run time.
func FoldConstant(e expr.Expr) (*expr.Literal, error) {
	if !IsConstant(e) {
		return nil, errs.New(errs.KindInternal, "FoldConstant: expression %s is not constant", e)
	}
	if l, ok := e.(*expr.Literal); ok {
		return l, nil
	}
	c := &compiler{}
	root, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	v, err := evalOneRow(root)
	if err != nil {
		return nil, err
	}
	return expr.Lit(e.DataType(), v), nil
}

// evalOneRow evaluates a column-free node on one row and returns its canonical value.
func evalOneRow(root node) (any, error) {
	if l, ok := root.(*litNode); ok {
		return l.val, nil
	}
	// A private Go allocator: folding happens at plan time, outside any query's budget.
	ctx := &evalCtx{alloc: memory.NewGoAllocator()}
	v, err := root.eval(ctx, &input{n: 1})
	if err != nil {
		return nil, err
	}
	defer v.release()
	if v.arr == nil {
		return v.val, nil
	}
	return expr.ValueAt(v.arr, 0), nil
}

// evaluator is the compiled form of one expression.
type evaluator struct {
	root node
	typ  arrow.DataType
	cols []*expr.ColumnRef // every column read, checked against each batch's schema
	pos  []int
}

var _ Evaluator = (*evaluator)(nil)

func (ev *evaluator) Eval(alloc memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	if err := ev.checkBatch(batch); err != nil {
		return nil, err
	}
	n := int(batch.NumRows())
	ctx := &evalCtx{alloc: alloc}
	v, err := ev.root.eval(ctx, &input{cols: batch.Columns(), n: n})
	if err != nil {
		return nil, err
	}
	if v.arr != nil && v.arr.Len() != n {
		v.release()
		return nil, errs.New(errs.KindInternal, "expression produced %d rows for a batch of %d", v.arr.Len(), n)
	}
	return toArray(alloc, ev.typ, v, n), nil
}

func (ev *evaluator) checkBatch(batch arrow.RecordBatch) error {
	schema := batch.Schema()
	for i, ref := range ev.cols {
		p := ev.pos[i]
		if p >= int(batch.NumCols()) {
			return errs.New(errs.KindInternal, "column %q (#%d) is mapped to position %d but the batch has %d columns",
				ref.Name, ref.ID, p, batch.NumCols())
		}
		if got := schema.Field(p).Type; !sameColumnType(got, ref.Type) {
			return errs.New(errs.KindInternal, "column %q (#%d) has type %s in the batch but %s in the plan",
				ref.Name, ref.ID, expr.SQLTypeName(got), expr.SQLTypeName(ref.Type))
		}
	}
	return nil
}

// sameColumnType accepts any zone name for a timestamp with time zone: values are instants
// either way.
func sameColumnType(got, want arrow.DataType) bool {
	if arrow.TypeEqual(got, want) {
		return true
	}
	g, ok1 := got.(*arrow.TimestampType)
	w, ok2 := want.(*arrow.TimestampType)
	return ok1 && ok2 && g.Unit == w.Unit && (g.TimeZone == "") == (w.TimeZone == "")
}

// node is one compiled expression.
type node interface {
	// eval computes the node over in; the result is owned by the caller.
	eval(c *evalCtx, in *input) (vec, error)
}

// colNode reads an input column.
type colNode struct {
	pos int
	ref *expr.ColumnRef
}

func (n *colNode) eval(_ *evalCtx, in *input) (vec, error) {
	a := in.cols[n.pos]
	if a == nil {
		return vec{}, errs.New(errs.KindInternal, "column %q was not selected for a sub-evaluation", n.ref.Name)
	}
	a.Retain()
	return arrayVec(a), nil
}

// litNode is a constant.
type litNode struct {
	val any
	t   arrow.DataType
}

func (n *litNode) eval(*evalCtx, *input) (vec, error) { return scalarVec(n.val), nil }

// kernel computes a function over arguments of which at least one is an array of n rows.
type kernel func(c *evalCtx, n int, args []vec) (vec, error)

// fnImpl is a bound function. Strict functions are NULL when any argument is NULL, so their
// kernels never see a NULL scalar.
type fnImpl struct {
	strict bool
	run    kernel
}

// callNode evaluates its arguments eagerly and applies a kernel.
type callNode struct {
	name  string
	args  []node
	types []arrow.DataType
	t     arrow.DataType
	impl  fnImpl
}

func (n *callNode) eval(c *evalCtx, in *input) (vec, error) {
	args := make([]vec, len(n.args))
	defer func() { releaseVecs(args) }()
	allScalar := true
	for i, a := range n.args {
		v, err := a.eval(c, in)
		if err != nil {
			return vec{}, err
		}
		if v.arr != nil && v.arr.DataType().ID() == arrow.NULL {
			v.release()
			v = scalarVec(nil)
		}
		args[i] = v
		if v.arr != nil {
			allScalar = false
		}
	}
	// Every argument is evaluated first, as in PostgreSQL, so an error in one is not hidden
	// by a NULL in another.
	if n.impl.strict {
		for _, a := range args {
			if a.isNullScalar() {
				return scalarVec(nil), nil
			}
		}
	}
	if !allScalar {
		return n.impl.run(c, in.n, args)
	}
	return n.evalScalars(c, args)
}

// evalScalars runs the kernel on one-row arrays: every kernel has array paths, so scalar
// folding needs no second implementation.
func (n *callNode) evalScalars(c *evalCtx, args []vec) (vec, error) {
	one := make([]vec, len(args))
	for i, a := range args {
		one[i] = arrayVec(expr.MakeArray(c.alloc, n.types[i], a.val, 1))
	}
	defer releaseVecs(one)
	v, err := n.impl.run(c, 1, one)
	if err != nil {
		return vec{}, err
	}
	if v.arr == nil {
		return v, nil
	}
	defer v.release()
	return scalarVec(expr.ValueAt(v.arr, 0)), nil
}

// compiler turns IR into nodes.
type compiler struct {
	layout Layout
	cols   []*expr.ColumnRef
	pos    []int
}

func (c *compiler) compile(e expr.Expr) (node, error) {
	n, err := c.compileNode(e)
	if err != nil {
		return nil, err
	}
	return c.fold(n), nil
}

// fold pre-evaluates a node whose arguments are all constants. A failing fold is kept as a
// node: the error belongs to run time (the expression may sit in a CASE arm never taken).
func (c *compiler) fold(n node) node {
	call, ok := n.(*callNode)
	if !ok {
		return n
	}
	for _, ch := range call.args {
		if _, ok := ch.(*litNode); !ok {
			return n
		}
	}
	v, err := evalOneRow(n)
	if err != nil {
		return n
	}
	return &litNode{val: v, t: call.t}
}

func (c *compiler) compileNode(e expr.Expr) (node, error) {
	if err := checkType(e.DataType()); err != nil {
		return nil, err
	}
	switch x := e.(type) {
	case *expr.ColumnRef:
		p, ok := c.layout[x.ID]
		if !ok {
			return nil, errs.New(errs.KindInternal, "column %q (#%d) is not in the evaluator's input layout", x.Name, x.ID)
		}
		c.cols = append(c.cols, x)
		c.pos = append(c.pos, p)
		return &colNode{pos: p, ref: x}, nil
	case *expr.Literal:
		if err := expr.ValidateValue(x.Type, x.Value); err != nil {
			return nil, errs.Wrap(errs.KindInternal, err, "literal of type %s", expr.SQLTypeName(x.Type))
		}
		return &litNode{val: x.Value, t: x.Type}, nil
	case *expr.Param:
		return nil, errs.New(errs.KindInvalidArgument, "parameter $%d has no value; bind every parameter before executing", x.Index)
	case *expr.Cast:
		return c.compileCast(x)
	case *expr.Call:
		return c.compileCall(x)
	case *expr.Case:
		return c.compileCase(x)
	case *expr.InList:
		return c.compileInList(x)
	case *expr.Mask:
		return c.compileMask(x)
	}
	return nil, errs.NotSupportedf("expression %T in the evaluator", e)
}

// checkType rejects Arrow types outside meshgate's SQL types.
func checkType(t arrow.DataType) error {
	switch t.ID() {
	case arrow.NULL, arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.STRING, arrow.BINARY,
		arrow.DATE32, arrow.INTERVAL_MONTH_DAY_NANO:
		return nil
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).Unit == arrow.Microsecond {
			return nil
		}
	}
	return errs.NotSupportedf("values of type %s in expressions", expr.SQLTypeName(t))
}

func (c *compiler) compileArgs(args []expr.Expr) ([]node, error) {
	out := make([]node, len(args))
	for i, a := range args {
		n, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func (c *compiler) compileCall(call *expr.Call) (node, error) {
	f, ok := expr.Lookup(call.Func)
	if !ok {
		return nil, errs.New(errs.KindInvalidArgument, "function %s does not exist", call.Func)
	}
	if f.Kind != expr.Scalar {
		return nil, errs.New(errs.KindInternal, "%s is not a scalar function and cannot be evaluated per row", f.Name)
	}
	if f.Resolve == nil {
		return nil, errs.New(errs.KindInternal, "%s() must be folded to a literal by the binder", f.Name)
	}
	params, ret, err := f.Resolve(call.Args)
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "function %s", f.Name)
	}
	if !arrow.TypeEqual(ret, call.Type) {
		return nil, errs.New(errs.KindInternal, "function %s: the plan says it returns %s but its signature returns %s",
			f.Name, expr.SQLTypeName(call.Type), expr.SQLTypeName(ret))
	}
	args := expr.CastAll(call.Args, params)
	switch f.Name {
	case expr.FnAnd, expr.FnOr:
		return c.compileLogic(f.Name, args)
	case "coalesce":
		return c.compileCoalesce(args, ret)
	}
	argNodes, err := c.compileArgs(args)
	if err != nil {
		return nil, err
	}
	impl, err := bindFunction(f.Name, args, argNodes, params, ret)
	if err != nil {
		return nil, err
	}
	return &callNode{name: f.Name, args: argNodes, types: params, t: ret, impl: impl}, nil
}

// constOf returns the value of a constant node.
func constOf(n node) (any, bool) {
	if l, ok := n.(*litNode); ok {
		return l.val, true
	}
	return nil, false
}

// columnName names the column an expression reads directly (through a mask or a cast), for
// error messages; "" when it is not a plain column.
func columnName(e expr.Expr) string {
	for {
		switch x := e.(type) {
		case *expr.ColumnRef:
			return x.Name
		case *expr.Mask:
			e = x.Arg
		case *expr.Cast:
			e = x.Arg
		default:
			return ""
		}
	}
}
