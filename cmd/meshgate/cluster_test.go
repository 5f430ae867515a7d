package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestClusterMembership starts two nodes, the second joining the first, and reads mesh.nodes
// on each over Flight SQL: both nodes with the Flight addresses clients reach them on.
func TestClusterMembership(t *testing.T) {
	first, _ := startTestNode(t, testNode{name: "first"})
	second, _ := startTestNode(t, testNode{name: "second", join: []string{first.cluster.GossipAddr()}})

	want := [][]string{
		{"first", "alive", first.flightAddr, fmt.Sprint(true)},
		{"second", "alive", second.flightAddr, fmt.Sprint(false)},
	}
	cnxn := adbcConnection(t, first.flightAddr, "analyst")
	const q = "SELECT name, state, flight_addr, is_self FROM mesh.nodes ORDER BY name"
	require.Eventually(t, func() bool { return fmt.Sprint(queryRows(t, cnxn, q)) == fmt.Sprint(want) },
		10*time.Second, 50*time.Millisecond, "first node sees: %v", queryRows(t, cnxn, q))

	want[0][3], want[1][3] = "false", "true"
	rows := queryRows(t, adbcConnection(t, second.flightAddr, "analyst"), q)
	require.Equal(t, want, rows)
}
