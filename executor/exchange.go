package executor

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Coalesce merges all input partitions into one, in no particular order: one goroutine per
// input partition feeds a bounded channel. The first error cancels the other producers.
// With a single input partition it is a pass-through.
type Coalesce struct {
	input Plan
}

var _ Plan = (*Coalesce)(nil)

func NewCoalesce(input Plan) *Coalesce { return &Coalesce{input: input} }

func (c *Coalesce) Schema() *arrow.Schema { return c.input.Schema() }
func (c *Coalesce) Partitions() int       { return 1 }
func (c *Coalesce) Children() []Plan      { return []Plan{c.input} }
func (c *Coalesce) Describe() (string, string) {
	return "Coalesce", fmt.Sprintf("partitions=%d", c.input.Partitions())
}

func (c *Coalesce) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(c, p); err != nil {
		return nil, err
	}
	if c.input.Partitions() == 1 {
		return tc.Run(ctx, c.input, 0)
	}
	return newMergeStream(ctx, tc, c.input), nil
}

// mergeStream runs every partition of a plan in its own goroutine and yields their batches
// as they come. Each producer hands its reference to the batch over the channel; the
// consumer (or Close, when draining) releases it.
type mergeStream struct {
	ctx    context.Context
	tc     *TaskContext
	input  Plan
	ch     chan arrow.RecordBatch
	cancel context.CancelFunc

	mu  sync.Mutex
	err error

	started, closed bool
}

func newMergeStream(ctx context.Context, tc *TaskContext, input Plan) *mergeStream {
	return &mergeStream{ctx: ctx, tc: tc, input: input}
}

func (m *mergeStream) start() {
	m.started = true
	n := m.input.Partitions()
	m.ch = make(chan arrow.RecordBatch, max(2, n))
	var cctx context.Context
	cctx, m.cancel = context.WithCancel(m.ctx)
	var wg sync.WaitGroup
	wg.Add(n)
	for p := range n {
		m.tc.goroutine(func() {
			defer wg.Done()
			m.produce(cctx, p)
		})
	}
	m.tc.goroutine(func() {
		wg.Wait()
		close(m.ch)
	})
}

func (m *mergeStream) produce(ctx context.Context, p int) {
	s, err := m.tc.Run(ctx, m.input, p)
	if err != nil {
		m.fail(err)
		return
	}
	defer s.Close()
	for {
		b, err := s.Next()
		if err == EOF {
			return
		}
		if err != nil {
			m.fail(err)
			return
		}
		select {
		case m.ch <- b:
		case <-ctx.Done():
			b.Release()
			return
		}
	}
}

func (m *mergeStream) fail(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.cancel()
}

func (m *mergeStream) Next() (arrow.RecordBatch, error) {
	if m.closed {
		return nil, EOF
	}
	if !m.started {
		m.start()
	}
	select {
	case b, ok := <-m.ch:
		if ok {
			return b, nil
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.err != nil {
			return nil, m.err
		}
		return nil, EOF
	case <-m.ctx.Done():
		return nil, m.ctx.Err()
	}
}

// Close cancels the producers and waits for them, releasing batches still in flight.
func (m *mergeStream) Close() {
	if m.closed {
		return
	}
	m.closed = true
	if !m.started {
		return
	}
	m.cancel()
	for b := range m.ch {
		b.Release()
	}
}

// Repartition redistributes the rows of all input partitions into Partitions() output
// partitions by the hash of key columns (equal keys land in the same partition; NULL keys
// together), or round-robin by batch when keys is empty.
//
// Each input partition has a producer goroutine splitting its batches with Take; each output
// partition is a consumer with its own queue. A producer only waits when every open
// consumer already has a batch queued (DataFusion's distributor-channel gate), so a
// consumer that waits for its own data while a sibling is not being read (a sort-preserving
// merge over sorts, a sequential reader of partitions) can never deadlock the exchange; the
// price is that a slow consumer's queue may grow, which the memory budget bounds. Closing a
// consumer drops its rows; closing the last one stops the producers.
type Repartition struct {
	input      Plan
	keys       []int
	partitions int
}

var _ Plan = (*Repartition)(nil)

// NewRepartition hashes rows on the key columns into partitions output partitions.
func NewRepartition(input Plan, keys []int, partitions int) (*Repartition, error) {
	if partitions < 1 {
		return nil, internalf("Repartition into %d partitions", partitions)
	}
	in := input.Schema()
	for _, k := range keys {
		if k < 0 || k >= in.NumFields() {
			return nil, internalf("Repartition key column %d does not exist in an input of %d columns", k, in.NumFields())
		}
		if !hashable(in.Field(k).Type) {
			return nil, errKeyType("repartitioning", in.Field(k).Name, in.Field(k).Type)
		}
	}
	return &Repartition{input: input, keys: keys, partitions: partitions}, nil
}

func (r *Repartition) Schema() *arrow.Schema { return r.input.Schema() }
func (r *Repartition) Partitions() int       { return r.partitions }
func (r *Repartition) Children() []Plan      { return []Plan{r.input} }
func (r *Repartition) Describe() (string, string) {
	if len(r.keys) == 0 {
		return "Repartition", fmt.Sprintf("round-robin %d→%d", r.input.Partitions(), r.partitions)
	}
	names := make([]string, len(r.keys))
	for i, k := range r.keys {
		names[i] = r.input.Schema().Field(k).Name
	}
	return "Repartition", fmt.Sprintf("hash(%s) %d→%d", strings.Join(names, ", "), r.input.Partitions(), r.partitions)
}

func (r *Repartition) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(r, p); err != nil {
		return nil, err
	}
	ex := sharedState(tc, r, "exchange", func() *exchange {
		ex := newExchange(r, tc)
		tc.onFinish(ex.cleanup)
		return ex
	})
	return &exchangeStream{ex: ex, ctx: ctx, p: p}, nil
}

type exchange struct {
	plan *Repartition
	tc   *TaskContext

	mu            sync.Mutex
	queues        [][]arrow.RecordBatch
	closed        []bool
	openConsumers int
	emptyOpen     int           // open consumers whose queue is empty
	gate          chan struct{} // non-nil while closed: producers wait for it to be closed
	notify        []chan struct{}
	started       bool
	producing     int
	err           error
	cancel        context.CancelFunc
	producers     sync.WaitGroup
}

func newExchange(r *Repartition, tc *TaskContext) *exchange {
	ex := &exchange{
		plan:          r,
		tc:            tc,
		queues:        make([][]arrow.RecordBatch, r.partitions),
		closed:        make([]bool, r.partitions),
		openConsumers: r.partitions,
		emptyOpen:     r.partitions,
		notify:        make([]chan struct{}, r.partitions),
	}
	for i := range ex.notify {
		ex.notify[i] = make(chan struct{}, 1)
	}
	return ex
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// openGate lets waiting producers continue. Callers hold mu.
func (ex *exchange) openGate() {
	if ex.gate != nil {
		close(ex.gate)
		ex.gate = nil
	}
}

// start launches the producers with the first consumer's context. Callers hold mu.
func (ex *exchange) start(ctx context.Context) {
	ex.started = true
	n := ex.plan.input.Partitions()
	ex.producing = n
	pctx, cancel := context.WithCancel(ctx)
	ex.cancel = cancel
	ex.producers.Add(n)
	for i := range n {
		ex.tc.goroutine(func() {
			defer ex.producers.Done()
			err := ex.produce(pctx, i)
			ex.mu.Lock()
			defer ex.mu.Unlock()
			if err != nil && ex.err == nil && ex.openConsumers > 0 {
				ex.err = err
				ex.cancel()
			}
			ex.producing--
			if err != nil || ex.producing == 0 {
				ex.openGate()
				for _, ch := range ex.notify {
					signal(ch)
				}
			}
		})
	}
}

func (ex *exchange) produce(ctx context.Context, part int) error {
	s, err := ex.tc.Run(ctx, ex.plan.input, part)
	if err != nil {
		return err
	}
	defer s.Close()
	rr := part // round-robin position, staggered per producer
	for {
		b, err := s.Next()
		if err == EOF {
			return nil
		}
		if err != nil {
			return err
		}
		parts, err := ex.split(b, &rr)
		b.Release()
		if err != nil {
			return err
		}
		for p, pb := range parts {
			if pb == nil {
				continue
			}
			if err := ex.push(ctx, p, pb); err != nil {
				releaseBatches(parts[p+1:])
				return err
			}
		}
		if err := ex.tc.checkMemory("Repartition"); err != nil {
			return err
		}
	}
}

// split cuts a batch into one batch per output partition (nil where no row goes).
func (ex *exchange) split(b arrow.RecordBatch, rr *int) ([]arrow.RecordBatch, error) {
	m := ex.plan.partitions
	out := make([]arrow.RecordBatch, m)
	if len(ex.plan.keys) == 0 || m == 1 {
		dest := 0
		if m > 1 {
			dest = *rr % m
			*rr++
		}
		b.Retain()
		out[dest] = b
		return out, nil
	}
	n := int(b.NumRows())
	keys := make([]arrow.Array, len(ex.plan.keys))
	for i, k := range ex.plan.keys {
		keys[i] = b.Column(k)
	}
	hashes := make([]uint64, n)
	hashColumns(keys, seedRepartition, hashes)
	idx := make([][]int32, m)
	for i, h := range hashes {
		d := partitionOf(h, m)
		idx[d] = append(idx[d], int32(i))
	}
	for d, rows := range idx {
		switch len(rows) {
		case 0:
		case n:
			b.Retain()
			out[d] = b
		default:
			tb, err := takeBatch(ex.tc.Alloc, b, rows)
			if err != nil {
				releaseBatches(out)
				return nil, err
			}
			out[d] = tb
		}
	}
	return out, nil
}

// partitionOf maps a hash to one of m partitions using its high bits (hash tables downstream
// index with the low bits).
func partitionOf(h uint64, m int) int {
	return int(((h >> 32) * uint64(m)) >> 32)
}

// push queues b for consumer p, then waits while every open consumer has data queued.
func (ex *exchange) push(ctx context.Context, p int, b arrow.RecordBatch) error {
	ex.mu.Lock()
	if ex.closed[p] {
		ex.mu.Unlock()
		b.Release()
		return nil
	}
	if len(ex.queues[p]) == 0 {
		ex.emptyOpen--
		signal(ex.notify[p])
	}
	ex.queues[p] = append(ex.queues[p], b)
	for ex.emptyOpen == 0 && ex.openConsumers > 0 && ex.err == nil {
		if ex.gate == nil {
			ex.gate = make(chan struct{})
		}
		gate := ex.gate
		ex.mu.Unlock()
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		ex.mu.Lock()
	}
	ex.mu.Unlock()
	return nil
}

func (ex *exchange) next(ctx context.Context, p int) (arrow.RecordBatch, error) {
	for {
		ex.mu.Lock()
		if !ex.started {
			ex.start(ctx)
		}
		if ex.err != nil {
			err := ex.err
			ex.mu.Unlock()
			return nil, err
		}
		if q := ex.queues[p]; len(q) > 0 {
			b := q[0]
			q[0] = nil
			ex.queues[p] = q[1:]
			if len(ex.queues[p]) == 0 {
				ex.emptyOpen++
				ex.openGate()
			}
			ex.mu.Unlock()
			return b, nil
		}
		if ex.producing == 0 {
			ex.mu.Unlock()
			return nil, EOF
		}
		ch := ex.notify[p]
		ex.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// closeConsumer drops consumer p's rows; the last consumer to close stops the producers and
// waits for them.
func (ex *exchange) closeConsumer(p int) {
	ex.mu.Lock()
	if ex.closed[p] {
		ex.mu.Unlock()
		return
	}
	ex.closed[p] = true
	ex.openConsumers--
	if len(ex.queues[p]) == 0 {
		ex.emptyOpen--
	}
	releaseBatches(ex.queues[p])
	ex.queues[p] = nil
	last := ex.openConsumers == 0
	if last {
		if ex.cancel != nil {
			ex.cancel()
		}
		ex.openGate()
	}
	ex.mu.Unlock()
	if last {
		ex.producers.Wait()
	}
}

// cleanup runs when the execution finishes: it releases the queues of consumers that were
// never closed (or never executed).
func (ex *exchange) cleanup() {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if ex.cancel != nil {
		ex.cancel()
	}
	for p := range ex.queues {
		releaseBatches(ex.queues[p])
		ex.queues[p] = nil
		ex.closed[p] = true
	}
}

type exchangeStream struct {
	ex     *exchange
	ctx    context.Context
	p      int
	closed bool
}

func (s *exchangeStream) Next() (arrow.RecordBatch, error) {
	if s.closed {
		return nil, EOF
	}
	return s.ex.next(s.ctx, s.p)
}

func (s *exchangeStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.ex.closeConsumer(s.p)
}
