package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/cluster"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/files"
	"github.com/meshgate/meshgate/connectors/flightsql"
	"github.com/meshgate/meshgate/connectors/mysql"
	"github.com/meshgate/meshgate/connectors/postgres"
	"github.com/meshgate/meshgate/connectors/snowflake"
	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/config"
	"github.com/meshgate/meshgate/internal/version"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
)

// nodeSetup is everything needed to start a node.
type nodeSetup struct {
	cfg config.Config
	// bootstrap registers the catalog's domains, sources and products.
	bootstrap func(*catalog.Catalog) error
	policies  []*governance.Policy
	logger    *slog.Logger
}

// node is a running gateway process.
type node struct {
	catalog    *catalog.Catalog
	ids        *governance.Identities
	policies   atomic.Pointer[governance.PolicySet]
	planner    *planner.Planner
	flight     *flight.Server
	http       *http.Server
	httpLn     net.Listener
	registry   *prometheus.Registry
	logger     *slog.Logger
	flightAddr string
	// mux serves /healthz, /metrics and the HTTP API (/api/v1/...).
	mux    *http.ServeMux
	engine *engine
	// audit records queries and changes; nil only in tests that opt out.
	audit    *governance.AuditLog
	policyDB *governance.PolicyStore
	// cluster is the node's gossip membership; nil when gossip is off.
	cluster *cluster.Cluster
}

// startGovernance opens the audit log and the policy store (seeded with the configured
// policies on first start) and registers mesh.policies and mesh.audit.
func (n *node) startGovernance(cfg config.Config, seed []*governance.Policy) error {
	maskKey, err := secretBytes(cfg.Governance.MaskKey)
	if err != nil {
		return fmt.Errorf("governance.mask_key: %w", err)
	}
	if len(maskKey) == 0 {
		// Derive from the signing key so hash masks are stable across restarts whenever
		// tokens are; a node with neither configured gets per-process keys.
		sum := sha256.Sum256(append([]byte("meshgate mask key:"), n.ids.Seal([]byte("mask"))...))
		maskKey = sum[:]
	}
	auditPath := cfg.Governance.AuditFile
	if auditPath == "" {
		auditPath = filepath.Join(cfg.Node.DataDir, "audit", "audit.jsonl")
	}
	n.audit, err = governance.OpenAuditLog(auditPath, governance.AuditOptions{Sync: cfg.Governance.AuditSync})
	if err != nil {
		return err
	}
	n.policyDB, err = governance.OpenPolicyStore(governance.PolicyStoreOptions{
		Path: filepath.Join(cfg.Node.DataDir, "policies.json"), MaskKey: maskKey,
		Owners: n.catalog, Audit: n.audit, OnChange: func(ps *governance.PolicySet) { n.policies.Store(ps) },
	})
	if err != nil {
		return err
	}
	if err := n.policyDB.Bootstrap(seed); err != nil {
		return err
	}
	n.catalog.RegisterSystemTable(governance.PoliciesTable(func() *governance.PolicySet { return n.policies.Load() }))
	n.catalog.RegisterSystemTable(governance.AuditTable(n.audit))
	mountGovernance(n, n.mux)
	return nil
}

// connectorRegistry lists the source types this build supports.
func connectorRegistry() connectors.Registry {
	return connectors.Registry{
		"files":     files.NewFactory(files.Options{}),
		"postgres":  postgres.NewFactory(postgres.Options{}),
		"mysql":     mysql.NewFactory(mysql.Options{}),
		"flightsql": flightsql.NewFactory(flightsql.Options{}),
		"snowflake": snowflake.NewFactory(snowflake.Options{}),
	}
}

func startNode(ctx context.Context, s nodeSetup) (*node, error) {
	cfg := s.cfg
	n := &node{logger: s.logger, registry: prometheus.NewRegistry()}
	n.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	signingKey, err := secretBytes(cfg.Auth.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("auth.signing_key: %w", err)
	}
	n.ids, err = governance.NewIdentities(cfg.Users, governance.IdentityOptions{SigningKey: signingKey, TokenTTL: cfg.Auth.TokenTTL})
	if err != nil {
		return nil, err
	}
	n.catalog = catalog.New(catalog.Options{Connectors: connectorRegistry(), DataDir: cfg.Node.DataDir, Logger: s.logger})
	if s.bootstrap != nil {
		if err := s.bootstrap(n.catalog); err != nil {
			return nil, err
		}
	}
	n.mux = http.NewServeMux()
	if err := n.startGovernance(cfg, s.policies); err != nil {
		return nil, err
	}
	n.planner = planner.New(planner.Options{
		Catalog:     n.catalog,
		Policies:    func() bind.Policies { return n.policies.Load() },
		CatalogName: cfg.Node.Catalog,
		MaxMemory:   int64(cfg.Query.MaxMemory),
		Timeout:     cfg.Query.Timeout,
		Partitions:  cfg.Query.Partitions,
		Logger:      s.logger,
	})
	eng := &engine{planner: n.planner, catalog: n.catalog, policies: &n.policies, auditFailClosed: cfg.Governance.AuditFailClosed, logger: s.logger}
	if n.audit != nil {
		eng.audit = n.audit
	}
	n.engine = eng
	if err := mountCatalog(n, n.mux); err != nil {
		return nil, err
	}
	fopts := flight.DefaultOptions()
	fopts.Addr = cfg.Node.FlightAddr
	fopts.AdvertiseAddr = cfg.Node.AdvertiseAddr
	fopts.TLSCertFile, fopts.TLSKeyFile = cfg.Node.TLSCertFile, cfg.Node.TLSKeyFile
	fopts.Catalog = cfg.Node.Catalog
	fopts.Logger = s.logger
	fopts.Registerer = n.registry
	n.flight, err = flight.NewServer(fopts, eng, eng, n.ids)
	if err != nil {
		return nil, err
	}
	n.flightAddr = n.flight.Addr()

	if cfg.Node.HTTPAddr != "" {
		n.httpLn, err = net.Listen("tcp", cfg.Node.HTTPAddr)
		if err != nil {
			return nil, fmt.Errorf("HTTP address %s: %w", cfg.Node.HTTPAddr, err)
		}
		mux := n.mux
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintln(w, "ok")
		})
		mux.Handle("GET /metrics", promhttp.HandlerFor(n.registry, promhttp.HandlerOpts{}))
		n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	if err := n.startCluster(cfg); err != nil {
		return nil, err
	}
	return n, nil
}

// startCluster joins the cluster (unless gossip is off), announcing the addresses clients
// reach this node on, and registers mesh.nodes.
func (n *node) startCluster(cfg config.Config) error {
	if cfg.Node.GossipAddr == "" || cfg.Node.GossipAddr == "off" {
		return nil
	}
	flightAddr := cfg.Node.AdvertiseAddr
	if flightAddr == "" {
		flightAddr = n.flightAddr
	}
	httpAddr := n.httpAddr()
	if host, _, err := net.SplitHostPort(httpAddr); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
		httpAddr = "" // listening on every interface: no single address to announce
	}
	c, err := cluster.Start(cluster.Options{
		NodeName: cfg.Node.Name, BindAddr: cfg.Node.GossipAddr, Join: cfg.Node.Join,
		FlightAddr: flightAddr, HTTPAddr: httpAddr, Version: version.Version, Logger: n.logger,
	})
	if err != nil {
		return err
	}
	n.cluster = c
	n.catalog.RegisterSystemTable(c.NodesTable())
	return nil
}

// httpAddr is the HTTP listen address actually bound.
func (n *node) httpAddr() string {
	if n.httpLn == nil {
		return ""
	}
	return n.httpLn.Addr().String()
}

// run serves until ctx is done, then shuts down: in-flight queries are cancelled and every
// goroutine started here has returned when run returns.
func (n *node) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.flight.Serve(gctx) })
	if n.http != nil {
		g.Go(func() error {
			if err := n.http.Serve(n.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return n.http.Shutdown(sctx)
		})
	}
	err := g.Wait()
	if n.cluster != nil {
		_ = n.cluster.Leave(2 * time.Second)
	}
	_ = n.catalog.Close()
	if n.audit != nil {
		_ = n.audit.Close()
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// secretBytes resolves an optional secret reference to bytes.
func secretBytes(ref string) ([]byte, error) {
	if ref == "" {
		return nil, nil
	}
	v, err := catalog.ResolveSecret(ref)
	return []byte(v), err
}
