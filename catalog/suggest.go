package catalog

import (
	"sort"
	"strings"
)

// Closest returns up to n candidates closest to target by edit distance, among those close
// enough to be a plausible typo (distance at most a third of the target's length, min 2), or
// that contain the target's last dotted part.
func Closest(target string, candidates []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	limit := max(2, len(target)/3)
	last := target[strings.LastIndexByte(target, '.')+1:]
	var out []scored
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(target), strings.ToLower(c))
		cLast := c[strings.LastIndexByte(c, '.')+1:]
		switch {
		case d <= limit:
		case last != "" && strings.EqualFold(cLast, last):
			d = limit + 1
		default:
			continue
		}
		out = append(out, scored{c, d})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].d != out[j].d {
			return out[i].d < out[j].d
		}
		return out[i].name < out[j].name
	})
	names := make([]string, 0, n)
	for i := 0; i < len(out) && i < n; i++ {
		names = append(names, out[i].name)
	}
	return names
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
