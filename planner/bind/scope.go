package bind

import (
	"strings"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
	"github.com/meshgate/meshgate/planner/logical"
	"github.com/meshgate/meshgate/planner/parse"
)

// scopeColumn is a name a query block can refer to.
type scopeColumn struct {
	// qualifier is the table alias (or dataset name) and, for datasets, domain its domain,
	// so t.c, dataset.c and domain.dataset.c all resolve.
	qualifier string
	domain    string
	name      string
	col       logical.Column
	// hidden columns are not expanded by * (the right side of USING, hidden sort keys).
	hidden bool
	// denied names the policy that forbids reading the column; referencing it fails.
	denied string
	// dataset is the qualified dataset the column comes from, for audit.
	dataset string
}

// scope is the set of columns visible in a query block, with the enclosing block's scope for
// correlated references.
type scope struct {
	cols  []scopeColumn
	outer *scope
}

func (s *scope) columns() []logical.Column {
	out := make([]logical.Column, len(s.cols))
	for i, c := range s.cols {
		out[i] = c.col
	}
	return out
}

func (sc scopeColumn) matches(parts []string) bool {
	switch len(parts) {
	case 1:
		return sc.name == parts[0]
	case 2:
		return sc.qualifier == parts[0] && sc.name == parts[1]
	case 3:
		return sc.domain == parts[0] && sc.qualifier == parts[1] && sc.name == parts[2]
	case 4:
		return sc.domain == parts[1] && sc.qualifier == parts[2] && sc.name == parts[3]
	}
	return false
}

// lookup finds a column by (possibly qualified) name in this scope only.
func (s *scope) lookup(parts []string) ([]scopeColumn, bool) {
	var hits []scopeColumn
	for _, c := range s.cols {
		if c.matches(parts) {
			hits = append(hits, c)
		}
	}
	// A USING/NATURAL join merges same-named columns into one visible column; prefer the
	// visible one for unqualified references.
	if len(hits) > 1 && len(parts) == 1 {
		var visible []scopeColumn
		for _, h := range hits {
			if !h.hidden {
				visible = append(visible, h)
			}
		}
		if len(visible) == 1 {
			hits = visible
		}
	}
	return hits, len(hits) > 0
}

// resolveColumn finds a column reference in the block's scope, then in enclosing scopes
// (a correlated reference, recorded on the block).
func (b *blockBinder) resolveColumn(ref *parse.ColumnRef) (logical.Column, error) {
	name := strings.Join(ref.Parts, ".")
	depth := 0
	for s := b.scope; s != nil; s = s.outer {
		hits, ok := s.lookup(ref.Parts)
		if !ok {
			depth++
			continue
		}
		if len(hits) > 1 {
			return logical.Column{}, b.invalid(ref.Pos, "column reference %q is ambiguous; qualify it with a table name or alias", name)
		}
		h := hits[0]
		if h.denied != "" {
			return logical.Column{}, errs.New(errs.KindPermissionDenied, "column %s of dataset %s is not accessible to user %s (policy %s)%s",
				h.name, h.dataset, b.qb.opts.Principal.User, h.denied, b.where(ref.Pos))
		}
		if depth > 0 {
			if b.correlated == nil {
				b.correlated = map[expr.ColumnID]bool{}
			}
			b.correlated[h.col.ID] = true
		}
		b.qb.noteColumn(h.dataset, h.name)
		return h.col, nil
	}
	return logical.Column{}, b.unknownColumn(ref, name)
}

func (b *blockBinder) unknownColumn(ref *parse.ColumnRef, name string) error {
	var names []string
	if b.scope != nil {
		for _, c := range b.scope.cols {
			if !c.hidden {
				names = append(names, c.name)
				if c.qualifier != "" {
					names = append(names, c.qualifier+"."+c.name)
				}
			}
		}
	}
	msg := "column " + name + " does not exist"
	if s := catalog.Closest(name, names, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	}
	return errs.New(errs.KindNotFound, "%s%s", msg, b.where(ref.Pos))
}

func (qb *queryBinder) noteColumn(dataset, column string) {
	if dataset == "" {
		return
	}
	u, ok := qb.uses[dataset]
	if !ok {
		return
	}
	for _, c := range u.Columns {
		if c == column {
			return
		}
	}
	u.Columns = append(u.Columns, column)
}
