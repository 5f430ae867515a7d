package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
)

// Options configure a Catalog.
type Options struct {
	// Connectors opens sources by type. Required.
	Connectors connectors.Registry
	// DataDir is the node's data directory, passed to connectors for relative paths.
	DataDir string
	// ConnectTimeout bounds opening a source. Default 5s.
	ConnectTimeout time.Duration
	// Logger receives catalog events. Default slog.Default().
	Logger *slog.Logger
}

// Catalog holds the mesh's domains, sources and products. It is safe for concurrent use.
type Catalog struct {
	opts Options

	mu       sync.RWMutex
	domains  map[string]*Domain
	sources  map[string]*Source     // by Source.Key()
	products map[string][]*Product  // by domain.product, all versions in registration order
	datasets map[string]*Dataset    // by domain.dataset: the latest active version
	system   map[string]SystemTable // mesh.* by table name

	openMu sync.Mutex
	open   map[string]connectors.Source // by Source.Key()
}

// New returns an empty catalog.
func New(opts Options) *Catalog {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Catalog{
		opts: opts, domains: map[string]*Domain{}, sources: map[string]*Source{},
		products: map[string][]*Product{}, datasets: map[string]*Dataset{}, open: map[string]connectors.Source{},
		system: map[string]SystemTable{},
	}
	for _, t := range c.catalogSystemTables() {
		c.system[t.Name()] = t
	}
	return c
}

// PutDomain creates or replaces a domain.
func (c *Catalog) PutDomain(d Domain) error {
	if !validName(d.Name) {
		return errs.New(errs.KindInvalidArgument, "domain name %q must start with a letter and contain only lower-case letters, digits and _", d.Name)
	}
	if d.Name == SystemDomain {
		return errs.New(errs.KindInvalidArgument, "domain name %q is reserved for system tables", d.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.domains[d.Name] = &d
	return nil
}

// PutSource creates or replaces a source. An open connection to the previous definition is
// closed.
func (c *Catalog) PutSource(s Source) error {
	if !validName(s.Name) {
		return errs.New(errs.KindInvalidArgument, "source name %q must start with a letter and contain only lower-case letters, digits and _", s.Name)
	}
	if _, err := c.opts.Connectors.Lookup(s.Type); err != nil {
		return errs.Wrap(errs.KindInvalidArgument, err, "source %s", s.Key())
	}
	c.mu.Lock()
	if _, ok := c.domains[s.Domain]; !ok {
		c.mu.Unlock()
		return c.unknownDomain(s.Domain)
	}
	c.sources[s.Key()] = &s
	c.mu.Unlock()
	c.closeSource(s.Key())
	return nil
}

func (c *Catalog) closeSource(key string) {
	c.openMu.Lock()
	src, ok := c.open[key]
	delete(c.open, key)
	c.openMu.Unlock()
	if ok {
		_ = src.Close()
	}
}

// PutProduct registers a product version. Its domain and every dataset's source must exist.
func (c *Catalog) PutProduct(p *Product) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.domains[p.Domain]; !ok {
		return c.unknownDomain(p.Domain)
	}
	var problems []string
	for _, ds := range p.Datasets {
		if _, ok := c.sources[p.Domain+"/"+ds.Source]; !ok {
			problems = append(problems, fmt.Sprintf("dataset %s: source %q is not registered in domain %s", ds.Name, ds.Source, p.Domain))
		}
		if other, ok := c.datasets[ds.QualifiedName()]; ok && other.Product != p.Name {
			problems = append(problems, fmt.Sprintf("dataset %s already belongs to product %s", ds.QualifiedName(), other.Product))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Subject: "product " + p.Domain + "." + p.Name, Problems: problems}
	}
	if p.Registered.IsZero() {
		p.Registered = time.Now().UTC()
	}
	key := p.Domain + "." + p.Name
	c.products[key] = append(c.products[key], p)
	if p.Status == StatusActive || p.Status == StatusDeprecated {
		for _, ds := range p.Datasets {
			c.datasets[ds.QualifiedName()] = ds
		}
	}
	return nil
}

// Dataset resolves domain.dataset. An unknown name is NotFound with the closest names.
func (c *Catalog) Dataset(domain, name string) (*Dataset, error) {
	c.mu.RLock()
	if domain == SystemDomain {
		if t, ok := c.system[name]; ok {
			c.mu.RUnlock()
			return systemDataset(t), nil
		}
	}
	defer c.mu.RUnlock()
	if ds, ok := c.datasets[domain+"."+name]; ok {
		return ds, nil
	}
	target := domain + "." + name
	if domain == "" {
		target = name
	}
	candidates := make([]string, 0, len(c.datasets))
	for k := range c.datasets {
		candidates = append(candidates, k)
	}
	for n := range c.system {
		candidates = append(candidates, SystemDomain+"."+n)
	}
	msg := fmt.Sprintf("dataset %s does not exist", target)
	if s := Closest(target, candidates, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	} else {
		msg += "; list datasets with SELECT * FROM mesh.datasets"
	}
	return nil, errs.New(errs.KindNotFound, "%s", msg)
}

// Datasets returns every served dataset (latest active versions), sorted by name.
func (c *Catalog) Datasets() []*Dataset {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Dataset, 0, len(c.datasets))
	for _, ds := range c.datasets {
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QualifiedName() < out[j].QualifiedName() })
	return out
}

// Domains returns every domain, sorted by name.
func (c *Catalog) Domains() []Domain {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Domain, 0, len(c.domains))
	for _, d := range c.domains {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Sources returns every source (options included, unresolved), sorted by key.
func (c *Catalog) Sources() []Source {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Source, 0, len(c.sources))
	for _, s := range c.sources {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// Products returns every registered product version, sorted by name then registration.
func (c *Catalog) Products() []*Product {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Product
	for _, vs := range c.products {
		out = append(out, vs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Domain+"."+out[i].Name < out[j].Domain+"."+out[j].Name
	})
	return out
}

func (c *Catalog) unknownDomain(name string) error {
	names := make([]string, 0, len(c.domains))
	for n := range c.domains {
		names = append(names, n)
	}
	msg := fmt.Sprintf("domain %q does not exist", name)
	if s := Closest(name, names, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	}
	return errs.New(errs.KindNotFound, "%s", msg)
}

// OpenSource returns the open connection of a dataset's source, opening it on first use.
// Failures are Unavailable errors naming the domain and source, never its options.
func (c *Catalog) OpenSource(ctx context.Context, ds *Dataset) (connectors.Source, error) {
	if ds.System {
		return systemSource{c}, nil
	}
	key := ds.Domain + "/" + ds.Source
	c.openMu.Lock()
	defer c.openMu.Unlock()
	if src, ok := c.open[key]; ok {
		return src, nil
	}
	c.mu.RLock()
	def, ok := c.sources[key]
	c.mu.RUnlock()
	if !ok {
		return nil, errs.New(errs.KindNotFound, "source %s of dataset %s is not registered", key, ds.QualifiedName())
	}
	f, err := c.opts.Connectors.Lookup(def.Type)
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "source %s", key)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	src, err := f.Open(ctx, connectors.SourceConfig{
		Domain: def.Domain, Name: def.Name, Type: def.Type, Options: def.Options,
		Secrets: ResolveSecret, DataDir: c.opts.DataDir,
	})
	if err != nil {
		if errs.KindOf(err) != errs.KindInternal {
			return nil, err
		}
		return nil, errs.Wrap(errs.KindUnavailable, err, "source %s (%s) of domain %s cannot be opened", def.Name, def.Type, def.Domain)
	}
	c.open[key] = src
	return src, nil
}

// Close closes every open source.
func (c *Catalog) Close() error {
	c.openMu.Lock()
	defer c.openMu.Unlock()
	var first error
	for k, s := range c.open {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.open, k)
	}
	return first
}

// ResolveSecret resolves a source option value: env:NAME reads an environment variable,
// file:/path reads a file (trailing newline trimmed), anything else is returned as is.
// Errors name the reference, never its value.
func ResolveSecret(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, "env:"):
		name := strings.TrimPrefix(v, "env:")
		val, ok := os.LookupEnv(name)
		if !ok {
			return "", errs.New(errs.KindFailedPrecondition, "secret reference env:%s: the environment variable is not set on this node", name)
		}
		return val, nil
	case strings.HasPrefix(v, "file:"):
		path := strings.TrimPrefix(v, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", errs.New(errs.KindFailedPrecondition, "secret reference file:%s cannot be read on this node", path)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v, nil
}

func validName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}
