package expr

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Canonical names of operators. Every other function is named by its lower-case SQL name.
const (
	FnAdd               = "+"
	FnSub               = "-"
	FnMul               = "*"
	FnDiv               = "/"
	FnMod               = "%"
	FnNeg               = "neg"
	FnEq                = "="
	FnNotEq             = "<>"
	FnLt                = "<"
	FnLtEq              = "<="
	FnGt                = ">"
	FnGtEq              = ">="
	FnAnd               = "and"
	FnOr                = "or"
	FnNot               = "not"
	FnIsNull            = "is_null"
	FnIsNotNull         = "is_not_null"
	FnIsDistinctFrom    = "is_distinct_from"
	FnIsNotDistinctFrom = "is_not_distinct_from"
	FnLike              = "like"  // (value, pattern[, escape])
	FnILike             = "ilike" // (value, pattern[, escape])
	FnConcatOp          = "||"    // NULL if any argument is NULL
)

var infixOperators = map[string]string{
	FnAdd: "+", FnSub: "-", FnMul: "*", FnDiv: "/", FnMod: "%",
	FnEq: "=", FnNotEq: "<>", FnLt: "<", FnLtEq: "<=", FnGt: ">", FnGtEq: ">=",
	FnAnd: "AND", FnOr: "OR", FnConcatOp: "||",
	FnIsDistinctFrom: "IS DISTINCT FROM", FnIsNotDistinctFrom: "IS NOT DISTINCT FROM",
	FnLike: "LIKE", FnILike: "ILIKE",
}

// FuncKind says where a function may appear.
type FuncKind int

const (
	Scalar FuncKind = iota
	Aggregate
	Window // ranking and offset functions; aggregates may also be used as windows
)

// Resolver checks the arguments of a call and returns the types the arguments must be cast to
// (same length as args) and the result type. It sees the argument expressions, not only their
// types, because some results depend on a constant argument (EXTRACT's field).
type Resolver func(args []Expr) (params []arrow.DataType, result arrow.DataType, err error)

// Function describes one registered function.
type Function struct {
	Name string
	Kind FuncKind
	// Resolve is nil for niladic functions that the binder folds (current_date).
	Resolve Resolver
	// Leakproof functions cannot raise an error or otherwise reveal anything about their
	// input beyond their result (DESIGN.md §4): only these may be pushed below a row filter.
	Leakproof bool
	// Usage is shown in errors when the arguments do not fit.
	Usage string
}

// Lookup returns the function registered under name (or an alias of it), case-insensitively.
func Lookup(name string) (*Function, bool) {
	name = strings.ToLower(name)
	if canon, ok := aliases[name]; ok {
		name = canon
	}
	f, ok := registry[name]
	return f, ok
}

// Names lists every registered function name, sorted (for docs and suggestions).
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ResolveCall type-checks a scalar call, inserts the implicit casts its signature asks for and
// returns the typed call. Errors name the function, the argument types and the usage.
func ResolveCall(name string, args []Expr) (Expr, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("function %s does not exist", name)
	}
	if f.Kind != Scalar {
		return nil, fmt.Errorf("%s is not a scalar function", f.Name)
	}
	params, ret, err := f.Resolve(args)
	if err != nil {
		return nil, signatureError(f, args, err)
	}
	return &Call{Func: f.Name, Args: CastAll(args, params), Type: ret}, nil
}

// ResolveAggregate type-checks an aggregate or window function call and returns the casted
// arguments and the result type.
func ResolveAggregate(name string, args []Expr) (*Function, []Expr, arrow.DataType, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, nil, nil, fmt.Errorf("function %s does not exist", name)
	}
	if f.Kind == Scalar {
		return nil, nil, nil, fmt.Errorf("%s is not an aggregate or window function", f.Name)
	}
	params, ret, err := f.Resolve(args)
	if err != nil {
		return nil, nil, nil, signatureError(f, args, err)
	}
	return f, CastAll(args, params), ret, nil
}

func signatureError(f *Function, args []Expr, err error) error {
	types := make([]string, len(args))
	for i, a := range args {
		types[i] = SQLTypeName(a.DataType())
	}
	msg := fmt.Sprintf("function %s(%s): %v", f.Name, strings.Join(types, ", "), err)
	if f.Usage != "" {
		msg += "; usage: " + f.Usage
	}
	return fmt.Errorf("%s", msg)
}

// CastTo wraps e in a cast to t unless it already has type t. A NULL or constant literal is
// retyped in place rather than wrapped, so constant folding stays trivial.
func CastTo(e Expr, t arrow.DataType) Expr {
	if t == nil || arrow.TypeEqual(e.DataType(), t) {
		return e
	}
	if l, ok := e.(*Literal); ok && l.Value == nil {
		return NullOf(t)
	}
	if p, ok := e.(*Param); ok && IsNull(p.Type) {
		return &Param{Index: p.Index, Type: t}
	}
	return &Cast{Arg: e, Type: t}
}

// CastAll casts each argument to its parameter type.
func CastAll(args []Expr, params []arrow.DataType) []Expr {
	out := make([]Expr, len(args))
	for i, a := range args {
		out[i] = CastTo(a, params[i])
	}
	return out
}

var aliases = map[string]string{
	"ceiling": "ceil", "char_length": "length", "character_length": "length",
	"pow": "power", "substr": "substring", "every": "bool_and", "stddev": "stddev_samp",
	"variance": "var_samp", "btrim": "trim", "log": "log10", "position": "strpos",
	"textcat": FnConcatOp,
}

var registry = map[string]*Function{}

func register(f *Function) { registry[f.Name] = f }

func init() {
	for _, op := range []string{FnAdd, FnSub, FnMul, FnDiv, FnMod} {
		register(&Function{Name: op, Resolve: arithmetic(op), Usage: "numeric " + op + " numeric"})
	}
	register(&Function{Name: "mod", Resolve: arithmetic(FnMod), Usage: "mod(numeric, numeric)"})
	register(&Function{Name: FnNeg, Resolve: numericUnary})
	for _, op := range []string{FnEq, FnNotEq, FnLt, FnLtEq, FnGt, FnGtEq, FnIsDistinctFrom, FnIsNotDistinctFrom} {
		register(&Function{Name: op, Resolve: comparison, Leakproof: true})
	}
	for _, op := range []string{FnAnd, FnOr} {
		register(&Function{Name: op, Resolve: fixed([]arrow.DataType{Bool, Bool}, Bool), Leakproof: true})
	}
	register(&Function{Name: FnNot, Resolve: fixed([]arrow.DataType{Bool}, Bool), Leakproof: true})
	for _, op := range []string{FnIsNull, FnIsNotNull} {
		register(&Function{Name: op, Resolve: anyArgs(1, 1, Bool), Leakproof: true})
	}
	for _, op := range []string{FnLike, FnILike} {
		register(&Function{Name: op, Resolve: strings3(2, 3, Bool), Leakproof: true, Usage: "text LIKE pattern [ESCAPE char]"})
	}
	register(&Function{Name: "starts_with", Resolve: strings3(2, 2, Bool), Leakproof: true})
	register(&Function{Name: FnConcatOp, Resolve: concatOp})
	register(&Function{Name: "concat", Resolve: toStrings(String)})
	register(&Function{Name: "coalesce", Resolve: variadicCommon, Leakproof: true})
	register(&Function{Name: "greatest", Resolve: variadicCommon})
	register(&Function{Name: "least", Resolve: variadicCommon})
	register(&Function{Name: "nullif", Resolve: nullif})

	// Strings.
	for _, n := range []string{"lower", "upper", "md5", "reverse", "initcap"} {
		register(&Function{Name: n, Resolve: strings3(1, 1, String)})
	}
	for _, n := range []string{"trim", "ltrim", "rtrim"} {
		register(&Function{Name: n, Resolve: strings3(1, 2, String), Usage: n + "(text [, characters])"})
	}
	register(&Function{Name: "length", Resolve: strings3(1, 1, Int32)})
	register(&Function{Name: "octet_length", Resolve: strings3(1, 1, Int32)})
	register(&Function{Name: "strpos", Resolve: strings3(2, 2, Int32), Usage: "strpos(text, substring) or position(substring IN text)"})
	register(&Function{Name: "replace", Resolve: strings3(3, 3, String)})
	register(&Function{Name: "substring", Resolve: textInts(1, 2, String), Usage: "substring(text, start [, count]) or substring(text FROM start FOR count)"})
	register(&Function{Name: "left", Resolve: textInts(1, 1, String), Usage: "left(text, n)"})
	register(&Function{Name: "right", Resolve: textInts(1, 1, String), Usage: "right(text, n)"})
	register(&Function{Name: "repeat", Resolve: textInts(1, 1, String), Usage: "repeat(text, n)"})
	register(&Function{Name: "lpad", Resolve: pad, Usage: "lpad(text, length [, fill])"})
	register(&Function{Name: "rpad", Resolve: pad, Usage: "rpad(text, length [, fill])"})
	register(&Function{Name: "split_part", Resolve: splitPart, Usage: "split_part(text, delimiter, n)"})
	register(&Function{Name: "sha256", Resolve: sha256Sig, Usage: "sha256(bytea or text) → bytea"})
	register(&Function{Name: "encode", Resolve: encodeSig, Usage: "encode(bytea, 'hex'|'base64')"})
	register(&Function{Name: "to_char", Resolve: toChar, Usage: "to_char(date|timestamp|numeric, format)"})

	// Math.
	register(&Function{Name: "abs", Resolve: numericUnary})
	register(&Function{Name: "sign", Resolve: numericUnary})
	register(&Function{Name: "round", Resolve: roundLike, Usage: "round(numeric [, digits])"})
	register(&Function{Name: "trunc", Resolve: roundLike, Usage: "trunc(numeric [, digits])"})
	register(&Function{Name: "floor", Resolve: floorLike})
	register(&Function{Name: "ceil", Resolve: floorLike})
	for _, n := range []string{"sqrt", "ln", "exp", "log10", "cbrt"} {
		register(&Function{Name: n, Resolve: fixed([]arrow.DataType{Float64}, Float64)})
	}
	register(&Function{Name: "power", Resolve: fixed([]arrow.DataType{Float64, Float64}, Float64)})

	// Dates and times.
	register(&Function{Name: "extract", Resolve: extract, Usage: "EXTRACT(field FROM date|timestamp|interval)"})
	register(&Function{Name: "date_part", Resolve: datePart, Usage: "date_part('field', date|timestamp)"})
	register(&Function{Name: "date_trunc", Resolve: dateTrunc, Usage: "date_trunc('unit', date|timestamp)"})
	register(&Function{Name: "make_date", Resolve: fixed([]arrow.DataType{Int32, Int32, Int32}, Date)})
	// current_date, current_timestamp, now(), localtimestamp are folded to literals by the
	// binder at the query's start time, so every row and every node sees one value.
	for _, n := range []string{"current_date", "current_timestamp", "now", "localtimestamp"} {
		register(&Function{Name: n})
	}

	// Aggregates.
	register(&Function{Name: "count", Kind: Aggregate, Resolve: anyArgs(0, 1, Int64), Usage: "count(*) or count([DISTINCT] expr)"})
	register(&Function{Name: "sum", Kind: Aggregate, Resolve: sumSig})
	register(&Function{Name: "avg", Kind: Aggregate, Resolve: avgSig})
	register(&Function{Name: "min", Kind: Aggregate, Resolve: sameAsArg})
	register(&Function{Name: "max", Kind: Aggregate, Resolve: sameAsArg})
	for _, n := range []string{"stddev_samp", "stddev_pop", "var_samp", "var_pop"} {
		register(&Function{Name: n, Kind: Aggregate, Resolve: numericTo(Float64)})
	}
	register(&Function{Name: "bool_and", Kind: Aggregate, Resolve: fixed([]arrow.DataType{Bool}, Bool)})
	register(&Function{Name: "bool_or", Kind: Aggregate, Resolve: fixed([]arrow.DataType{Bool}, Bool)})
	register(&Function{Name: "string_agg", Kind: Aggregate, Resolve: strings3(2, 2, String), Usage: "string_agg(text, delimiter)"})
	register(&Function{Name: "array_agg", Kind: Aggregate, Resolve: arrayAgg})

	// Window-only functions.
	for _, n := range []string{"row_number", "rank", "dense_rank"} {
		register(&Function{Name: n, Kind: Window, Resolve: fixed(nil, Int64)})
	}
	register(&Function{Name: "percent_rank", Kind: Window, Resolve: fixed(nil, Float64)})
	register(&Function{Name: "cume_dist", Kind: Window, Resolve: fixed(nil, Float64)})
	register(&Function{Name: "ntile", Kind: Window, Resolve: fixed([]arrow.DataType{Int64}, Int32)})
	register(&Function{Name: "lag", Kind: Window, Resolve: lagLead, Usage: "lag(value [, offset [, default]])"})
	register(&Function{Name: "lead", Kind: Window, Resolve: lagLead, Usage: "lead(value [, offset [, default]])"})
	register(&Function{Name: "first_value", Kind: Window, Resolve: sameAsArg})
	register(&Function{Name: "last_value", Kind: Window, Resolve: sameAsArg})
	register(&Function{Name: "nth_value", Kind: Window, Resolve: nthValue})
}

func argCount(args []Expr, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		if lo == hi {
			return fmt.Errorf("expects %d argument(s), got %d", lo, len(args))
		}
		return fmt.Errorf("expects %d to %d arguments, got %d", lo, hi, len(args))
	}
	return nil
}

func fixed(params []arrow.DataType, ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, len(params), len(params)); err != nil {
			return nil, nil, err
		}
		for i, a := range args {
			if !implicitlyCastable(a, params[i]) {
				return nil, nil, fmt.Errorf("argument %d must be %s", i+1, SQLTypeName(params[i]))
			}
		}
		return params, ret, nil
	}
}

// implicitlyCastable reports whether e may be implicitly cast to t: numerics widen to numerics,
// NULLs go anywhere, and untyped string literals go anywhere (the cast checks them).
func implicitlyCastable(e Expr, t arrow.DataType) bool {
	from := e.DataType()
	switch {
	case arrow.TypeEqual(from, t), IsNull(from):
		return true
	case IsNumeric(from) && IsNumeric(t):
		return true
	case IsString(from) && IsString(t):
		return true
	case from.ID() == arrow.DATE32 && t.ID() == arrow.TIMESTAMP:
		return true
	case from.ID() == arrow.TIMESTAMP && t.ID() == arrow.TIMESTAMP:
		return true
	}
	if l, ok := e.(*Literal); ok && IsString(l.Type) {
		return true
	}
	return false
}

func anyArgs(lo, hi int, ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, lo, hi); err != nil {
			return nil, nil, err
		}
		return types(args), ret, nil
	}
}

func types(args []Expr) []arrow.DataType {
	out := make([]arrow.DataType, len(args))
	for i, a := range args {
		out[i] = a.DataType()
	}
	return out
}

func repeatType(t arrow.DataType, n int) []arrow.DataType {
	out := make([]arrow.DataType, n)
	for i := range out {
		out[i] = t
	}
	return out
}

func strings3(lo, hi int, ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, lo, hi); err != nil {
			return nil, nil, err
		}
		for i, a := range args {
			if !implicitlyCastable(a, String) {
				return nil, nil, fmt.Errorf("argument %d must be text", i+1)
			}
		}
		return repeatType(String, len(args)), ret, nil
	}
}

// textInts is (text, integer...) with nInts required and optional integer arguments.
func textInts(req, opt int, ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, 1+req, 1+opt); err != nil {
			return nil, nil, err
		}
		if !implicitlyCastable(args[0], String) {
			return nil, nil, fmt.Errorf("argument 1 must be text")
		}
		params := []arrow.DataType{String}
		for i, a := range args[1:] {
			if !IsInteger(a.DataType()) && !IsNull(a.DataType()) && !isUntypedString(a) {
				return nil, nil, fmt.Errorf("argument %d must be an integer", i+2)
			}
			params = append(params, Int64)
		}
		return params, ret, nil
	}
}

func isUntypedString(e Expr) bool {
	l, ok := e.(*Literal)
	return ok && IsString(l.Type)
}

func pad(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 3); err != nil {
		return nil, nil, err
	}
	params := []arrow.DataType{String, Int64}
	if len(args) == 3 {
		params = append(params, String)
	}
	return params, String, nil
}

func splitPart(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 3, 3); err != nil {
		return nil, nil, err
	}
	return []arrow.DataType{String, String, Int64}, String, nil
}

func sha256Sig(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if !IsString(t) && t.ID() != arrow.BINARY && !IsNull(t) {
		return nil, nil, fmt.Errorf("argument must be bytea or text")
	}
	return []arrow.DataType{Binary}, Binary, nil
}

func encodeSig(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	return []arrow.DataType{Binary, String}, String, nil
}

func toChar(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if !IsTemporal(t) && !IsNumeric(t) && !IsNull(t) {
		return nil, nil, fmt.Errorf("argument 1 must be a date, timestamp or number")
	}
	return []arrow.DataType{t, String}, String, nil
}

func concatOp(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	if args[0].DataType().ID() == arrow.BINARY && args[1].DataType().ID() == arrow.BINARY {
		return []arrow.DataType{Binary, Binary}, Binary, nil
	}
	return []arrow.DataType{String, String}, String, nil
}

func toStrings(ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if len(args) == 0 {
			return nil, nil, fmt.Errorf("expects at least one argument")
		}
		return repeatType(String, len(args)), ret, nil
	}
}

// CommonTypeOf folds CommonType over several expressions, treating untyped string literals as
// adopting the other side's type, as PostgreSQL resolves 'literal' of type unknown.
func CommonTypeOf(args []Expr) (arrow.DataType, error) {
	var t arrow.DataType = Null
	// Typed expressions decide first; untyped string literals follow them.
	for _, a := range args {
		if isUntypedString(a) {
			continue
		}
		ct, err := CommonType(t, a.DataType())
		if err != nil {
			return nil, err
		}
		t = ct
	}
	if IsNull(t) {
		for _, a := range args {
			if isUntypedString(a) {
				return String, nil
			}
		}
	}
	return t, nil
}

func variadicCommon(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("expects at least one argument")
	}
	t, err := CommonTypeOf(args)
	if err != nil {
		return nil, nil, err
	}
	return repeatType(t, len(args)), t, nil
}

func nullif(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	t, err := CommonTypeOf(args)
	if err != nil {
		return nil, nil, err
	}
	return []arrow.DataType{t, t}, t, nil
}

func comparison(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	t, err := CommonTypeOf(args)
	if err != nil {
		return nil, nil, err
	}
	if t.ID() == arrow.INTERVAL_MONTH_DAY_NANO {
		return nil, nil, fmt.Errorf("intervals cannot be compared")
	}
	return []arrow.DataType{t, t}, Bool, nil
}

func numericUnary(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if IsNull(t) || isUntypedString(args[0]) {
		t = Float64
	}
	if !IsNumeric(t) && t.ID() != arrow.INTERVAL_MONTH_DAY_NANO {
		return nil, nil, fmt.Errorf("argument must be numeric")
	}
	return []arrow.DataType{t}, t, nil
}

func numericTo(ret arrow.DataType) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, 1, 1); err != nil {
			return nil, nil, err
		}
		t := args[0].DataType()
		if !IsNumeric(t) && !IsNull(t) {
			return nil, nil, fmt.Errorf("argument must be numeric")
		}
		return []arrow.DataType{ret}, ret, nil
	}
}

func roundLike(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 2); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if IsNull(t) || isUntypedString(args[0]) {
		t = Float64
	}
	if !IsNumeric(t) {
		return nil, nil, fmt.Errorf("argument 1 must be numeric")
	}
	params := []arrow.DataType{t}
	if len(args) == 2 {
		params = append(params, Int32)
	}
	if IsDecimal(t) && len(args) == 1 {
		p, s, _ := DecimalOf(t)
		rt := Decimal(min(p-s+1, MaxDecimalPrecision), 0)
		return params, rt, nil
	}
	if IsDecimal(t) {
		// Rounding can carry into a new leading digit (99.99 to 100.0): one more digit of
		// precision, as the scale stays.
		p, s, _ := DecimalOf(t)
		return params, Decimal(min(p+1, MaxDecimalPrecision), s), nil
	}
	return params, t, nil
}

func floorLike(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if IsNull(t) || isUntypedString(args[0]) {
		t = Float64
	}
	if !IsNumeric(t) {
		return nil, nil, fmt.Errorf("argument must be numeric")
	}
	if IsDecimal(t) {
		p, s, _ := DecimalOf(t)
		return []arrow.DataType{t}, Decimal(min(p-s+1, MaxDecimalPrecision), 0), nil
	}
	return []arrow.DataType{t}, t, nil
}

// DecimalArithmetic returns the result type of a decimal operation, following the SQL Server /
// Spark rules that keep results exact where 38 digits allow: a+b and a-b keep the larger scale
// with one carry digit; a*b adds precisions and scales; a/b keeps at least 6 fractional digits.
func DecimalArithmetic(op string, p1, s1, p2, s2 int32) arrow.DataType {
	switch op {
	case FnAdd, FnSub:
		s := max(s1, s2)
		return Decimal(max(p1-s1, p2-s2)+s+1, s)
	case FnMul:
		return Decimal(p1+p2+1, s1+s2)
	case FnDiv:
		s := max(6, s1+p2+1)
		p := p1 - s1 + s2 + s
		if p > MaxDecimalPrecision {
			// Keep the integer digits, give up fractional ones (but never below 6).
			intDigits := p - s
			s = max(6, MaxDecimalPrecision-intDigits)
			p = MaxDecimalPrecision
		}
		return Decimal(p, min(s, p))
	case FnMod:
		s := max(s1, s2)
		return Decimal(min(p1-s1, p2-s2)+s, s)
	}
	return nil
}

func arithmetic(op string) Resolver {
	return func(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
		if err := argCount(args, 2, 2); err != nil {
			return nil, nil, err
		}
		a, b := args[0].DataType(), args[1].DataType()
		// Untyped string literals and NULLs take the other side's type.
		if isUntypedString(args[0]) || IsNull(a) {
			a = b
		}
		if isUntypedString(args[1]) || IsNull(b) {
			b = a
		}
		if IsNull(a) {
			a, b = Int32, Int32
		}
		if IsString(a) && IsString(b) {
			return nil, nil, fmt.Errorf("operator does not exist for text; cast the arguments to a numeric type")
		}
		switch {
		case IsNumeric(a) && IsNumeric(b):
			t, err := CommonType(a, b)
			if err != nil {
				return nil, nil, err
			}
			if IsDecimal(t) {
				p1, s1, _ := DecimalOf(a)
				p2, s2, _ := DecimalOf(b)
				pa, pb := Decimal(p1, s1), Decimal(p2, s2)
				return []arrow.DataType{pa, pb}, DecimalArithmetic(op, p1, s1, p2, s2), nil
			}
			return []arrow.DataType{t, t}, t, nil
		case a.ID() == arrow.DATE32 && IsInteger(b) && (op == FnAdd || op == FnSub):
			return []arrow.DataType{Date, Int32}, Date, nil
		case IsInteger(a) && b.ID() == arrow.DATE32 && op == FnAdd:
			return []arrow.DataType{Int32, Date}, Date, nil
		case a.ID() == arrow.DATE32 && b.ID() == arrow.DATE32 && op == FnSub:
			return []arrow.DataType{Date, Date}, Int32, nil
		case IsTemporal(a) && b.ID() == arrow.INTERVAL_MONTH_DAY_NANO && (op == FnAdd || op == FnSub):
			// A date plus a whole number of days, months or years stays a date (as in Trino
			// and the SQL standard); the kernel errors if the interval has a time part.
			return []arrow.DataType{a, Interval}, a, nil
		case a.ID() == arrow.INTERVAL_MONTH_DAY_NANO && IsTemporal(b) && op == FnAdd:
			return []arrow.DataType{Interval, b}, b, nil
		case a.ID() == arrow.TIMESTAMP && b.ID() == arrow.TIMESTAMP && op == FnSub:
			t, _ := CommonType(a, b)
			return []arrow.DataType{t, t}, Interval, nil
		case a.ID() == arrow.INTERVAL_MONTH_DAY_NANO && b.ID() == arrow.INTERVAL_MONTH_DAY_NANO && (op == FnAdd || op == FnSub):
			return []arrow.DataType{Interval, Interval}, Interval, nil
		case a.ID() == arrow.INTERVAL_MONTH_DAY_NANO && IsInteger(b) && op == FnMul:
			return []arrow.DataType{Interval, Int64}, Interval, nil
		case IsInteger(a) && b.ID() == arrow.INTERVAL_MONTH_DAY_NANO && op == FnMul:
			return []arrow.DataType{Int64, Interval}, Interval, nil
		}
		return nil, nil, fmt.Errorf("operator %s is not defined for %s and %s", op, SQLTypeName(a), SQLTypeName(b))
	}
}

// Integral EXTRACT fields return bigint; second and epoch can carry fractions and return
// double precision.
var extractFields = map[string]arrow.DataType{
	"year": Int64, "quarter": Int64, "month": Int64, "week": Int64, "day": Int64,
	"dow": Int64, "isodow": Int64, "doy": Int64, "hour": Int64, "minute": Int64,
	"isoyear": Int64, "decade": Int64, "century": Int64, "millennium": Int64,
	"second": Float64, "epoch": Float64, "milliseconds": Float64, "microseconds": Int64,
}

// ExtractField returns the normalised field name of an EXTRACT/date_part call's first argument.
func ExtractField(e Expr) (string, bool) {
	l, ok := e.(*Literal)
	if !ok {
		return "", false
	}
	s, ok := l.Value.(string)
	if !ok {
		return "", false
	}
	s = strings.ToLower(s)
	switch s {
	case "years":
		s = "year"
	case "months", "mon":
		s = "month"
	case "days":
		s = "day"
	case "hours":
		s = "hour"
	case "minutes":
		s = "minute"
	case "seconds":
		s = "second"
	}
	return s, true
}

func extract(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	field, ok := ExtractField(args[0])
	if !ok {
		return nil, nil, fmt.Errorf("the field must be a constant such as year or month")
	}
	ret, ok := extractFields[field]
	if !ok {
		return nil, nil, fmt.Errorf("unknown field %q", field)
	}
	t := args[1].DataType()
	if !IsTemporal(t) && t.ID() != arrow.INTERVAL_MONTH_DAY_NANO {
		if isUntypedString(args[1]) {
			t = Timestamp
		} else {
			return nil, nil, fmt.Errorf("argument 2 must be a date, timestamp or interval")
		}
	}
	return []arrow.DataType{String, t}, ret, nil
}

func datePart(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	params, _, err := extract(args)
	if err != nil {
		return nil, nil, err
	}
	return params, Float64, nil
}

// DateTruncUnits are the units date_trunc accepts.
var DateTruncUnits = []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium"}

func dateTrunc(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	unit, ok := ExtractField(args[0])
	if !ok {
		return nil, nil, fmt.Errorf("the unit must be a constant such as 'month'")
	}
	valid := false
	for _, u := range DateTruncUnits {
		valid = valid || u == unit
	}
	if !valid {
		return nil, nil, fmt.Errorf("unknown unit %q; use one of %s", unit, strings.Join(DateTruncUnits, ", "))
	}
	t := args[1].DataType()
	switch {
	case t.ID() == arrow.DATE32:
		// As in PostgreSQL, a date truncates as timestamp with time zone (midnight in the
		// session's zone).
		return []arrow.DataType{String, TimestampTZ}, TimestampTZ, nil
	case isUntypedString(args[1]):
		return []arrow.DataType{String, Timestamp}, Timestamp, nil
	case t.ID() == arrow.TIMESTAMP:
		return []arrow.DataType{String, t}, t, nil
	}
	return nil, nil, fmt.Errorf("argument 2 must be a date or timestamp")
}

// Aggregate result types follow PostgreSQL where exact (sum of integers is bigint, sum of
// bigint and of numeric is numeric) and Trino where PostgreSQL's unbounded numeric has no
// Arrow equivalent (avg of integers is double; avg of numeric keeps at least 6 fractional
// digits).
func sumSig(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	switch {
	case t.ID() == arrow.INT64:
		return []arrow.DataType{t}, Decimal(38, 0), nil
	case IsInteger(t):
		return []arrow.DataType{t}, Int64, nil
	case IsDecimal(t):
		_, s, _ := DecimalOf(t)
		return []arrow.DataType{t}, Decimal(38, s), nil
	case IsFloat(t), IsNull(t):
		return []arrow.DataType{Float64}, Float64, nil
	case t.ID() == arrow.INTERVAL_MONTH_DAY_NANO:
		return []arrow.DataType{t}, t, nil
	}
	return nil, nil, fmt.Errorf("argument must be numeric")
}

func avgSig(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	switch {
	case IsDecimal(t):
		_, s, _ := DecimalOf(t)
		return []arrow.DataType{t}, Decimal(38, max(s, 6)), nil
	case IsNumeric(t), IsNull(t):
		return []arrow.DataType{Float64}, Float64, nil
	}
	return nil, nil, fmt.Errorf("argument must be numeric")
}

func sameAsArg(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	if isUntypedString(args[0]) {
		t = String
	}
	return []arrow.DataType{t}, t, nil
}

func arrayAgg(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 1); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	return []arrow.DataType{t}, arrow.ListOf(t), nil
}

func lagLead(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 1, 3); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	params := []arrow.DataType{t}
	if len(args) >= 2 {
		params = append(params, Int64)
	}
	if len(args) == 3 {
		params = append(params, t)
	}
	return params, t, nil
}

func nthValue(args []Expr) ([]arrow.DataType, arrow.DataType, error) {
	if err := argCount(args, 2, 2); err != nil {
		return nil, nil, err
	}
	t := args[0].DataType()
	return []arrow.DataType{t, Int64}, t, nil
}
