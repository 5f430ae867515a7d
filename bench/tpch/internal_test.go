package tpch

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDateConstants(t *testing.T) {
	for days, want := range map[int64]string{
		startDate:     "1992-01-01",
		currentDate:   "1995-06-17",
		endDate:       "1998-12-31",
		lastOrderDate: "1998-08-02",
	} {
		require.Equal(t, want, time.Unix(days*86400, 0).UTC().Format(time.DateOnly))
	}
}

func TestSparseOrderKey(t *testing.T) {
	var got []int64
	for i := int64(1); i <= 17; i++ {
		got = append(got, sparseOrderKey(i))
	}
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 32, 33, 34, 35, 36, 37, 38, 39, 64, 65}, got)
}

// The supplier formula must give each part four distinct suppliers at every accepted scale
// factor, or PARTSUPP's primary key breaks: newScale's arithmetic check must agree with brute
// force.
func TestPartSupplierIsDistinctPerPart(t *testing.T) {
	accepted := 0
	for suppliers := int64(100); suppliers <= 400; suppliers++ {
		sf := float64(suppliers) / 10000
		s, err := newScale(sf)
		distinct := true
		seen := make([]int64, suppliers+1)
		for part := int64(1); part <= 20*suppliers && distinct; part++ {
			for i := range int64(suppliersPerPart) {
				supp := partSupplier(part, i, suppliers)
				require.True(t, supp >= 1 && supp <= suppliers)
				if seen[supp] == part {
					distinct = false
				}
				seen[supp] = part
			}
		}
		require.Equal(t, distinct, err == nil, "SF %g (%d suppliers)", sf, suppliers)
		if err == nil {
			require.Equal(t, suppliers, s.suppliers)
			accepted++
		}
	}
	require.Greater(t, accepted, 250)
	for _, sf := range []float64{0.01, 0.02, 0.05, 0.1, 1, 10, 100} {
		_, err := newScale(sf)
		require.NoError(t, err, "SF %g", sf)
	}
}

func TestRNGIsStableAndInRange(t *testing.T) {
	a, b := newRNG(streamOrders, 7), newRNG(streamOrders, 7)
	other := newRNG(streamOrders, 8)
	same := 0
	for range 1000 {
		x := a.between(-5, 5)
		require.Equal(t, x, b.between(-5, 5))
		require.True(t, x >= -5 && x <= 5)
		if other.between(-5, 5) == x {
			same++
		}
	}
	require.Less(t, same, 200, "neighbouring blocks draw independent values")
}

func TestTextPoolFollowsTheGrammar(t *testing.T) {
	pool := newTextPool()
	require.Len(t, pool.text, textPoolSize)
	require.Equal(t, pool.text, newTextPool().text, "the pool is deterministic")

	vocabulary := map[string]bool{"the": true}
	for _, list := range [][]weighted{nouns[:], verbs[:], adjectives[:], adverbs[:], prepositions[:], auxiliaries[:]} {
		for _, w := range list {
			for _, word := range strings.Fields(w.word) {
				vocabulary[word] = true
			}
		}
	}
	words := strings.Fields(string(pool.text[:1<<16]))
	for _, w := range words[1 : len(words)-1] { // the ends may be cut mid-word
		require.True(t, vocabulary[strings.TrimRight(w, ".;:?!-,")], "unexpected word %q", w)
	}
	require.Contains(t, string(pool.text), "special")
	require.Contains(t, string(pool.text), "requests")
	require.NotContains(t, string(pool.text), "Customer", "reviews appear only where addReview puts them")
}

func TestAddReview(t *testing.T) {
	pool := newTextPool()
	r := newRNG(streamSupplier, 99)
	complaints := regexp.MustCompile(`Customer .*Complaints`)
	recommends := regexp.MustCompile(`Customer .*Recommends`)
	const n = 200_000
	var complained, recommended int
	for range n {
		original := pool.comment(&r, 25, 100)
		comment := addReview(append([]byte(nil), original...), &r)
		require.Len(t, comment, len(original))
		switch {
		case complaints.Match(comment):
			complained++
		case recommends.Match(comment):
			recommended++
		default:
			require.Equal(t, original, comment)
		}
	}
	// SF × 5 of SF × 10000 suppliers each: 100 expected of 200000.
	require.InDelta(t, 100, complained, 40)
	require.InDelta(t, 100, recommended, 40)
}

func TestScaleFactorLimits(t *testing.T) {
	for _, sf := range []float64{0, -1, 0.009, 1e6} {
		_, err := newScale(sf)
		require.Error(t, err, "SF %g", sf)
	}
	s, err := newScale(0.05)
	require.NoError(t, err)
	require.Equal(t, scale{sf: 0.05, suppliers: 500, parts: 10000, customers: 7500, orders: 75000, clerks: 50}, s)
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u:p@host:5432/meshgate_test?sslmode=disable", "postgres://u:p@host:5432/meshgate_tpch_sf1?sslmode=disable"},
		{"postgresql://host/", "postgresql://host/meshgate_tpch_sf1"},
		{"postgres://host", "postgres://host/meshgate_tpch_sf1"},
		{"host=localhost dbname=other user=u", "host=localhost dbname=other user=u dbname=meshgate_tpch_sf1"},
		{"", "dbname=meshgate_tpch_sf1"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.dsn, "meshgate_tpch_sf1")
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func BenchmarkTextPool(b *testing.B) {
	for b.Loop() {
		newTextPool()
	}
}
