package store_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog/store"
)

// crashWriterEnv makes the test binary a writer subprocess (see TestCrashDuringWrites).
const crashWriterEnv = "MESHGATE_STORE_CRASH_WRITER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		runCrashWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// crashBody is what the writer stores: a sequence number and a padding of random length
// whose hash is stored too, so a torn or mixed document is detectable.
type crashBody struct {
	Seq  int    `json:"seq"`
	Pad  string `json:"pad"`
	Hash string `json:"hash"`
}

func newCrashBody(seq int, r *rand.Rand) json.RawMessage {
	pad := strings.Repeat(strconv.Itoa(seq%10), r.IntN(4000))
	sum := sha256.Sum256([]byte(fmt.Sprint(seq, pad)))
	b, _ := json.Marshal(crashBody{Seq: seq, Pad: pad, Hash: hex.EncodeToString(sum[:])})
	return b
}

func (b crashBody) intact() bool {
	sum := sha256.Sum256([]byte(fmt.Sprint(b.Seq, b.Pad)))
	return b.Hash == hex.EncodeToString(sum[:])
}

// runCrashWriter commits forever: each commit writes pair/a and pair/b with the same
// sequence number plus one of 20 rotating items, then prints "ok SEQ" once Commit returned
// (the change is acknowledged durable). The parent kills it at a random moment. A small
// compaction threshold makes compactions happen while it runs, so kills land in them too.
func runCrashWriter(dir string) {
	opts := store.DefaultOptions(dir)
	opts.CompactMinBytes = 64 << 10
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	start := 0
	if d, ok := s.Get("pair", "a"); ok {
		var b crashBody
		_ = json.Unmarshal(d.Body, &b)
		start = b.Seq
	}
	r := rand.New(rand.NewPCG(uint64(start), 7))
	for seq := start + 1; ; seq++ {
		_, err := s.Commit([]store.Write{
			{Kind: "pair", Key: "a", Body: newCrashBody(seq, r)},
			{Kind: "pair", Key: "b", Body: newCrashBody(seq, r)},
			{Kind: "item", Key: strconv.Itoa(seq % 20), Body: newCrashBody(seq, r)},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		fmt.Fprintf(os.Stdout, "ok %d\n", seq)
	}
}

// TestCrashDuringWrites SIGKILLs a writer process in the middle of its stream of commits,
// several times over the same directory, and checks after each kill that the store opens
// with every acknowledged commit, no commit half-applied and no torn document.
func TestCrashDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("runs writer subprocesses; skipped with -short")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	lastAcked := 0
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		killAfter := 50 + r.IntN(300)
		sc := bufio.NewScanner(stdout)
		acks := 0
		for sc.Scan() {
			seq, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ok "))
			require.NoError(t, err)
			require.Greater(t, seq, lastAcked)
			lastAcked = seq
			acks++
			if acks == killAfter {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			}
		}
		err = cmd.Wait()
		require.Error(t, err, "the writer was killed (stderr: %s)", stderr.String())
		require.GreaterOrEqual(t, acks, killAfter, "round %d: the writer stopped early: %s", round, stderr.String())

		s := open(t, dir)
		a, b := crashDoc(t, s, "pair", "a"), crashDoc(t, s, "pair", "b")
		require.Equal(t, a.Seq, b.Seq, "round %d: a commit is all or nothing", round)
		require.GreaterOrEqual(t, a.Seq, lastAcked, "round %d: every acknowledged commit survives", round)
		require.LessOrEqual(t, a.Seq, lastAcked+1, "round %d: at most the commit in flight is extra", round)
		items := s.List("item")
		require.Len(t, items, 20)
		for _, d := range items {
			var ib crashBody
			require.NoError(t, json.Unmarshal(d.Body, &ib))
			require.True(t, ib.intact(), "item %s is intact", d.Key)
			require.LessOrEqual(t, ib.Seq, a.Seq)
		}
		lastAcked = a.Seq
		require.NoError(t, s.Close())
	}
}

func crashDoc(t *testing.T, s *store.Store, kind, key string) crashBody {
	t.Helper()
	d, ok := s.Get(kind, key)
	require.True(t, ok, "%s/%s exists", kind, key)
	var b crashBody
	require.NoError(t, json.Unmarshal(d.Body, &b))
	require.True(t, b.intact(), "%s/%s is intact", kind, key)
	return b
}
