package executor

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Evaluator computes one column from a batch: its result has one row per input row and is
// owned by the caller. eval.Evaluator satisfies it.
type Evaluator interface {
	Eval(alloc memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error)
}

// Predicate is an Evaluator of a boolean (or NULL-typed) column; NULL counts as false.
type Predicate = Evaluator

// ColumnEvaluator returns input column i unchanged (zero-copy): Project uses it to reorder,
// drop or rename columns, e.g. to restore the column order after the planner swapped join
// inputs.
func ColumnEvaluator(i int) Evaluator { return columnEvaluator(i) }

type columnEvaluator int

func (c columnEvaluator) Eval(_ memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	if int(c) < 0 || int(c) >= int(batch.NumCols()) {
		return nil, internalf("column %d does not exist in a batch of %d columns", int(c), batch.NumCols())
	}
	col := batch.Column(int(c))
	col.Retain()
	return col, nil
}

// Filter keeps the rows for which the predicate is true. Partitions: as its input; batches
// that would be empty are skipped, batches where every row passes are forwarded unchanged.
type Filter struct {
	input    Plan
	pred     Predicate
	describe string
}

var _ Plan = (*Filter)(nil)

// NewFilter filters input by pred; describe is the predicate's text for EXPLAIN.
func NewFilter(input Plan, pred Predicate, describe string) (*Filter, error) {
	if pred == nil {
		return nil, internalf("Filter needs a predicate")
	}
	return &Filter{input: input, pred: pred, describe: describe}, nil
}

func (f *Filter) Schema() *arrow.Schema      { return f.input.Schema() }
func (f *Filter) Partitions() int            { return f.input.Partitions() }
func (f *Filter) Children() []Plan           { return []Plan{f.input} }
func (f *Filter) Describe() (string, string) { return "Filter", f.describe }

func (f *Filter) Execute(ctx context.Context, tc *TaskContext, p int) (Stream, error) {
	if err := checkPartition(f, p); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, f.input, p)
	if err != nil {
		return nil, err
	}
	return &funcStream{
		next: func() (arrow.RecordBatch, error) {
			for {
				b, err := in.Next()
				if err != nil {
					return nil, err
				}
				out, err := applyPredicate(tc.Alloc, f.pred, b)
				b.Release()
				if err != nil {
					return nil, err
				}
				if out != nil {
					return out, nil
				}
			}
		},
		close: in.Close,
	}, nil
}

// applyPredicate returns the rows of b where pred is true, or nil when none is; b stays
// owned by the caller.
func applyPredicate(alloc memory.Allocator, pred Predicate, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	mask, err := pred.Eval(alloc, b)
	if err != nil {
		return nil, err
	}
	defer mask.Release()
	sel, err := selectionOf(mask, int(b.NumRows()))
	if err != nil {
		return nil, err
	}
	switch {
	case sel.none:
		return nil, nil
	case sel.all:
		b.Retain()
		return b, nil
	}
	ctx := compute.WithAllocator(context.Background(), alloc)
	out, err := compute.FilterRecordBatch(ctx, b, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, internalf("applying a filter: %v", err)
	}
	return out, nil
}

type selection struct {
	all, none bool
	count     int
}

// selectionOf counts the true values of a predicate result (NULL = false).
func selectionOf(mask arrow.Array, rows int) (selection, error) {
	if mask.Len() != rows {
		return selection{}, internalf("a predicate returned %d values for %d rows", mask.Len(), rows)
	}
	switch m := mask.(type) {
	case *array.Null:
		return selection{none: true}, nil
	case *array.Boolean:
		n := 0
		if m.NullN() == 0 {
			n = countTrue(m)
		} else {
			for i := 0; i < m.Len(); i++ {
				if m.IsValid(i) && m.Value(i) {
					n++
				}
			}
		}
		return selection{all: n == rows, none: n == 0, count: n}, nil
	}
	return selection{}, internalf("a predicate returned %s instead of boolean", mask.DataType())
}

func countTrue(m *array.Boolean) int {
	d := m.Data()
	return bitutil.CountSetBits(bufferBytes(d, 1), d.Offset(), d.Len())
}

// Project computes one output column per evaluator. Partitions: as its input.
type Project struct {
	input  Plan
	schema *arrow.Schema
	exprs  []Evaluator
	texts  []string
}

var _ Plan = (*Project)(nil)

// NewProject evaluates exprs over each input batch; schema names and types the results
// (each evaluator must return exactly its field's type). texts, one per expression or nil,
// are shown by EXPLAIN.
func NewProject(input Plan, schema *arrow.Schema, exprs []Evaluator, texts []string) (*Project, error) {
	if schema.NumFields() != len(exprs) {
		return nil, internalf("Project has %d expressions for %d output columns", len(exprs), schema.NumFields())
	}
	if texts != nil && len(texts) != len(exprs) {
		return nil, internalf("Project has %d texts for %d expressions", len(texts), len(exprs))
	}
	return &Project{input: input, schema: schema, exprs: exprs, texts: texts}, nil
}

// NewProjectColumns selects input columns by index (zero-copy), optionally renaming them
// (names nil keeps the input names).
func NewProjectColumns(input Plan, columns []int, names []string) (*Project, error) {
	in := input.Schema()
	fields := make([]arrow.Field, len(columns))
	exprs := make([]Evaluator, len(columns))
	texts := make([]string, len(columns))
	for i, c := range columns {
		if c < 0 || c >= in.NumFields() {
			return nil, internalf("Project selects column %d of an input with %d columns", c, in.NumFields())
		}
		fields[i] = in.Field(c)
		if names != nil {
			fields[i].Name = names[i]
		}
		exprs[i] = ColumnEvaluator(c)
		texts[i] = in.Field(c).Name
	}
	return NewProject(input, arrow.NewSchema(fields, nil), exprs, texts)
}

func (p *Project) Schema() *arrow.Schema { return p.schema }
func (p *Project) Partitions() int       { return p.input.Partitions() }
func (p *Project) Children() []Plan      { return []Plan{p.input} }
func (p *Project) Describe() (string, string) {
	parts := make([]string, len(p.exprs))
	for i, f := range p.schema.Fields() {
		if p.texts != nil && p.texts[i] != f.Name {
			parts[i] = p.texts[i] + " AS " + f.Name
		} else {
			parts[i] = f.Name
		}
	}
	return "Project", strings.Join(parts, ", ")
}

func (p *Project) Execute(ctx context.Context, tc *TaskContext, part int) (Stream, error) {
	if err := checkPartition(p, part); err != nil {
		return nil, err
	}
	in, err := tc.Run(ctx, p.input, part)
	if err != nil {
		return nil, err
	}
	return &funcStream{
		next: func() (arrow.RecordBatch, error) {
			b, err := in.Next()
			if err != nil {
				return nil, err
			}
			defer b.Release()
			return p.project(tc.Alloc, b)
		},
		close: in.Close,
	}, nil
}

func (p *Project) project(alloc memory.Allocator, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		c, err := e.Eval(alloc, b)
		if err != nil {
			releaseArrays(cols)
			return nil, err
		}
		cols[i] = c
		f := p.schema.Field(i)
		if c.Len() != int(b.NumRows()) || !arrow.TypeEqual(c.DataType(), f.Type) {
			releaseArrays(cols)
			return nil, internalf("Project column %s: the expression returned %d values of type %s for %d rows of type %s",
				f.Name, c.Len(), c.DataType(), b.NumRows(), f.Type)
		}
	}
	return makeBatch(p.schema, cols, int(b.NumRows())), nil
}
