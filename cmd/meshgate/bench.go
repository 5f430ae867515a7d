package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
	"github.com/meshgate/meshgate/planner/plannertest"
)

// benchCommands are the benchmark subcommands.
func benchCommands() map[string]command {
	return map[string]command{
		"bench": {"run a benchmark against PostgreSQL (bench tpch --sf N)", runBench},
	}
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "tpch" {
		return errors.New("usage: meshgate bench tpch --sf N [--pg DSN] [--dir DIR] [--queries 1,3,5] [--runs N]")
	}
	return runBenchTPCH(ctx, args[1:], os.Stdout)
}

// benchOptions are the flags of bench tpch.
type benchOptions struct {
	sf         float64
	pg         string
	dir        string
	queries    []int
	runs       int
	warmup     bool
	partitions int
}

func parseBenchFlags(args []string) (benchOptions, error) {
	fs := flag.NewFlagSet("bench tpch", flag.ContinueOnError)
	sf := fs.Float64("sf", 1, "TPC-H scale factor")
	pg := fs.String("pg", os.Getenv("MESHGATE_TEST_PG"), "PostgreSQL DSN (default $MESHGATE_TEST_PG); the data is loaded into a database named after the scale factor next to it")
	dir := fs.String("dir", "", "directory of the Parquet data (default <tmp>/meshgate-tpch-sf<N>; reused when complete)")
	queries := fs.String("queries", "", "comma-separated query numbers (default all 22)")
	runs := fs.Int("runs", 1, "timed runs per query and engine; the fastest counts")
	warmup := fs.Bool("warmup", true, "run each query once on each engine before timing it")
	partitions := fs.Int("partitions", 0, "meshgate scan and exchange parallelism (default GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		return benchOptions{}, err
	}
	o := benchOptions{sf: *sf, pg: *pg, dir: *dir, runs: max(*runs, 1), warmup: *warmup, partitions: *partitions}
	if o.pg == "" {
		return o, errors.New("no PostgreSQL to compare with: pass --pg or set MESHGATE_TEST_PG")
	}
	if o.dir == "" {
		o.dir = filepath.Join(os.TempDir(), "meshgate-tpch-sf"+strconv.FormatFloat(o.sf, 'f', -1, 64))
	}
	if *queries == "" {
		for n := 1; n <= tpch.QueryCount; n++ {
			o.queries = append(o.queries, n)
		}
	} else {
		for _, s := range strings.Split(*queries, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > tpch.QueryCount {
				return o, fmt.Errorf("--queries: %q is not a query number 1..%d", s, tpch.QueryCount)
			}
			o.queries = append(o.queries, n)
		}
	}
	return o, nil
}

// peakAllocator tracks the bytes allocated through it and their peak since the last reset.
type peakAllocator struct {
	base memory.Allocator
	cur  atomic.Int64
	peak atomic.Int64
}

func (a *peakAllocator) add(n int64) {
	c := a.cur.Add(n)
	for {
		p := a.peak.Load()
		if c <= p || a.peak.CompareAndSwap(p, c) {
			return
		}
	}
}

func (a *peakAllocator) Allocate(size int) []byte {
	a.add(int64(size))
	return a.base.Allocate(size)
}

func (a *peakAllocator) Reallocate(size int, b []byte) []byte {
	a.add(int64(size - len(b)))
	return a.base.Reallocate(size, b)
}

func (a *peakAllocator) Free(b []byte) {
	a.add(-int64(len(b)))
	a.base.Free(b)
}

func (a *peakAllocator) resetPeak() { a.peak.Store(a.cur.Load()) }

// benchRow is one query's outcome.
type benchRow struct {
	n             int
	meshgate, pg  time.Duration
	peak          int64
	rows          int
	mismatch, err string
}

func runBenchTPCH(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseBenchFlags(args)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "TPC-H SF %g: generating Parquet data in %s\n", o.sf, o.dir)
	if _, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: o.sf, Dir: o.dir}); err != nil {
		return err
	}
	fmt.Fprintln(out, "loading PostgreSQL (skipped when already loaded)")
	target, err := tpch.LoadPostgres(ctx, o.pg, tpch.LoadOptions{SF: o.sf})
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, target)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())

	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}})
	if err := demo.Register(cat, o.dir); err != nil {
		return err
	}
	policies, err := demo.Policies()
	if err != nil {
		return err
	}
	ps := governance.NewPolicySet(policies, []byte("meshgate bench mask key"))
	alloc := &peakAllocator{base: memory.NewGoAllocator()}
	p := planner.New(planner.Options{Catalog: cat, Policies: func() bind.Policies { return ps }, Alloc: alloc, Partitions: o.partitions})
	admin := &governance.Principal{User: "admin", Roles: []string{"admin", "governance"}}

	var rows []benchRow
	for _, n := range o.queries {
		sql := tpch.Query(n)
		r := benchRow{n: n}
		var want, got *plannertest.Result
		pgRun := func() error {
			start := time.Now()
			res, err := plannertest.RunPostgres(ctx, conn, sql)
			if d := time.Since(start); err == nil && (r.pg == 0 || d < r.pg) {
				r.pg, want = d, res
			}
			return err
		}
		mgRun := func() error {
			alloc.resetPeak()
			start := time.Now()
			res, err := plannertest.Run(ctx, p, admin, sql)
			if d := time.Since(start); err == nil && (r.meshgate == 0 || d < r.meshgate) {
				r.meshgate, got = d, res
			}
			r.peak = max(r.peak, alloc.peak.Load())
			return err
		}
		err := func() error {
			for i := range o.runs + b2i(o.warmup) {
				warm := o.warmup && i == 0
				if err := pgRun(); err != nil {
					return fmt.Errorf("PostgreSQL: %w", err)
				}
				if err := mgRun(); err != nil {
					return fmt.Errorf("meshgate: %w", err)
				}
				if warm {
					r.pg, r.meshgate, r.peak = 0, 0, 0
				}
			}
			return nil
		}()
		if err != nil {
			r.err = err.Error()
		} else {
			keys, ordered := tpch.OrderKeys(n)
			r.mismatch = plannertest.Compare(want, got, plannertest.CompareOptions{Ordered: ordered, OrderKeys: keys})
			r.rows = len(got.Rows)
		}
		rows = append(rows, r)
		fmt.Fprintf(out, "  Q%02d done\n", n)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return printBench(out, o, rows)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printBench prints the per-query table and the summary: the geometric mean of the ratios
// meshgate/PostgreSQL, how many queries meshgate ran at most as long as PostgreSQL and how
// many took over 3× as long.
func printBench(out io.Writer, o benchOptions, rows []benchRow) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(out, "\nTPC-H SF %g, best of %d run(s), meshgate over Parquet vs PostgreSQL with all tables loaded and analyzed\n", o.sf, o.runs)
	fmt.Fprintln(tw, "query\tmeshgate ms\tpostgres ms\tratio\tpeak MiB\trows\tanswer\t")
	var logSum float64
	var timed, atMost, over3 int
	var failed []string
	for _, r := range rows {
		if r.err != "" {
			fmt.Fprintf(tw, "Q%02d\t-\t-\t-\t-\t-\terror\t\n", r.n)
			failed = append(failed, fmt.Sprintf("Q%02d: %s", r.n, r.err))
			continue
		}
		answer := "same"
		if r.mismatch != "" {
			answer = "DIFFERS"
			failed = append(failed, fmt.Sprintf("Q%02d differs from PostgreSQL: %s", r.n, r.mismatch))
		}
		ratio := float64(r.meshgate) / float64(r.pg)
		logSum += math.Log(ratio)
		timed++
		if ratio <= 1 {
			atMost++
		}
		if ratio > 3 {
			over3++
		}
		fmt.Fprintf(tw, "Q%02d\t%.1f\t%.1f\t%.2f\t%.1f\t%d\t%s\t\n", r.n, ms(r.meshgate), ms(r.pg), ratio, float64(r.peak)/(1<<20), r.rows, answer)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if timed > 0 {
		fmt.Fprintf(out, "geometric mean ratio meshgate/PostgreSQL: %.2f; meshgate at or below PostgreSQL on %d of %d queries, over 3x on %d\n",
			math.Exp(logSum/float64(timed)), atMost, timed, over3)
	}
	for _, f := range failed {
		fmt.Fprintln(out, f)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d queries failed or differ from PostgreSQL", len(failed), len(rows))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
