package executor

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
)

// Budget is a memory.Allocator that counts the bytes a query holds. Allocation itself never
// fails (arrow allocators cannot return errors); operators that accumulate data call Check
// after growing, and the query fails with ResourceExhausted naming the operator.
type Budget struct {
	base  memory.Allocator
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

var _ memory.Allocator = (*Budget)(nil)

// NewBudget wraps base with a limit in bytes; limit <= 0 means unlimited.
func NewBudget(base memory.Allocator, limit int64) *Budget {
	if base == nil {
		base = memory.DefaultAllocator
	}
	return &Budget{base: base, limit: limit}
}

func (b *Budget) Allocate(size int) []byte {
	b.add(int64(size))
	return b.base.Allocate(size)
}

func (b *Budget) Reallocate(size int, buf []byte) []byte {
	b.add(int64(size - cap(buf)))
	return b.base.Reallocate(size, buf)
}

func (b *Budget) Free(buf []byte) {
	b.add(-int64(cap(buf)))
	b.base.Free(buf)
}

func (b *Budget) add(n int64) {
	u := b.used.Add(n)
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			return
		}
	}
}

// Used returns the bytes currently allocated by the query.
func (b *Budget) Used() int64 { return b.used.Load() }

// Peak returns the most bytes the query held at once.
func (b *Budget) Peak() int64 { return b.peak.Load() }

// Limit returns the budget in bytes (<= 0: unlimited).
func (b *Budget) Limit() int64 { return b.limit }

// Check returns a ResourceExhausted error naming op if the query is over its budget.
func (b *Budget) Check(op string) error {
	if b == nil || b.limit <= 0 {
		return nil
	}
	if u := b.used.Load(); u > b.limit {
		return errs.New(errs.KindResourceExhausted,
			"query exceeded its memory budget of %s in %s (holding %s); add filters, reduce the result or raise query.max_memory",
			FormatBytes(b.limit), op, FormatBytes(u))
	}
	return nil
}

// FormatBytes renders a byte count for humans (1.5 MiB).
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
