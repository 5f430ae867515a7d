package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcflightsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/config"
)

const testSF = 0.01

// testNode configures startTestNode.
type testNode struct {
	// extraPolicies are added to the demo policies.
	extraPolicies []*governance.Policy
	// extraBootstrap registers more products after the demo ones (tpchDir is the data).
	extraBootstrap func(c *catalog.Catalog, tpchDir string) error
	// logs receives the node's log output. Default: discarded.
	logs io.Writer
	// extraUsers are configured besides the demo users.
	extraUsers []governance.User
	// name and join set the node's cluster name and the members it joins.
	name string
	join []string
}

// startDemoNode runs the demo mesh in-process on free ports until the test ends.
func startDemoNode(t *testing.T) (*node, string) {
	t.Helper()
	return startTestNode(t, testNode{})
}

func startTestNode(t *testing.T, opts testNode) (*node, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	_, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: testSF, Dir: dir})
	require.NoError(t, err)
	users, err := demo.Identities()
	require.NoError(t, err)
	policies, err := demo.Policies()
	require.NoError(t, err)
	policies = append(policies, opts.extraPolicies...)
	if opts.logs == nil {
		opts.logs = io.Discard
	}
	cfg := config.Default()
	cfg.Node.DataDir = dir
	cfg.Node.FlightAddr = "127.0.0.1:0"
	cfg.Node.HTTPAddr = "127.0.0.1:0"
	cfg.Node.GossipAddr = "127.0.0.1:0"
	cfg.Node.Name, cfg.Node.Join = opts.name, opts.join
	cfg.Users = append(users, opts.extraUsers...)
	n, err := startNode(ctx, nodeSetup{
		cfg: cfg, policies: policies, logger: slog.New(slog.NewTextHandler(opts.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		bootstrap: func(c *catalog.Catalog) error {
			if err := demo.Register(c, dir); err != nil {
				return err
			}
			if opts.extraBootstrap != nil {
				return opts.extraBootstrap(c, dir)
			}
			return nil
		},
	})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- n.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return n, dir
}

func adbcConnection(t *testing.T, addr, user string) adbc.Connection {
	t.Helper()
	db, err := adbcflightsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: "grpc+tcp://" + addr, adbc.OptionKeyUsername: user, adbc.OptionKeyPassword: user,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	cnxn, err := db.Open(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = cnxn.Close() })
	return cnxn
}

// queryRows runs sql with optional parameters and returns every row as strings.
func queryRows(t *testing.T, cnxn adbc.Connection, sql string, params ...arrow.RecordBatch) [][]string {
	t.Helper()
	rows, err := tryQuery(cnxn, sql, params...)
	require.NoError(t, err, sql)
	return rows
}

func tryQuery(cnxn adbc.Connection, sql string, params ...arrow.RecordBatch) ([][]string, error) {
	ctx := context.Background()
	stmt, err := cnxn.NewStatement()
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	if err := stmt.SetSqlQuery(sql); err != nil {
		return nil, err
	}
	if len(params) > 0 {
		if err := stmt.Prepare(ctx); err != nil {
			return nil, err
		}
		if err := stmt.Bind(ctx, params[0]); err != nil {
			return nil, err
		}
	}
	rdr, _, err := stmt.ExecuteQuery(ctx)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	var out [][]string
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]string, rec.NumCols())
			for c := range row {
				row[c] = rec.Column(c).ValueStr(i)
			}
			out = append(out, row)
		}
	}
	return out, rdr.Err()
}

// tableRows reads a generated table in memory, independently of meshgate's engine.
func tableRows(t *testing.T, table string, each func(rec arrow.RecordBatch, i int)) {
	t.Helper()
	rdr, err := tpch.NewRecordReader(context.Background(), table, testSF, memory.DefaultAllocator)
	require.NoError(t, err)
	defer rdr.Release()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			each(rec, i)
		}
	}
	require.NoError(t, rdr.Err())
}

func col[T any](rec arrow.RecordBatch, name string) T {
	idx := rec.Schema().FieldIndices(name)
	return rec.Column(idx[0]).(any).(T)
}

func TestDemoEndToEnd(t *testing.T) {
	n, _ := startDemoNode(t)
	admin := adbcConnection(t, n.flightAddr, "admin")

	t.Run("count", func(t *testing.T) {
		var want int
		tableRows(t, "orders", func(arrow.RecordBatch, int) { want++ })
		require.Equal(t, [][]string{{itoa(want)}}, queryRows(t, admin, "SELECT count(*) FROM sales.orders"))
	})

	t.Run("filter", func(t *testing.T) {
		since := arrow.Date32FromTime(time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC))
		var want int
		tableRows(t, "orders", func(rec arrow.RecordBatch, i int) {
			if col[*array.Date32](rec, "o_orderdate").Value(i) >= since && col[*array.String](rec, "o_orderpriority").Value(i) == "1-URGENT" {
				want++
			}
		})
		got := queryRows(t, admin, "SELECT count(*) FROM sales.orders WHERE o_orderdate >= DATE '1995-01-01' AND o_orderpriority = '1-URGENT'")
		require.Equal(t, [][]string{{itoa(want)}}, got)
	})

	t.Run("group by", func(t *testing.T) {
		type agg struct {
			qty   decimal128.Num
			count int
		}
		want := map[string]*agg{}
		limit := arrow.Date32FromTime(time.Date(1998, 9, 2, 0, 0, 0, 0, time.UTC))
		tableRows(t, "lineitem", func(rec arrow.RecordBatch, i int) {
			if col[*array.Date32](rec, "l_shipdate").Value(i) > limit {
				return
			}
			k := col[*array.String](rec, "l_returnflag").Value(i) + "|" + col[*array.String](rec, "l_linestatus").Value(i)
			a := want[k]
			if a == nil {
				a = &agg{}
				want[k] = a
			}
			a.qty = a.qty.Add(col[*array.Decimal128](rec, "l_quantity").Value(i))
			a.count++
		})
		got := queryRows(t, admin, `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS qty, count(*)
			FROM sales.lineitem WHERE l_shipdate <= date '1998-12-01' - interval '90' day
			GROUP BY l_returnflag, l_linestatus ORDER BY 1, 2`)
		require.Len(t, got, len(want))
		for _, row := range got {
			a := want[row[0]+"|"+row[1]]
			require.NotNil(t, a, row)
			got, err := decimal128.FromString(row[2], 38, 2)
			require.NoError(t, err)
			require.Equal(t, a.qty, got, "sum(l_quantity) of %s", row[0]+row[1])
			require.Equal(t, itoa(a.count), row[3])
		}
	})

	t.Run("prepared statement with a parameter", func(t *testing.T) {
		var want int
		tableRows(t, "orders", func(rec arrow.RecordBatch, i int) {
			if col[*array.Int64](rec, "o_custkey").Value(i) == 7 {
				want++
			}
		})
		b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.PrimitiveTypes.Int64}}, nil))
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(7)
		params := b.NewRecordBatch()
		defer params.Release()
		require.Equal(t, [][]string{{itoa(want)}}, queryRows(t, admin, "SELECT count(*) FROM sales.orders WHERE o_custkey = ?", params))
	})

	t.Run("masks and row filter per user", func(t *testing.T) {
		europe := map[int64]bool{}
		tableRows(t, "nation", func(rec arrow.RecordBatch, i int) {
			if col[*array.Int64](rec, "n_regionkey").Value(i) == 3 { // EUROPE
				europe[col[*array.Int64](rec, "n_nationkey").Value(i)] = true
			}
		})
		raw := map[string]string{}
		var visible int
		tableRows(t, "customer", func(rec arrow.RecordBatch, i int) {
			raw[col[*array.String](rec, "c_name").Value(i)] = col[*array.String](rec, "c_phone").Value(i)
			if europe[col[*array.Int64](rec, "c_nationkey").Value(i)] {
				visible++
			}
		})
		const q = "SELECT c_name, c_phone, c_address FROM customers.customer ORDER BY c_custkey LIMIT 20"
		for _, row := range queryRows(t, admin, q) {
			require.Equal(t, raw[row[0]], row[1], "admin sees raw phones")
		}
		analyst := adbcConnection(t, n.flightAddr, "analyst")
		rows := queryRows(t, analyst, q)
		require.NotEmpty(t, rows)
		for _, row := range rows {
			phone := raw[row[0]]
			require.Equal(t, "00-000-000-"+phone[len(phone)-4:], row[1], "analyst sees the last 4 digits only")
			require.Regexp(t, `^[xX0 ,.]*$`, row[2], "analyst sees redacted addresses")
		}
		require.Equal(t, [][]string{{itoa(visible)}}, queryRows(t, analyst, "SELECT count(*) FROM customers.customer"))
		require.NotEqual(t, itoa(visible), queryRows(t, admin, "SELECT count(*) FROM customers.customer")[0][0])
	})

	t.Run("clear errors", func(t *testing.T) {
		_, err := tryQuery(admin, "SELECT * FROM sales.order")
		var aerr adbc.Error
		require.True(t, errors.As(err, &aerr), "%v", err)
		require.Equal(t, adbc.StatusNotFound, aerr.Code)
		require.Contains(t, aerr.Msg, "did you mean sales.orders?")

		_, err = tryQuery(admin, "SELECT *\nFORM sales.orders")
		require.True(t, errors.As(err, &aerr), "%v", err)
		require.Equal(t, adbc.StatusInvalidArgument, aerr.Code)
		require.Contains(t, aerr.Msg, "line 2, column 1")

		// The node keeps serving.
		require.Len(t, queryRows(t, admin, "SELECT 1"), 1)
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBinaryDemoAndSQL builds the binary, starts `meshgate demo` on free ports and queries it
// with `meshgate sql -e`, as a user following the README would.
func TestBinaryDemoAndSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "meshgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	demoCmd := exec.CommandContext(ctx, bin, "demo", "--data-dir", filepath.Join(dir, "data"), "--sf", "0.01",
		"--flight-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	stdout, err := demoCmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, demoCmd.Start())
	addrRe := regexp.MustCompile(`Flight SQL\s+grpc://(\S+)`)
	var addr string
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if m := addrRe.FindStringSubmatch(scanner.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	require.NotEmpty(t, addr, "the demo prints its Flight SQL address")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	out, err := exec.CommandContext(ctx, bin, "sql", "--addr", addr, "--user", "admin", "--password", "admin",
		"--format", "csv", "-e", "SELECT count(*) AS n FROM sales.orders").Output()
	require.NoError(t, err)
	require.Equal(t, "n\n15000\n", string(out))

	out, err = exec.CommandContext(ctx, bin, "sql", "--addr", addr, "--user", "admin", "--password", "admin",
		"-e", "SELECT * FROM sales.nope").CombinedOutput()
	require.Error(t, err, "a failing statement exits non-zero")
	require.Contains(t, string(out), "dataset sales.nope does not exist")

	// Ctrl-C stops the node cleanly.
	require.NoError(t, demoCmd.Process.Signal(os.Interrupt))
	require.NoError(t, demoCmd.Wait())
}
