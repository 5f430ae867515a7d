package physical

import (
	"fmt"
	"strings"
	"time"

	"github.com/meshgate/meshgate/executor"
)

// Explain renders the plan as indented lines: each operator with its arguments and output
// partitions, the notes the builder attached (source SQL, splits, policies) and, with
// metrics from an EXPLAIN ANALYZE run, rows, bytes and time per operator.
func (p *Plan) Explain(m *executor.Metrics) []string {
	var lines []string
	var walk func(n executor.Plan, depth int)
	walk = func(n executor.Plan, depth int) {
		indent := strings.Repeat("  ", depth)
		name, detail := n.Describe()
		line := indent + name
		if detail != "" {
			line += " " + detail
		}
		if n.Partitions() > 1 {
			line += fmt.Sprintf(" (%d partitions)", n.Partitions())
		}
		if m != nil {
			if om := m.Lookup(n); om != nil {
				line += fmt.Sprintf(" [rows=%d batches=%d bytes=%s time=%s]", om.Rows.Load(), om.Batches.Load(),
					executor.FormatBytes(om.Bytes.Load()), time.Duration(om.Nanos.Load()).Round(time.Microsecond))
			} else {
				line += " [not run]"
			}
		}
		lines = append(lines, line)
		for _, note := range p.notes[n] {
			lines = append(lines, indent+"  · "+note)
		}
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(p.Root, 0)
	return lines
}
