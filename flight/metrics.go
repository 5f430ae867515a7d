package flight

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshgate/meshgate/internal/errs"
)

// metrics are the front door's Prometheus collectors. They always exist so the code never
// checks for nil; they are registered only when Options.Registerer is set.
type metrics struct {
	queries           *prometheus.CounterVec
	rows              prometheus.Counter
	bytes             prometheus.Counter
	active            prometheus.Gauge
	handshakeFailures prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meshgate", Subsystem: "flight", Name: "queries_total",
			Help: "Queries by outcome: ok, or the error kind (invalid_argument, permission_denied, canceled, internal, ...).",
		}, []string{"outcome"}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meshgate", Subsystem: "flight", Name: "rows_streamed_total",
			Help: "Result rows sent to clients.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meshgate", Subsystem: "flight", Name: "bytes_streamed_total",
			Help: "Result bytes sent to clients (IPC metadata and bodies, after compression).",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "meshgate", Subsystem: "flight", Name: "active_queries",
			Help: "Queries currently streaming results.",
		}),
		handshakeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meshgate", Subsystem: "flight", Name: "handshake_failures_total",
			Help: "Failed authentications (handshake or per-call credentials).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.queries, m.rows, m.bytes, m.active, m.handshakeFailures} {
		if err := reg.Register(c); err != nil {
			return nil, errs.Wrap(errs.KindInvalidArgument, err, "registering flight metrics (is a second server using the same registerer?)")
		}
	}
	return m, nil
}

// outcomeOf is the queries_total label for a query that ended with err.
func outcomeOf(err error) string {
	if err == nil {
		return "ok"
	}
	return strings.ReplaceAll(errs.KindOf(err).String(), " ", "_")
}
