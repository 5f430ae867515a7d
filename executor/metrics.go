package executor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// OpMetrics are what EXPLAIN ANALYZE shows for one operator, summed over its partitions.
type OpMetrics struct {
	Rows    atomic.Int64
	Batches atomic.Int64
	Bytes   atomic.Int64
	// Nanos is the time spent inside Next of this operator, children included.
	Nanos atomic.Int64
}

// Metrics collects OpMetrics per plan node.
type Metrics struct {
	mu  sync.Mutex
	ops map[Plan]*OpMetrics
}

// NewMetrics returns an empty collector.
func NewMetrics() *Metrics { return &Metrics{ops: map[Plan]*OpMetrics{}} }

// For returns the metrics of plan, creating them on first use.
func (m *Metrics) For(p Plan) *OpMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	om, ok := m.ops[p]
	if !ok {
		om = &OpMetrics{}
		m.ops[p] = om
	}
	return om
}

// Lookup returns the metrics of plan, or nil if it never ran.
func (m *Metrics) Lookup(p Plan) *OpMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops[p]
}

func (m *Metrics) instrument(p Plan, s Stream) Stream {
	return &meteredStream{inner: s, m: m.For(p)}
}

type meteredStream struct {
	inner Stream
	m     *OpMetrics
}

func (s *meteredStream) Next() (arrow.RecordBatch, error) {
	start := time.Now()
	b, err := s.inner.Next()
	s.m.Nanos.Add(int64(time.Since(start)))
	if b != nil {
		s.m.Rows.Add(b.NumRows())
		s.m.Batches.Add(1)
		s.m.Bytes.Add(BatchBytes(b))
	}
	return b, err
}

func (s *meteredStream) Close() { s.inner.Close() }

// BatchBytes returns the bytes of the buffers a batch references (its slice of them).
func BatchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += arrayBytes(c.Data())
	}
	return n
}

func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayBytes(c)
	}
	return n
}
