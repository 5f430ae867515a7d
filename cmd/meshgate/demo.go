package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshgate/meshgate/bench/tpch"
	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/examples/demo"
	"github.com/meshgate/meshgate/internal/config"
	"github.com/meshgate/meshgate/internal/version"
)

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./.meshgate-demo", "directory for the generated data and node state")
	sf := fs.Float64("sf", 0.05, "TPC-H scale factor of the generated data")
	flightAddr := fs.String("flight-addr", "127.0.0.1:32010", "Flight SQL listen address")
	httpAddr := fs.String("http-addr", "127.0.0.1:8088", "HTTP listen address (/healthz, /metrics)")
	gossipAddr := fs.String("gossip-addr", "127.0.0.1:0", "cluster gossip listen address (port 0: any free port; off: no cluster)")
	join := fs.String("join", "", "comma-separated gossip addresses of cluster members to join")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	tpchDir := filepath.Join(*dataDir, fmt.Sprintf("tpch-sf%g", *sf))
	start := time.Now()
	manifest, err := tpch.Generate(ctx, tpch.GenerateOptions{SF: *sf, Dir: tpchDir})
	if err != nil {
		return fmt.Errorf("generating the demo data: %w", err)
	}
	var rows int64
	for _, t := range manifest.Tables {
		rows += t.Rows
	}
	logger.Info("demo data ready", "dir", tpchDir, "sf", *sf, "rows", rows, "took", time.Since(start).Round(time.Millisecond))

	users, err := demo.Identities()
	if err != nil {
		return err
	}
	policies, err := demo.Policies()
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Node.DataDir = *dataDir
	cfg.Node.FlightAddr = *flightAddr
	cfg.Node.HTTPAddr = *httpAddr
	cfg.Node.GossipAddr = *gossipAddr
	if *join != "" {
		cfg.Node.Join = strings.Split(*join, ",")
	}
	cfg.Users = users
	n, err := startNode(ctx, nodeSetup{
		cfg:       cfg,
		bootstrap: func(c *catalog.Catalog) error { return demo.Register(c, tpchDir) },
		policies:  policies,
		logger:    logger,
	})
	if err != nil {
		return err
	}
	fmt.Print(demoBanner(n, *sf))
	return n.run(ctx)
}

func demoBanner(n *node, sf float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nmeshgate %s: demo mesh ready (TPC-H SF %g: %d datasets in domains sales, customers, supply)\n\n", version.Version, sf, len(n.catalog.Datasets()))
	fmt.Fprintf(&b, "  Flight SQL  grpc://%s\n", n.flightAddr)
	if a := n.httpAddr(); a != "" {
		fmt.Fprintf(&b, "  HTTP        http://%s  (/healthz, /metrics)\n", a)
	}
	b.WriteString("  Users       admin/admin (roles admin, governance)\n")
	b.WriteString("              analyst/analyst (role analyst, region EUROPE: sees masked PII of European customers only)\n")
	b.WriteString("              steward/steward (roles steward, governance)\n\n")
	b.WriteString("Query it:\n")
	fmt.Fprintf(&b, "  bin/meshgate sql --addr %s --user admin --password admin -e \"SELECT count(*) FROM sales.orders\"\n\n", n.flightAddr)
	b.WriteString("From Python (pip install adbc-driver-flightsql pyarrow):\n")
	b.WriteString("  import adbc_driver_flightsql.dbapi as fs\n")
	fmt.Fprintf(&b, "  conn = fs.connect(\"grpc://%s\", db_kwargs={\"username\": \"analyst\", \"password\": \"analyst\"})\n", n.flightAddr)
	b.WriteString("  print(conn.cursor().execute(\"SELECT c_name, c_phone FROM customers.customer LIMIT 5\").fetch_arrow_table())\n\n")
	b.WriteString("JDBC: jdbc:arrow-flight-sql://" + n.flightAddr + "/?useEncryption=false&user=admin&password=admin\n")
	b.WriteString("Press Ctrl-C to stop.\n")
	return b.String()
}
