package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/config"
	"github.com/meshgate/meshgate/internal/version"
)

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := fs.String("config", "meshgate.yaml", "node configuration file")
	flightAddr := fs.String("flight-addr", "", "Flight SQL listen address (overrides node.flight_addr)")
	httpAddr := fs.String("http-addr", "", "HTTP listen address (overrides node.http_addr)")
	gossipAddr := fs.String("gossip-addr", "", "cluster gossip listen address (overrides node.gossip_addr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if *flightAddr != "" {
		cfg.Node.FlightAddr = *flightAddr
	}
	if *httpAddr != "" {
		cfg.Node.HTTPAddr = *httpAddr
	}
	if *gossipAddr != "" {
		cfg.Node.GossipAddr = *gossipAddr
	}
	base := filepath.Dir(*path)
	var policies []*governance.Policy
	if f := cfg.Governance.PoliciesFile; f != "" {
		data, err := os.ReadFile(relativeTo(base, f))
		if err != nil {
			return fmt.Errorf("governance.policies_file: %w", err)
		}
		if policies, err = governance.ParsePolicies(data); err != nil {
			return err
		}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n, err := startNode(ctx, nodeSetup{
		cfg: cfg, policies: policies, logger: logger,
		bootstrap: func(c *catalog.Catalog) error { return bootstrapFromConfig(c, cfg, base) },
	})
	if err != nil {
		return err
	}
	fmt.Printf("meshgate %s serving: Flight SQL grpc://%s, HTTP http://%s, %d datasets, %d users\n",
		version.Version, n.flightAddr, n.httpAddr(), len(n.catalog.Datasets()), len(cfg.Users))
	fmt.Printf("Query it: bin/meshgate sql --addr %s --user USER\n", n.flightAddr)
	return n.run(ctx)
}

func relativeTo(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// bootstrapFromConfig registers the config file's domains, sources and contracts.
func bootstrapFromConfig(c *catalog.Catalog, cfg config.Config, base string) error {
	for _, d := range cfg.Domains {
		if err := c.PutDomain(d); err != nil {
			return err
		}
	}
	for _, s := range cfg.Sources {
		if err := c.PutSource(s); err != nil {
			return err
		}
	}
	for _, f := range cfg.Contracts {
		data, err := os.ReadFile(relativeTo(base, f))
		if err != nil {
			return fmt.Errorf("contract %s: %w", f, err)
		}
		ct, err := catalog.ParseContract(data)
		if err != nil {
			return fmt.Errorf("contract %s: %w", f, err)
		}
		p, err := ct.ToProduct()
		if err != nil {
			return fmt.Errorf("contract %s: %w", f, err)
		}
		if err := c.PutProduct(p); err != nil {
			return fmt.Errorf("contract %s: %w", f, err)
		}
	}
	return nil
}

func runVersion(context.Context, []string) error {
	fmt.Println("meshgate", version.Version)
	return nil
}
