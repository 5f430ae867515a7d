package executor

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limit skips offset rows and passes at most fetch rows (fetch < 0: no limit). A global
// Limit needs a single input partition (the planner coalesces or merges first); a local
// limit (NewLocalLimit) applies fetch to every partition separately so the planner can
// push offset+fetch below a Coalesce. Once satisfied it closes its input early, which
// stops the work below it.
type Limit struct {
	input         Plan
	offset, fetch int64
	local         bool
}

var _ Plan = (*Limit)(nil)

// NewLimit is LIMIT fetch OFFSET offset over a single-partition input.
func NewLimit(input Plan, offset, fetch int64) (*Limit, error) {
	if input.Partitions() != 1 {
		return nil, internalf("Limit needs one input partition, got %d; coalesce or merge first", input.Partitions())
	}
	if offset < 0 {
		return nil, internalf("Limit with a negative offset")
	}
	return &Limit{input: input, offset: offset, fetch: fetch}, nil
}

// NewLocalLimit passes at most fetch rows of each input partition.
func NewLocalLimit(input Plan, fetch int64) (*Limit, error) {
	if fetch < 0 {
		return nil, internalf("a local limit needs a row count")
	}
	return &Limit{input: input, fetch: fetch, local: true}, nil
}

func (l *Limit) Schema() *arrow.Schema { return l.input.Schema() }
func (l *Limit) Partitions() int       { return l.input.Partitions() }
func (l *Limit) Children() []Plan      { return []Plan{l.input} }
func (l *Limit) Describe() (string, string) {
	if l.local {
		return "LocalLimit", fmt.Sprintf("fetch=%d", l.fetch)
	}
	return "Limit", fmt.Sprintf("offset=%d fetch=%d", l.offset, l.fetch)
}

func (l *Limit) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(l, p); err != nil {
		return nil, err
	}
	if l.fetch == 0 {
		return emptyStream{}, nil
	}
	in, err := tc.Run(ctx, l.input, p)
	if err != nil {
		return nil, err
	}
	return &limitStream{in: in, skip: l.offset, left: l.fetch}, nil
}

type limitStream struct {
	in         Stream
	skip, left int64 // left < 0: unlimited
	done       bool
}

func (s *limitStream) Next() (arrow.RecordBatch, error) {
	for !s.done {
		b, err := s.in.Next()
		if err != nil {
			return nil, err
		}
		n := b.NumRows()
		if s.skip >= n {
			s.skip -= n
			b.Release()
			continue
		}
		from, to := s.skip, n
		s.skip = 0
		if s.left >= 0 && to-from >= s.left {
			to = from + s.left
			s.finish()
		}
		if s.left > 0 {
			s.left -= to - from
		}
		if from == 0 && to == n {
			return b, nil
		}
		out := b.NewSlice(from, to)
		b.Release()
		return out, nil
	}
	return nil, EOF
}

// finish stops pulling and closes the input right away so the operators below stop too.
func (s *limitStream) finish() {
	s.done = true
	s.in.Close()
}

func (s *limitStream) Close() { s.in.Close() }

// MaxOneRow passes the at most one row of a scalar subquery and fails on a second. One
// partition; the input must have one partition too.
type MaxOneRow struct {
	input Plan
}

var _ Plan = (*MaxOneRow)(nil)

func NewMaxOneRow(input Plan) (*MaxOneRow, error) {
	if input.Partitions() != 1 {
		return nil, internalf("MaxOneRow needs one input partition, got %d; coalesce first", input.Partitions())
	}
	return &MaxOneRow{input: input}, nil
}

func (m *MaxOneRow) Schema() *arrow.Schema      { return m.input.Schema() }
func (m *MaxOneRow) Partitions() int            { return 1 }
func (m *MaxOneRow) Children() []Plan           { return []Plan{m.input} }
func (m *MaxOneRow) Describe() (string, string) { return "MaxOneRow", "" }

func (m *MaxOneRow) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(m, p); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, m.input, 0)
	if err != nil {
		return nil, err
	}
	seen := int64(0)
	return &funcStream{
		next: func() (arrow.RecordBatch, error) {
			b, err := in.Next()
			if err != nil {
				return nil, err
			}
			seen += b.NumRows()
			if seen > 1 {
				b.Release()
				return nil, invalidf("more than one row returned by a subquery used as an expression")
			}
			return b, nil
		},
		close: in.Close,
	}, nil
}
