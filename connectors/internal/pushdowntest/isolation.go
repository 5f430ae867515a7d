package pushdowntest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// blackhole is a TCP server that accepts connections and never answers, as a source whose
// host is up but whose database hangs: only the connect timeout gets a client out.
type blackhole struct {
	ln       net.Listener
	accepted chan struct{}
	mu       sync.Mutex
	conns    []net.Conn
}

func newBlackhole(t *testing.T) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &blackhole{ln: ln, accepted: make(chan struct{}, 64)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			select {
			case b.accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(b.close)
	return b
}

// close stops listening (later connections are refused) and drops the held connections.
func (b *blackhole) close() {
	_ = b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
}

// RunIsolation checks failure isolation through the planner: a source that hangs fails its
// queries as Unavailable, naming its domain and source, within its connect timeout, while
// another domain's query runs; repeated failures open the source's breaker; the password
// planted in its options never reaches an error, EXPLAIN or the logs. It also checks that a
// contract that drifted from the source is reported by dataset and column.
func RunIsolation(t *testing.T, h *Harness) {
	require.NotNil(t, h.Unreachable, "the harness must say how to point a source at an address")
	env := NewEnv(t, h)
	shop := Shop()
	env.AddProduct(t, "sales", shop[0])

	hole := newBlackhole(t)
	env.Mesh.AddSource(t, "down", "db", h.Type, h.Unreachable(hole.ln.Addr().String()))
	env.Mesh.AddContract(t, Contract(t, "down", "sales", "db", Dataset{Table: shop[0], Object: "customer", Format: h.Format}))
	var messages []string

	t.Run("UnavailableWhileOthersRun", func(t *testing.T) {
		// The deadline is far beyond the source's connect timeout: the query must end with
		// the source's own Unavailable error, not the caller's deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := env.Mesh.TryQuery(ctx, "SELECT c_custkey, c_name FROM down.customer WHERE c_nationkey = 3")
			done <- err
		}()
		select {
		case <-hole.accepted:
		case err := <-done:
			t.Fatalf("the query ended before connecting: %v", err)
		}
		// While the dead source holds its query, another domain answers.
		res := env.Mesh.Query(t, "SELECT count(*) FROM shop.customer WHERE c_nationkey = 3")
		require.Equal(t, [][]any{{int64(3)}}, res.Rows)
		err := <-done
		require.Error(t, err)
		require.NoError(t, ctx.Err(), "the query waited for the caller's deadline instead of the connect timeout")
		require.Equal(t, errs.KindUnavailable, errs.KindOf(err), "%v", err)
		msg := err.Error()
		messages = append(messages, msg)
		require.Contains(t, msg, "down")
		require.Contains(t, msg, "db")
	})

	t.Run("BreakerOpens", func(t *testing.T) {
		hole.close() // the host is gone now: connections are refused at once
		var last string
		for range 6 {
			_, err := env.Mesh.TryQuery(context.Background(), "SELECT c_name FROM down.customer")
			require.Error(t, err)
			require.Equal(t, errs.KindUnavailable, errs.KindOf(err), "%v", err)
			last = err.Error()
			messages = append(messages, last)
			if strings.Contains(last, "failing fast") {
				break
			}
		}
		require.Contains(t, last, "failing fast", "the breaker did not open")
		require.Contains(t, last, "down")
		// Other domains are unaffected.
		env.Mesh.Query(t, "SELECT count(*) FROM shop.customer")
	})

	t.Run("NoSecrets", func(t *testing.T) {
		st, err := env.Mesh.TryQuery(context.Background(), "EXPLAIN SELECT c_name FROM down.customer")
		if err != nil {
			messages = append(messages, err.Error())
		} else {
			messages = append(messages, strings.Join(st.Lines(), "\n"))
		}
		messages = append(messages, env.Mesh.Explain(t, "SELECT c_name FROM shop.customer"))
		for _, m := range append(messages, env.Logs.String()) {
			require.NotContains(t, m, Secret)
		}
	})

	t.Run("SchemaDrift", func(t *testing.T) {
		object := ""
		for phys, name := range env.Names {
			if name == "customer" {
				object = env.objects[phys]
			}
		}
		require.NotEmpty(t, object)
		drifted := Table{Name: "customer_v2", Columns: []Column{
			{Name: "c_custkey", SQLType: "bigint", Type: expr.Int64},
			{Name: "c_phone", SQLType: "varchar(15)", Type: expr.String},
		}}
		retyped := Table{Name: "customer_v3", Columns: []Column{
			{Name: "c_custkey", SQLType: "bigint", Type: expr.Int64},
			{Name: "c_nationkey", SQLType: "date", Type: expr.Date},
		}}
		env.Mesh.AddContract(t, Contract(t, "shop", "drift", "db",
			Dataset{Table: drifted, Object: object, Format: h.Format},
			Dataset{Table: retyped, Object: object, Format: h.Format}))
		_, err := env.Mesh.TryQuery(context.Background(), "SELECT c_custkey, c_phone FROM shop.customer_v2")
		require.Error(t, err)
		t.Log(err)
		require.Contains(t, err.Error(), "c_phone")
		require.Contains(t, err.Error(), "customer_v2")
		_, err = env.Mesh.TryQuery(context.Background(), "SELECT c_custkey, c_nationkey FROM shop.customer_v3")
		require.Error(t, err)
		t.Log(err)
		require.Contains(t, err.Error(), "c_nationkey")
		require.Contains(t, err.Error(), "customer_v3")
	})
}
