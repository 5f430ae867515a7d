package physical

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/executor"
	"github.com/meshgate/meshgate/executor/eval"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// window computes window functions. Functions sharing a PARTITION BY / ORDER BY run in one
// executor Window over input repartitioned by the partition keys and sorted by partition then
// order keys; each further specification adds another Window on top. A final projection puts
// the columns back in the logical order.
func (b *builder) window(w *logical.Window) (executor.Plan, error) {
	in, err := b.build(w.Input)
	if err != nil {
		return nil, err
	}
	cur := append([]logical.Column(nil), w.Input.Columns()...)
	var groups [][]logical.WindowFunc
	index := map[string]int{}
	for _, f := range w.Funcs {
		key := specKey(f)
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	for _, g := range groups {
		spec := g[0]
		// Key, argument and partition expressions become plain columns.
		var es []expr.Expr
		es = append(es, spec.PartitionBy...)
		for _, k := range spec.OrderBy {
			es = append(es, k.Expr)
		}
		for _, f := range g {
			es = append(es, f.Args...)
		}
		ext, pos, err := b.withColumns(in, cur, es)
		if err != nil {
			return nil, err
		}
		next := 0
		take := func() int { next++; return pos[next-1] }
		opts := executor.WindowOptions{}
		var sortKeys []executor.SortColumn
		for range spec.PartitionBy {
			c := take()
			opts.PartitionBy = append(opts.PartitionBy, c)
			sortKeys = append(sortKeys, executor.SortColumn{Column: c})
		}
		for _, k := range spec.OrderBy {
			sc := executor.SortColumn{Column: take(), Desc: k.Desc, NullsFirst: k.NullsFirst}
			opts.OrderBy = append(opts.OrderBy, sc)
			sortKeys = append(sortKeys, sc)
		}
		for _, f := range g {
			wf := executor.WindowFunc{Func: f.Func, Name: f.Name}
			for range f.Args {
				wf.Args = append(wf.Args, take())
			}
			if f.Frame != nil {
				var keyType arrow.DataType
				if len(spec.OrderBy) == 1 {
					keyType = spec.OrderBy[0].Expr.DataType()
				}
				if wf.Frame, err = frame(f.Frame, keyType); err != nil {
					return nil, err
				}
			}
			opts.Funcs = append(opts.Funcs, wf)
		}
		input := ext
		if len(spec.PartitionBy) > 0 && input.Partitions() > 1 {
			if input, err = executor.NewRepartition(input, opts.PartitionBy, b.opts.Partitions); err != nil {
				return nil, err
			}
		} else if len(spec.PartitionBy) == 0 {
			input = single(input)
		}
		if len(sortKeys) > 0 {
			if input, err = executor.NewSort(input, sortKeys); err != nil {
				return nil, err
			}
		}
		p, err := executor.NewWindow(input, opts)
		if err != nil {
			return nil, err
		}
		// Keep the columns seen so far plus this group's results; drop computed keys.
		width := ext.Schema().NumFields()
		idx := make([]int, 0, len(cur)+len(g))
		names := make([]string, 0, len(cur)+len(g))
		for i, c := range cur {
			idx, names = append(idx, i), append(names, c.Name)
		}
		for i, f := range g {
			idx, names = append(idx, width+i), append(names, f.Name)
			cur = append(cur, logical.Column{ID: f.ID, Name: f.Name, Type: f.Type})
		}
		if in, err = executor.NewProjectColumns(p, idx, names); err != nil {
			return nil, err
		}
	}
	// Restore the logical order: input columns then the functions as written.
	out := w.Columns()
	pos := map[expr.ColumnID]int{}
	for i, c := range cur {
		pos[c.ID] = i
	}
	idx := make([]int, len(out))
	names := make([]string, len(out))
	for i, c := range out {
		idx[i], names[i] = pos[c.ID], c.Name
	}
	return executor.NewProjectColumns(in, idx, names)
}

func specKey(f logical.WindowFunc) string {
	parts := make([]string, 0, len(f.PartitionBy)+len(f.OrderBy)+1)
	for _, p := range f.PartitionBy {
		parts = append(parts, p.String())
	}
	parts = append(parts, "|")
	for _, k := range f.OrderBy {
		parts = append(parts, k.String())
	}
	return strings.Join(parts, ",")
}

func frame(f *logical.Frame, keyType arrow.DataType) (*executor.WindowFrame, error) {
	out := &executor.WindowFrame{Mode: executor.FrameRange}
	if f.Rows {
		out.Mode = executor.FrameRows
	}
	kinds := map[logical.BoundKind]executor.FrameBoundKind{
		logical.UnboundedPreceding: executor.UnboundedPreceding, logical.Preceding: executor.Preceding,
		logical.CurrentRow: executor.CurrentRow, logical.Following: executor.Following, logical.UnboundedFollowing: executor.UnboundedFollowing,
	}
	for i, lb := range []logical.FrameBound{f.Start, f.End} {
		fb := executor.FrameBound{Kind: kinds[lb.Kind]}
		if lb.Offset != nil {
			target := arrow.DataType(expr.Int64)
			if !f.Rows && keyType != nil && expr.IsNumeric(keyType) {
				target = keyType
			}
			off := lb.Offset
			if !f.Rows && lb.Offset.DataType().ID() == arrow.INTERVAL_MONTH_DAY_NANO {
				target = expr.Interval
			}
			lit, err := eval.FoldConstant(expr.CastTo(off, target))
			if err != nil {
				return nil, err
			}
			if lit.Value == nil {
				return nil, errs.New(errs.KindInvalidArgument, "window frame offsets must not be NULL")
			}
			fb.Offset = lit.Value
		}
		if i == 0 {
			out.Start = fb
		} else {
			out.End = fb
		}
	}
	return out, nil
}

func (b *builder) intersectExcept(s *logical.SetOp, inputs []executor.Plan) (executor.Plan, error) {
	kind := executor.Intersect
	if s.Kind == logical.Except {
		kind = executor.Except
	}
	p := inputs[0]
	for _, next := range inputs[1:] {
		var err error
		if p, err = executor.NewSetOp(kind, s.All, p, next); err != nil {
			return nil, err
		}
	}
	return p, nil
}
