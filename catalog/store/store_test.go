package store_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog/store"
	"github.com/meshgate/meshgate/internal/errs"
)

func open(t *testing.T, dir string, mod ...func(*store.Options)) *store.Store {
	t.Helper()
	opts := store.DefaultOptions(dir)
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, m := range mod {
		m(&opts)
	}
	s, err := store.Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func body(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func put(kind, key string, v any) store.Write {
	return store.Write{Kind: kind, Key: key, Body: body(v)}
}

func TestCommitGetListDelete(t *testing.T) {
	s := open(t, t.TempDir())
	docs, err := s.Commit([]store.Write{put("domain", "sales", map[string]string{"name": "sales"}), put("domain", "crm", map[string]string{"name": "crm"})})
	require.NoError(t, err)
	require.Len(t, docs, 2)
	require.Equal(t, uint64(1), docs[0].Version)
	require.Equal(t, "local", docs[0].Node)
	require.Equal(t, 1, docs[1].Time.Compare(docs[0].Time), "timestamps increase within a commit")

	got, ok := s.Get("domain", "sales")
	require.True(t, ok)
	require.JSONEq(t, `{"name":"sales"}`, string(got.Body))
	require.Equal(t, []string{"crm", "sales"}, keys(s.List("domain")))

	// Writing the same body again is a no-op: same version.
	docs, err = s.Commit([]store.Write{put("domain", "sales", map[string]string{"name": "sales"})})
	require.NoError(t, err)
	require.Equal(t, uint64(1), docs[0].Version)

	docs, err = s.Commit([]store.Write{{Kind: "domain", Key: "crm", Delete: true}})
	require.NoError(t, err)
	require.True(t, docs[0].Deleted)
	require.Equal(t, uint64(2), docs[0].Version)
	require.Equal(t, []string{"sales"}, keys(s.List("domain")))
	tomb, ok := s.Get("domain", "crm")
	require.True(t, ok, "the tombstone is kept for replication")
	require.True(t, tomb.Deleted)

	// Re-creating continues the version count.
	docs, err = s.Commit([]store.Write{put("domain", "crm", map[string]string{"name": "crm2"})})
	require.NoError(t, err)
	require.Equal(t, uint64(3), docs[0].Version)
}

func keys(docs []store.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Key)
	}
	return out
}

func TestCommitChecksVersionsAllOrNothing(t *testing.T) {
	s := open(t, t.TempDir())
	_, err := s.Commit([]store.Write{put("product", "sales.book", 1)})
	require.NoError(t, err)

	tests := []struct {
		name    string
		writes  []store.Write
		wantErr bool
	}{
		{"expected version matches", []store.Write{{Kind: "product", Key: "sales.book", Body: body(2), CheckVersion: true, ExpectVersion: 1}}, false},
		{"stale expected version", []store.Write{{Kind: "product", Key: "sales.book", Body: body(3), CheckVersion: true, ExpectVersion: 1}}, true},
		{"create only if absent, but it exists", []store.Write{put("other", "x", 1), {Kind: "product", Key: "sales.book", Body: body(3), CheckVersion: true}}, true},
		{"create only if absent", []store.Write{{Kind: "product", Key: "sales.new", Body: body(1), CheckVersion: true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Commit(tt.writes)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, errs.KindConflict, errs.KindOf(err))
			require.Contains(t, err.Error(), "product sales.book was changed concurrently: it is at version 2")
		})
	}
	_, ok := s.Get("other", "x")
	require.False(t, ok, "a failed commit applies none of its writes")
}

func TestMergeLastWriterWins(t *testing.T) {
	s := open(t, t.TempDir(), func(o *store.Options) { o.NodeID = "b" })
	local, err := s.Commit([]store.Write{put("domain", "sales", "local")})
	require.NoError(t, err)
	ts := local[0].Time

	tests := []struct {
		name    string
		in      store.Document
		applied bool
	}{
		{"older loses", store.Document{Kind: "domain", Key: "sales", Version: 5, Time: store.Timestamp{Wall: ts.Wall - 1}, Node: "z", Body: body("old")}, false},
		{"same time, smaller node id loses", store.Document{Kind: "domain", Key: "sales", Version: 1, Time: ts, Node: "a", Body: body("a")}, false},
		{"same time, larger node id wins", store.Document{Kind: "domain", Key: "sales", Version: 1, Time: ts, Node: "c", Body: body("c")}, true},
		{"newer tombstone wins", store.Document{Kind: "domain", Key: "sales", Version: 2, Time: store.Timestamp{Wall: ts.Wall + 10}, Node: "a", Deleted: true}, true},
		{"unknown document is taken", store.Document{Kind: "domain", Key: "crm", Version: 1, Time: ts, Node: "a", Body: body("crm")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Merge([]store.Document{tt.in})
			require.NoError(t, err)
			require.Equal(t, tt.applied, len(got) == 1)
			cur, _ := s.Get(tt.in.Kind, tt.in.Key)
			if tt.applied {
				require.Equal(t, tt.in.Node, cur.Node)
			}
		})
	}
	// The clock moved past what it observed: the next local write wins over the merged ones.
	next, err := s.Commit([]store.Write{put("domain", "sales", "again")})
	require.NoError(t, err)
	require.Equal(t, 1, next[0].Time.Compare(store.Timestamp{Wall: ts.Wall + 10}))
}

func TestReopenAndCompaction(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, func(o *store.Options) { o.CompactMinBytes = 1 })
	for i := range 50 {
		_, err := s.Commit([]store.Write{put("quality", "sales.book", i), put("domain", fmt.Sprintf("d%02d", i%5), i)})
		require.NoError(t, err)
	}
	_, err := s.Commit([]store.Write{{Kind: "domain", Key: "d00", Delete: true}})
	require.NoError(t, err)
	want := s.All()
	require.NoError(t, s.Close())
	fi, err := os.Stat(filepath.Join(dir, store.LogFile))
	require.NoError(t, err)
	require.Less(t, fi.Size(), int64(4096), "the log was compacted down to the live documents")

	// A crashed compaction's temporary file is ignored.
	require.NoError(t, os.WriteFile(filepath.Join(dir, store.LogFile+".tmp"), []byte("garbage"), 0o600))
	s2 := open(t, dir)
	require.Equal(t, want, s2.All())
	_, err = os.Stat(filepath.Join(dir, store.LogFile+".tmp"))
	require.True(t, os.IsNotExist(err))
}

// TestTornTail cuts the log at every byte of its last record, and flips a byte in it: the
// store opens with exactly the state before that record, and accepts new writes after it.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	_, err := s.Commit([]store.Write{put("domain", "sales", "v1"), put("source", "sales/pg", "v1")})
	require.NoError(t, err)
	before := s.All()
	fi, err := os.Stat(filepath.Join(dir, store.LogFile))
	require.NoError(t, err)
	_, err = s.Commit([]store.Write{put("domain", "sales", "v2"), put("source", "sales/pg", "v2")})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	full, err := os.ReadFile(filepath.Join(dir, store.LogFile))
	require.NoError(t, err)

	check := func(t *testing.T, data []byte) {
		d := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(d, store.LogFile), data, 0o600))
		s := open(t, d)
		require.Equal(t, before, s.All())
		_, err := s.Commit([]store.Write{put("domain", "sales", "v3")})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		s = open(t, d)
		got, _ := s.Get("domain", "sales")
		require.JSONEq(t, `"v3"`, string(got.Body), "writes after a cut tail are readable")
	}
	for cut := fi.Size(); cut < int64(len(full)); cut++ {
		check(t, full[:cut])
	}
	flipped := append([]byte(nil), full...)
	flipped[len(flipped)-3] ^= 0xff
	check(t, flipped)
}

func TestHLCNeverGoesBackwards(t *testing.T) {
	wall := time.Unix(100, 0)
	c := store.NewClock(func() time.Time { return wall })
	a := c.Now()
	wall = wall.Add(-time.Second)
	b := c.Now()
	require.Equal(t, 1, b.Compare(a))
	c.Observe(store.Timestamp{Wall: a.Wall + 1000})
	require.Equal(t, 1, c.Now().Compare(store.Timestamp{Wall: a.Wall + 1000}))
}
