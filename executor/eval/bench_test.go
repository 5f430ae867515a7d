package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/meshgate/meshgate/planner/expr"
)

// Each benchmark runs meshgate's kernel and a baseline alternately in the same loop, then
// reports rows/s for meshgate and the ratio meshgate/baseline (below 1: faster). The baseline
// is arrow compute's kernel where one exists, else the cheapest equivalent (a plain copy of
// the column, or Go's regexp for LIKE).

// benchRows rows are split into batches of the executor's default size, as operators see them.
const (
	benchRows  = 1 << 20
	batchRows  = 64 * 1024
	numBatches = benchRows / batchRows
)

// batches slices a record into executor-sized batches (slices share the buffers).
func batches(rec arrow.RecordBatch) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, 0, numBatches)
	for i := int64(0); i < rec.NumRows(); i += batchRows {
		out = append(out, rec.NewSlice(i, min(i+batchRows, rec.NumRows())))
	}
	return out
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// evalAll evaluates ev over every batch.
func evalAll(b *testing.B, ev Evaluator, alloc memory.Allocator, recs []arrow.RecordBatch) {
	for _, r := range recs {
		mustEval(b, ev, alloc, r)
	}
}

// reuseAllocator recycles freed buffers by size, so the benchmarks measure the kernels rather
// than the garbage collector (both sides of each comparison use it). Not safe for concurrent
// use.
type reuseAllocator struct{ free map[int][][]byte }

func newReuseAllocator() *reuseAllocator { return &reuseAllocator{free: map[int][][]byte{}} }

func (a *reuseAllocator) Allocate(n int) []byte {
	if l := a.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		a.free[n] = l[:len(l)-1]
		return b
	}
	return make([]byte, n)
}

func (a *reuseAllocator) Reallocate(n int, b []byte) []byte {
	nb := a.Allocate(n)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *reuseAllocator) Free(b []byte) {
	if cap(b) > 0 {
		a.free[cap(b)] = append(a.free[cap(b)], b[:cap(b)])
	}
}

func compareBench(b *testing.B, baseline string, ours, base func()) {
	b.Helper()
	var tOurs, tBase time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ours()
		tOurs += time.Since(start)
		start = time.Now()
		base()
		tBase += time.Since(start)
	}
	ratio := float64(tOurs) / float64(tBase)
	rowsPerSec := float64(benchRows) * float64(b.N) / tOurs.Seconds()
	b.ReportMetric(rowsPerSec/1e6, "Mrows/s")
	b.ReportMetric(ratio, "x_"+baseline)
	b.ReportMetric(0, "ns/op") // the loop times two kernels; the metrics above are the result
	if b.N > 1 {
		fmt.Printf("%-40s %8.1f Mrows/s   %.2fx %s\n", b.Name(), rowsPerSec/1e6, ratio, baseline)
	}
}

func benchRecord(cols ...arrow.Array) arrow.RecordBatch {
	return recordOf(cols, cols[0].Len())
}

func mustEval(b *testing.B, ev Evaluator, alloc memory.Allocator, rec arrow.RecordBatch) {
	out, err := ev.Eval(alloc, rec)
	if err != nil {
		b.Fatal(err)
	}
	out.Release()
}

func mustCompile(b *testing.B, e expr.Expr, n int) Evaluator {
	ev, err := Compile(e, layoutN(n))
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

func BenchmarkCompareInt64Literal(b *testing.B) {
	alloc := newReuseAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	bld := array.NewInt64Builder(alloc)
	for i := 0; i < benchRows; i++ {
		bld.Append(rng.Int64N(1000))
	}
	col := bld.NewArray()
	bld.Release()
	rec := benchRecord(col)
	defer rec.Release()
	e, _ := expr.ResolveCall(">", []expr.Expr{ref(0, i64), expr.Int64Lit(500)})
	ev := mustCompile(b, e, 1)
	recs := batches(rec)
	defer releaseAll(recs)
	ctx := compute.WithAllocator(context.Background(), alloc)
	lit := compute.NewDatum(scalar.NewInt64Scalar(500))
	compareBench(b, "arrow-compute", func() { evalAll(b, ev, alloc, recs) }, func() {
		for _, r := range recs {
			out, err := compute.CallFunction(ctx, "greater", nil, compute.NewDatum(r.Column(0)), lit)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	})
}

func decimalColumn(alloc memory.Allocator, rng *rand.Rand, typ *arrow.Decimal128Type, lo, hi int64) arrow.Array {
	bld := array.NewDecimal128Builder(alloc, typ)
	defer bld.Release()
	for i := 0; i < benchRows; i++ {
		bld.Append(decimal128.FromI64(lo + rng.Int64N(hi-lo)))
	}
	return bld.NewArray()
}

func BenchmarkDecimalMultiply(b *testing.B) {
	alloc := newReuseAllocator()
	rng := rand.New(rand.NewPCG(3, 4))
	d152 := expr.Decimal(15, 2).(*arrow.Decimal128Type)
	price := decimalColumn(alloc, rng, d152, 90000, 10495000) // l_extendedprice
	disc := decimalColumn(alloc, rng, d152, 0, 11)            // l_discount 0.00..0.10
	rec := benchRecord(price, disc)
	defer rec.Release()
	e, _ := expr.ResolveCall("*", []expr.Expr{ref(0, d152), ref(1, d152)})
	ev := mustCompile(b, e, 2)
	recs := batches(rec)
	defer releaseAll(recs)
	ctx := compute.WithAllocator(context.Background(), alloc)
	compareBench(b, "arrow-compute", func() { evalAll(b, ev, alloc, recs) }, func() {
		for _, r := range recs {
			out, err := compute.Multiply(ctx, compute.ArithmeticOptions{}, compute.NewDatum(r.Column(0)), compute.NewDatum(r.Column(1)))
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	})
}

// BenchmarkDecimalTPCHQ1 evaluates Q1's l_extendedprice * (1 - l_discount) * (1 + l_tax),
// whose last product is typed decimal(38,6), against arrow compute's same chain.
func BenchmarkDecimalTPCHQ1(b *testing.B) {
	alloc := newReuseAllocator()
	rng := rand.New(rand.NewPCG(5, 6))
	d152 := expr.Decimal(15, 2).(*arrow.Decimal128Type)
	price := decimalColumn(alloc, rng, d152, 90000, 10495000)
	disc := decimalColumn(alloc, rng, d152, 0, 11)
	tax := decimalColumn(alloc, rng, d152, 0, 9)
	rec := benchRecord(price, disc, tax)
	defer rec.Release()
	one := expr.Int32Lit(1)
	e, _ := expr.ResolveCall("-", []expr.Expr{one, ref(1, d152)})
	e, _ = expr.ResolveCall("*", []expr.Expr{ref(0, d152), e})
	t, _ := expr.ResolveCall("+", []expr.Expr{one, ref(2, d152)})
	e, _ = expr.ResolveCall("*", []expr.Expr{e, t})
	ev := mustCompile(b, e, 3)
	ctx := compute.WithAllocator(context.Background(), alloc)
	oneD := compute.NewDatum(scalar.NewDecimal128Scalar(decimal128.FromI64(100), d152))
	recs := batches(rec)
	defer releaseAll(recs)
	compareBench(b, "arrow-compute", func() { evalAll(b, ev, alloc, recs) }, func() {
		for _, r := range recs {
			chainQ1(b, ctx, oneD, r)
		}
	})
}

func chainQ1(b *testing.B, ctx context.Context, oneD compute.Datum, r arrow.RecordBatch) {
	cols := []compute.Datum{compute.NewDatum(r.Column(0)), compute.NewDatum(r.Column(1)), compute.NewDatum(r.Column(2))}
	{
		opts := compute.ArithmeticOptions{}
		d, err := compute.Subtract(ctx, opts, oneD, cols[1])
		if err != nil {
			b.Fatal(err)
		}
		p, err := compute.Multiply(ctx, opts, cols[0], d)
		if err != nil {
			b.Fatal(err)
		}
		tx, err := compute.Add(ctx, opts, oneD, cols[2])
		if err != nil {
			b.Fatal(err)
		}
		out, err := compute.Multiply(ctx, opts, p, tx)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range []compute.Datum{d, p, tx, out} {
			x.Release()
		}
	}
}

var commentWords = strings.Fields("carefully final deposits special requests sleep quickly among the furiously " +
	"ironic pending accounts express packages haggle blithely regular theodolites boost slyly bold")

func commentColumn(alloc memory.Allocator, rng *rand.Rand) arrow.Array {
	bld := array.NewStringBuilder(alloc)
	defer bld.Release()
	var sb strings.Builder
	for i := 0; i < benchRows; i++ {
		sb.Reset()
		for w := 0; w < 5+rng.IntN(4); w++ {
			if w > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(commentWords[rng.IntN(len(commentWords))])
		}
		bld.Append(sb.String())
	}
	return bld.NewArray()
}

func BenchmarkLikeSpecialRequests(b *testing.B) {
	alloc := newReuseAllocator()
	rec := benchRecord(commentColumn(alloc, rand.New(rand.NewPCG(7, 8))))
	defer rec.Release()
	e, _ := expr.ResolveCall("like", []expr.Expr{ref(0, str), expr.StringLit("%special%requests%")})
	ev := mustCompile(b, e, 1)
	re := regexp.MustCompile(`^(?s:.*special.*requests.*)$`)
	recs := batches(rec)
	defer releaseAll(recs)
	compareBench(b, "go-regexp", func() { evalAll(b, ev, alloc, recs) }, func() {
		for _, r := range recs {
			col := r.Column(0).(*array.String)
			bld := array.NewBooleanBuilder(alloc)
			bld.Reserve(col.Len())
			for i := 0; i < col.Len(); i++ {
				bld.UnsafeAppend(re.MatchString(col.Value(i)))
			}
			bld.NewArray().Release()
			bld.Release()
		}
	})
}

// copyStrings is the baseline for text kernels: a plain copy of the column's offsets and bytes.
func copyStrings(alloc memory.Allocator, a arrow.Array) {
	offs, data := binCols(a)
	ob, o := newFixed[int32](alloc, len(offs))
	base := offs[0]
	for i, v := range offs {
		o[i] = v - base
	}
	db := memory.NewResizableBuffer(alloc)
	db.Resize(int(offs[len(offs)-1] - base))
	copy(db.Bytes(), data[base:offs[len(offs)-1]])
	makeArray(expr.String, a.Len(), nil, 0, ob, db).Release()
}

// copyWithBuilder copies a text column value by value, as an operator that rebuilds a column
// would.
func copyWithBuilder(alloc memory.Allocator, a *array.String) {
	bld := array.NewStringBuilder(alloc)
	bld.Reserve(a.Len())
	offs, _ := binCols(a)
	if len(offs) > 0 {
		bld.ReserveData(int(offs[len(offs)-1] - offs[0]))
	}
	for i := 0; i < a.Len(); i++ {
		bld.Append(a.Value(i))
	}
	bld.NewArray().Release()
	bld.Release()
}

func BenchmarkSubstring(b *testing.B) {
	alloc := newReuseAllocator()
	rec := benchRecord(commentColumn(alloc, rand.New(rand.NewPCG(9, 10))))
	defer rec.Release()
	e, _ := expr.ResolveCall("substring", []expr.Expr{ref(0, str), expr.Int64Lit(3), expr.Int64Lit(10)})
	ev := mustCompile(b, e, 1)
	recs := batches(rec)
	defer releaseAll(recs)
	compareBench(b, "column-copy", func() { evalAll(b, ev, alloc, recs) }, func() { copyAll(alloc, recs) })
}

func copyAll(alloc memory.Allocator, recs []arrow.RecordBatch) {
	for _, r := range recs {
		copyStrings(alloc, r.Column(0))
	}
}

func BenchmarkCastStringToDate(b *testing.B) {
	alloc := newReuseAllocator()
	rng := rand.New(rand.NewPCG(11, 12))
	bld := array.NewStringBuilder(alloc)
	for i := 0; i < benchRows; i++ {
		d := time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(2500))
		bld.Append(d.Format("2006-01-02"))
	}
	rec := benchRecord(bld.NewArray())
	bld.Release()
	defer rec.Release()
	ev := mustCompile(b, &expr.Cast{Arg: ref(0, str), Type: expr.Date}, 1)
	recs := batches(rec)
	defer releaseAll(recs)
	ctx := compute.WithAllocator(context.Background(), alloc)
	target := arrow.DataType(arrow.FixedWidthTypes.Date32)
	baseline := "arrow-compute"
	if _, err := compute.CastArray(ctx, recs[0].Column(0), compute.SafeCastOptions(target)); err != nil {
		// arrow compute cannot cast text to date32: compare with text to timestamp instead.
		target, baseline = &arrow.TimestampType{Unit: arrow.Second}, "arrow-compute-to-timestamp"
	}
	compareBench(b, baseline, func() { evalAll(b, ev, alloc, recs) }, func() {
		for _, r := range recs {
			out, err := compute.CastArray(ctx, r.Column(0), compute.SafeCastOptions(target))
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	})
}

func phoneColumn(alloc memory.Allocator, rng *rand.Rand) arrow.Array {
	bld := array.NewStringBuilder(alloc)
	defer bld.Release()
	for i := 0; i < benchRows; i++ {
		bld.Append(fmt.Sprintf("%02d-%03d-%03d-%04d", 10+rng.IntN(25), rng.IntN(1000), rng.IntN(1000), rng.IntN(10000)))
	}
	return bld.NewArray()
}

func BenchmarkMask(b *testing.B) {
	alloc := newReuseAllocator()
	rec := benchRecord(phoneColumn(alloc, rand.New(rand.NewPCG(13, 14))))
	defer rec.Release()
	recs := batches(rec)
	defer releaseAll(recs)
	for _, m := range []*expr.Mask{
		{Arg: ref(0, str), Kind: expr.MaskRedact, Type: str},
		{Arg: ref(0, str), Kind: expr.MaskShowLast, N: 4, Type: str},
		{Arg: ref(0, str), Kind: expr.MaskHash, Key: []byte("domain-key"), Type: str},
	} {
		ev := mustCompile(b, m, 1)
		b.Run(string(m.Kind)+"/vs-memcpy", func(b *testing.B) {
			compareBench(b, "column-copy", func() { evalAll(b, ev, alloc, recs) }, func() { copyAll(alloc, recs) })
		})
		b.Run(string(m.Kind)+"/vs-builder", func(b *testing.B) {
			compareBench(b, "builder-copy", func() { evalAll(b, ev, alloc, recs) }, func() {
				for _, r := range recs {
					copyWithBuilder(alloc, r.Column(0).(*array.String))
				}
			})
		})
	}
}
