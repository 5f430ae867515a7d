package sqlgen

import (
	"fmt"
	"strconv"

	"github.com/meshgate/meshgate/planner/expr"
)

// KeyRange is one part of a scan split on an integer column: [Lo, Hi) of Column. The first
// range has no lower bound and also takes NULL keys, the last has no upper bound, so the
// ranges cover every row exactly once even when keys outside the planned [min, max] appear
// after planning.
type KeyRange struct {
	Column       string // source column name
	Index, Count int
	Lo, Hi       int64
}

// KeyRanges cuts the inclusive key range [lo, hi] into at most n ranges of about equal width.
// It returns nil when fewer than two ranges result (the scan is then not split).
func KeyRanges(column string, lo, hi int64, n int) []KeyRange {
	bounds := CutRange(lo, hi, n)
	if len(bounds) <= 2 {
		return nil
	}
	out := make([]KeyRange, len(bounds)-1)
	for i := range out {
		out[i] = KeyRange{Column: column, Index: i, Count: len(out), Lo: bounds[i], Hi: bounds[i+1]}
	}
	return out
}

// CutRange cuts the inclusive range [lo, hi] into at most n half-open ranges of about equal
// width and returns their bounds (one more than the ranges).
func CutRange(lo, hi int64, n int) []int64 {
	if n < 1 || hi < lo {
		return []int64{lo, hi}
	}
	width := uint64(hi-lo) + 1
	if width == 0 || width > 1<<62 {
		width = 1 << 62 // the full int64 range: equal parts of a slightly smaller width
	}
	if uint64(n) > width {
		n = int(width)
	}
	bounds := make([]int64, 0, n+1)
	for i := 0; i <= n; i++ {
		step := width/uint64(n)*uint64(i) + width%uint64(n)*uint64(i)/uint64(n)
		bounds = append(bounds, lo+int64(step))
	}
	return bounds
}

// Predicate renders the range as a condition on the base column.
func (k KeyRange) Predicate(b *SplitBuilder) string {
	col := b.Column(k.Column)
	var lower, upper string
	if k.Index > 0 {
		lower = col + " >= " + b.Bind(Arg{Type: expr.Int64, Value: k.Lo})
	}
	if k.Index < k.Count-1 {
		upper = col + " < " + b.Bind(Arg{Type: expr.Int64, Value: k.Hi})
	}
	if k.Index == 0 {
		upper = "(" + upper + " OR " + col + " IS NULL)"
	}
	switch {
	case lower == "":
		return upper
	case upper == "":
		return lower
	}
	return "(" + lower + " AND " + upper + ")"
}

// String describes the range for EXPLAIN: `k [-∞, 100) (1 of 4)`.
func (k KeyRange) String() string {
	lo, hi := "-∞", "+∞"
	if k.Index > 0 {
		lo = strconv.FormatInt(k.Lo, 10)
	}
	if k.Index < k.Count-1 {
		hi = strconv.FormatInt(k.Hi, 10)
	}
	return fmt.Sprintf("%s [%s, %s) (%d of %d)", k.Column, lo, hi, k.Index+1, k.Count)
}
