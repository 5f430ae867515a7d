package cluster_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/cluster"
	"github.com/meshgate/meshgate/internal/errs"
)

func startNode(t *testing.T, i int, join ...string) *cluster.Cluster {
	t.Helper()
	host := fmt.Sprintf("127.0.0.%d", i)
	c, err := cluster.Start(cluster.Options{
		NodeName: fmt.Sprintf("node-%d", i), BindAddr: host + ":0", Join: join, Profile: "local",
		FlightAddr: host + ":32010", HTTPAddr: host + ":8088", Version: "test",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Leave(time.Second) })
	return c
}

func states(c *cluster.Cluster) map[string]string {
	out := map[string]string{}
	for _, m := range c.Members() {
		out[m.Name] = m.State
	}
	return out
}

// TestMembership forms a three-node cluster on three loopback addresses, checks every node
// sees every other with its announced addresses, and that a node leaving is seen to go.
func TestMembership(t *testing.T) {
	first := startNode(t, 1)
	second := startNode(t, 2, first.GossipAddr())
	third := startNode(t, 3, second.GossipAddr())

	all := map[string]string{"node-1": "alive", "node-2": "alive", "node-3": "alive"}
	for _, c := range []*cluster.Cluster{first, second, third} {
		require.Eventually(t, func() bool { return fmt.Sprint(states(c)) == fmt.Sprint(all) }, 10*time.Second, 20*time.Millisecond, "%s sees %v", c.Name(), states(c))
	}
	for _, m := range first.Members() {
		host := "127.0.0." + m.Name[len("node-"):]
		require.Equal(t, host+":32010", m.FlightAddr)
		require.Equal(t, host+":8088", m.HTTPAddr)
		require.Equal(t, "test", m.Version)
		require.Equal(t, m.Name == "node-1", m.Self)
		require.Contains(t, m.GossipAddr, host+":")
	}

	require.NoError(t, third.Leave(time.Second))
	for _, c := range []*cluster.Cluster{first, second} {
		require.Eventually(t, func() bool {
			_, present := states(c)["node-3"]
			return !present && len(states(c)) == 2
		}, 10*time.Second, 20*time.Millisecond, "%s still sees node-3: %v", c.Name(), states(c))
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts cluster.Options
		want string
	}{
		{"unspecified flight address", cluster.Options{BindAddr: "127.0.0.1:0", FlightAddr: "0.0.0.0:32010"}, "names no host"},
		{"no host", cluster.Options{BindAddr: "127.0.0.1:0", HTTPAddr: ":8088"}, "names no host"},
		{"bad bind", cluster.Options{BindAddr: "127.0.0.1"}, "gossip bind address"},
		{"bad profile", cluster.Options{BindAddr: "127.0.0.1:0", Profile: "wan2"}, "unknown profile"},
		{"nobody to join", cluster.Options{BindAddr: "127.0.0.1:0", Profile: "local", Join: []string{"127.0.0.1:1"}}, "none of the members"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cluster.Start(tc.opts)
			require.ErrorContains(t, err, tc.want)
			require.NotEqual(t, errs.KindInternal, errs.KindOf(err))
		})
	}
}
