package executor

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Collect runs every partition of plan concurrently and returns all batches, partition 0's
// first, each partition's in stream order. The batches belong to the caller. The first error
// cancels the other partitions; nothing stays running when Collect returns. It is meant for
// tests and small results (scalar subqueries); the Flight server streams with Reader.
func Collect(ctx context.Context, tc *TaskContext, plan Plan) ([]arrow.RecordBatch, error) {
	ctx, cancel := context.WithCancel(ctx)
	n := plan.Partitions()
	results := make([][]arrow.RecordBatch, n)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	wg.Add(n)
	for p := range n {
		go func() {
			defer wg.Done()
			s, err := tc.Run(ctx, plan, p)
			if err != nil {
				fail(err)
				return
			}
			batches, err := drain(ctx, s)
			s.Close()
			if err != nil {
				fail(err)
				return
			}
			results[p] = batches
		}()
	}
	wg.Wait()
	cancel()
	tc.finish()
	var out []arrow.RecordBatch
	for _, r := range results {
		out = append(out, r...)
	}
	if firstErr != nil {
		releaseBatches(out)
		return nil, firstErr
	}
	return out, nil
}

// Reader returns plan's result as one stream: the single partition as is (keeping its
// order), or all partitions coalesced. Nothing runs before the first Next. Releasing the
// reader (also before the end) or cancelling ctx stops every goroutine of the execution and
// frees its memory; Release returns after that happened.
func Reader(ctx context.Context, tc *TaskContext, plan Plan) (array.RecordReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &planReader{ctx: ctx, cancel: cancel, tc: tc, plan: plan}
	r.refs.Store(1)
	return r, nil
}

type planReader struct {
	refs   atomic.Int64
	ctx    context.Context
	cancel context.CancelFunc
	tc     *TaskContext
	plan   Plan

	stream Stream
	cur    arrow.RecordBatch
	err    error
	done   bool
}

var _ array.RecordReader = (*planReader)(nil)

func (r *planReader) Retain() { r.refs.Add(1) }

func (r *planReader) Release() {
	if r.refs.Add(-1) == 0 {
		r.stop()
	}
}

func (r *planReader) Schema() *arrow.Schema { return r.plan.Schema() }

func (r *planReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return false
	}
	if r.stream == nil {
		var err error
		if r.plan.Partitions() == 1 {
			r.stream, err = r.tc.Run(r.ctx, r.plan, 0)
		} else {
			r.stream = newMergeStream(r.ctx, r.tc, r.plan)
		}
		if err != nil {
			r.err = err
			r.stop()
			return false
		}
	}
	b, err := r.stream.Next()
	if err != nil {
		if err != EOF {
			r.err = err
		}
		r.stop()
		return false
	}
	r.cur = b
	return true
}

// stop ends the execution: closes the stream, cancels, waits for every goroutine and runs
// the cleanups of shared state.
func (r *planReader) stop() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done {
		return
	}
	r.done = true
	if r.stream != nil {
		r.stream.Close()
	}
	r.cancel()
	r.tc.finish()
}

func (r *planReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is the deprecated name of RecordBatch.
func (r *planReader) Record() arrow.RecordBatch { return r.cur }

func (r *planReader) Err() error { return r.err }
