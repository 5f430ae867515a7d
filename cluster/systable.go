package cluster

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
)

// NodesTable is mesh.nodes: the cluster's members as this node sees them.
func (c *Cluster) NodesTable() catalog.SystemTable {
	str := func(name, desc string) catalog.ColumnDef {
		return catalog.ColumnDef{Name: name, Type: arrow.BinaryTypes.String, Description: desc}
	}
	return &catalog.FuncTable{
		TableName: "nodes",
		Desc:      "Gateway nodes of the cluster as this node sees them (gossip membership).",
		Cols: []catalog.ColumnDef{
			str("name", "Node name, unique in the cluster."),
			str("state", "alive, suspect, dead or left."),
			str("flight_addr", "Flight SQL address clients reach the node on."),
			str("http_addr", "HTTP address of the node's API, health and metrics."),
			str("gossip_addr", "Gossip address other nodes join on."),
			str("version", "meshgate version the node runs."),
			{Name: "started", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Description: "When the node started."},
			{Name: "is_self", Type: arrow.FixedWidthTypes.Boolean, Required: true, Description: "Whether this row is the node answering the query."},
		},
		Build: func(_ context.Context, b *array.RecordBuilder) error {
			for _, m := range c.Members() {
				for i, v := range []string{m.Name, m.State, m.FlightAddr, m.HTTPAddr, m.GossipAddr, m.Version} {
					sb := b.Field(i).(*array.StringBuilder)
					if v == "" && i >= 2 {
						sb.AppendNull()
					} else {
						sb.Append(v)
					}
				}
				b.Field(6).(*array.TimestampBuilder).Append(arrow.Timestamp(m.Started.UnixMicro()))
				b.Field(7).(*array.BooleanBuilder).Append(m.Self)
			}
			return nil
		},
	}
}
