package executor

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SetOpKind is INTERSECT or EXCEPT. (UNION ALL is UnionAll; UNION is NewDistinct over
// UnionAll.)
type SetOpKind int

const (
	Intersect SetOpKind = iota
	Except
)

func (k SetOpKind) String() string { return [...]string{"INTERSECT", "EXCEPT"}[k] }

// SetOp runs INTERSECT [ALL] and EXCEPT [ALL] by hashing whole rows (NULLs equal, as SQL
// set operations compare rows) and counting each distinct row's occurrences on both sides.
// A row appears min(l, r) times for INTERSECT ALL, max(l-r, 0) times for EXCEPT ALL, and
// once when that count is positive without ALL. One output partition; both inputs are read
// whole (all their partitions).
type SetOp struct {
	kind        SetOpKind
	all         bool
	left, right Plan
}

var _ Plan = (*SetOp)(nil)

func NewSetOp(kind SetOpKind, all bool, left, right Plan) (*SetOp, error) {
	ls, rs := left.Schema(), right.Schema()
	if !sameTypes(ls, rs) {
		return nil, internalf("%s inputs have different column types; the planner must cast to common types", kind)
	}
	for _, f := range ls.Fields() {
		if !hashable(f.Type) {
			return nil, errKeyType(kind.String(), f.Name, f.Type)
		}
	}
	return &SetOp{kind: kind, all: all, left: left, right: right}, nil
}

func (s *SetOp) Schema() *arrow.Schema      { return s.left.Schema() }
func (s *SetOp) Partitions() int            { return 1 }
func (s *SetOp) Children() []Plan           { return []Plan{s.left, s.right} }
func (s *SetOp) Describe() (string, string) { return "SetOp", s.kind.describe(s.all) }

func (s *SetOp) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(s, p); err != nil {
		return nil, err
	}
	return &lazyStream{open: func() (Stream, error) { return s.run(ctx, tc) }}, nil
}

// singleStream reads every partition of plan as one stream.
func singleStream(ctx context.Context, tc *TaskContext, plan Plan) (Stream, error) {
	if plan.Partitions() == 1 {
		return tc.Run(ctx, plan, 0)
	}
	return newMergeStream(ctx, tc, plan), nil
}

func (s *SetOp) run(ctx context.Context, tc *TaskContext) (Stream, error) {
	schema := s.left.Schema()
	types := make([]arrow.DataType, schema.NumFields())
	for i, f := range schema.Fields() {
		types[i] = f.Type
	}
	groups, err := newGrouper(tc.Alloc, types, seedTable)
	if err != nil {
		return nil, err
	}
	st := &setOpStream{ctx: ctx, tc: tc, op: s, groups: groups, left: newVec[int64](tc.Alloc), right: newVec[int64](tc.Alloc)}
	for side, plan := range []Plan{s.left, s.right} {
		counts := &st.left
		if side == 1 {
			counts = &st.right
		}
		if err := st.count(plan, counts); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

type setOpStream struct {
	ctx         context.Context
	tc          *TaskContext
	op          *SetOp
	groups      grouper
	left, right vec[int64]
	next        int   // next group to emit
	pending     int64 // copies of group next still to emit
	closed      bool
}

func (st *setOpStream) count(plan Plan, counts *vec[int64]) error {
	in, err := singleStream(st.ctx, st.tc, plan)
	if err != nil {
		return err
	}
	defer in.Close()
	var gids []uint32
	for {
		if err := st.ctx.Err(); err != nil {
			return err
		}
		b, err := in.Next()
		if err == EOF {
			return nil
		}
		if err != nil {
			return err
		}
		n := int(b.NumRows())
		if cap(gids) < n {
			gids = make([]uint32, n)
		}
		st.groups.assign(b.Columns(), gids[:n])
		b.Release()
		grow(&st.left, st.groups.numGroups())
		grow(&st.right, st.groups.numGroups())
		for _, g := range gids[:n] {
			counts.s[g]++
		}
		if err := st.tc.checkMemory("SetOp " + st.op.kind.String()); err != nil {
			return err
		}
	}
}

// copies is how many times group g appears in the result.
func (st *setOpStream) copies(g int) int64 {
	l, r := st.left.s[g], st.right.s[g]
	switch {
	case st.op.kind == Intersect && st.op.all:
		return min(l, r)
	case st.op.kind == Intersect:
		return min(l, r, 1)
	case st.op.all:
		return max(l-r, 0)
	case l > 0 && r == 0:
		return 1
	}
	return 0
}

func (st *setOpStream) Next() (arrow.RecordBatch, error) {
	if st.closed {
		return nil, EOF
	}
	if err := st.ctx.Err(); err != nil {
		return nil, err
	}
	limit := st.tc.batchRows()
	ng := st.groups.numGroups()
	var idx []int32
	from := st.next
	for st.next < ng && len(idx) < limit {
		if st.pending == 0 {
			st.pending = st.copies(st.next)
		}
		for st.pending > 0 && len(idx) < limit {
			idx = append(idx, int32(st.next-from))
			st.pending--
		}
		if st.pending == 0 {
			st.next++
		}
	}
	if len(idx) == 0 {
		st.Close()
		return nil, EOF
	}
	to := from + int(idx[len(idx)-1]) + 1
	return st.emit(st.tc.Alloc, from, to, idx)
}

func (st *setOpStream) emit(alloc memory.Allocator, from, to int, idx []int32) (arrow.RecordBatch, error) {
	keys, err := st.groups.keys(alloc, from, to)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(keys)
	cols, err := takeColumns(alloc, keys, idx, false)
	if err != nil {
		return nil, err
	}
	return makeBatch(st.op.Schema(), cols, len(idx)), nil
}

func (st *setOpStream) Close() {
	if st.closed {
		return
	}
	st.closed = true
	st.groups.release()
	st.left.release()
	st.right.release()
}

// NewUnion is UNION (distinct) of inputs with the same column types: UnionAll then
// NewDistinct.
func NewUnion(inputs ...Plan) (Plan, error) {
	u, err := NewUnionAll(inputs...)
	if err != nil {
		return nil, err
	}
	return NewDistinct(u)
}

func (k SetOpKind) describe(all bool) string {
	if all {
		return fmt.Sprintf("%s ALL", k)
	}
	return k.String()
}
