package store

import (
	"fmt"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock reading: wall-clock nanoseconds plus a logical counter
// that orders events within the same nanosecond or when a node's clock is behind a peer's.
type Timestamp struct {
	Wall    int64  `json:"wall"`
	Logical uint32 `json:"logical"`
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t Timestamp) Compare(u Timestamp) int {
	switch {
	case t.Wall < u.Wall:
		return -1
	case t.Wall > u.Wall:
		return 1
	case t.Logical < u.Logical:
		return -1
	case t.Logical > u.Logical:
		return 1
	}
	return 0
}

// IsZero reports whether t was never set.
func (t Timestamp) IsZero() bool { return t.Wall == 0 && t.Logical == 0 }

// Time is the wall-clock part as a time.Time.
func (t Timestamp) Time() time.Time { return time.Unix(0, t.Wall).UTC() }

func (t Timestamp) String() string { return fmt.Sprintf("%d.%d", t.Wall, t.Logical) }

// Clock is a hybrid logical clock (Kulkarni et al.): readings never go backwards, and after
// Observe they are after every timestamp seen from other nodes, whatever the wall clocks say.
type Clock struct {
	now func() time.Time

	mu   sync.Mutex
	last Timestamp
}

// NewClock returns a clock reading now (time.Now when nil).
func NewClock(now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now}
}

// Now returns a timestamp after every timestamp returned or observed before.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := c.now().UnixNano()
	if wall > c.last.Wall {
		c.last = Timestamp{Wall: wall}
	} else {
		c.last.Logical++
	}
	return c.last
}

// Observe advances the clock past a timestamp read from another node or from disk.
func (c *Clock) Observe(t Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Compare(c.last) > 0 {
		c.last = t
	}
}
