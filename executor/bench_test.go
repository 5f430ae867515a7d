package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/planner/expr"
)

// batchesPlan serves prepared batches (split round-robin over partitions) without copying:
// benchmark inputs are built once, outside the timed loop.
type batchesPlan struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	parts   int
}

func (p *batchesPlan) Schema() *arrow.Schema      { return p.schema }
func (p *batchesPlan) Partitions() int            { return p.parts }
func (p *batchesPlan) Children() []Plan           { return nil }
func (p *batchesPlan) Describe() (string, string) { return "Batches", "" }
func (p *batchesPlan) Execute(_ context.Context, _ *TaskContext, part int) (Stream, error) {
	var mine []arrow.RecordBatch
	for i := part; i < len(p.batches); i += p.parts {
		p.batches[i].Retain()
		mine = append(mine, p.batches[i])
	}
	return &batchStream{batches: mine}, nil
}

func benchRows(b *testing.B, full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// runCount executes a plan and returns its output row count.
func runCount(b *testing.B, plan Plan) int64 {
	tc := NewTaskContext(memory.NewGoAllocator(), 0)
	batches, err := Collect(context.Background(), tc, plan)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, bt := range batches {
		n += bt.NumRows()
	}
	releaseBatches(batches)
	return n
}

// report prints rows/s of the operator and of the baseline and their ratio.
func report(b *testing.B, rows int, opTime, baseTime time.Duration, what, base string) {
	opRate := float64(rows) * float64(b.N) / opTime.Seconds()
	baseRate := float64(rows) * float64(b.N) / baseTime.Seconds()
	b.ReportMetric(opRate, "rows/s")
	b.ReportMetric(baseRate, "baseline-rows/s")
	b.ReportMetric(opRate/baseRate, "x-baseline")
	fmt.Printf("%s: %.1f Mrows/s; %s: %.1f Mrows/s; ratio %.2fx (GOMAXPROCS=%d)\n",
		what, opRate/1e6, base, baseRate/1e6, opRate/baseRate, runtime.GOMAXPROCS(0))
}

// BenchmarkHashAggregateQ1 is TPC-H Q1's shape: two one-letter text keys forming 4 groups,
// four decimal sums, three decimal averages and a count over millions of rows, as
// Partial → Coalesce → Final. The baseline is a plain Go map keyed by the two letters with
// unchecked int64 sums of the unscaled decimals, row at a time.
func BenchmarkHashAggregateQ1(b *testing.B) {
	rows := benchRows(b, 6_000_000, 600_000)
	dec := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l_returnflag", Type: str}, {Name: "l_linestatus", Type: str},
		{Name: "l_quantity", Type: dec}, {Name: "l_extendedprice", Type: dec},
		{Name: "l_discount", Type: dec}, {Name: "disc_price", Type: dec}, {Name: "charge", Type: dec},
	}, nil)
	alloc := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 1))
	var batches []arrow.RecordBatch
	flags, status := []string{"A", "N", "R"}, []string{"F", "O"}
	for from := 0; from < rows; from += DefaultBatchRows {
		n := min(DefaultBatchRows, rows-from)
		bs := make([]array.Builder, schema.NumFields())
		for i, f := range schema.Fields() {
			bs[i] = array.NewBuilder(alloc, f.Type)
		}
		for range n {
			fl := rng.IntN(3)
			st := 0
			if fl == 1 {
				st = rng.IntN(2)
			}
			bs[0].(*array.StringBuilder).Append(flags[fl])
			bs[1].(*array.StringBuilder).Append(status[st])
			for c := 2; c < 7; c++ {
				bs[c].(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(10_000_000)))
			}
		}
		cols := make([]arrow.Array, len(bs))
		for i, bl := range bs {
			cols[i] = bl.NewArray()
			bl.Release()
		}
		batches = append(batches, makeBatch(schema, cols, n))
	}
	defer releaseBatches(batches)
	src := &batchesPlan{schema: schema, batches: batches, parts: runtime.GOMAXPROCS(0)}
	aggs := []Aggregate{
		{Func: "sum", Args: []int{2}}, {Func: "sum", Args: []int{3}}, {Func: "sum", Args: []int{5}}, {Func: "sum", Args: []int{6}},
		{Func: "avg", Args: []int{2}}, {Func: "avg", Args: []int{3}}, {Func: "avg", Args: []int{4}}, {Func: "count"},
	}
	partial, err := NewHashAggregate(src, HashAggregateOptions{Mode: AggregatePartial, GroupKeys: []int{0, 1}, Aggregates: aggs})
	if err != nil {
		b.Fatal(err)
	}
	final, err := NewFinalAggregate(partial, NewCoalesce(partial))
	if err != nil {
		b.Fatal(err)
	}
	var opTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if n := runCount(b, final); n != 4 {
			b.Fatalf("got %d groups", n)
		}
		opTime += time.Since(start)
	}
	b.StopTimer()
	start := time.Now()
	for range b.N {
		q1Baseline(batches)
	}
	report(b, rows, opTime, time.Since(start), "HashAggregate Q1", "Go map baseline")
}

func q1Baseline(batches []arrow.RecordBatch) map[string]*[8]int64 {
	groups := map[string]*[8]int64{}
	for _, bt := range batches {
		f, s := bt.Column(0).(*array.String), bt.Column(1).(*array.String)
		cols := make([]*array.Decimal128, 5)
		for i := range cols {
			cols[i] = bt.Column(2 + i).(*array.Decimal128)
		}
		for r := 0; r < int(bt.NumRows()); r++ {
			k := f.Value(r) + s.Value(r)
			g := groups[k]
			if g == nil {
				g = &[8]int64{}
				groups[k] = g
			}
			for i, c := range cols {
				g[i] += int64(c.Value(r).LowBits())
			}
			g[7]++
		}
	}
	return groups
}

// BenchmarkHashJoin joins a probe side 4x the build side on an int64 key (every probe row
// matches one build row), scaled down from TPC-H's 6M lineitem × 1.5M orders. The baseline
// builds a Go map and probes it row at a time, summing a payload instead of materializing
// output batches.
func BenchmarkHashJoin(b *testing.B) {
	buildRows := benchRows(b, 1_500_000, 150_000)
	probeRows := 4 * buildRows
	schema := schemaOf(i64, i64)
	alloc := memory.NewGoAllocator()
	mk := func(n int, key func(i int) int64) []arrow.RecordBatch {
		var out []arrow.RecordBatch
		for from := 0; from < n; from += DefaultBatchRows {
			cnt := min(DefaultBatchRows, n-from)
			kb, vb := array.NewInt64Builder(alloc), array.NewInt64Builder(alloc)
			for i := from; i < from+cnt; i++ {
				kb.Append(key(i))
				vb.Append(int64(i))
			}
			k, v := kb.NewArray(), vb.NewArray()
			kb.Release()
			vb.Release()
			out = append(out, makeBatch(schema, []arrow.Array{k, v}, cnt))
		}
		return out
	}
	rng := rand.New(rand.NewPCG(2, 2))
	perm := rng.Perm(buildRows)
	build := mk(buildRows, func(i int) int64 { return int64(perm[i]) * 7 })
	probe := mk(probeRows, func(i int) int64 { return int64(rng.IntN(buildRows)) * 7 })
	defer releaseBatches(build)
	defer releaseBatches(probe)
	parts := runtime.GOMAXPROCS(0)
	j, err := NewHashJoin(&batchesPlan{schema: schema, batches: probe, parts: parts}, &batchesPlan{schema: schema, batches: build, parts: parts},
		HashJoinOptions{Kind: expr.InnerJoin, Keys: []JoinKey{{0, 0}}})
	if err != nil {
		b.Fatal(err)
	}
	var opTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if n := runCount(b, j); n != int64(probeRows) {
			b.Fatalf("got %d rows", n)
		}
		opTime += time.Since(start)
	}
	b.StopTimer()
	start := time.Now()
	for range b.N {
		joinBaseline(build, probe)
	}
	report(b, probeRows+buildRows, opTime, time.Since(start), "HashJoin", "Go map baseline")
}

func joinBaseline(build, probe []arrow.RecordBatch) int64 {
	m := map[int64]int64{}
	for _, bt := range build {
		k, v := bt.Column(0).(*array.Int64), bt.Column(1).(*array.Int64)
		for r := 0; r < k.Len(); r++ {
			m[k.Value(r)] = v.Value(r)
		}
	}
	var sum int64
	for _, bt := range probe {
		k := bt.Column(0).(*array.Int64)
		for r := 0; r < k.Len(); r++ {
			if v, ok := m[k.Value(r)]; ok {
				sum += v
			}
		}
	}
	return sum
}

// BenchmarkSortVsTopN orders random rows and keeps 100: TopN against Sort + merge + Limit
// on the same input (the ratio is TopN's speed-up), and the full Sort against a Go
// slices.SortFunc of the key column as baseline.
func BenchmarkSortVsTopN(b *testing.B) {
	rows := benchRows(b, 2_000_000, 200_000)
	schema := schemaOf(i64, str)
	alloc := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(3, 3))
	var batches []arrow.RecordBatch
	for from := 0; from < rows; from += DefaultBatchRows {
		n := min(DefaultBatchRows, rows-from)
		kb, sb := array.NewInt64Builder(alloc), array.NewStringBuilder(alloc)
		for range n {
			kb.Append(rng.Int64())
			sb.Append("payload")
		}
		k, s := kb.NewArray(), sb.NewArray()
		kb.Release()
		sb.Release()
		batches = append(batches, makeBatch(schema, []arrow.Array{k, s}, n))
	}
	defer releaseBatches(batches)
	src := &batchesPlan{schema: schema, batches: batches, parts: runtime.GOMAXPROCS(0)}
	keys := []SortColumn{{Column: 0}}
	top, _ := NewTopN(src, keys, 0, 100)
	s, _ := NewSort(src, keys)
	m, _ := NewSortPreservingMerge(s, keys)
	sortLimit, _ := NewLimit(m, 0, 100)
	var topTime, sortTime, baseTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		runCount(b, top)
		topTime += time.Since(start)
	}
	b.StopTimer()
	for range b.N {
		start := time.Now()
		runCount(b, sortLimit)
		sortTime += time.Since(start)
		start = time.Now()
		sortBaseline(batches)
		baseTime += time.Since(start)
	}
	report(b, rows, topTime, sortTime, "TopN(100)", "Sort+Limit(100)")
	report(b, rows, sortTime, baseTime, "Sort+Limit(100)", "Go slices.SortFunc on the key column")
}

func sortBaseline(batches []arrow.RecordBatch) []int64 {
	var keys []int64
	for _, bt := range batches {
		keys = append(keys, bt.Column(0).(*array.Int64).Int64Values()...)
	}
	slices.Sort(keys)
	return keys[:100]
}
