package executor

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// emptyStream yields nothing.
type emptyStream struct{}

func (emptyStream) Next() (arrow.RecordBatch, error) { return nil, EOF }
func (emptyStream) Close()                           {}

// batchStream yields prepared batches, handing each one's reference to the caller; Close
// releases those not yet returned.
type batchStream struct {
	batches []arrow.RecordBatch
}

func (s *batchStream) Next() (arrow.RecordBatch, error) {
	for len(s.batches) > 0 {
		b := s.batches[0]
		s.batches[0] = nil
		s.batches = s.batches[1:]
		if b.NumRows() > 0 {
			return b, nil
		}
		b.Release()
	}
	return nil, EOF
}

func (s *batchStream) Close() {
	releaseBatches(s.batches)
	s.batches = nil
}

// lazyStream defers building the real stream to the first Next, so Execute stays free of
// work (the Plan contract) while operators can write their setup as straight-line code.
type lazyStream struct {
	open   func() (Stream, error)
	inner  Stream
	err    error
	closed bool
}

func (s *lazyStream) Next() (arrow.RecordBatch, error) {
	if s.closed {
		return nil, EOF
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.inner == nil {
		s.inner, s.err = s.open()
		s.open = nil
		if s.err != nil {
			return nil, s.err
		}
	}
	return s.inner.Next()
}

func (s *lazyStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.inner != nil {
		s.inner.Close()
	}
}

// funcStream adapts closures to a Stream; close runs at most once.
type funcStream struct {
	next   func() (arrow.RecordBatch, error)
	close  func()
	closed bool
}

func (s *funcStream) Next() (arrow.RecordBatch, error) {
	if s.closed {
		return nil, EOF
	}
	return s.next()
}

func (s *funcStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.close != nil {
		s.close()
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		if b != nil {
			b.Release()
		}
	}
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// drain reads a stream to its end, returning its batches (owned by the caller). On error it
// releases what it read. It does not close the stream.
func drain(ctx context.Context, s Stream) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for {
		if err := ctx.Err(); err != nil {
			releaseBatches(out)
			return nil, err
		}
		b, err := s.Next()
		if err == EOF {
			return out, nil
		}
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
		out = append(out, b)
	}
}

// checkPartition returns an internal error when p is not a partition of plan.
func checkPartition(plan Plan, p int) error {
	if p < 0 || p >= plan.Partitions() {
		name, _ := plan.Describe()
		return internalf("%s has %d partitions; partition %d does not exist", name, plan.Partitions(), p)
	}
	return nil
}
