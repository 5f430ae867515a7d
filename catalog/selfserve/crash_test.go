package selfserve_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
)

// crashWriterEnv makes the test binary a registering subprocess (TestCrashDuringRegistrations).
const crashWriterEnv = "MESHGATE_SELFSERVE_CRASH_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		if err := runCrashWriter(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// runCrashWriter registers versions 1.N.0 of shop.orders forever, with fsync on, printing
// "ok N" when a registration returned. The parent kills it at a random moment.
func runCrashWriter(dir string) error {
	ctx := context.Background()
	cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: dir})
	rules := catalog.DefaultRules()
	rules.MaskedClassifications = nil
	svc, err := selfserve.Open(selfserve.Options{Catalog: cat, Dir: filepath.Join(dir, "catalog"), Rules: &rules, ScheduleTick: -1})
	if err != nil {
		return err
	}
	if _, err := cat.Domain("shop"); err != nil {
		if _, err := svc.PutDomain(ctx, admin, catalog.Domain{Name: "shop", Owners: []string{"alice"}}, nil); err != nil {
			return err
		}
		if _, err := svc.PutSource(ctx, alice, selfserve.SourceChange{Source: catalog.Source{Domain: "shop", Name: "files", Type: "files", Options: map[string]string{"root": filepath.Join(dir, "files")}}}); err != nil {
			return err
		}
	}
	tmpl, err := os.ReadFile(filepath.Join(dir, "orders.yaml"))
	if err != nil {
		return err
	}
	next := 0
	if vs, err := cat.ProductVersions("shop", "orders"); err == nil {
		next = len(vs)
	}
	// Padding makes documents large enough that kills land in the middle of writes.
	pad := strings.Repeat("x", 3000)
	for i := next; ; i++ {
		doc := strings.Replace(string(tmpl), "version: 1.0.0", fmt.Sprintf("version: 1.%d.0", i), 1)
		doc = strings.Replace(doc, `purpose: "Orders of the web shop."`, fmt.Sprintf(`purpose: "Orders of the web shop, revision %d %s"`, i, pad), 1)
		if _, err := svc.Register(ctx, alice, []byte(doc), selfserve.RegisterOptions{}); err != nil {
			return err
		}
		fmt.Printf("ok %d\n", i)
	}
}

// TestCrashDuringRegistrations kills a process in the middle of registering versions and
// restarts: every acknowledged version is there, at most one unacknowledged one too, and
// every stored contract is whole (the product reloads and validates).
func TestCrashDuringRegistrations(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses; skipped with -short")
	}
	m := newMesh(t)
	tmpl, err := os.ReadFile("../testdata/orders.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(m.dir, "orders.yaml"), tmpl, 0o600))
	exe, err := os.Executable()
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	acked := -1
	for round := 0; round < 4; round++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+m.dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		killAfter := 3 + r.IntN(12)
		sc := bufio.NewScanner(out)
		for seen := 0; seen < killAfter && sc.Scan(); seen++ {
			n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ok "))
			require.NoError(t, err, sc.Text())
			acked = n
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		// Registrations acknowledged before the kill may still sit in the pipe.
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ok ")); err == nil {
				acked = n
			}
		}
		_ = cmd.Wait()

		func() {
			cat := catalog.New(catalog.Options{Connectors: connectors.Registry{"files": files.NewFactory(files.Options{})}, DataDir: m.dir})
			rules := catalog.DefaultRules()
			rules.MaskedClassifications = nil
			svc, err := selfserve.Open(selfserve.Options{Catalog: cat, Dir: filepath.Join(m.dir, "catalog"), Rules: &rules, ScheduleTick: -1})
			require.NoError(t, err, "round %d: the catalog reopens after a crash", round)
			defer func() { _ = svc.Close(); _ = cat.Close() }()
			vs, err := cat.ProductVersions("shop", "orders")
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(vs), acked+1, "round %d: every acknowledged version survives", round)
			require.LessOrEqual(t, len(vs), acked+2, "round %d: at most the one in flight is extra", round)
			for i, v := range vs {
				require.Equal(t, fmt.Sprintf("1.%d.0", i), v.Version)
				require.Contains(t, v.Description, fmt.Sprintf("revision %d ", i), "contracts are whole")
			}
			acked = len(vs) - 1
		}()
	}
}
