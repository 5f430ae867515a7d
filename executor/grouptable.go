package executor

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// grouper assigns dense group ids (0, 1, 2, … in order of first appearance) to the rows of
// key columns. It is the shared core of hash aggregation, DISTINCT, set operations and the
// per-group DISTINCT sets; its memory comes from the query's allocator.
type grouper interface {
	// assign sets gids[i] to the group of row i of cols, creating groups as needed.
	assign(cols []arrow.Array, gids []uint32)
	numGroups() int
	// keys returns the key columns of groups [from, to).
	keys(alloc memory.Allocator, from, to int) ([]arrow.Array, error)
	release()
}

// newGrouper picks the table for the key types: none (one group), a single integer-like key
// (typed table without a separate hashing pass; direct indexing for 1- and 2-byte keys), or
// the general vectorized-hash table.
func newGrouper(alloc memory.Allocator, types []arrow.DataType, seed uint64) (grouper, error) {
	for _, t := range types {
		if !hashable(t) {
			return nil, errKeyType("grouping", "key", t)
		}
	}
	if len(types) == 0 {
		return noKeys{}, nil
	}
	if len(types) == 1 {
		switch t := types[0]; t.ID() {
		case arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.INTERVAL_MONTH_DAY_NANO:
		default:
			switch fixedKeyWidth(t) {
			case 1:
				return newIntTable[uint8](alloc, t, true), nil
			case 2:
				return newIntTable[uint16](alloc, t, true), nil
			case 4:
				return newIntTable[uint32](alloc, t, false), nil
			case 8:
				return newIntTable[uint64](alloc, t, false), nil
			}
		}
	}
	return newHashTable(alloc, types, seed)
}

// noKeys is the grouper of an aggregate without GROUP BY: one group, even for no rows.
type noKeys struct{}

func (noKeys) assign(_ []arrow.Array, gids []uint32) { clear(gids) }
func (noKeys) numGroups() int                        { return 1 }
func (noKeys) keys(memory.Allocator, int, int) ([]arrow.Array, error) {
	return nil, nil
}
func (noKeys) release() {}

// hashTable is an open-addressing table over vectorized row hashes; each slot holds a group
// id + 1 (0 = empty), and each group remembers its full hash to skip most key comparisons.
type hashTable struct {
	stores []keyStore
	hashes vec[uint64]
	slots  vec[uint32]
	seed   uint64
	rowH   []uint64
}

func newHashTable(alloc memory.Allocator, types []arrow.DataType, seed uint64) (*hashTable, error) {
	t := &hashTable{hashes: newVec[uint64](alloc), slots: newVec[uint32](alloc), seed: seed}
	for _, dt := range types {
		s, err := newKeyStore(alloc, dt)
		if err != nil {
			t.release()
			return nil, err
		}
		t.stores = append(t.stores, s)
	}
	t.slots.resize(64)
	return t, nil
}

func (t *hashTable) numGroups() int { return t.hashes.len() }

func (t *hashTable) assign(cols []arrow.Array, gids []uint32) {
	n := len(gids)
	if cap(t.rowH) < n {
		t.rowH = make([]uint64, n)
	}
	rowH := t.rowH[:n]
	hashColumns(cols, t.seed, rowH)
	eqs := make([]func(uint32, int) bool, len(cols))
	apps := make([]func(int), len(cols))
	for k, c := range cols {
		eqs[k] = t.stores[k].equal(c)
		apps[k] = t.stores[k].appender(c)
	}
	single := len(eqs) == 1
	for i := 0; i < n; i++ {
		h := rowH[i]
		mask := uint64(t.slots.len() - 1)
		pos := h & mask
		for {
			s := t.slots.s[pos]
			if s == 0 {
				g := uint32(t.hashes.len())
				for _, app := range apps {
					app(i)
				}
				t.hashes.append(h)
				t.slots.s[pos] = g + 1
				gids[i] = g
				if 2*t.hashes.len() > t.slots.len() {
					t.grow()
				}
				break
			}
			g := s - 1
			if t.hashes.s[g] == h {
				if single {
					if eqs[0](g, i) {
						gids[i] = g
						break
					}
				} else if allEqual(eqs, g, i) {
					gids[i] = g
					break
				}
			}
			pos = (pos + 1) & mask
		}
	}
}

func allEqual(eqs []func(uint32, int) bool, g uint32, i int) bool {
	for _, eq := range eqs {
		if !eq(g, i) {
			return false
		}
	}
	return true
}

func (t *hashTable) grow() {
	size := 2 * t.slots.len()
	t.slots.release()
	t.slots.resize(size)
	mask := uint64(size - 1)
	for g, h := range t.hashes.s {
		pos := h & mask
		for t.slots.s[pos] != 0 {
			pos = (pos + 1) & mask
		}
		t.slots.s[pos] = uint32(g) + 1
	}
}

func (t *hashTable) keys(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(t.stores))
	for k, s := range t.stores {
		a, err := s.build(alloc, from, to)
		if err != nil {
			releaseArrays(out)
			return nil, err
		}
		out[k] = a
	}
	return out, nil
}

func (t *hashTable) release() {
	for _, s := range t.stores {
		s.release()
	}
	t.hashes.release()
	t.slots.release()
}

// intTable groups one integer-like key (any integer, date, time, timestamp, duration) by its
// bit pattern, hashing inline. With direct, the key's whole domain (1 or 2 bytes) indexes
// the slot array and no probing happens at all.
type intTable[T uint8 | uint16 | uint32 | uint64] struct {
	store     *fixedStore[T]
	slots     vec[uint32]
	direct    bool
	nullGroup uint32 // group id + 1 of the NULL key, 0 if none yet
}

func newIntTable[T uint8 | uint16 | uint32 | uint64](alloc memory.Allocator, dt arrow.DataType, direct bool) *intTable[T] {
	t := &intTable[T]{store: newFixedStore[T](alloc, dt), slots: newVec[uint32](alloc), direct: direct}
	if direct {
		var zero T
		t.slots.resize(1 << (8 * unsafeSizeof(zero)))
	} else {
		t.slots.resize(64)
	}
	return t
}

func (t *intTable[T]) numGroups() int { return t.store.vals.len() }

func (t *intTable[T]) assign(cols []arrow.Array, gids []uint32) {
	arr := cols[0]
	var zero T
	vals := reinterpret[T](fixedBytes(arr.Data(), int(unsafeSizeof(zero))))
	hasNulls := arr.NullN() > 0
	for i := range gids {
		if hasNulls && arr.IsNull(i) {
			if t.nullGroup == 0 {
				t.nullGroup = uint32(t.numGroups()) + 1
				t.store.vals.append(zero)
				t.store.valid.append(false)
			}
			gids[i] = t.nullGroup - 1
			continue
		}
		v := vals[i]
		if t.direct {
			s := t.slots.s[uint64(v)]
			if s == 0 {
				s = uint32(t.numGroups()) + 1
				t.slots.s[uint64(v)] = s
				t.store.vals.append(v)
				t.store.valid.append(true)
			}
			gids[i] = s - 1
			continue
		}
		gids[i] = t.probe(v)
	}
}

func (t *intTable[T]) probe(v T) uint32 {
	mask := uint64(t.slots.len() - 1)
	pos := mix64(uint64(v)) & mask
	for {
		s := t.slots.s[pos]
		if s == 0 {
			g := uint32(t.numGroups())
			t.store.vals.append(v)
			t.store.valid.append(true)
			t.slots.s[pos] = g + 1
			if 2*t.numGroups() > t.slots.len() {
				t.grow()
			}
			return g
		}
		if g := s - 1; t.store.valid.s[g] && t.store.vals.s[g] == v {
			return g
		}
		pos = (pos + 1) & mask
	}
}

func (t *intTable[T]) grow() {
	size := 2 * t.slots.len()
	t.slots.release()
	t.slots.resize(size)
	mask := uint64(size - 1)
	for g, v := range t.store.vals.s {
		if !t.store.valid.s[g] {
			continue
		}
		pos := mix64(uint64(v)) & mask
		for t.slots.s[pos] != 0 {
			pos = (pos + 1) & mask
		}
		t.slots.s[pos] = uint32(g) + 1
	}
}

func (t *intTable[T]) keys(alloc memory.Allocator, from, to int) ([]arrow.Array, error) {
	a, err := t.store.build(alloc, from, to)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{a}, nil
}

func (t *intTable[T]) release() {
	t.store.release()
	t.slots.release()
}
