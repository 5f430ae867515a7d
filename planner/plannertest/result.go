package plannertest

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/executor/eval"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/expr"
)

// Result is a query result in PostgreSQL's text output format: each cell is the text psql
// would show, nil for NULL.
type Result struct {
	Columns []string
	// Kinds classify each column for comparison (see Kind).
	Kinds []Kind
	Rows  [][]*string
}

// Kind is how a column's values are compared.
type Kind int

const (
	// KindText compares exactly.
	KindText Kind = iota
	// KindInteger compares exactly.
	KindInteger
	// KindNumber compares numerically with a relative tolerance (floats, decimals).
	KindNumber
	// KindBool compares exactly (t/f).
	KindBool
	// KindPaddedText is PostgreSQL's char(n): trailing blanks are insignificant.
	KindPaddedText
	// KindOther (dates, timestamps, intervals, bytea) compares exactly.
	KindOther
)

// kindOfArrow classifies a meshgate result column.
func kindOfArrow(t arrow.DataType) Kind {
	switch {
	case expr.IsInteger(t):
		return KindInteger
	case expr.IsFloat(t), expr.IsDecimal(t):
		return KindNumber
	case expr.IsString(t):
		return KindText
	case t.ID() == arrow.BOOL:
		return KindBool
	}
	return KindOther
}

// Run prepares and executes sql on p as principal and returns the result as text. The
// reader is drained and released; errors are the planner's.
func Run(ctx context.Context, p *planner.Planner, principal *governance.Principal, sql string) (*Result, error) {
	st, err := p.Prepare(ctx, planner.Request{Principal: principal, SQL: sql})
	if err != nil {
		return nil, err
	}
	rdr, err := st.Execute(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	return FromReader(rdr)
}

// FromReader renders every batch of rdr as text.
func FromReader(rdr array.RecordReader) (*Result, error) {
	schema := rdr.Schema()
	res := &Result{}
	formatters := make([]eval.Evaluator, schema.NumFields())
	for i, f := range schema.Fields() {
		res.Columns = append(res.Columns, f.Name)
		res.Kinds = append(res.Kinds, kindOfArrow(f.Type))
		ev, err := eval.Compile(expr.CastTo(&expr.ColumnRef{ID: expr.ColumnID(i), Name: f.Name, Type: f.Type}, expr.String), eval.Layout{expr.ColumnID(i): i})
		if err != nil {
			return nil, fmt.Errorf("column %s of type %s has no text form: %w", f.Name, f.Type, err)
		}
		formatters[i] = ev
	}
	alloc := memory.NewGoAllocator()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		cols := make([]*array.String, len(formatters))
		for i, f := range formatters {
			arr, err := f.Eval(alloc, rec)
			if err != nil {
				return nil, err
			}
			defer arr.Release()
			cols[i] = arr.(*array.String)
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			row := make([]*string, len(cols))
			for i, c := range cols {
				if c.IsValid(r) {
					s := strings.Clone(c.Value(r))
					if res.Kinds[i] == KindBool {
						// boolean::text is 'true', but PostgreSQL outputs booleans as t/f.
						s = s[:1]
					}
					row[i] = &s
				}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, rdr.Err()
}

// PostgreSQL type OIDs the comparison cares about.
const (
	oidBool    = 16
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidFloat4  = 700
	oidFloat8  = 701
	oidBpchar  = 1042
	oidNumeric = 1700
	oidText    = 25
	oidVarchar = 1043
)

// RunPostgres runs sql on conn and returns PostgreSQL's text output.
func RunPostgres(ctx context.Context, conn *pgx.Conn, sql string) (*Result, error) {
	rows, err := conn.Query(ctx, sql, pgx.QueryResultFormats{pgx.TextFormatCode})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &Result{}
	for _, fd := range rows.FieldDescriptions() {
		res.Columns = append(res.Columns, fd.Name)
		k := KindOther
		switch fd.DataTypeOID {
		case oidInt2, oidInt4, oidInt8:
			k = KindInteger
		case oidFloat4, oidFloat8, oidNumeric:
			k = KindNumber
		case oidBpchar:
			k = KindPaddedText
		case oidText, oidVarchar:
			k = KindText
		case oidBool:
			k = KindBool
		}
		res.Kinds = append(res.Kinds, k)
	}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// Compare options.
type CompareOptions struct {
	// Ordered compares rows in order; rows whose OrderKeys cells are equal (ties) may come
	// in any order. Otherwise results compare as multisets.
	Ordered bool
	// OrderKeys are the column positions the query orders by; empty means every column
	// (no ties possible beyond duplicate rows).
	OrderKeys []int
	// RelTolerance is the relative tolerance of numeric cells; default 1e-9.
	RelTolerance float64
}

// Compare reports the first difference between want (PostgreSQL) and got (meshgate), or "".
func Compare(want, got *Result, opts CompareOptions) string {
	if opts.RelTolerance == 0 {
		opts.RelTolerance = 1e-9
	}
	if len(want.Columns) != len(got.Columns) {
		return fmt.Sprintf("want %d columns %v, got %d %v", len(want.Columns), want.Columns, len(got.Columns), got.Columns)
	}
	if len(want.Rows) != len(got.Rows) {
		return fmt.Sprintf("want %d rows, got %d\nwant (first rows):\n%s\ngot (first rows):\n%s", len(want.Rows), len(got.Rows), head(want, 10), head(got, 10))
	}
	kinds := mergeKinds(want.Kinds, got.Kinds)
	cellEq := func(a, b *string, k Kind) bool { return CellsEqual(a, b, k, opts.RelTolerance) }
	rowEq := func(a, b []*string) bool {
		for i := range a {
			if !cellEq(a[i], b[i], kinds[i]) {
				return false
			}
		}
		return true
	}
	if !opts.Ordered {
		w, g := sortedRows(want.Rows, kinds), sortedRows(got.Rows, kinds)
		for i := range w {
			if !rowEq(w[i], g[i]) {
				return fmt.Sprintf("rows differ (as multisets, sorted): row %d: want %s, got %s", i, FormatRow(w[i]), FormatRow(g[i]))
			}
		}
		return ""
	}
	keys := opts.OrderKeys
	if len(keys) == 0 {
		for i := range want.Columns {
			keys = append(keys, i)
		}
	}
	keyEq := func(a, b []*string) bool {
		for _, k := range keys {
			if !cellEq(a[k], b[k], kinds[k]) {
				return false
			}
		}
		return true
	}
	// Walk groups of rows tied on the order keys; within a group compare as multisets.
	for start := 0; start < len(want.Rows); {
		end := start + 1
		for end < len(want.Rows) && keyEq(want.Rows[start], want.Rows[end]) {
			end++
		}
		for i := start; i < end; i++ {
			if !keyEq(want.Rows[start], got.Rows[i]) {
				return fmt.Sprintf("row %d: order keys differ: want %s, got %s", i, FormatRow(want.Rows[i]), FormatRow(got.Rows[i]))
			}
		}
		w, g := sortedRows(want.Rows[start:end], kinds), sortedRows(got.Rows[start:end], kinds)
		for i := range w {
			if !rowEq(w[i], g[i]) {
				return fmt.Sprintf("row %d: want %s, got %s", start+i, FormatRow(w[i]), FormatRow(g[i]))
			}
		}
		start = end
	}
	return ""
}

func mergeKinds(a, b []Kind) []Kind {
	out := make([]Kind, len(a))
	for i := range a {
		out[i] = a[i]
		if i < len(b) && (b[i] == KindNumber || a[i] == KindNumber) {
			out[i] = KindNumber
		}
		if a[i] == KindPaddedText || (i < len(b) && b[i] == KindPaddedText) {
			out[i] = KindPaddedText
		}
	}
	return out
}

// CellsEqual compares two cells of kind k.
func CellsEqual(a, b *string, k Kind, relTol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch k {
	case KindNumber:
		return NumbersEqual(*a, *b, relTol)
	case KindPaddedText:
		return strings.TrimRight(*a, " ") == strings.TrimRight(*b, " ")
	}
	return *a == *b
}

// NumbersEqual compares two numbers in text form: equal values; decimals written with
// different scales that agree once the longer is rounded to the shorter one's scale
// (PostgreSQL's numeric division and avg keep more digits than meshgate's decimal128); or
// values within relTol relative to the larger magnitude (floating-point sums in another
// order).
func NumbersEqual(a, b string, relTol float64) bool {
	if a == b {
		return true
	}
	ra, okA := new(big.Rat).SetString(a)
	rb, okB := new(big.Rat).SetString(b)
	if !okA || !okB {
		return a == b // NaN, Infinity
	}
	if ra.Cmp(rb) == 0 {
		return true
	}
	if sa, sb, ok := decimalScales(a, b); ok && sa != sb {
		s := min(sa, sb)
		if roundRat(ra, s).Cmp(roundRat(rb, s)) == 0 {
			return true
		}
	}
	fa, _ := ra.Float64()
	fb, _ := rb.Float64()
	diff := math.Abs(fa - fb)
	scale := math.Max(math.Abs(fa), math.Abs(fb))
	return diff <= relTol*scale || diff < 1e-300
}

// decimalScales returns the number of fractional digits of two plain decimal numerals.
func decimalScales(a, b string) (int, int, bool) {
	scale := func(s string) (int, bool) {
		if strings.ContainsAny(s, "eEnN") {
			return 0, false
		}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			return len(s) - i - 1, true
		}
		return 0, true
	}
	sa, okA := scale(a)
	sb, okB := scale(b)
	return sa, sb, okA && okB
}

// roundRat rounds r to scale fractional digits, halves away from zero (as numeric does).
func roundRat(r *big.Rat, scale int) *big.Rat {
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow))
	num, den := scaled.Num(), scaled.Denom()
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, pow)
}

// sortedRows returns rows sorted by a canonical key, numbers by value.
func sortedRows(rows [][]*string, kinds []Kind) [][]*string {
	out := append([][]*string(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool { return rowLess(out[i], out[j], kinds) })
	return out
}

func rowLess(a, b []*string, kinds []Kind) bool {
	for i := range a {
		if c := cellCompare(a[i], b[i], kinds[i]); c != 0 {
			return c < 0
		}
	}
	return false
}

func cellCompare(a, b *string, k Kind) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch k {
	case KindNumber, KindInteger:
		ra, okA := new(big.Rat).SetString(*a)
		rb, okB := new(big.Rat).SetString(*b)
		if okA && okB {
			// Round to 9 significant digits so values within tolerance sort together.
			fa, _ := ra.Float64()
			fb, _ := rb.Float64()
			fa, fb = roundSig(fa), roundSig(fb)
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	case KindPaddedText:
		return strings.Compare(strings.TrimRight(*a, " "), strings.TrimRight(*b, " "))
	}
	return strings.Compare(*a, *b)
}

func roundSig(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	mag := math.Pow(10, 8-math.Floor(math.Log10(math.Abs(f))))
	return math.Round(f*mag) / mag
}

// FormatRow renders a row as tab-separated text, NULL for NULL.
func FormatRow(row []*string) string {
	parts := make([]string, len(row))
	for i, c := range row {
		if c == nil {
			parts[i] = "NULL"
		} else {
			parts[i] = *c
		}
	}
	return strings.Join(parts, "\t")
}

func head(r *Result, n int) string {
	var b strings.Builder
	for i, row := range r.Rows {
		if i == n {
			fmt.Fprintf(&b, "… %d more\n", len(r.Rows)-n)
			break
		}
		b.WriteString(FormatRow(row) + "\n")
	}
	return b.String()
}
