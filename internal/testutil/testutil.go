// Package testutil holds helpers shared by meshgate's tests: service addresses from the
// environment and checked allocators. It must only be imported from _test.go files.
package testutil

import (
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Environment variables that point tests at real services (DESIGN.md §5).
const (
	EnvPostgres        = "MESHGATE_TEST_PG"
	EnvMySQL           = "MESHGATE_TEST_MYSQL"
	EnvSnowflake       = "MESHGATE_TEST_SNOWFLAKE"
	EnvRequireServices = "MESHGATE_REQUIRE_SERVICES"
)

// ServiceDSN returns the value of env. When it is unset the test is skipped with a one-line
// reason, or fails if MESHGATE_REQUIRE_SERVICES=1 (CI), so a missing service never passes
// silently there.
func ServiceDSN(t testing.TB, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv(EnvRequireServices) == "1" {
		t.Fatalf("%s is not set but %s=1: start %s with `make services` and export the printed value", env, EnvRequireServices, what)
	}
	t.Skipf("needs %s: set %s (run `make services`)", what, env)
	return ""
}

// PostgresDSN returns the PostgreSQL connection string for tests (see ServiceDSN).
func PostgresDSN(t testing.TB) string { return ServiceDSN(t, EnvPostgres, "PostgreSQL") }

// MySQLDSN returns the MariaDB/MySQL DSN for tests (see ServiceDSN).
func MySQLDSN(t testing.TB) string { return ServiceDSN(t, EnvMySQL, "MariaDB/MySQL") }

// CheckedAllocator returns an allocator that fails the test at cleanup if any bytes it handed
// out were not released.
func CheckedAllocator(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}
