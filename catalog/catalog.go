package catalog

import (
	"context"
	"errors"
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
	// Cache sizes the cache of source schemas and statistics. Zero fields take
	// DefaultCacheOptions values.
	Cache CacheOptions
}

// Catalog holds the mesh's domains, sources and products. It is safe for concurrent use.
//
// It is the in-memory index the planner reads. Persistence, authorization and validation
// of changes live in catalog/selfserve, which applies accepted changes here.
type Catalog struct {
	opts  Options
	cache *objectCache

	mu       sync.RWMutex
	domains  map[string]*Domain
	sources  map[string]*Source     // by Source.Key()
	products map[string][]*Product  // by domain.product, every version, oldest first
	datasets map[string]*Dataset    // by domain.dataset: the newest served version
	pinned   map[string]*Dataset    // by domain.dataset@vN: the newest served version of major N
	claims   map[string]string      // domain.dataset → domain.product that declares it
	system   map[string]SystemTable // mesh.* by table name

	openMu sync.Mutex
	open   map[string]connectors.Source // by Source.Key()

	closeMu sync.Mutex
	closers []func() error
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
		products: map[string][]*Product{}, datasets: map[string]*Dataset{}, pinned: map[string]*Dataset{},
		claims: map[string]string{}, open: map[string]connectors.Source{}, system: map[string]SystemTable{},
	}
	c.cache = newObjectCache(opts.Cache)
	for _, t := range c.catalogSystemTables() {
		c.system[t.Name()] = t
	}
	return c
}

// ValidateDomain checks a domain definition without registering it.
func ValidateDomain(d Domain) error {
	var problems []string
	if !validName(d.Name) {
		problems = append(problems, fmt.Sprintf("name: %q must start with a letter and contain only lower-case letters, digits and _", d.Name))
	}
	if d.Name == SystemDomain {
		problems = append(problems, fmt.Sprintf("name: %q is reserved for system tables", d.Name))
	}
	if len(d.Owners) == 0 {
		problems = append(problems, "owners: at least one owner (a user name or group:NAME) is required")
	}
	for i, o := range d.Owners {
		if g, ok := strings.CutPrefix(o, "group:"); (ok && g == "") || strings.TrimSpace(o) == "" {
			problems = append(problems, fmt.Sprintf("owners[%d]: %q is neither a user name nor group:NAME", i, o))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Subject: "domain " + d.Name, Problems: problems}
	}
	return nil
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

// Domain returns a domain; an unknown name is NotFound with the closest names.
func (c *Catalog) Domain(name string) (Domain, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.domains[name]
	if !ok {
		return Domain{}, c.unknownDomain(name)
	}
	return *d, nil
}

// RemoveDomain deletes a domain that has no sources and no products left.
func (c *Catalog) RemoveDomain(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.domains[name]; !ok {
		return c.unknownDomain(name)
	}
	var left []string
	for _, s := range c.sources {
		if s.Domain == name {
			left = append(left, "source "+s.Name)
		}
	}
	for k, vs := range c.products {
		if len(vs) > 0 && vs[0].Domain == name {
			left = append(left, "product "+k)
		}
	}
	if len(left) > 0 {
		sort.Strings(left)
		return errs.New(errs.KindFailedPrecondition, "domain %s still has %s; delete them first", name, strings.Join(left, ", "))
	}
	delete(c.domains, name)
	return nil
}

// ValidateSource checks a source definition without registering it: name, known type,
// existing domain.
func (c *Catalog) ValidateSource(s Source) error {
	var problems []string
	if !validName(s.Name) {
		problems = append(problems, fmt.Sprintf("name: %q must start with a letter and contain only lower-case letters, digits and _", s.Name))
	}
	if _, err := c.opts.Connectors.Lookup(s.Type); err != nil {
		problems = append(problems, "type: "+err.Error())
	}
	if len(problems) > 0 {
		return &ValidationError{Subject: "source " + s.Key(), Problems: problems}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, ok := c.domains[s.Domain]; !ok {
		return c.unknownDomain(s.Domain)
	}
	return nil
}

// PutSource creates or replaces a source. An open connection to the previous definition is
// closed and cached schemas and statistics of the source are dropped.
func (c *Catalog) PutSource(s Source) error {
	if err := c.ValidateSource(s); err != nil {
		var v *ValidationError
		if errors.As(err, &v) && len(v.Problems) == 1 {
			return errs.New(errs.KindInvalidArgument, "source %s: %s", s.Key(), v.Problems[0])
		}
		return err
	}
	c.mu.Lock()
	c.sources[s.Key()] = &s
	c.mu.Unlock()
	c.closeSource(s.Key())
	c.cache.invalidate(s.Key())
	return nil
}

// Source returns a source definition (options unresolved).
func (c *Catalog) Source(domain, name string) (Source, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, ok := c.domains[domain]; !ok {
		return Source{}, c.unknownDomain(domain)
	}
	s, ok := c.sources[domain+"/"+name]
	if !ok {
		var names []string
		for _, o := range c.sources {
			if o.Domain == domain {
				names = append(names, o.Name)
			}
		}
		msg := fmt.Sprintf("source %s/%s does not exist", domain, name)
		if sug := Closest(name, names, 3); len(sug) > 0 {
			msg += "; did you mean " + strings.Join(sug, ", ") + "?"
		}
		return Source{}, errs.New(errs.KindNotFound, "%s", msg)
	}
	return *s, nil
}

// RemoveSource deletes a source no product version uses.
func (c *Catalog) RemoveSource(domain, name string) error {
	key := domain + "/" + name
	c.mu.Lock()
	if _, ok := c.sources[key]; !ok {
		c.mu.Unlock()
		_, err := c.Source(domain, name)
		return err
	}
	var users []string
	for _, vs := range c.products {
		for _, p := range vs {
			if p.Domain != domain || p.Status == StatusRetired {
				continue
			}
			for _, ds := range p.Datasets {
				if ds.Source == name {
					users = append(users, p.Ref())
					break
				}
			}
		}
	}
	if len(users) > 0 {
		c.mu.Unlock()
		sort.Strings(users)
		return errs.New(errs.KindFailedPrecondition, "source %s is used by %s; retire those versions first", key, strings.Join(users, ", "))
	}
	delete(c.sources, key)
	c.mu.Unlock()
	c.closeSource(key)
	c.cache.invalidate(key)
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

// CheckProduct reports what prevents registering p: unknown domain (NotFound), datasets
// whose source is not registered or that another product already declares (a
// ValidationError with paths into the contract).
func (c *Catalog) CheckProduct(p *Product) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.checkProductLocked(p)
}

func (c *Catalog) checkProductLocked(p *Product) error {
	if _, ok := c.domains[p.Domain]; !ok {
		return c.unknownDomain(p.Domain)
	}
	var problems []string
	for i, ds := range p.Datasets {
		path := fmt.Sprintf("schema[%d]", i)
		if _, ok := c.sources[p.Domain+"/"+ds.Source]; !ok {
			problems = append(problems, fmt.Sprintf("%s.customProperties: source %q is not registered in domain %s; register it first (meshgate source add)", path, ds.Source, p.Domain))
		}
		if owner, ok := c.claims[ds.QualifiedName()]; ok && owner != p.Key() {
			problems = append(problems, fmt.Sprintf("%s.name: dataset %s already belongs to product %s", path, ds.QualifiedName(), owner))
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Subject: "product " + p.Key(), Problems: problems}
	}
	return nil
}

// PutProduct registers a product version (replacing the same version if present). Its
// domain and every dataset's source must exist.
func (c *Catalog) PutProduct(p *Product) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkProductLocked(p); err != nil {
		return err
	}
	if p.Registered.IsZero() {
		p.Registered = time.Now().UTC()
	}
	versions := make([]*Product, 0, len(c.products[p.Key()])+1)
	for _, v := range c.products[p.Key()] {
		if v.Version != p.Version {
			versions = append(versions, v)
		}
	}
	c.setVersionsLocked(p.Domain, p.Name, append(versions, p))
	return nil
}

// SetProductVersions replaces every version of product domain.name (nil or empty removes
// the product). It does not check sources: it applies state that was validated when it was
// registered, possibly on another node.
func (c *Catalog) SetProductVersions(domain, name string, versions []*Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setVersionsLocked(domain, name, versions)
}

// setVersionsLocked installs the versions of one product and re-indexes its datasets:
// domain.dataset serves the newest active or deprecated version, domain."dataset@vN" the
// newest active or deprecated version of major N.
func (c *Catalog) setVersionsLocked(domain, name string, versions []*Product) {
	key := domain + "." + name
	for k, v := range c.datasets {
		if v.Domain == domain && v.Product == name {
			delete(c.datasets, k)
		}
	}
	for k, v := range c.pinned {
		if v.Domain == domain && v.Product == name {
			delete(c.pinned, k)
		}
	}
	for k, owner := range c.claims {
		if owner == key {
			delete(c.claims, k)
		}
	}
	// Cached statistics may describe the objects the old versions bound.
	for _, v := range c.products[key] {
		for _, ds := range v.Datasets {
			c.cache.invalidate(domain + "/" + ds.Source)
		}
	}
	if len(versions) == 0 {
		delete(c.products, key)
		return
	}
	sorted := append([]*Product(nil), versions...)
	sort.SliceStable(sorted, func(i, j int) bool { return compareVersions(sorted[i].Version, sorted[j].Version) < 0 })
	c.products[key] = sorted
	servedMajor := map[int]bool{}
	latest := true
	for i := len(sorted) - 1; i >= 0; i-- {
		p := sorted[i]
		for _, ds := range p.Datasets {
			c.claims[ds.QualifiedName()] = key
			c.cache.invalidate(domain + "/" + ds.Source)
		}
		if !Served(p.Status) {
			continue
		}
		major := p.Major()
		if latest {
			for _, ds := range p.Datasets {
				c.datasets[ds.QualifiedName()] = ds
			}
			latest = false
		}
		if major >= 0 && !servedMajor[major] {
			servedMajor[major] = true
			for _, ds := range p.Datasets {
				pinned := *ds
				pinned.Pinned = fmt.Sprintf("v%d", major)
				c.pinned[pinned.Ref()] = &pinned
			}
		}
	}
}

// ProductVersions returns every version of domain.product, oldest first. An unknown product
// is NotFound with suggestions.
func (c *Catalog) ProductVersions(domain, name string) ([]*Product, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if vs, ok := c.products[domain+"."+name]; ok {
		return append([]*Product(nil), vs...), nil
	}
	if _, ok := c.domains[domain]; !ok {
		return nil, c.unknownDomain(domain)
	}
	names := make([]string, 0, len(c.products))
	for k := range c.products {
		names = append(names, k)
	}
	msg := fmt.Sprintf("product %s.%s does not exist", domain, name)
	if s := Closest(domain+"."+name, names, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, ", ") + "?"
	} else {
		msg += "; list products with meshgate products or SELECT * FROM mesh.products"
	}
	return nil, errs.New(errs.KindNotFound, "%s", msg)
}

// SetQuality records the result of a quality check on a product version.
func (c *Catalog) SetQuality(domain, name, version string, r *QualityResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.products[domain+"."+name] {
		if p.Version == version {
			p.Quality = r
		}
	}
}

// Dataset resolves domain.dataset, or domain."dataset@vN" for the newest served version of
// major N. An unknown name is NotFound with the closest names.
func (c *Catalog) Dataset(domain, name string) (*Dataset, error) {
	c.mu.RLock()
	if domain == SystemDomain {
		if t, ok := c.system[name]; ok {
			c.mu.RUnlock()
			return systemDataset(t), nil
		}
	}
	defer c.mu.RUnlock()
	if base, major, pinned := splitPinned(name); pinned {
		if ds, ok := c.pinned[fmt.Sprintf("%s.%s@v%d", domain, base, major)]; ok && major >= 0 {
			return ds, nil
		}
		var served []string
		for k, ds := range c.pinned {
			if ds.Domain == domain && ds.Name == base {
				served = append(served, k)
			}
		}
		sort.Strings(served)
		msg := fmt.Sprintf("dataset %s.%s does not exist", domain, name)
		switch {
		case major < 0:
			msg = fmt.Sprintf("dataset %s.%s: the version after @ must be a major version such as @v1", domain, name)
		case len(served) > 0:
			msg += "; served versions: " + strings.Join(served, ", ")
		}
		if len(served) > 0 || major < 0 {
			return nil, errs.New(errs.KindNotFound, "%s", msg)
		}
		name = base
	}
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

// PinnedDatasets returns every domain."dataset@vN" that serves an older major version than
// domain.dataset, sorted by name.
func (c *Catalog) PinnedDatasets() []*Dataset {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Dataset
	for _, ds := range c.pinned {
		if cur, ok := c.datasets[ds.QualifiedName()]; ok && cur.Version == ds.Version {
			continue
		}
		out = append(out, ds)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
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

// Products returns every registered product version, sorted by name then version.
func (c *Catalog) Products() []*Product {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Product
	for _, vs := range c.products {
		out = append(out, vs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Key() != out[j].Key() {
			return out[i].Key() < out[j].Key()
		}
		return compareVersions(out[i].Version, out[j].Version) < 0
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
	} else {
		msg += "; list domains with GET /api/v1/domains or SELECT * FROM mesh.domains"
	}
	return errs.New(errs.KindNotFound, "%s", msg)
}

// OpenSource returns the open connection of a dataset's source, opening it on first use.
// Failures are Unavailable errors naming the domain and source, never its options.
func (c *Catalog) OpenSource(ctx context.Context, ds *Dataset) (connectors.Source, error) {
	if ds.System {
		return systemSource{c}, nil
	}
	return c.openSource(ctx, ds.Domain, ds.Source)
}

func (c *Catalog) openSource(ctx context.Context, domain, name string) (connectors.Source, error) {
	key := domain + "/" + name
	c.openMu.Lock()
	defer c.openMu.Unlock()
	if src, ok := c.open[key]; ok {
		return src, nil
	}
	c.mu.RLock()
	def, ok := c.sources[key]
	c.mu.RUnlock()
	if !ok {
		return nil, errs.New(errs.KindNotFound, "source %s is not registered", key)
	}
	src, err := c.connect(ctx, *def)
	if err != nil {
		return nil, err
	}
	c.open[key] = src
	return src, nil
}

// connect opens a source definition with its secret references resolved on this node.
func (c *Catalog) connect(ctx context.Context, def Source) (connectors.Source, error) {
	f, err := c.opts.Connectors.Lookup(def.Type)
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "source %s", def.Key())
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
	return src, nil
}

// TestSource opens a source definition (registered or not), pings it and closes it. The
// error says why it cannot be reached, never its options.
func (c *Catalog) TestSource(ctx context.Context, def Source) error {
	src, err := c.connect(ctx, def)
	if err != nil {
		return err
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	if err := src.Ping(ctx); err != nil {
		if errs.KindOf(err) == errs.KindInternal {
			return errs.Wrap(errs.KindUnavailable, err, "source %s cannot be reached", def.Key())
		}
		return err
	}
	return nil
}

// OnClose registers f to run when the catalog is closed (background work of packages built
// on the catalog: schedulers, stores).
func (c *Catalog) OnClose(f func() error) {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	c.closers = append(c.closers, f)
}

// Close runs the OnClose functions (last registered first), then closes every open source.
func (c *Catalog) Close() error {
	c.closeMu.Lock()
	closers := c.closers
	c.closers = nil
	c.closeMu.Unlock()
	var first error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil && first == nil {
			first = err
		}
	}
	c.openMu.Lock()
	defer c.openMu.Unlock()
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

// DataDir is the node's data directory the catalog was opened with.
func (c *Catalog) DataDir() string { return c.opts.DataDir }
