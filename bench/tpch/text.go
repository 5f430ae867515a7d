package tpch

// textPoolSize is the length of the sentence pool comments are cut from. The reference
// generator uses 300 MB; 8 MiB keeps start-up cheap while still giving millions of distinct
// (offset, length) pairs, so comments of SF 1 are practically unique.
const textPoolSize = 8 << 20

// textPool is a long run of sentences from the grammar of clause 4.2.2.10. Comments are random
// substrings of it (as in the reference generator), which makes them cost one slice each.
// It is read-only after construction and shared by all workers.
type textPool struct{ text []byte }

type grammar struct {
	sentences, nounPhrases, verbPhrases                   distribution
	nouns, verbs, adjectives, adverbs, prepositions, auxs distribution
	terminators                                           distribution
}

func newTextPool() *textPool {
	g := grammar{
		sentences:    newDistribution(sentenceForms[:]),
		nounPhrases:  newDistribution(nounPhraseForms[:]),
		verbPhrases:  newDistribution(verbPhraseForms[:]),
		nouns:        newDistribution(nouns[:]),
		verbs:        newDistribution(verbs[:]),
		adjectives:   newDistribution(adjectives[:]),
		adverbs:      newDistribution(adverbs[:]),
		prepositions: newDistribution(prepositions[:]),
		auxs:         newDistribution(auxiliaries[:]),
		terminators:  newDistribution(terminators[:]),
	}
	r := newRNG(streamTextPool, 0)
	buf := make([]byte, 0, textPoolSize+512)
	for len(buf) < textPoolSize {
		buf = g.appendSentence(buf, &r)
	}
	return &textPool{text: buf[:textPoolSize]}
}

// Every word is appended followed by one space; punctuation replaces that space.

func (g *grammar) appendSentence(buf []byte, r *rng) []byte {
	form := g.sentences.pick(r)
	for i := 0; i < len(form); i++ {
		switch form[i] {
		case 'N':
			buf = g.appendNounPhrase(buf, r)
		case 'V':
			buf = g.appendVerbPhrase(buf, r)
		case 'P':
			buf = appendWord(buf, g.prepositions.pick(r))
			buf = appendWord(buf, "the")
			buf = g.appendNounPhrase(buf, r)
		case 'T':
			buf = append(buf[:len(buf)-1], g.terminators.pick(r)...)
			buf = append(buf, ' ')
		}
	}
	return buf
}

func (g *grammar) appendNounPhrase(buf []byte, r *rng) []byte {
	form := g.nounPhrases.pick(r)
	for i := 0; i < len(form); i++ {
		switch form[i] {
		case 'N':
			buf = appendWord(buf, g.nouns.pick(r))
		case 'J':
			buf = appendWord(buf, g.adjectives.pick(r))
		case 'D':
			buf = appendWord(buf, g.adverbs.pick(r))
		case ',':
			buf = append(buf[:len(buf)-1], ", "...)
		}
	}
	return buf
}

func (g *grammar) appendVerbPhrase(buf []byte, r *rng) []byte {
	form := g.verbPhrases.pick(r)
	for i := 0; i < len(form); i++ {
		switch form[i] {
		case 'V':
			buf = appendWord(buf, g.verbs.pick(r))
		case 'X':
			buf = appendWord(buf, g.auxs.pick(r))
		case 'D':
			buf = appendWord(buf, g.adverbs.pick(r))
		}
	}
	return buf
}

func appendWord(buf []byte, word string) []byte {
	buf = append(buf, word...)
	return append(buf, ' ')
}

// comment returns a random substring of the pool with a length in [minLen, maxLen]. The
// result aliases the pool; builders copy it.
func (p *textPool) comment(r *rng, minLen, maxLen int) []byte {
	n := int(r.between(int64(minLen), int64(maxLen)))
	off := r.index(len(p.text) - n + 1)
	return p.text[off : off+n]
}

// alphaNumeric is the character set of the spec's random v-strings (clause 4.2.2.7): 64
// characters, so one random 64-bit value yields ten of them.
const alphaNumeric = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,"

// appendVString appends a random v-string with a length in [minLen, maxLen].
func appendVString(buf []byte, r *rng, minLen, maxLen int) []byte {
	n := int(r.between(int64(minLen), int64(maxLen)))
	var bitsLeft int
	var v uint64
	for range n {
		if bitsLeft < 6 {
			v, bitsLeft = r.next(), 60
		}
		buf = append(buf, alphaNumeric[v&63])
		v >>= 6
		bitsLeft -= 6
	}
	return buf
}
