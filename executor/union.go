package executor

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// UnionAll concatenates its inputs: its partitions are the inputs' partitions in order
// (input 0's first). Inputs must have the same column types; names come from the first.
type UnionAll struct {
	inputs []Plan
}

var _ Plan = (*UnionAll)(nil)

func NewUnionAll(inputs ...Plan) (*UnionAll, error) {
	if len(inputs) == 0 {
		return nil, internalf("UnionAll needs at least one input")
	}
	first := inputs[0].Schema()
	for i, in := range inputs[1:] {
		s := in.Schema()
		if s.NumFields() != first.NumFields() {
			return nil, internalf("UnionAll input %d has %d columns, input 0 has %d", i+1, s.NumFields(), first.NumFields())
		}
		for c := range s.Fields() {
			if !arrow.TypeEqual(s.Field(c).Type, first.Field(c).Type) {
				return nil, internalf("UnionAll input %d column %d is %s, input 0 has %s; the planner must cast to a common type",
					i+1, c, s.Field(c).Type, first.Field(c).Type)
			}
		}
	}
	return &UnionAll{inputs: inputs}, nil
}

func (u *UnionAll) Schema() *arrow.Schema { return u.inputs[0].Schema() }
func (u *UnionAll) Children() []Plan      { return u.inputs }
func (u *UnionAll) Partitions() int {
	n := 0
	for _, in := range u.inputs {
		n += in.Partitions()
	}
	return n
}
func (u *UnionAll) Describe() (string, string) {
	return "UnionAll", fmt.Sprintf("inputs=%d", len(u.inputs))
}

func (u *UnionAll) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(u, p); err != nil {
		return nil, err
	}
	for _, in := range u.inputs {
		if p < in.Partitions() {
			s, err := tc.Run(ctx, in, p)
			if err != nil {
				return nil, err
			}
			if in.Schema().Equal(u.Schema()) {
				return s, nil
			}
			return &renameStream{in: s, schema: u.Schema()}, nil
		}
		p -= in.Partitions()
	}
	return nil, internalf("UnionAll partition out of range")
}

// renameStream re-labels batches with another schema of the same types (zero-copy).
type renameStream struct {
	in     Stream
	schema *arrow.Schema
}

func (s *renameStream) Next() (arrow.RecordBatch, error) {
	b, err := s.in.Next()
	if err != nil {
		return nil, err
	}
	defer b.Release()
	return relabel(b, s.schema), nil
}

func (s *renameStream) Close() { s.in.Close() }

// relabel returns b's columns under schema (a new reference; b stays the caller's).
func relabel(b arrow.RecordBatch, schema *arrow.Schema) arrow.RecordBatch {
	cols := b.Columns()
	for _, c := range cols {
		c.Retain()
	}
	return makeBatch(schema, cols, int(b.NumRows()))
}
