package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/catalogapi"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/flight"
	"github.com/meshgate/meshgate/governance"
)

// RulesFile is the global registration rules file inside the node's data directory; when it
// is absent, catalog.DefaultRules() apply.
const RulesFile = "rules.yaml"

// qualityPrincipal is who quality-check queries run as: they measure the raw data (counts,
// ratios, ages), and only aggregates leave them. They are audited like any query.
func qualityPrincipal() *governance.Principal {
	return &governance.Principal{User: "meshgate:quality", Roles: []string{"admin"}}
}

// mountCatalog opens the self-serve catalog (its documents in <data_dir>/catalog, applied on
// top of the bootstrapped catalog), exports the cache metrics, attaches query warnings, and
// mounts the catalog's self-serve HTTP API on the node's mux.
func mountCatalog(n *node, mux *http.ServeMux) error {
	dataDir := n.catalog.DataDir()
	rules, err := loadRules(filepath.Join(dataDir, RulesFile))
	if err != nil {
		return err
	}
	opts := selfserve.Options{
		Catalog:  n.catalog,
		Dir:      filepath.Join(dataDir, "catalog"),
		Rules:    &rules,
		Policies: func() *governance.PolicySet { return n.policies.Load() },
		Logger:   n.logger,
		Query: func(ctx context.Context, sql string) (array.RecordReader, error) {
			q, err := n.engine.Prepare(ctx, flight.QueryRequest{
				Principal: qualityPrincipal(), SQL: sql,
				Session: flight.Session{Application: "meshgate quality check", QueryID: "quality-" + randomID()},
			})
			if err != nil {
				return nil, err
			}
			return q.Execute(ctx, nil)
		},
	}
	if n.audit != nil {
		opts.Audit = n.audit
	}
	svc, err := selfserve.Open(opts)
	if err != nil {
		return err
	}
	n.catalog.OnClose(svc.Close)
	if err := n.catalog.RegisterMetrics(n.registry); err != nil {
		return fmt.Errorf("catalog metrics: %w", err)
	}
	n.engine.warnings = svc.Warnings
	api := catalogapi.New(svc, n.ids)
	api.Mount(mux, func(h http.Handler) http.Handler { return governance.HTTPAuth(n.ids, h) })
	return nil
}

func loadRules(path string) (catalog.Rules, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return catalog.DefaultRules(), nil
	}
	if err != nil {
		return catalog.Rules{}, fmt.Errorf("global rules %s: %w", path, err)
	}
	r, err := catalog.ParseRules(data)
	if err != nil {
		return catalog.Rules{}, fmt.Errorf("global rules %s: %w", path, err)
	}
	return r, nil
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
