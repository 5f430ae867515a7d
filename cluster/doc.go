// Package cluster owns membership: which gateway nodes form the mesh's cluster, found and
// watched by gossip (hashicorp/memberlist) with no coordinator, and the client-reachable
// Flight and HTTP addresses each node announces in its gossip metadata. The mesh.nodes
// system table shows the members as this node sees them.
//
// Replicating catalog and policy documents between members and placing query fragments on
// them (DESIGN.md §3, Cluster) build on this membership; they are not implemented yet: every
// node serves the catalog and policies it was configured or registered with.
package cluster
