package catalog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshgate/meshgate/connectors"
)

// CacheOptions size the cache of source schemas and statistics.
type CacheOptions struct {
	// TTL is how long a schema or a row estimate is reused before the source is asked
	// again. Default 5m.
	TTL time.Duration
	// MaxBytes bounds the cache's (estimated) size. Default 32 MiB.
	MaxBytes int64
}

// DefaultCacheOptions returns the documented defaults.
func DefaultCacheOptions() CacheOptions {
	return CacheOptions{TTL: 5 * time.Minute, MaxBytes: 32 << 20}
}

// ObjectSchema is what a source says an object's columns are.
type ObjectSchema struct {
	Schema   *arrow.Schema
	Warnings []string
}

// objectCache caches Describe and Stats answers per source object. Entries are keyed by the
// source's generation, so invalidating a source (re-registered, or a product bound to it
// changed) is one counter increment; stale entries are never read again and age out.
type objectCache struct {
	ttl     time.Duration
	schemas *ristretto.Cache[string, ObjectSchema]
	stats   *ristretto.Cache[string, connectors.Stats]
	hits    *prometheus.CounterVec
	misses  *prometheus.CounterVec

	mu  sync.Mutex
	gen map[string]uint64 // by source key
}

func newObjectCache(opts CacheOptions) *objectCache {
	def := DefaultCacheOptions()
	if opts.TTL <= 0 {
		opts.TTL = def.TTL
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = def.MaxBytes
	}
	// Ristretto wants about ten counters per expected entry; entries are ~1 KiB.
	counters := max(opts.MaxBytes/1024*10, 1000)
	schemas, err := ristretto.NewCache(&ristretto.Config[string, ObjectSchema]{NumCounters: counters, MaxCost: opts.MaxBytes * 9 / 10, BufferItems: 64})
	if err != nil {
		panic(fmt.Sprintf("catalog: schema cache: %v", err)) // only for invalid constant config
	}
	stats, err := ristretto.NewCache(&ristretto.Config[string, connectors.Stats]{NumCounters: counters / 10, MaxCost: opts.MaxBytes / 10, BufferItems: 64})
	if err != nil {
		panic(fmt.Sprintf("catalog: statistics cache: %v", err))
	}
	return &objectCache{
		ttl: opts.TTL, schemas: schemas, stats: stats, gen: map[string]uint64{},
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshgate_catalog_cache_hits_total", Help: "Source schema and statistics lookups answered from the catalog cache.",
		}, []string{"cache"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshgate_catalog_cache_misses_total", Help: "Source schema and statistics lookups that asked the source.",
		}, []string{"cache"}),
	}
}

func (oc *objectCache) key(source string, obj connectors.Object) string {
	oc.mu.Lock()
	g := oc.gen[source]
	oc.mu.Unlock()
	return fmt.Sprintf("%s#%d|%s|%s|%s", source, g, obj.Table, obj.Query, obj.Format)
}

func (oc *objectCache) invalidate(source string) {
	oc.mu.Lock()
	oc.gen[source]++
	oc.mu.Unlock()
}

func schemaCost(s ObjectSchema) int64 {
	cost := int64(256)
	if s.Schema != nil {
		for _, f := range s.Schema.Fields() {
			cost += int64(len(f.Name)) + 64
		}
	}
	for _, w := range s.Warnings {
		cost += int64(len(w))
	}
	return cost
}

// RegisterMetrics exports the cache's hit and miss counters.
func (c *Catalog) RegisterMetrics(reg prometheus.Registerer) error {
	for _, col := range []prometheus.Collector{c.cache.hits, c.cache.misses} {
		if err := reg.Register(col); err != nil {
			return err
		}
	}
	return nil
}

// DescribeObject returns the columns an object of a registered source has, as the source
// reports them, from the cache when fresh.
func (c *Catalog) DescribeObject(ctx context.Context, domain, source string, obj connectors.Object) (ObjectSchema, error) {
	key := c.cache.key(domain+"/"+source, obj)
	if s, ok := c.cache.schemas.Get(key); ok {
		c.cache.hits.WithLabelValues("schema").Inc()
		return s, nil
	}
	c.cache.misses.WithLabelValues("schema").Inc()
	src, err := c.openSource(ctx, domain, source)
	if err != nil {
		return ObjectSchema{}, err
	}
	schema, warnings, err := src.Describe(ctx, obj)
	if err != nil {
		return ObjectSchema{}, err
	}
	s := ObjectSchema{Schema: schema, Warnings: warnings}
	c.cache.schemas.SetWithTTL(key, s, schemaCost(s), c.cache.ttl)
	c.cache.schemas.Wait()
	return s, nil
}

// DatasetStats returns a dataset's planning estimates (rows, bytes) from its source, from
// the cache when fresh.
func (c *Catalog) DatasetStats(ctx context.Context, ds *Dataset) (connectors.Stats, error) {
	key := c.cache.key(ds.Domain+"/"+ds.Source, ds.Object)
	if s, ok := c.cache.stats.Get(key); ok {
		c.cache.hits.WithLabelValues("stats").Inc()
		return s, nil
	}
	c.cache.misses.WithLabelValues("stats").Inc()
	src, err := c.OpenSource(ctx, ds)
	if err != nil {
		return connectors.Unknown, err
	}
	cols := make([]connectors.Column, len(ds.Columns))
	for i, col := range ds.Columns {
		cols[i] = connectors.Column{ID: 0, Name: col.Name, Type: col.Type}
	}
	h, err := src.OpenTable(ctx, ds.Object, cols)
	if err != nil {
		return connectors.Unknown, err
	}
	st := h.Stats()
	c.cache.stats.SetWithTTL(key, st, 64, c.cache.ttl)
	c.cache.stats.Wait()
	return st, nil
}
