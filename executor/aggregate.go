package executor

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// AggregateMode says which part of a two-phase aggregation a HashAggregate runs.
type AggregateMode int

const (
	// AggregateSingle aggregates raw rows to results in one step. Each partition aggregates
	// on its own, so the input must be partitioned by the group keys (Repartition) or have
	// one partition (always the case without group keys: coalesce first).
	AggregateSingle AggregateMode = iota
	// AggregatePartial aggregates each input partition to partial states: output columns
	// are the group keys then each aggregate's state columns. Feed it to NewFinalAggregate
	// through a Repartition on the group keys (columns 0..k-1) or a Coalesce.
	AggregatePartial
	// AggregateFinal merges partial states into results (built by NewFinalAggregate).
	AggregateFinal
)

func (m AggregateMode) String() string {
	return [...]string{"single", "partial", "final"}[m]
}

// Aggregate is one aggregate call over input columns (the planner projects arguments,
// FILTER conditions and ORDER BY keys to plain columns first).
type Aggregate struct {
	// Func is the planner/expr name: count, sum, avg, min, max, stddev_samp, stddev_pop,
	// var_samp, var_pop, bool_and, bool_or, string_agg, array_agg.
	Func string
	// Args are input columns; none for count(*). string_agg takes (value, delimiter).
	Args []int
	// Distinct aggregates each distinct argument tuple of a group once. Only in
	// AggregateSingle mode (see HashAggregate).
	Distinct bool
	// Filter is a boolean input column used when HasFilter is set: only rows where it is
	// true feed this aggregate (FILTER (WHERE …)).
	Filter    int
	HasFilter bool
	// OrderBy orders the rows of string_agg and array_agg within each group; without it
	// they keep input order. Only in AggregateSingle mode.
	OrderBy []SortColumn
	// Name is the output column name. Default: the call's text.
	Name string
}

// HashAggregateOptions configure NewHashAggregate.
type HashAggregateOptions struct {
	// Mode is AggregateSingle (default) or AggregatePartial.
	Mode AggregateMode
	// GroupKeys are input columns of any hashable type; NULL forms its own group. None:
	// one output row even for empty input (count = 0, other aggregates NULL).
	GroupKeys  []int
	Aggregates []Aggregate
}

// HashAggregate groups rows by key columns with a vectorized hash table and feeds typed
// accumulators over whole arrays. Output partitions: as its input; each partition emits its
// groups (keys then aggregates) after its input ends.
//
// DISTINCT and ordered (string_agg/array_agg ORDER BY) aggregates run only in Single mode,
// with per-group hash sets deduplicating rows before the accumulator: the planner uses
// Repartition(group keys) + Single for them (as parallel as Partial/Final), or Coalesce +
// Single without group keys.
type HashAggregate struct {
	input     Plan
	mode      AggregateMode
	keys      []int
	aggs      []Aggregate
	funcs     []*aggFunc
	argTypes  [][]arrow.DataType
	stateCols []int // Final: first input column of each aggregate's state
	schema    *arrow.Schema
}

var _ Plan = (*HashAggregate)(nil)

// NewHashAggregate builds a Single or Partial aggregate.
func NewHashAggregate(input Plan, opts HashAggregateOptions) (*HashAggregate, error) {
	if opts.Mode == AggregateFinal {
		return nil, internalf("build Final aggregates with NewFinalAggregate")
	}
	in := input.Schema()
	h := &HashAggregate{input: input, mode: opts.Mode, keys: opts.GroupKeys, aggs: opts.Aggregates}
	fields := make([]arrow.Field, 0, len(opts.GroupKeys)+len(opts.Aggregates))
	for _, k := range opts.GroupKeys {
		if k < 0 || k >= in.NumFields() {
			return nil, internalf("HashAggregate group key column %d does not exist in an input of %d columns", k, in.NumFields())
		}
		f := in.Field(k)
		if !hashable(f.Type) {
			return nil, errKeyType("GROUP BY", f.Name, f.Type)
		}
		fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true})
	}
	for _, a := range opts.Aggregates {
		fn, types, err := resolveSpec(in, a)
		if err != nil {
			return nil, err
		}
		if opts.Mode == AggregatePartial && (a.Distinct || fn.ordered) {
			return nil, errs.NotSupportedf("%s in a partial aggregate; plan DISTINCT and ordered aggregates as Repartition on the group keys + a single-mode aggregate", fn.label)
		}
		h.funcs = append(h.funcs, fn)
		h.argTypes = append(h.argTypes, types)
		name := aggName(a, fn)
		if opts.Mode == AggregatePartial {
			for j, st := range fn.state {
				fields = append(fields, arrow.Field{Name: fmt.Sprintf("%s#state%d", name, j), Type: st, Nullable: true})
			}
		} else {
			fields = append(fields, arrow.Field{Name: name, Type: fn.result, Nullable: true})
		}
	}
	h.schema = arrow.NewSchema(fields, nil)
	return h, nil
}

func aggName(a Aggregate, fn *aggFunc) string {
	if a.Name != "" {
		return a.Name
	}
	return fn.label
}

// resolveSpec validates an aggregate's columns and resolves its accumulator.
func resolveSpec(in *arrow.Schema, a Aggregate) (*aggFunc, []arrow.DataType, error) {
	col := func(c int, what string) (arrow.Field, error) {
		if c < 0 || c >= in.NumFields() {
			return arrow.Field{}, internalf("aggregate %s: %s column %d does not exist in an input of %d columns", a.Func, what, c, in.NumFields())
		}
		return in.Field(c), nil
	}
	types := make([]arrow.DataType, 0, len(a.Args)+len(a.OrderBy))
	names := make([]string, 0, len(a.Args))
	for _, c := range a.Args {
		f, err := col(c, "argument")
		if err != nil {
			return nil, nil, err
		}
		types = append(types, f.Type)
		names = append(names, f.Name)
	}
	argTypes := types
	label := a.Func + "("
	if a.Distinct {
		label += "DISTINCT "
	}
	if len(names) == 0 && a.Func == "count" {
		label += "*"
	}
	label += strings.Join(names, ", ") + ")"
	if a.HasFilter {
		f, err := col(a.Filter, "FILTER")
		if err != nil {
			return nil, nil, err
		}
		if f.Type.ID() != arrow.BOOL {
			return nil, nil, internalf("aggregate %s: FILTER column %s is %s, not boolean", label, f.Name, f.Type)
		}
	}
	// Order keys follow the arguments in the accumulator's input.
	order := make([]SortColumn, len(a.OrderBy))
	for i, k := range a.OrderBy {
		f, err := col(k.Column, "ORDER BY")
		if err != nil {
			return nil, nil, err
		}
		order[i] = SortColumn{Column: len(a.Args) + i, Desc: k.Desc, NullsFirst: k.NullsFirst}
		types = append(types, f.Type)
	}
	if a.Distinct {
		for i, t := range argTypes {
			if !hashable(t) {
				return nil, nil, errKeyType(label, names[i], t)
			}
		}
	}
	var fn *aggFunc
	var err error
	if a.Func == "string_agg" || a.Func == "array_agg" {
		fn, err = resolveAggFunc(a.Func, types, order, label)
	} else {
		fn, err = resolveAggFunc(a.Func, argTypes, order, label)
	}
	if err != nil {
		return nil, nil, err
	}
	return fn, types, nil
}

// NewFinalAggregate merges the states of partial (a Partial aggregate) arriving through
// input, which must carry partial's output columns (a Repartition on the group key columns
// 0..k-1, or a Coalesce when there are no group keys). Its output is what a Single
// aggregate with the same options produces.
func NewFinalAggregate(partial *HashAggregate, input Plan) (*HashAggregate, error) {
	if partial.mode != AggregatePartial {
		return nil, internalf("NewFinalAggregate needs a partial aggregate, got mode %s", partial.mode)
	}
	if !sameTypes(input.Schema(), partial.schema) {
		return nil, internalf("the input of a final aggregate must have the partial aggregate's columns")
	}
	if len(partial.keys) == 0 && input.Partitions() != 1 {
		return nil, internalf("a final aggregate without group keys needs one input partition; coalesce first")
	}
	k := len(partial.keys)
	h := &HashAggregate{input: input, mode: AggregateFinal, aggs: partial.aggs, funcs: partial.funcs, argTypes: partial.argTypes}
	fields := make([]arrow.Field, 0, k+len(partial.aggs))
	for i := range k {
		h.keys = append(h.keys, i)
		fields = append(fields, partial.schema.Field(i))
	}
	col := k
	for i, fn := range partial.funcs {
		h.stateCols = append(h.stateCols, col)
		col += len(fn.state)
		fields = append(fields, arrow.Field{Name: aggName(partial.aggs[i], fn), Type: fn.result, Nullable: true})
	}
	h.schema = arrow.NewSchema(fields, nil)
	return h, nil
}

func (h *HashAggregate) Schema() *arrow.Schema { return h.schema }
func (h *HashAggregate) Partitions() int       { return h.input.Partitions() }
func (h *HashAggregate) Children() []Plan      { return []Plan{h.input} }
func (h *HashAggregate) Describe() (string, string) {
	in := h.input.Schema()
	keys := make([]string, len(h.keys))
	for i, k := range h.keys {
		keys[i] = in.Field(k).Name
	}
	aggs := make([]string, len(h.funcs))
	for i, fn := range h.funcs {
		aggs[i] = fn.label
		if h.aggs[i].HasFilter && h.mode != AggregateFinal {
			aggs[i] += " FILTER (WHERE " + in.Field(h.aggs[i].Filter).Name + ")"
		}
	}
	return "HashAggregate", fmt.Sprintf("mode=%s keys=[%s] aggs=[%s]", h.mode, strings.Join(keys, ", "), strings.Join(aggs, ", "))
}

// ResultTypes returns the result type of each aggregate, in order (as planner/expr resolves them).
func (h *HashAggregate) ResultTypes() []arrow.DataType {
	out := make([]arrow.DataType, len(h.funcs))
	for i, fn := range h.funcs {
		out[i] = fn.result
	}
	return out
}

func (h *HashAggregate) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(h, p); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, h.input, p)
	if err != nil {
		return nil, err
	}
	return &aggStream{ctx: ctx, tc: tc, h: h, in: in}, nil
}

type aggStream struct {
	ctx context.Context
	tc  *TaskContext
	h   *HashAggregate
	in  Stream

	groups   grouper
	accs     []accumulator
	distinct []grouper
	gids     []uint32

	consumed bool
	emitted  int
	closed   bool
}

func (s *aggStream) init() error {
	in := s.h.input.Schema()
	types := make([]arrow.DataType, len(s.h.keys))
	for i, k := range s.h.keys {
		types[i] = in.Field(k).Type
	}
	var err error
	if s.groups, err = newGrouper(s.tc.Alloc, types, seedTable); err != nil {
		return err
	}
	s.accs = make([]accumulator, len(s.h.funcs))
	s.distinct = make([]grouper, len(s.h.funcs))
	for i, fn := range s.h.funcs {
		s.accs[i] = fn.make(s.tc.Alloc)
		if s.h.aggs[i].Distinct && s.h.mode == AggregateSingle {
			types := append([]arrow.DataType{arrow.PrimitiveTypes.Uint32}, s.h.argTypes[i][:len(s.h.aggs[i].Args)]...)
			if s.distinct[i], err = newGrouper(s.tc.Alloc, types, seedDistinct); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *aggStream) Next() (arrow.RecordBatch, error) {
	if s.closed {
		return nil, EOF
	}
	if !s.consumed {
		if err := s.init(); err != nil {
			return nil, err
		}
		if err := s.consume(); err != nil {
			return nil, err
		}
		s.consumed = true
		s.in.Close() // free the input's resources before emitting
		// Without group keys there is one group even when no row arrived.
		for _, acc := range s.accs {
			acc.resize(s.groups.numGroups())
		}
	}
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	n := s.groups.numGroups()
	if s.emitted >= n {
		s.releaseState()
		return nil, EOF
	}
	from, to := s.emitted, min(n, s.emitted+s.tc.batchRows())
	b, err := s.emit(from, to)
	if err != nil {
		return nil, err
	}
	s.emitted = to
	return b, nil
}

func (s *aggStream) consume() error {
	for {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		b, err := s.in.Next()
		if err == EOF {
			return nil
		}
		if err != nil {
			return err
		}
		err = s.process(b)
		b.Release()
		if err != nil {
			return err
		}
		if err := s.tc.checkMemory("HashAggregate"); err != nil {
			return err
		}
	}
}

func (s *aggStream) process(b arrow.RecordBatch) error {
	n := int(b.NumRows())
	if cap(s.gids) < n {
		s.gids = make([]uint32, n)
	}
	gids := s.gids[:n]
	keys := make([]arrow.Array, len(s.h.keys))
	for i, k := range s.h.keys {
		keys[i] = b.Column(k)
	}
	s.groups.assign(keys, gids)
	ng := s.groups.numGroups()
	for i, acc := range s.accs {
		acc.resize(ng)
		if s.h.mode == AggregateFinal {
			fn := s.h.funcs[i]
			states := b.Columns()[s.h.stateCols[i] : s.h.stateCols[i]+len(fn.state)]
			if err := acc.merge(gids, states); err != nil {
				return err
			}
			continue
		}
		if err := s.feed(i, acc, b, gids); err != nil {
			return err
		}
	}
	return nil
}

// feed applies aggregate i's FILTER and DISTINCT to the batch, then updates its accumulator.
func (s *aggStream) feed(i int, acc accumulator, b arrow.RecordBatch, gids []uint32) error {
	spec := s.h.aggs[i]
	args := make([]arrow.Array, 0, len(spec.Args)+len(spec.OrderBy))
	for _, c := range spec.Args {
		args = append(args, b.Column(c))
	}
	for _, k := range spec.OrderBy {
		args = append(args, b.Column(k.Column))
	}
	var owned []arrow.Array
	defer func() { releaseArrays(owned) }()
	var rows []int32 // selected rows, nil = all
	if spec.HasFilter {
		rows = trueRows(b.Column(spec.Filter))
		if len(rows) == int(b.NumRows()) {
			rows = nil
		} else if len(rows) == 0 {
			return nil
		}
	}
	if rows != nil {
		taken, err := takeColumns(s.tc.Alloc, args, rows, false)
		if err != nil {
			return err
		}
		owned, args = taken, taken
		sel := make([]uint32, len(rows))
		for k, r := range rows {
			sel[k] = gids[r]
		}
		gids = sel
	}
	if d := s.distinct[i]; d != nil {
		firsts, dg := dedupe(d, gids, args[:len(spec.Args)])
		if len(firsts) == 0 {
			return nil
		}
		if len(firsts) < len(gids) {
			taken, err := takeColumns(s.tc.Alloc, args, firsts, false)
			if err != nil {
				return err
			}
			releaseArrays(owned)
			owned, args, gids = taken, taken, dg
		}
	}
	return acc.update(gids, args)
}

// trueRows lists the rows where a boolean column is true (NULL counts as false).
func trueRows(mask arrow.Array) []int32 {
	m := mask.(*array.Boolean)
	v := validityOf(m)
	rows := make([]int32, 0, m.Len())
	for i := 0; i < m.Len(); i++ {
		if v.ok(i) && m.Value(i) {
			rows = append(rows, int32(i))
		}
	}
	return rows
}

// dedupe keeps the first row of every (group, argument tuple) not seen before in set,
// returning those rows and their groups.
func dedupe(set grouper, gids []uint32, args []arrow.Array) ([]int32, []uint32) {
	gidArr := uint32Array(gids)
	defer gidArr.Release()
	cols := append([]arrow.Array{gidArr}, args...)
	before := set.numGroups()
	ids := make([]uint32, len(gids))
	set.assign(cols, ids)
	var rows []int32
	var groups []uint32
	for r, id := range ids {
		if int(id) >= before {
			// Ids are dense in order of first appearance, so this is a first occurrence
			// exactly when the id is the next one not yet handed out.
			if int(id) == before+len(rows) {
				rows = append(rows, int32(r))
				groups = append(groups, gids[r])
			}
		}
	}
	return rows, groups
}

// uint32Array wraps a Go slice as a Uint32 array without copying (for the duration of a
// call).
func uint32Array(v []uint32) arrow.Array {
	buf := memory.NewBufferBytes(arrow.Uint32Traits.CastToBytes(v))
	data := array.NewData(arrow.PrimitiveTypes.Uint32, len(v), []*memory.Buffer{nil, buf}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func (s *aggStream) emit(from, to int) (arrow.RecordBatch, error) {
	cols, err := s.groups.keys(s.tc.Alloc, from, to)
	if err != nil {
		return nil, err
	}
	for _, acc := range s.accs {
		if s.h.mode == AggregatePartial {
			st, err := acc.state(s.tc.Alloc, from, to)
			if err != nil {
				releaseArrays(cols)
				return nil, err
			}
			cols = append(cols, st...)
			continue
		}
		f, err := acc.final(s.tc.Alloc, from, to)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols = append(cols, f)
	}
	return makeBatch(s.h.schema, cols, to-from), nil
}

func (s *aggStream) releaseState() {
	if s.groups != nil {
		s.groups.release()
		s.groups = nil
	}
	for _, a := range s.accs {
		if a != nil {
			a.release()
		}
	}
	s.accs = nil
	for _, d := range s.distinct {
		if d != nil {
			d.release()
		}
	}
	s.distinct = nil
}

func (s *aggStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.in.Close()
	s.releaseState()
}

// NewDistinct removes duplicate rows (SELECT DISTINCT, UNION): one partition aggregates
// directly; several deduplicate per partition, repartition on all columns and deduplicate
// again. NULLs compare equal, as in SQL set semantics.
func NewDistinct(input Plan) (Plan, error) {
	n := input.Schema().NumFields()
	keys := make([]int, n)
	for i := range keys {
		keys[i] = i
	}
	if input.Partitions() == 1 {
		return NewHashAggregate(input, HashAggregateOptions{GroupKeys: keys})
	}
	partial, err := NewHashAggregate(input, HashAggregateOptions{Mode: AggregatePartial, GroupKeys: keys})
	if err != nil {
		return nil, err
	}
	ex, err := NewRepartition(partial, keys, input.Partitions())
	if err != nil {
		return nil, err
	}
	return NewFinalAggregate(partial, ex)
}
