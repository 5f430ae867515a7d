package tpch

import "math/bits"

// rng is a SplitMix64 stream. Every block of rows owns one, seeded from (stream, block),
// so a block's values never depend on which goroutine made it or in which order blocks ran.
// SplitMix64 rather than math/rand/v2: it is a value type the compiler keeps in registers,
// and its output for a seed is fixed forever, which the generator version relies on.
type rng struct{ state uint64 }

// Streams name the independent random sequences of the generator. Changing a value changes
// the generated data, so it requires a new GeneratorVersion.
const (
	streamTextPool uint64 = iota + 1
	streamRegion
	streamNation
	streamSupplier
	streamPart
	streamPartSupp
	streamCustomer
	streamOrders
	streamLineCount
	streamLineItem
)

func newRNG(stream, block uint64) rng {
	r := rng{state: stream*0x9e3779b97f4a7c15 ^ (block+1)*0xd1b54a32d192ed03}
	// Two warm-up rounds decorrelate the neighbouring seeds of consecutive blocks.
	r.next()
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// between returns a uniform integer in [lo, hi] (both inclusive, as the spec writes ranges).
// Lemire's multiply-shift: the bias is below 2^-40 for every range the generator uses.
func (r *rng) between(lo, hi int64) int64 {
	hi64, _ := bits.Mul64(r.next(), uint64(hi-lo+1))
	return lo + int64(hi64)
}

// index returns a uniform integer in [0, n).
func (r *rng) index(n int) int {
	hi64, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi64)
}

// distribution picks words of a weighted list in O(1) through a table with one slot per unit
// of weight (the lists weigh a few hundred units at most).
type distribution struct {
	words []string
	slots []uint8
}

func newDistribution(list []weighted) distribution {
	d := distribution{words: make([]string, len(list))}
	for i, w := range list {
		d.words[i] = w.word
		for range w.weight {
			d.slots = append(d.slots, uint8(i))
		}
	}
	return d
}

func (d *distribution) pick(r *rng) string { return d.words[d.slots[r.index(len(d.slots))]] }
