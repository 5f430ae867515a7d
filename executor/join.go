package executor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// JoinKey pairs a left (probe) column with a right (build) column of the same type.
type JoinKey struct {
	Left, Right int
}

// HashJoinOptions configure NewHashJoin.
type HashJoinOptions struct {
	// Kind is Inner, Left, Right, Full, Semi, Anti or NullAwareAnti (NOT IN).
	Kind expr.JoinKind
	// Keys are the equi-join keys (at least one); NULL keys never match.
	Keys []JoinKey
	// Residual, if set, is evaluated on the joined batch (all left columns then all right
	// columns, for every kind) of each key-matching pair; NULL counts as false. A row is
	// matched only if some candidate passes it, which is what outer, semi and anti joins use.
	Residual Predicate
	// ResidualText is the residual's text for EXPLAIN.
	ResidualText string
	// Mark, for a Mark join, is evaluated on the joined pairs that pass the keys and the
	// residual: the mark is true if it is true for some pair, else NULL if it is NULL for
	// some pair, else false. Nil: the mark is whether any pair matched.
	Mark     Predicate
	MarkText string
	// MarkName names the mark column (the last output column of a Mark join).
	MarkName string
	// SingleMatch, for a Left join, fails the query when a probe row matches more than one
	// build row (a scalar subquery returning several rows for one outer row).
	SingleMatch bool
	// NullAware, for a Mark join with one key and no residual or Mark, gives IN's NULL
	// semantics: an unmatched row's mark is NULL when the build side is not empty and
	// either the row's key or some build key is NULL.
	NullAware bool
}

// HashJoin joins its left input (the probe side, streamed per partition) with its right
// input (the build side, collected from all its partitions concurrently into one hash table
// built exactly once per execution and shared by all probe partitions). Output partitions:
// the left input's. Output columns: left then right, or left only for Semi, Anti and
// NullAwareAnti. The planner puts the smaller input on the right; when it swaps inputs it
// restores the column order with a Project (NewProjectColumns).
//
// Right and Full joins track matched build rows in an atomic bitmap; the last probe
// partition to finish emits the unmatched build rows, once.
type HashJoin struct {
	left, right Plan
	opts        HashJoinOptions
	schema      *arrow.Schema
	joined      *arrow.Schema // left + right columns, the residual's input
}

var _ Plan = (*HashJoin)(nil)

func NewHashJoin(left, right Plan, opts HashJoinOptions) (*HashJoin, error) {
	switch opts.Kind {
	case expr.InnerJoin, expr.LeftJoin, expr.RightJoin, expr.FullJoin, expr.SemiJoin, expr.AntiJoin, expr.NullAwareAntiJoin, expr.MarkJoin:
	default:
		return nil, internalf("HashJoin cannot run a %s join; use NestedLoopJoin", opts.Kind)
	}
	if len(opts.Keys) == 0 {
		return nil, internalf("HashJoin needs equi-join keys; use NestedLoopJoin")
	}
	ls, rs := left.Schema(), right.Schema()
	for _, k := range opts.Keys {
		if k.Left < 0 || k.Left >= ls.NumFields() || k.Right < 0 || k.Right >= rs.NumFields() {
			return nil, internalf("HashJoin key (%d, %d) is out of range", k.Left, k.Right)
		}
		lt, rt := ls.Field(k.Left).Type, rs.Field(k.Right).Type
		if !arrow.TypeEqual(lt, rt) {
			return nil, internalf("HashJoin key %s is %s but %s is %s; the planner must cast both sides to one type",
				ls.Field(k.Left).Name, lt, rs.Field(k.Right).Name, rt)
		}
		if !hashable(lt) {
			return nil, errKeyType("joining", ls.Field(k.Left).Name, lt)
		}
	}
	if opts.Kind == expr.NullAwareAntiJoin && (len(opts.Keys) != 1 || opts.Residual != nil) {
		return nil, errs.NotSupportedf("NOT IN with several columns or an extra condition; rewrite it as NOT EXISTS")
	}
	if opts.NullAware && (opts.Kind != expr.MarkJoin || len(opts.Keys) != 1 || opts.Residual != nil || opts.Mark != nil) {
		return nil, internalf("a null-aware mark join needs exactly one key and no residual")
	}
	if (opts.Mark != nil || opts.MarkName != "") && opts.Kind != expr.MarkJoin {
		return nil, internalf("a %s join has no mark", opts.Kind)
	}
	schema, joined := joinSchemas(ls, rs, opts.Kind, opts.MarkName)
	return &HashJoin{left: left, right: right, opts: opts, schema: schema, joined: joined}, nil
}

// joinSchemas returns the output schema of a join kind and the left+right schema residuals
// see. Columns of a side that outer joins pad with NULLs become nullable.
func joinSchemas(ls, rs *arrow.Schema, kind expr.JoinKind, markName string) (out, joined *arrow.Schema) {
	fields := make([]arrow.Field, 0, ls.NumFields()+rs.NumFields())
	for _, f := range ls.Fields() {
		f.Nullable = f.Nullable || kind == expr.RightJoin || kind == expr.FullJoin
		fields = append(fields, f)
	}
	for _, f := range rs.Fields() {
		f.Nullable = true
		fields = append(fields, f)
	}
	joined = arrow.NewSchema(fields, nil)
	if kind == expr.MarkJoin {
		out := append(append([]arrow.Field(nil), fields[:ls.NumFields()]...), arrow.Field{Name: markName, Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
		return arrow.NewSchema(out, nil), joined
	}
	if !kind.OutputsRight() {
		return arrow.NewSchema(fields[:ls.NumFields()], nil), joined
	}
	return joined, joined
}

func (j *HashJoin) Schema() *arrow.Schema { return j.schema }
func (j *HashJoin) Partitions() int       { return j.left.Partitions() }
func (j *HashJoin) Children() []Plan      { return []Plan{j.left, j.right} }
func (j *HashJoin) Describe() (string, string) {
	ls, rs := j.left.Schema(), j.right.Schema()
	on := make([]string, len(j.opts.Keys))
	for i, k := range j.opts.Keys {
		on[i] = ls.Field(k.Left).Name + " = " + rs.Field(k.Right).Name
	}
	d := j.opts.Kind.String() + " on " + strings.Join(on, " AND ")
	if j.opts.Residual != nil {
		d += " filter " + j.opts.ResidualText
	}
	if j.opts.Mark != nil {
		d += " mark " + j.opts.MarkText
	}
	if j.opts.NullAware {
		d += " (null-aware)"
	}
	return "HashJoin", d
}

func (j *HashJoin) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(j, p); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, j.left, p)
	if err != nil {
		return nil, err
	}
	shared := sharedState(tc, j, "build", func() *buildSide {
		b := &buildSide{plan: j.right, partitions: j.Partitions(), keys: rightKeys(j.opts.Keys), hashed: true, op: "HashJoin"}
		b.pending.Store(int32(j.Partitions()))
		tc.onFinish(b.release)
		return b
	})
	return newProbeStream(ctx, tc, in, shared, probeConfig{
		kind: j.opts.Kind, leftKeys: leftKeys(j.opts.Keys), residual: j.opts.Residual,
		mark: j.opts.Mark, nullAware: j.opts.NullAware, singleMatch: j.opts.SingleMatch,
		schema: j.schema, joined: j.joined, left: j.left.Schema(), right: j.right.Schema(),
	}), nil
}

func leftKeys(keys []JoinKey) []int {
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = k.Left
	}
	return out
}

func rightKeys(keys []JoinKey) []int {
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = k.Right
	}
	return out
}

// NestedLoopJoinOptions configure NewNestedLoopJoin.
type NestedLoopJoinOptions struct {
	// Kind is Inner, Cross, Left, Right, Full, Semi or Anti.
	Kind expr.JoinKind
	// On is evaluated on the joined batch (left columns then right columns); nil joins
	// every pair (cross join). NULL counts as false.
	On     Predicate
	OnText string
	// Mark and MarkName are as in HashJoinOptions, for a Mark join.
	Mark     Predicate
	MarkText string
	MarkName string
	// SingleMatch is as in HashJoinOptions.
	SingleMatch bool
}

// NestedLoopJoin joins without equi-keys: the right input is materialized once (it should
// be the small side) and the condition is evaluated over the cartesian product, in chunks of
// about BatchRows pairs. Partitions, column order and outer-join handling as HashJoin.
type NestedLoopJoin struct {
	left, right Plan
	opts        NestedLoopJoinOptions
	schema      *arrow.Schema
	joined      *arrow.Schema
}

var _ Plan = (*NestedLoopJoin)(nil)

func NewNestedLoopJoin(left, right Plan, opts NestedLoopJoinOptions) (*NestedLoopJoin, error) {
	switch opts.Kind {
	case expr.CrossJoin:
		opts.Kind = expr.InnerJoin
	case expr.InnerJoin, expr.LeftJoin, expr.RightJoin, expr.FullJoin, expr.SemiJoin, expr.AntiJoin, expr.MarkJoin:
	default:
		return nil, errs.NotSupportedf("%s join without an equality condition", opts.Kind)
	}
	if opts.Mark != nil && opts.Kind != expr.MarkJoin {
		return nil, internalf("a %s join has no mark", opts.Kind)
	}
	schema, joined := joinSchemas(left.Schema(), right.Schema(), opts.Kind, opts.MarkName)
	return &NestedLoopJoin{left: left, right: right, opts: opts, schema: schema, joined: joined}, nil
}

func (j *NestedLoopJoin) Schema() *arrow.Schema { return j.schema }
func (j *NestedLoopJoin) Partitions() int       { return j.left.Partitions() }
func (j *NestedLoopJoin) Children() []Plan      { return []Plan{j.left, j.right} }
func (j *NestedLoopJoin) Describe() (string, string) {
	d := j.opts.Kind.String()
	if j.opts.On != nil {
		d += " on " + j.opts.OnText
	}
	if j.opts.Mark != nil {
		d += " mark " + j.opts.MarkText
	}
	return "NestedLoopJoin", d
}

func (j *NestedLoopJoin) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(j, p); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, j.left, p)
	if err != nil {
		return nil, err
	}
	shared := sharedState(tc, j, "build", func() *buildSide {
		b := &buildSide{plan: j.right, partitions: j.Partitions(), op: "NestedLoopJoin"}
		b.pending.Store(int32(j.Partitions()))
		tc.onFinish(b.release)
		return b
	})
	return newProbeStream(ctx, tc, in, shared, probeConfig{
		kind: j.opts.Kind, residual: j.opts.On, mark: j.opts.Mark, singleMatch: j.opts.SingleMatch, schema: j.schema, joined: j.joined,
		left: j.left.Schema(), right: j.right.Schema(),
	}), nil
}

// buildSide is a join's materialized right input, shared by all probe partitions of one
// execution: built exactly once by whichever partition needs it first while the others
// wait (errors reach every waiter), released when every probe partition closed or when
// the execution finishes.
type buildSide struct {
	plan       Plan
	partitions int // probe partitions
	keys       []int
	hashed     bool
	op         string

	mu      sync.Mutex
	started bool
	done    chan struct{}
	err     error

	batch arrow.RecordBatch // every build row, concatenated
	// The table is open addressing with linear probing over {hash, row+1} slots (0 =
	// empty), every build row in its own slot: a probe usually touches one cache line,
	// and duplicates of a key sit next to each other in input order.
	slots vec[hashRow]
	// hashIsKey: a single key of at most 8 bytes hashes bijectively, so equal hashes mean
	// equal keys and the key columns need not be compared.
	hashIsKey bool
	nullKey   bool // some row has a NULL key (NOT IN needs to know)
	matched   vec[uint32]

	pending  atomic.Int32 // probe partitions that have not reached their end
	closed   int
	released bool
}

// get returns the built side, building it on first use.
func (b *buildSide) get(ctx context.Context, tc *TaskContext) (*buildSide, error) {
	b.mu.Lock()
	if !b.started {
		b.started = true
		b.done = make(chan struct{})
		b.mu.Unlock()
		err := b.build(ctx, tc)
		b.mu.Lock()
		b.err = err
		close(b.done)
		b.mu.Unlock()
	} else {
		b.mu.Unlock()
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.err != nil {
		return nil, b.err
	}
	return b, nil
}

func (b *buildSide) build(ctx context.Context, tc *TaskContext) error {
	parts, err := collectPartitions(ctx, tc, b.plan)
	if err != nil {
		return err
	}
	var all []arrow.RecordBatch
	for _, p := range parts {
		all = append(all, p...)
	}
	batch, err := concatBatches(tc.Alloc, b.plan.Schema(), all)
	releaseBatches(all)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.batch = batch
	b.mu.Unlock()
	n := int(batch.NumRows())
	b.matched = newVec[uint32](tc.Alloc)
	b.matched.resize((n + 31) / 32)
	if b.hashed {
		b.buildTable(tc, n)
	}
	return tc.checkMemory(b.op + " (build side)")
}

// hashRow is one table slot: a build row (plus one; 0 = empty slot) and its hash.
type hashRow struct {
	hash uint64
	row  int32
}

func (b *buildSide) buildTable(tc *TaskContext, n int) {
	keys := make([]arrow.Array, len(b.keys))
	for i, k := range b.keys {
		keys[i] = b.batch.Column(k)
	}
	b.hashIsKey = len(keys) == 1 && hashIsBijective(keys[0].DataType())
	hashes := make([]uint64, n)
	hashColumns(keys, seedTable, hashes)
	size := 16
	for size < 2*n {
		size *= 2
	}
	mask := uint64(size - 1)
	nulls := anyNullRows(keys, n)
	b.slots = newVec[hashRow](tc.Alloc)
	b.slots.resize(size)
	slots := b.slots.s
	for r, h := range hashes {
		if nulls != nil && nulls[r] {
			b.nullKey = true
			continue
		}
		pos := h & mask
		for slots[pos].row != 0 {
			pos = (pos + 1) & mask
		}
		slots[pos] = hashRow{hash: h, row: int32(r) + 1}
	}
}

// hashIsBijective reports whether hashing a single key of type dt is one-to-one on its
// SQL values (fixed-width keys of at most 8 bytes go through a bijective mixer).
func hashIsBijective(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.BOOL, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	w := fixedKeyWidth(dt)
	return w > 0 && w <= 8
}

// anyNullRows marks rows where some key is NULL; nil when none is.
func anyNullRows(keys []arrow.Array, n int) []bool {
	var out []bool
	for _, k := range keys {
		v := validityOf(k)
		if v.all {
			continue
		}
		if out == nil {
			out = make([]bool, n)
		}
		for i := range n {
			if !v.ok(i) {
				out[i] = true
			}
		}
	}
	return out
}

func (b *buildSide) markMatched(row int32) {
	atomic.OrUint32(&b.matched.s[row>>5], 1<<(row&31))
}

func (b *buildSide) isMatched(row int) bool {
	return atomic.LoadUint32(&b.matched.s[row>>5])&(1<<(row&31)) != 0
}

// probeClosed records that a probe partition closed; the last one releases the build side.
func (b *buildSide) probeClosed() {
	b.mu.Lock()
	b.closed++
	last := b.closed == b.partitions
	b.mu.Unlock()
	if last {
		b.release()
	}
}

func (b *buildSide) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return
	}
	b.released = true
	if b.batch != nil {
		b.batch.Release()
		b.batch = nil
	}
	b.slots.release()
	b.matched.release()
}

// collectPartitions drains every partition of plan concurrently; the first error cancels
// the others.
func collectPartitions(ctx context.Context, tc *TaskContext, plan Plan) ([][]arrow.RecordBatch, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := plan.Partitions()
	out := make([][]arrow.RecordBatch, n)
	errsOut := make([]error, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for p := range n {
		tc.goroutine(func() {
			defer wg.Done()
			s, err := tc.Run(ctx, plan, p)
			if err != nil {
				errsOut[p] = err
				cancel()
				return
			}
			out[p], errsOut[p] = drain(ctx, s)
			s.Close()
			if errsOut[p] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	var first error
	for _, err := range errsOut {
		if err != nil && (first == nil || errs.KindOf(first) == errs.KindCanceled) {
			first = err
		}
	}
	if first != nil {
		for _, bs := range out {
			releaseBatches(bs)
		}
		return nil, first
	}
	return out, nil
}

type probeConfig struct {
	kind           expr.JoinKind
	leftKeys       []int
	residual       Predicate
	mark           Predicate
	nullAware      bool
	singleMatch    bool
	schema, joined *arrow.Schema
	left, right    *arrow.Schema
}

// probeStream joins one probe partition against the shared build side. Per probe batch it
// generates candidate pairs (hash-chain matches, or the cartesian product for nested
// loops) in chunks of about BatchRows, filters them by the residual, emits joined rows,
// then the probe rows the kind keeps unmatched (left/full/anti) or matched (semi).
type probeStream struct {
	ctx   context.Context
	tc    *TaskContext
	in    Stream
	build *buildSide
	cfg   probeConfig
	side  *buildSide // set once built

	out      []arrow.RecordBatch
	batch    arrow.RecordBatch
	hashes   []uint64
	nullRows []bool
	eqs      []func(i, j int) bool
	matched  []bool
	unknown  []bool // Mark joins: some pair's mark condition was NULL
	row      int
	cand     int32
	inDone   bool
	finished bool
	closed   bool
}

const chainStart int32 = -2

func newProbeStream(ctx context.Context, tc *TaskContext, in Stream, b *buildSide, cfg probeConfig) *probeStream {
	return &probeStream{ctx: ctx, tc: tc, in: in, build: b, cfg: cfg}
}

func (s *probeStream) semiLike() bool {
	k := s.cfg.kind
	return k == expr.SemiJoin || k == expr.AntiJoin || k == expr.NullAwareAntiJoin || k == expr.MarkJoin
}

func (s *probeStream) Next() (arrow.RecordBatch, error) {
	if s.closed {
		return nil, EOF
	}
	if s.side == nil {
		side, err := s.build.get(s.ctx, s.tc)
		if err != nil {
			return nil, err
		}
		s.side = side
	}
	for {
		if len(s.out) > 0 {
			b := s.out[0]
			s.out = s.out[1:]
			return b, nil
		}
		if s.finished {
			return nil, EOF
		}
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.step(); err != nil {
			return nil, err
		}
	}
}

// step advances the join by one chunk of pairs, one probe batch, or the end of input.
func (s *probeStream) step() error {
	if s.batch == nil {
		if s.inDone {
			return s.finish()
		}
		if s.cfg.kind == expr.NullAwareAntiJoin && s.side.nullKey {
			// x NOT IN (… NULL …) is never true: the result is empty.
			s.inDone = true
			s.in.Close()
			return nil
		}
		b, err := s.in.Next()
		if err == EOF {
			s.inDone = true
			s.in.Close()
			return nil
		}
		if err != nil {
			return err
		}
		s.startBatch(b)
	}
	n := int(s.batch.NumRows())
	var pi, bi []int32
	if s.side.hashed {
		pi, bi = s.hashPairs(n)
	} else {
		pi, bi = s.crossPairs(n)
	}
	if len(pi) > 0 {
		if err := s.joinPairs(pi, bi); err != nil {
			return err
		}
	}
	if s.row >= n {
		err := s.endBatch()
		s.batch.Release()
		s.batch = nil
		return err
	}
	return nil
}

func (s *probeStream) startBatch(b arrow.RecordBatch) {
	s.batch = b
	n := int(b.NumRows())
	s.row, s.cand = 0, chainStart
	s.matched = make([]bool, n)
	s.unknown = nil
	if s.cfg.mark != nil {
		s.unknown = make([]bool, n)
	}
	s.nullRows = nil
	if !s.side.hashed {
		return
	}
	keys := make([]arrow.Array, len(s.cfg.leftKeys))
	s.eqs = make([]func(i, j int) bool, len(keys))
	for i, k := range s.cfg.leftKeys {
		keys[i] = b.Column(k)
		s.eqs[i] = valueEqual(keys[i], s.side.batch.Column(s.side.keys[i]))
	}
	if cap(s.hashes) < n {
		s.hashes = make([]uint64, n)
	}
	s.hashes = s.hashes[:n]
	hashColumns(keys, seedTable, s.hashes)
	s.nullRows = anyNullRows(keys, n)
}

// hashPairs probes the table from the saved position until about BatchRows pairs. s.cand
// is the next slot to look at for the current row (chainStart: not started).
func (s *probeStream) hashPairs(n int) (pi, bi []int32) {
	limit := s.tc.batchRows()
	side := s.side
	slots := side.slots.s
	mask := int32(len(slots) - 1)
	stopAtFirst := s.semiLike() && s.cfg.residual == nil && s.cfg.mark == nil
	hashIsKey := side.hashIsKey
	for s.row < n && len(pi) < limit {
		r := s.row
		h := s.hashes[r]
		if s.cand == chainStart {
			if s.nullRows != nil && s.nullRows[r] {
				s.row++
				continue
			}
			s.cand = int32(h) & mask
		}
		done := false
		for len(pi) < limit {
			e := slots[s.cand]
			if e.row == 0 {
				done = true
				break
			}
			s.cand = (s.cand + 1) & mask
			if e.hash != h || (!hashIsKey && !s.keysEqual(r, int(e.row-1))) {
				continue
			}
			if stopAtFirst {
				s.matched[r] = true
				done = true
				break
			}
			pi = append(pi, int32(r))
			bi = append(bi, e.row-1)
		}
		if done {
			s.row++
			s.cand = chainStart
		}
	}
	return pi, bi
}

func (s *probeStream) keysEqual(r, c int) bool {
	for _, eq := range s.eqs {
		if !eq(r, c) {
			return false
		}
	}
	return true
}

// crossPairs enumerates the cartesian product from the saved position.
func (s *probeStream) crossPairs(n int) (pi, bi []int32) {
	limit := s.tc.batchRows()
	m := int32(s.side.batch.NumRows())
	stopAtFirst := s.semiLike() && s.cfg.residual == nil && s.cfg.mark == nil
	for s.row < n && len(pi) < limit {
		if s.cand == chainStart {
			s.cand = 0
		}
		if stopAtFirst {
			s.matched[s.row] = m > 0
			s.cand = m
		}
		for s.cand < m && len(pi) < limit {
			pi = append(pi, int32(s.row))
			bi = append(bi, s.cand)
			s.cand++
		}
		if s.cand >= m {
			s.row++
			s.cand = chainStart
		}
	}
	return pi, bi
}

// joinPairs applies the residual to candidate pairs, records matches and emits the joined
// rows of kinds that output them.
func (s *probeStream) joinPairs(pi, bi []int32) error {
	needJoined := s.cfg.residual != nil || s.cfg.mark != nil || s.cfg.kind.OutputsRight()
	var joined arrow.RecordBatch
	if needJoined {
		var err error
		if joined, err = s.joinedBatch(pi, bi); err != nil {
			return err
		}
	}
	if s.cfg.residual != nil {
		mask, err := s.cfg.residual.Eval(s.tc.Alloc, joined)
		if err != nil {
			joined.Release()
			return err
		}
		keep, err := keptRows(mask, len(pi))
		mask.Release()
		if err != nil {
			joined.Release()
			return err
		}
		if len(keep) < len(pi) {
			kpi, kbi := make([]int32, len(keep)), make([]int32, len(keep))
			for k, r := range keep {
				kpi[k], kbi[k] = pi[r], bi[r]
			}
			pi, bi = kpi, kbi
			if (s.cfg.kind.OutputsRight() || s.cfg.mark != nil) && len(keep) > 0 {
				filtered, err := takeBatch(s.tc.Alloc, joined, keep)
				joined.Release()
				if err != nil {
					return err
				}
				joined = filtered
			}
		}
	}
	if s.cfg.mark != nil {
		if len(pi) > 0 {
			if err := s.markPairs(joined, pi); err != nil {
				joined.Release()
				return err
			}
		}
		joined.Release()
		return nil
	}
	for k, r := range pi {
		if s.cfg.singleMatch && s.matched[r] {
			if joined != nil {
				joined.Release()
			}
			return invalidf("more than one row returned by a subquery used as an expression")
		}
		s.matched[r] = true
		if s.cfg.kind == expr.RightJoin || s.cfg.kind == expr.FullJoin {
			s.side.markMatched(bi[k])
		}
	}
	if joined == nil {
		return nil
	}
	if !s.cfg.kind.OutputsRight() || len(pi) == 0 {
		joined.Release()
		return nil
	}
	if !joined.Schema().Equal(s.cfg.schema) {
		relabeled := relabel(joined, s.cfg.schema)
		joined.Release()
		joined = relabeled
	}
	s.out = append(s.out, joined)
	return nil
}

// markPairs evaluates a Mark join's condition on the joined pairs (probe rows pi) and
// records, per probe row, whether it was true for some pair or NULL for some pair.
func (s *probeStream) markPairs(joined arrow.RecordBatch, pi []int32) error {
	m, err := s.cfg.mark.Eval(s.tc.Alloc, joined)
	if err != nil {
		return err
	}
	defer m.Release()
	if m.Len() != len(pi) {
		return internalf("a mark condition returned %d values for %d rows", m.Len(), len(pi))
	}
	switch b := m.(type) {
	case *array.Null:
		for _, r := range pi {
			s.unknown[r] = true
		}
	case *array.Boolean:
		for k, r := range pi {
			switch {
			case b.IsNull(k):
				s.unknown[r] = true
			case b.Value(k):
				s.matched[r] = true
			}
		}
	default:
		return internalf("a mark condition returned %s, not boolean", m.DataType())
	}
	return nil
}

// keptRows lists the pairs whose residual is true.
func keptRows(mask arrow.Array, n int) ([]int32, error) {
	sel, err := selectionOf(mask, n)
	if err != nil {
		return nil, err
	}
	switch {
	case sel.none:
		return nil, nil
	case sel.all:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(i)
		}
		return out, nil
	}
	return trueRows(mask), nil
}

// joinedBatch gathers probe rows pi and build rows bi side by side (left then right).
func (s *probeStream) joinedBatch(pi, bi []int32) (arrow.RecordBatch, error) {
	left, err := takeColumns(s.tc.Alloc, s.batch.Columns(), pi, false)
	if err != nil {
		return nil, err
	}
	right, err := takeColumns(s.tc.Alloc, s.side.batch.Columns(), bi, false)
	if err != nil {
		releaseArrays(left)
		return nil, err
	}
	return makeBatch(s.cfg.joined, append(left, right...), len(pi)), nil
}

// endBatch emits the probe rows a kind keeps by match status, once all pairs of the batch
// were seen.
func (s *probeStream) endBatch() error {
	if s.cfg.kind == expr.MarkJoin {
		return s.endMarkBatch()
	}
	var want bool
	switch s.cfg.kind {
	case expr.LeftJoin, expr.FullJoin, expr.AntiJoin:
		want = false
	case expr.SemiJoin:
		want = true
	case expr.NullAwareAntiJoin:
		want = false
	default:
		return nil
	}
	var rows []int32
	for r, m := range s.matched {
		if m != want {
			continue
		}
		// NOT IN drops probe rows with a NULL key, unless the build side is empty.
		if s.cfg.kind == expr.NullAwareAntiJoin && s.nullRows != nil && s.nullRows[r] && s.side.batch.NumRows() > 0 {
			continue
		}
		rows = append(rows, int32(r))
	}
	if len(rows) == 0 {
		return nil
	}
	left, err := takeColumns(s.tc.Alloc, s.batch.Columns(), rows, false)
	if err != nil {
		return err
	}
	if s.cfg.kind.OutputsRight() {
		for _, f := range s.cfg.right.Fields() {
			left = append(left, array.MakeArrayOfNull(s.tc.Alloc, f.Type, len(rows)))
		}
	}
	s.out = append(s.out, makeBatch(s.cfg.schema, left, len(rows)))
	return nil
}

// endMarkBatch emits every probe row of the batch with its mark.
func (s *probeStream) endMarkBatch() error {
	n := int(s.batch.NumRows())
	bld := array.NewBooleanBuilder(s.tc.Alloc)
	defer bld.Release()
	bld.Reserve(n)
	buildRows := s.side.batch.NumRows()
	for r := range n {
		switch {
		case s.matched[r]:
			bld.UnsafeAppend(true)
		case s.unknown != nil && s.unknown[r]:
			bld.UnsafeAppendBoolToBitmap(false)
		case s.cfg.nullAware && buildRows > 0 && (s.side.nullKey || (s.nullRows != nil && s.nullRows[r])):
			bld.UnsafeAppendBoolToBitmap(false)
		default:
			bld.UnsafeAppend(false)
		}
	}
	cols := make([]arrow.Array, 0, s.batch.NumCols()+1)
	for _, c := range s.batch.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	cols = append(cols, bld.NewArray())
	s.out = append(s.out, makeBatch(s.cfg.schema, cols, n))
	return nil
}

// finish runs at the end of the probe input; the last partition of a right or full join
// emits the build rows no partition matched.
func (s *probeStream) finish() error {
	s.finished = true
	if s.cfg.kind != expr.RightJoin && s.cfg.kind != expr.FullJoin {
		return nil
	}
	if s.side.pending.Add(-1) != 0 {
		return nil
	}
	n := int(s.side.batch.NumRows())
	limit := s.tc.batchRows()
	var rows []int32
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		cols := make([]arrow.Array, 0, s.cfg.schema.NumFields())
		for _, f := range s.cfg.left.Fields() {
			cols = append(cols, array.MakeArrayOfNull(s.tc.Alloc, f.Type, len(rows)))
		}
		right, err := takeColumns(s.tc.Alloc, s.side.batch.Columns(), rows, false)
		if err != nil {
			releaseArrays(cols)
			return err
		}
		s.out = append(s.out, makeBatch(s.cfg.schema, append(cols, right...), len(rows)))
		rows = rows[:0]
		return nil
	}
	for r := range n {
		if !s.side.isMatched(r) {
			rows = append(rows, int32(r))
			if len(rows) == limit {
				if err := flush(); err != nil {
					return err
				}
				rows = nil
			}
		}
	}
	return flush()
}

func (s *probeStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.in.Close()
	if s.batch != nil {
		s.batch.Release()
		s.batch = nil
	}
	releaseBatches(s.out)
	s.out = nil
	s.build.probeClosed()
}

func (k JoinKey) String() string { return fmt.Sprintf("%d=%d", k.Left, k.Right) }
