package physical

import (
	"github.com/meshgate/meshgate/executor"
	"github.com/meshgate/meshgate/executor/eval"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
)

// swapped maps a join kind to the kind with its inputs exchanged.
var swapped = map[expr.JoinKind]expr.JoinKind{
	expr.InnerJoin: expr.InnerJoin, expr.CrossJoin: expr.CrossJoin,
	expr.LeftJoin: expr.RightJoin, expr.RightJoin: expr.LeftJoin, expr.FullJoin: expr.FullJoin,
}

// join picks a hash join on the equi-join conjuncts (the rest become a residual predicate)
// or, without any, a nested-loop join. The executor builds its hash table (or materializes)
// the right input, so the smaller estimated input goes right where the kind allows swapping;
// a projection restores the column order afterwards.
func (b *builder) join(j *logical.Join) (executor.Plan, error) {
	left, right, kind := j.Left, j.Right, j.Kind
	if s, ok := swapped[kind]; ok && !j.SingleMatch && estimate(left) < estimate(right) {
		left, right, kind = right, left, s
	}
	lcols, rcols := left.Columns(), right.Columns()
	lIDs, rIDs := logical.IDSet(lcols), logical.IDSet(rcols)
	var lkeys, rkeys, residual []expr.Expr
	if j.On != nil {
		for _, c := range expr.Conjuncts(j.On) {
			if l, r, ok := equiKey(c, lIDs, rIDs); ok && kind != expr.CrossJoin {
				lkeys, rkeys = append(lkeys, l), append(rkeys, r)
				continue
			}
			residual = append(residual, c)
		}
	}
	lp, err := b.build(left)
	if err != nil {
		return nil, err
	}
	rp, err := b.build(right)
	if err != nil {
		return nil, err
	}
	lp, lpos, err := b.withColumns(lp, lcols, lkeys)
	if err != nil {
		return nil, err
	}
	rp, rpos, err := b.withColumns(rp, rcols, rkeys)
	if err != nil {
		return nil, err
	}
	lw := lp.Schema().NumFields()
	joined := make(eval.Layout, len(lcols)+len(rcols))
	for i, c := range lcols {
		joined[c.ID] = i
	}
	for i, c := range rcols {
		joined[c.ID] = lw + i
	}
	var p executor.Plan
	if len(lkeys) == 0 {
		var on executor.Predicate
		cond := expr.And(residual...)
		text := ""
		if cond != nil {
			if on, err = eval.Compile(cond, joined); err != nil {
				return nil, err
			}
			text = cond.String()
		}
		p, err = executor.NewNestedLoopJoin(lp, rp, executor.NestedLoopJoinOptions{Kind: kind, On: on, OnText: text, SingleMatch: j.SingleMatch})
	} else {
		opts := executor.HashJoinOptions{Kind: kind, SingleMatch: j.SingleMatch}
		for i := range lkeys {
			opts.Keys = append(opts.Keys, executor.JoinKey{Left: lpos[i], Right: rpos[i]})
		}
		if cond := expr.And(residual...); cond != nil {
			if opts.Residual, err = eval.Compile(cond, joined); err != nil {
				return nil, err
			}
			opts.ResidualText = cond.String()
		}
		p, err = executor.NewHashJoin(lp, rp, opts)
	}
	if err != nil {
		return nil, err
	}
	// Project to the logical column order: the original left's columns, then the right's.
	out := j.Columns()
	pos := map[expr.ColumnID]int{}
	for i, c := range lcols {
		pos[c.ID] = i
	}
	if kind.OutputsRight() {
		for i, c := range rcols {
			pos[c.ID] = lw + i
		}
	}
	idx := make([]int, len(out))
	names := make([]string, len(out))
	identity := p.Schema().NumFields() == len(out)
	for i, c := range out {
		idx[i], names[i] = pos[c.ID], c.Name
		identity = identity && idx[i] == i
	}
	if identity {
		return rename(p, out)
	}
	return executor.NewProjectColumns(p, idx, names)
}

// equiKey recognizes `l = r` with one side over the left input and the other over the right.
func equiKey(c expr.Expr, lIDs, rIDs map[expr.ColumnID]bool) (expr.Expr, expr.Expr, bool) {
	call, ok := c.(*expr.Call)
	if !ok || call.Func != expr.FnEq {
		return nil, nil, false
	}
	a, b := call.Args[0], call.Args[1]
	if len(expr.Columns(a)) == 0 || len(expr.Columns(b)) == 0 {
		return nil, nil, false
	}
	switch {
	case expr.ReferencesOnly(a, lIDs) && expr.ReferencesOnly(b, rIDs):
		return a, b, true
	case expr.ReferencesOnly(b, lIDs) && expr.ReferencesOnly(a, rIDs):
		return b, a, true
	}
	return nil, nil, false
}

// markJoin builds a Mark join: a hash join on the equi-join conjuncts of On (the rest is a
// residual, the mark condition is evaluated on the matching pairs), or, for an uncorrelated
// `x IN (subquery)`, a null-aware hash join on the IN equality; without keys a nested-loop
// join. The left input is always the probe side: every left row is output once.
func (b *builder) markJoin(j *logical.MarkJoin) (executor.Plan, error) {
	lcols, rcols := j.Left.Columns(), j.Right.Columns()
	lIDs, rIDs := logical.IDSet(lcols), logical.IDSet(rcols)
	var lkeys, rkeys, residual []expr.Expr
	if j.On != nil {
		for _, c := range expr.Conjuncts(j.On) {
			if l, r, ok := equiKey(c, lIDs, rIDs); ok {
				lkeys, rkeys = append(lkeys, l), append(rkeys, r)
				continue
			}
			residual = append(residual, c)
		}
	}
	cond := j.Cond
	nullAware := false
	if len(lkeys) == 0 && len(residual) == 0 && cond != nil {
		if l, r, ok := equiKey(cond, lIDs, rIDs); ok {
			lkeys, rkeys, cond, nullAware = []expr.Expr{l}, []expr.Expr{r}, nil, true
		}
	}
	lp, err := b.build(j.Left)
	if err != nil {
		return nil, err
	}
	rp, err := b.build(j.Right)
	if err != nil {
		return nil, err
	}
	lp, lpos, err := b.withColumns(lp, lcols, lkeys)
	if err != nil {
		return nil, err
	}
	rp, rpos, err := b.withColumns(rp, rcols, rkeys)
	if err != nil {
		return nil, err
	}
	lw := lp.Schema().NumFields()
	joined := make(eval.Layout, len(lcols)+len(rcols))
	for i, c := range lcols {
		joined[c.ID] = i
	}
	for i, c := range rcols {
		joined[c.ID] = lw + i
	}
	var mark executor.Predicate
	markText := ""
	if cond != nil {
		if mark, err = eval.Compile(cond, joined); err != nil {
			return nil, err
		}
		markText = cond.String()
	}
	var on executor.Predicate
	onText := ""
	if r := expr.And(residual...); r != nil {
		if on, err = eval.Compile(r, joined); err != nil {
			return nil, err
		}
		onText = r.String()
	}
	var p executor.Plan
	if len(lkeys) == 0 {
		p, err = executor.NewNestedLoopJoin(lp, rp, executor.NestedLoopJoinOptions{
			Kind: expr.MarkJoin, On: on, OnText: onText, Mark: mark, MarkText: markText, MarkName: j.MarkName})
	} else {
		opts := executor.HashJoinOptions{Kind: expr.MarkJoin, Residual: on, ResidualText: onText,
			Mark: mark, MarkText: markText, MarkName: j.MarkName, NullAware: nullAware}
		for i := range lkeys {
			opts.Keys = append(opts.Keys, executor.JoinKey{Left: lpos[i], Right: rpos[i]})
		}
		p, err = executor.NewHashJoin(lp, rp, opts)
	}
	if err != nil {
		return nil, err
	}
	// Project to the logical columns: the left's, then the mark.
	out := j.Columns()
	idx := make([]int, len(out))
	names := make([]string, len(out))
	identity := p.Schema().NumFields() == len(out)
	for i, c := range out {
		idx[i], names[i] = i, c.Name
	}
	idx[len(out)-1] = p.Schema().NumFields() - 1
	identity = identity && idx[len(out)-1] == len(out)-1
	if identity {
		return rename(p, out)
	}
	return executor.NewProjectColumns(p, idx, names)
}
