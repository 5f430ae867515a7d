package executor

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
)

// sortSpillNote is appended to the operator name of memory errors of sorting operators.
const sortSpillNote = " (spilling to disk is not supported yet)"

// Sort orders each partition by the keys (stable: equal keys keep input order). Output
// partitions: as its input, each sorted on its own; SortPreservingMerge combines them. It
// holds its whole partition in memory.
type Sort struct {
	input Plan
	keys  []SortColumn
}

var _ Plan = (*Sort)(nil)

func NewSort(input Plan, keys []SortColumn) (*Sort, error) {
	if len(keys) == 0 {
		return nil, internalf("Sort needs at least one key")
	}
	if err := checkSortColumns("Sort", input.Schema(), keys); err != nil {
		return nil, err
	}
	return &Sort{input: input, keys: keys}, nil
}

func (s *Sort) Schema() *arrow.Schema { return s.input.Schema() }
func (s *Sort) Partitions() int       { return s.input.Partitions() }
func (s *Sort) Children() []Plan      { return []Plan{s.input} }
func (s *Sort) Describe() (string, string) {
	return "Sort", describeSortColumns(s.input.Schema(), s.keys)
}

func (s *Sort) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(s, p); err != nil {
		return nil, err
	}
	return &lazyStream{open: func() (Stream, error) {
		in, err := tc.Run(ctx, s.input, p)
		if err != nil {
			return nil, err
		}
		defer in.Close()
		batches, err := drainChecked(ctx, tc, in, "Sort")
		if err != nil {
			return nil, err
		}
		return newSortedStream(ctx, tc, s.input.Schema(), s.keys, batches)
	}}, nil
}

// drainChecked reads a stream to its end, failing when the query goes over its budget.
func drainChecked(ctx context.Context, tc *TaskContext, in Stream, op string) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for {
		if err := ctx.Err(); err != nil {
			releaseBatches(out)
			return nil, err
		}
		b, err := in.Next()
		if err == EOF {
			return out, nil
		}
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
		out = append(out, b)
		if err := tc.checkMemory(op + sortSpillNote); err != nil {
			releaseBatches(out)
			return nil, err
		}
	}
}

// sortRefs orders the rows of batches by their encoded keys, ties by position.
func sortRefs(tc *TaskContext, keys []SortColumn, batches []arrow.RecordBatch) ([]rowRef, error) {
	enc := newEncodedRows(tc.Alloc)
	defer enc.release()
	e := rowEncoder{keys: keys}
	var refs []rowRef
	for bi, b := range batches {
		e.encode(b, enc)
		for r := range int(b.NumRows()) {
			refs = append(refs, rowRef{batch: int32(bi), row: int32(r)})
		}
	}
	if err := tc.checkMemory("Sort" + sortSpillNote); err != nil {
		return nil, err
	}
	// Compare the first 8 encoded bytes as one integer; only rows whose prefixes tie fall
	// back to the full byte comparison (rare for numbers, common only for long equal text).
	items := make([]sortItem, len(refs))
	for i := range items {
		items[i] = sortItem{prefix: keyPrefix(enc.row(i)), id: int32(i)}
	}
	slices.SortFunc(items, func(a, b sortItem) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(enc.row(int(a.id)), enc.row(int(b.id))); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	out := make([]rowRef, len(items))
	for i, it := range items {
		out[i] = refs[it.id]
	}
	return out, nil
}

type sortItem struct {
	prefix uint64
	id     int32
}

// keyPrefix is the first 8 bytes of an encoded key as a big-endian integer (zero-padded).
func keyPrefix(k []byte) uint64 {
	if len(k) >= 8 {
		return binary.BigEndian.Uint64(k)
	}
	var buf [8]byte
	copy(buf[:], k)
	return binary.BigEndian.Uint64(buf[:])
}

// newSortedStream sorts batches (taking them over) and yields them in chunks of BatchRows.
func newSortedStream(ctx context.Context, tc *TaskContext, schema *arrow.Schema, keys []SortColumn, batches []arrow.RecordBatch) (Stream, error) {
	refs, err := sortRefs(tc, keys, batches)
	if err != nil {
		releaseBatches(batches)
		return nil, err
	}
	return &refStream{ctx: ctx, tc: tc, schema: schema, batches: batches, refs: refs}, nil
}

// refStream gathers rows of held batches in refs order, BatchRows at a time.
type refStream struct {
	ctx     context.Context
	tc      *TaskContext
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	refs    []rowRef
}

func (s *refStream) Next() (arrow.RecordBatch, error) {
	if len(s.refs) == 0 {
		s.Close()
		return nil, EOF
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	n := min(len(s.refs), s.tc.batchRows())
	b, err := gatherBatch(s.tc.Alloc, s.schema, s.batches, s.refs[:n])
	if err != nil {
		return nil, err
	}
	s.refs = s.refs[n:]
	return b, nil
}

func (s *refStream) Close() {
	releaseBatches(s.batches)
	s.batches = nil
	s.refs = nil
}

// SortPreservingMerge merges the sorted partitions of its input into one sorted partition
// (a k-way merge on encoded keys; ties go to the lower partition). Each input partition is
// pulled by its own goroutine, so sorts below run in parallel.
type SortPreservingMerge struct {
	input Plan
	keys  []SortColumn
}

var _ Plan = (*SortPreservingMerge)(nil)

func NewSortPreservingMerge(input Plan, keys []SortColumn) (*SortPreservingMerge, error) {
	if err := checkSortColumns("SortPreservingMerge", input.Schema(), keys); err != nil {
		return nil, err
	}
	return &SortPreservingMerge{input: input, keys: keys}, nil
}

func (m *SortPreservingMerge) Schema() *arrow.Schema { return m.input.Schema() }
func (m *SortPreservingMerge) Partitions() int       { return 1 }
func (m *SortPreservingMerge) Children() []Plan      { return []Plan{m.input} }
func (m *SortPreservingMerge) Describe() (string, string) {
	return "SortPreservingMerge", describeSortColumns(m.input.Schema(), m.keys)
}

func (m *SortPreservingMerge) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(m, p); err != nil {
		return nil, err
	}
	if m.input.Partitions() == 1 {
		return tc.Run(ctx, m.input, 0)
	}
	return &kwayMerge{ctx: ctx, tc: tc, plan: m}, nil
}

// mergeInput is one input partition of a k-way merge, prefetched by a goroutine.
type mergeInput struct {
	ch   chan arrow.RecordBatch
	err  error // set before ch is closed
	idx  int
	cur  *heldBatch
	row  int
	rows int
}

// heldBatch is a batch the merge holds with its encoded keys.
type heldBatch struct {
	batch arrow.RecordBatch
	keys  *encodedRows
	id    int32 // position in the current output chunk's batch list
}

type kwayMerge struct {
	ctx  context.Context
	tc   *TaskContext
	plan *SortPreservingMerge

	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	inputs  []*mergeInput
	heap    mergeHeap
	held    []*heldBatch // batches the current output chunk may reference
	closed  bool
}

type mergeHeap []*mergeInput

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if c := bytes.Compare(a.cur.keys.row(a.row), b.cur.keys.row(b.row)); c != 0 {
		return c < 0
	}
	return a.idx < b.idx
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeInput)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (m *kwayMerge) start() error {
	m.started = true
	var cctx context.Context
	cctx, m.cancel = context.WithCancel(m.ctx)
	n := m.plan.input.Partitions()
	m.inputs = make([]*mergeInput, n)
	for i := range n {
		in := &mergeInput{ch: make(chan arrow.RecordBatch, 2), idx: i}
		m.inputs[i] = in
		m.wg.Add(1)
		m.tc.goroutine(func() {
			defer m.wg.Done()
			defer close(in.ch)
			s, err := m.tc.Run(cctx, m.plan.input, i)
			if err != nil {
				in.err = err
				return
			}
			defer s.Close()
			for {
				b, err := s.Next()
				if err == EOF {
					return
				}
				if err != nil {
					in.err = err
					return
				}
				select {
				case in.ch <- b:
				case <-cctx.Done():
					b.Release()
					return
				}
			}
		})
	}
	for _, in := range m.inputs {
		ok, err := m.advance(in)
		if err != nil {
			return err
		}
		if ok {
			m.heap = append(m.heap, in)
		}
	}
	heap.Init(&m.heap)
	return nil
}

// advance loads in's next batch; false at its end.
func (m *kwayMerge) advance(in *mergeInput) (bool, error) {
	select {
	case b, ok := <-in.ch:
		if !ok {
			if in.err != nil {
				return false, in.err
			}
			return false, nil
		}
		keys := newEncodedRows(m.tc.Alloc)
		rowEncoder{keys: m.plan.keys}.encode(b, keys)
		h := &heldBatch{batch: b, keys: keys, id: int32(len(m.held))}
		m.held = append(m.held, h)
		in.cur, in.row, in.rows = h, 0, int(b.NumRows())
		return true, nil
	case <-m.ctx.Done():
		return false, m.ctx.Err()
	}
}

func (m *kwayMerge) Next() (arrow.RecordBatch, error) {
	if m.closed {
		return nil, EOF
	}
	if !m.started {
		if err := m.start(); err != nil {
			return nil, err
		}
	}
	limit := m.tc.batchRows()
	refs := make([]rowRef, 0, limit)
	for len(refs) < limit && len(m.heap) > 0 {
		top := m.heap[0]
		refs = append(refs, rowRef{batch: top.cur.id, row: int32(top.row)})
		top.row++
		if top.row < top.rows {
			heap.Fix(&m.heap, 0)
			continue
		}
		ok, err := m.advance(top)
		if err != nil {
			return nil, err
		}
		if ok {
			heap.Fix(&m.heap, 0)
		} else {
			heap.Pop(&m.heap)
		}
	}
	if len(refs) == 0 {
		m.Close()
		return nil, EOF
	}
	batches := make([]arrow.RecordBatch, len(m.held))
	for i, h := range m.held {
		batches[i] = h.batch
	}
	out, err := gatherBatch(m.tc.Alloc, m.plan.Schema(), batches, refs)
	if err != nil {
		return nil, err
	}
	m.compactHeld()
	return out, nil
}

// compactHeld releases the batches no input points at any more and renumbers the rest.
func (m *kwayMerge) compactHeld() {
	current := map[*heldBatch]bool{}
	for _, in := range m.heap {
		current[in.cur] = true
	}
	kept := m.held[:0]
	for _, h := range m.held {
		if current[h] {
			h.id = int32(len(kept))
			kept = append(kept, h)
		} else {
			h.batch.Release()
			h.keys.release()
		}
	}
	clear(m.held[len(kept):])
	m.held = kept
}

func (m *kwayMerge) Close() {
	if m.closed {
		return
	}
	m.closed = true
	if m.started {
		m.cancel()
		for _, in := range m.inputs {
			for b := range in.ch {
				b.Release()
			}
		}
		m.wg.Wait()
	}
	for _, h := range m.held {
		h.batch.Release()
		h.keys.release()
	}
	m.held = nil
	m.heap = nil
}

// TopN is ORDER BY keys LIMIT fetch OFFSET offset: each input partition keeps a bounded
// heap of its best offset+fetch rows (in a goroutine per partition), then the candidates
// are merged. One output partition. Far cheaper than Sort + Limit: it holds offset+fetch
// rows per partition instead of the whole input.
type TopN struct {
	input         Plan
	keys          []SortColumn
	offset, fetch int64
}

var _ Plan = (*TopN)(nil)

func NewTopN(input Plan, keys []SortColumn, offset, fetch int64) (*TopN, error) {
	if len(keys) == 0 {
		return nil, internalf("TopN needs at least one key")
	}
	if offset < 0 || fetch < 0 {
		return nil, internalf("TopN needs a non-negative offset and fetch")
	}
	if err := checkSortColumns("TopN", input.Schema(), keys); err != nil {
		return nil, err
	}
	return &TopN{input: input, keys: keys, offset: offset, fetch: fetch}, nil
}

func (t *TopN) Schema() *arrow.Schema { return t.input.Schema() }
func (t *TopN) Partitions() int       { return 1 }
func (t *TopN) Children() []Plan      { return []Plan{t.input} }
func (t *TopN) Describe() (string, string) {
	return "TopN", fmt.Sprintf("%s offset=%d fetch=%d", describeSortColumns(t.input.Schema(), t.keys), t.offset, t.fetch)
}

func (t *TopN) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(t, p); err != nil {
		return nil, err
	}
	if t.fetch == 0 {
		return emptyStream{}, nil
	}
	return &lazyStream{open: func() (Stream, error) { return t.run(ctx, tc) }}, nil
}

func (t *TopN) run(ctx context.Context, tc *TaskContext) (Stream, error) {
	k := int(t.offset + t.fetch)
	n := t.input.Partitions()
	results := make([]arrow.RecordBatch, n)
	errsOut := make([]error, n)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(n)
	for p := range n {
		tc.goroutine(func() {
			defer wg.Done()
			results[p], errsOut[p] = t.local(cctx, tc, p, k)
			if errsOut[p] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	var firstErr error
	for _, err := range errsOut {
		if err != nil && (firstErr == nil || errs.KindOf(firstErr) == errs.KindCanceled) {
			firstErr = err
		}
	}
	var cands []arrow.RecordBatch
	for _, b := range results {
		if b != nil && b.NumRows() > 0 {
			cands = append(cands, b)
		} else if b != nil {
			b.Release()
		}
	}
	if firstErr != nil {
		releaseBatches(cands)
		return nil, firstErr
	}
	refs, err := sortRefs(tc, t.keys, cands)
	if err != nil {
		releaseBatches(cands)
		return nil, err
	}
	lo := min(int(t.offset), len(refs))
	hi := min(k, len(refs))
	return &refStream{ctx: ctx, tc: tc, schema: t.input.Schema(), batches: cands, refs: refs[lo:hi]}, nil
}

// topEntry is one row a partition's heap holds.
type topEntry struct {
	key   []byte
	batch int32
	row   int32
	seq   int64 // arrival order: among equal keys the earlier row wins
}

// topHeap is a max-heap: the worst kept row on top, replaced by any better newcomer.
type topHeap []topEntry

func (h topHeap) Len() int { return len(h) }
func (h topHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].key, h[j].key); c != 0 {
		return c > 0
	}
	return h[i].seq > h[j].seq
}
func (h topHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topHeap) Push(x any)   { *h = append(*h, x.(topEntry)) }
func (h *topHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// local returns the best k rows of partition p as one batch (in no particular order).
func (t *TopN) local(ctx context.Context, tc *TaskContext, p, k int) (arrow.RecordBatch, error) {
	in, err := tc.Run(ctx, t.input, p)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	schema := t.input.Schema()
	enc := newEncodedRows(tc.Alloc)
	defer enc.release()
	e := rowEncoder{keys: t.keys}
	var h topHeap
	var held []arrow.RecordBatch
	defer func() { releaseBatches(held) }()
	seq := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := in.Next()
		if err == EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		enc.reset()
		e.encode(b, enc)
		id := int32(len(held))
		used := false
		for r := range int(b.NumRows()) {
			key := enc.row(r)
			switch {
			case len(h) < k:
				heap.Push(&h, topEntry{key: bytes.Clone(key), batch: id, row: int32(r), seq: seq})
				used = true
			case bytes.Compare(key, h[0].key) < 0:
				h[0] = topEntry{key: append(h[0].key[:0], key...), batch: id, row: int32(r), seq: seq}
				heap.Fix(&h, 0)
				used = true
			}
			seq++
		}
		if !used {
			b.Release()
			continue
		}
		held = append(held, b)
		if len(held) > 16 {
			// Many held batches with few kept rows each: copy the kept rows into one batch.
			if held, err = compactTop(tc, schema, h, held); err != nil {
				return nil, err
			}
		}
		if err := tc.checkMemory("TopN" + sortSpillNote); err != nil {
			return nil, err
		}
	}
	refs := make([]rowRef, len(h))
	for i, en := range h {
		refs[i] = rowRef{batch: en.batch, row: en.row}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	return gatherBatch(tc.Alloc, schema, held, refs)
}

// compactTop gathers the heap's rows into one batch and points the heap at it.
func compactTop(tc *TaskContext, schema *arrow.Schema, h topHeap, held []arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	refs := make([]rowRef, len(h))
	for i, en := range h {
		refs[i] = rowRef{batch: en.batch, row: en.row}
	}
	b, err := gatherBatch(tc.Alloc, schema, held, refs)
	if err != nil {
		return held, err
	}
	releaseBatches(held)
	for i := range h {
		h[i].batch, h[i].row = 0, int32(i)
	}
	return []arrow.RecordBatch{b}, nil
}
