package selfserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/store"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// QueryFunc runs one SQL statement through the planner (so aggregates push down) on behalf
// of the catalog's quality checks.
type QueryFunc func(ctx context.Context, sql string) (array.RecordReader, error)

// Options configure a Service.
type Options struct {
	// Catalog is the in-memory catalog the service applies changes to. Required.
	Catalog *catalog.Catalog
	// Dir holds the document store. Required (the node passes <data_dir>/catalog).
	Dir string
	// NodeID stamps the documents this node writes. Default "local".
	NodeID string
	// NoSync skips the fsync after each change (tests of other packages only). Default
	// false: every acknowledged change survives a crash.
	NoSync bool
	// Rules are the global registration rules. Default catalog.DefaultRules().
	Rules *catalog.Rules
	// Policies returns the current policy set, which answers the mask-coverage rule. Nil: no
	// column counts as masked.
	Policies func() *governance.PolicySet
	// Audit records every change. Nil: changes are not audited (tests only).
	Audit governance.Auditor
	// Query runs quality-check SQL. Nil: quality checks report that they cannot run.
	Query QueryFunc
	// ScheduleTick is how often scheduled quality rules and sunsets are looked at. Default
	// 30s; negative disables the scheduler.
	ScheduleTick time.Duration
	// CheckTimeout bounds one quality check run. Default 5m.
	CheckTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives scheduler events. Default slog.Default().
	Logger *slog.Logger
}

// Document kinds in the store.
const (
	kindDomain  = "domain"
	kindSource  = "source"
	kindProduct = "product"
	kindQuality = "quality"
)

// Service is the self-serve catalog. It is safe for concurrent use.
type Service struct {
	opts  Options
	cat   *catalog.Catalog
	store *store.Store
	rules catalog.Rules

	// mu orders commits with their application to the catalog, so the catalog always
	// reflects a prefix of the store's history.
	mu sync.Mutex

	stop chan struct{}
	done chan struct{}
}

// productDoc is the stored form of a product: every version.
type productDoc struct {
	Versions []versionDoc `json:"versions"`
}

type versionDoc struct {
	Contract        json.RawMessage `json:"contract"`
	Status          string          `json:"status"`
	Registered      time.Time       `json:"registered"`
	RegisteredBy    string          `json:"registered_by,omitempty"`
	Sunset          time.Time       `json:"sunset,omitzero"`
	DeprecationNote string          `json:"deprecation_note,omitempty"`
}

// Open opens the document store, applies every stored document to the catalog (on top of
// what was bootstrapped) and starts the quality scheduler.
func Open(opts Options) (*Service, error) {
	if opts.Catalog == nil {
		return nil, errs.New(errs.KindInvalidArgument, "selfserve: a catalog is required")
	}
	if opts.Rules == nil {
		r := catalog.DefaultRules()
		opts.Rules = &r
	}
	if opts.ScheduleTick == 0 {
		opts.ScheduleTick = 30 * time.Second
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	sopts := store.DefaultOptions(opts.Dir)
	if opts.NodeID != "" {
		sopts.NodeID = opts.NodeID
	}
	sopts.Sync = !opts.NoSync
	sopts.Logger = opts.Logger
	st, err := store.Open(sopts)
	if err != nil {
		return nil, err
	}
	s := &Service{opts: opts, cat: opts.Catalog, store: st, rules: *opts.Rules, stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.load(); err != nil {
		_ = st.Close()
		return nil, err
	}
	if opts.ScheduleTick > 0 {
		go s.schedule()
	} else {
		close(s.done)
	}
	return s, nil
}

// Close stops the scheduler and closes the store.
func (s *Service) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	return s.store.Close()
}

// Rules returns the global rules.
func (s *Service) Rules() catalog.Rules { return s.rules }

// load applies the stored documents to the catalog: domains, then sources, then products
// (each depends on the previous), then quality results.
func (s *Service) load() error {
	docs := s.store.All()
	byKind := map[string][]store.Document{}
	for _, d := range docs {
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	for _, d := range byKind[kindDomain] {
		if d.Deleted {
			continue
		}
		var dom catalog.Domain
		if err := json.Unmarshal(d.Body, &dom); err != nil {
			return s.corrupt(d, err)
		}
		if err := s.cat.PutDomain(dom); err != nil {
			return s.corrupt(d, err)
		}
	}
	for _, d := range byKind[kindSource] {
		if d.Deleted {
			continue
		}
		var src catalog.Source
		if err := json.Unmarshal(d.Body, &src); err != nil {
			return s.corrupt(d, err)
		}
		if err := s.cat.PutSource(src); err != nil {
			return s.corrupt(d, err)
		}
	}
	for _, d := range byKind[kindProduct] {
		domain, name, _ := strings.Cut(d.Key, ".")
		if d.Deleted {
			s.cat.SetProductVersions(domain, name, nil)
			continue
		}
		versions, err := decodeProduct(d.Body)
		if err != nil {
			return s.corrupt(d, err)
		}
		s.cat.SetProductVersions(domain, name, versions)
	}
	// Deletions last: a deleted source or domain may have been bootstrapped again.
	for _, d := range byKind[kindSource] {
		if d.Deleted {
			dom, name, _ := strings.Cut(d.Key, "/")
			if _, err := s.cat.Source(dom, name); err == nil {
				if err := s.cat.RemoveSource(dom, name); err != nil {
					s.opts.Logger.Warn("a deleted source is still in use after bootstrap", "source", d.Key, "error", err)
				}
			}
		}
	}
	for _, d := range byKind[kindDomain] {
		if d.Deleted {
			if _, err := s.cat.Domain(d.Key); err == nil {
				if err := s.cat.RemoveDomain(d.Key); err != nil {
					s.opts.Logger.Warn("a deleted domain is still in use after bootstrap", "domain", d.Key, "error", err)
				}
			}
		}
	}
	for _, d := range byKind[kindQuality] {
		if d.Deleted {
			continue
		}
		var r catalog.QualityResult
		if err := json.Unmarshal(d.Body, &r); err != nil {
			return s.corrupt(d, err)
		}
		domain, name, _ := strings.Cut(r.Product, ".")
		s.cat.SetQuality(domain, name, r.Version, &r)
	}
	return nil
}

func (s *Service) corrupt(d store.Document, err error) error {
	return errs.Wrap(errs.KindInternal, err, "catalog document %s %s (version %d) cannot be applied; restore %s from a backup or remove the document", d.Kind, d.Key, d.Version, s.opts.Dir)
}

func decodeProduct(body json.RawMessage) ([]*catalog.Product, error) {
	var pd productDoc
	if err := json.Unmarshal(body, &pd); err != nil {
		return nil, err
	}
	out := make([]*catalog.Product, 0, len(pd.Versions))
	for _, v := range pd.Versions {
		doc, err := catalog.ParseDocument(v.Contract)
		if err != nil {
			return nil, err
		}
		p, err := doc.Contract.ToProduct()
		if err != nil {
			return nil, err
		}
		setStatus(p, v.Status)
		p.Registered, p.RegisteredBy, p.Sunset, p.DeprecationNote = v.Registered, v.RegisteredBy, v.Sunset, v.DeprecationNote
		out = append(out, p)
	}
	return out, nil
}

func setStatus(p *catalog.Product, status string) {
	p.Status = status
	for _, ds := range p.Datasets {
		ds.Status = status
	}
}

func encodeProduct(versions []*catalog.Product) (json.RawMessage, error) {
	pd := productDoc{}
	for _, p := range versions {
		c, err := catalog.MarshalContract(p.Contract)
		if err != nil {
			return nil, err
		}
		pd.Versions = append(pd.Versions, versionDoc{Contract: c, Status: p.Status, Registered: p.Registered, RegisteredBy: p.RegisteredBy, Sunset: p.Sunset, DeprecationNote: p.DeprecationNote})
	}
	return json.Marshal(pd)
}

// Revision is a document's version counter in the store: what a client sends back as
// expected_revision to update safely.
type Revision = uint64

func (s *Service) revision(kind, key string) Revision {
	d, ok := s.store.Get(kind, key)
	if !ok {
		return 0
	}
	return d.LiveVersion()
}

// ConflictError is a change that lost a race with another change of the same object.
type ConflictError struct {
	Object string
	// Current is the object's current revision; CurrentVersion the product's newest version
	// (products only).
	Current        Revision
	CurrentVersion string
	Expected       Revision
}

func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("%s was changed concurrently: it is now at revision %d", e.Object, e.Current)
	if e.CurrentVersion != "" {
		msg += fmt.Sprintf(" (newest version %s)", e.CurrentVersion)
	}
	return msg + fmt.Sprintf(", the change expected revision %d; re-read it and retry", e.Expected)
}

// ErrorKind maps the conflict to 409.
func (e *ConflictError) ErrorKind() errs.Kind { return errs.KindConflict }

// commit writes one document with optimistic concurrency and applies it under s.mu.
func (s *Service) commit(object string, w store.Write, apply func() error, currentVersion func() string) error {
	return s.commitChecked(object, w, nil, apply, currentVersion)
}

// commitChecked is commit with a last check of the in-memory state under s.mu: validation
// ran without the lock, and a concurrent change of another document (a domain deleted, a
// dataset claimed by another product) may have invalidated it since.
func (s *Service) commitChecked(object string, w store.Write, check, apply func() error, currentVersion func() string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if _, err := s.store.Commit([]store.Write{w}); err != nil {
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			cv := ""
			if currentVersion != nil {
				cv = currentVersion()
			}
			return &ConflictError{Object: object, Current: ce.Current, Expected: ce.Expected, CurrentVersion: cv}
		}
		return err
	}
	if apply != nil {
		if err := apply(); err != nil {
			// The document is durable but the catalog refused it: a bug, since every check
			// ran before the commit. Report it rather than serve a state that differs from
			// the store's.
			return errs.Wrap(errs.KindInternal, err, "%s was stored but could not be applied; restart the node to reload the catalog", object)
		}
	}
	return nil
}

// audit records a change (or a refused one). A change whose record cannot be written is
// refused: nothing changes unaudited.
func (s *Service) audit(ctx context.Context, p *governance.Principal, object, action, detail string, outcome error) error {
	if s.opts.Audit == nil {
		return nil
	}
	if p == nil {
		p = &governance.Principal{User: "(unauthenticated)"}
	}
	rec := governance.AuditRecord{
		Kind: governance.AuditCatalogChange, Principal: p.User, Impersonator: p.Impersonator,
		Object: object, Action: action, Detail: detail, Decision: governance.DecisionAllowed,
	}
	if outcome != nil {
		rec.Decision = governance.DecisionError
		if errs.KindOf(outcome) == errs.KindPermissionDenied {
			rec.Decision = governance.DecisionDenied
		}
		rec.ErrorClass = errs.KindOf(outcome).String()
	}
	if err := s.opts.Audit.Record(context.WithoutCancel(ctx), rec); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "the change to %s cannot be audited, so it was not made", object)
	}
	return nil
}

// IsAdmin reports whether p is a mesh admin.
func IsAdmin(p *governance.Principal) bool { return p != nil && p.HasRole("admin") }

// owns reports whether p is one of owners (a user name or group:NAME).
func owns(p *governance.Principal, owners []string) bool {
	for _, o := range owners {
		if g, ok := strings.CutPrefix(o, "group:"); ok {
			if p.InGroup(g) {
				return true
			}
		} else if o == p.User {
			return true
		}
	}
	return false
}

// authorize checks that p may change domain: a mesh admin or an owner.
func (s *Service) authorize(ctx context.Context, p *governance.Principal, domain, object, action string) error {
	if p == nil {
		return errs.New(errs.KindUnauthenticated, "changing the catalog needs credentials")
	}
	if IsAdmin(p) {
		return nil
	}
	d, err := s.cat.Domain(domain)
	if err != nil {
		return err
	}
	if owns(p, d.Owners) {
		return nil
	}
	err = errs.New(errs.KindPermissionDenied, "user %s does not own domain %s (owners: %s); ask an owner or a mesh admin to %s %s", p.User, domain, strings.Join(d.Owners, ", "), action, object)
	_ = s.audit(ctx, p, object, action, "refused: not an owner", err)
	return err
}

// do runs an authorized change: audit first (a change never happens unaudited), then the
// change; a failed change is audited again with its error class.
func (s *Service) do(ctx context.Context, p *governance.Principal, object, action, detail string, change func() error) error {
	if err := s.audit(ctx, p, object, action, detail, nil); err != nil {
		return err
	}
	if err := change(); err != nil {
		_ = s.audit(ctx, p, object, action, "failed: "+errs.KindOf(err).String(), err)
		return err
	}
	return nil
}

// PutDomain creates (mesh admins only) or updates (its owners) a domain. expect, when
// set, is the revision the caller read (0: the domain must not exist yet).
func (s *Service) PutDomain(ctx context.Context, p *governance.Principal, d catalog.Domain, expect *Revision) (Revision, error) {
	if err := catalog.ValidateDomain(d); err != nil {
		return 0, err
	}
	if d.Rules != nil {
		if _, err := json.Marshal(d.Rules); err != nil {
			return 0, err
		}
	}
	object := "domain " + d.Name
	_, lookupErr := s.cat.Domain(d.Name)
	creating := lookupErr != nil
	if creating {
		if !IsAdmin(p) {
			err := errs.New(errs.KindPermissionDenied, "only mesh admins create domains; ask an admin to create domain %s", d.Name)
			_ = s.audit(ctx, p, object, "create", "refused", err)
			return 0, err
		}
	} else if err := s.authorize(ctx, p, d.Name, object, "update"); err != nil {
		return 0, err
	}
	body, err := json.Marshal(d)
	if err != nil {
		return 0, err
	}
	w := store.Write{Kind: kindDomain, Key: d.Name, Body: body}
	if expect != nil {
		w.CheckVersion, w.ExpectVersion = true, *expect
	}
	action := "update"
	if creating {
		action = "create"
	}
	err = s.do(ctx, p, object, action, "owners: "+strings.Join(d.Owners, ", "), func() error {
		return s.commit(object, w, func() error { return s.cat.PutDomain(d) }, nil)
	})
	return s.revision(kindDomain, d.Name), err
}

// DeleteDomain removes a domain without sources or products.
func (s *Service) DeleteDomain(ctx context.Context, p *governance.Principal, name string) error {
	if _, err := s.cat.Domain(name); err != nil {
		return err
	}
	object := "domain " + name
	if err := s.authorize(ctx, p, name, object, "delete"); err != nil {
		return err
	}
	// Check first so a refused delete leaves no tombstone (and again under the lock).
	empty := func() error {
		for _, src := range s.cat.Sources() {
			if src.Domain == name {
				return errs.New(errs.KindFailedPrecondition, "domain %s still has source %s; delete its sources and products first", name, src.Name)
			}
		}
		for _, prod := range s.cat.Products() {
			if prod.Domain == name {
				return errs.New(errs.KindFailedPrecondition, "domain %s still has product %s; products cannot be deleted yet, so the domain stays", name, prod.Key())
			}
		}
		return nil
	}
	if err := empty(); err != nil {
		return err
	}
	return s.do(ctx, p, object, "delete", "", func() error {
		return s.commitChecked(object, store.Write{Kind: kindDomain, Key: name, Delete: true}, empty, func() error { return s.cat.RemoveDomain(name) }, nil)
	})
}

// Domains returns every domain with its revision.
func (s *Service) Domains() []DomainView {
	var out []DomainView
	for _, d := range s.cat.Domains() {
		out = append(out, DomainView{Domain: d, Revision: s.revision(kindDomain, d.Name)})
	}
	return out
}

// Domain returns one domain.
func (s *Service) Domain(name string) (DomainView, error) {
	d, err := s.cat.Domain(name)
	if err != nil {
		return DomainView{}, err
	}
	return DomainView{Domain: d, Revision: s.revision(kindDomain, name)}, nil
}

// DomainView is a domain as the API returns it.
type DomainView struct {
	catalog.Domain
	Revision Revision `json:"revision"`
}

// SourceView is a source as the API returns it: option values that are not secret
// references and whose names suggest a secret are hidden.
type SourceView struct {
	Domain   string            `json:"domain"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Options  map[string]string `json:"options,omitempty"`
	Revision Revision          `json:"revision"`
	// Reachable is set by create, update and test: whether the connection test passed.
	Reachable *bool `json:"reachable,omitempty"`
	// TestError says why the connection test failed (saved with allow_unreachable).
	TestError string `json:"test_error,omitempty"`
}

func (s *Service) sourceView(src catalog.Source) SourceView {
	v := SourceView{Domain: src.Domain, Name: src.Name, Type: src.Type, Options: map[string]string{}, Revision: s.revision(kindSource, src.Key())}
	for k, val := range src.Options {
		if catalog.IsSecretOption(k) && !isSecretRef(val) {
			val = "***"
		}
		v.Options[k] = val
	}
	return v
}

func isSecretRef(v string) bool { return strings.HasPrefix(v, "env:") || strings.HasPrefix(v, "file:") }

// Sources returns the sources of a domain (every domain when domain is empty).
func (s *Service) Sources(domain string) ([]SourceView, error) {
	if domain != "" {
		if _, err := s.cat.Domain(domain); err != nil {
			return nil, err
		}
	}
	var out []SourceView
	for _, src := range s.cat.Sources() {
		if domain == "" || src.Domain == domain {
			out = append(out, s.sourceView(src))
		}
	}
	return out, nil
}

// Source returns one source.
func (s *Service) Source(domain, name string) (SourceView, error) {
	src, err := s.cat.Source(domain, name)
	if err != nil {
		return SourceView{}, err
	}
	return s.sourceView(src), nil
}

// SourceChange is a create or update of a source.
type SourceChange struct {
	Source catalog.Source
	// AllowUnreachable saves the source even if its connection test fails.
	AllowUnreachable bool
	// Create fails if the source exists; otherwise an existing source is replaced.
	Create bool
	// Expect is the revision the caller read (update only).
	Expect *Revision
}

// PutSource creates or updates a source after testing its connection. Option values that
// are secrets must be references (env:NAME, file:/path): they are never stored in clear.
func (s *Service) PutSource(ctx context.Context, p *governance.Principal, ch SourceChange) (SourceView, error) {
	src := ch.Source
	if _, err := s.cat.Domain(src.Domain); err != nil {
		return SourceView{}, err
	}
	object := "source " + src.Key()
	_, existsErr := s.cat.Source(src.Domain, src.Name)
	action := "update"
	if existsErr != nil {
		action = "create"
	}
	if err := s.authorize(ctx, p, src.Domain, object, action); err != nil {
		return SourceView{}, err
	}
	if ch.Create && existsErr == nil {
		return SourceView{}, errs.New(errs.KindAlreadyExists, "source %s already exists; update it with PUT /api/v1/domains/%s/sources/%s", src.Key(), src.Domain, src.Name)
	}
	var problems []string
	if err := s.cat.ValidateSource(src); err != nil {
		var v *catalog.ValidationError
		if !errors.As(err, &v) {
			return SourceView{}, err
		}
		problems = append(problems, v.Problems...)
	}
	keys := make([]string, 0, len(src.Options))
	for k := range src.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if catalog.IsSecretOption(k) && src.Options[k] != "" && !isSecretRef(src.Options[k]) {
			problems = append(problems, fmt.Sprintf("options.%s: secrets are not stored in clear; pass a reference env:NAME or file:/path that the nodes resolve", k))
		}
	}
	if len(problems) > 0 {
		return SourceView{}, &catalog.ValidationError{Subject: object, Problems: problems}
	}
	view := s.sourceView(src)
	reachable := true
	if err := s.cat.TestSource(ctx, src); err != nil {
		reachable = false
		view.TestError = err.Error()
		if !ch.AllowUnreachable {
			return SourceView{}, &catalog.ValidationError{Subject: object, Problems: []string{
				"options: the connection test failed: " + err.Error() + "; fix the options, or save the source anyway with allow_unreachable (meshgate source add --allow-unreachable)",
			}}
		}
	}
	view.Reachable = &reachable
	body, err := json.Marshal(src)
	if err != nil {
		return SourceView{}, err
	}
	w := store.Write{Kind: kindSource, Key: src.Key(), Body: body}
	if ch.Expect != nil {
		w.CheckVersion, w.ExpectVersion = true, *ch.Expect
	} else if ch.Create {
		w.CheckVersion = true
	}
	detail := fmt.Sprintf("type %s, options %s", src.Type, catalog.PublicOptions(src.Options))
	err = s.do(ctx, p, object, action, detail, func() error {
		return s.commitChecked(object, w, func() error { return s.cat.ValidateSource(src) }, func() error { return s.cat.PutSource(src) }, nil)
	})
	if err != nil {
		return SourceView{}, err
	}
	view.Revision = s.revision(kindSource, src.Key())
	return view, nil
}

// TestSource tests a registered source's connection.
func (s *Service) TestSource(ctx context.Context, p *governance.Principal, domain, name string) (SourceView, error) {
	src, err := s.cat.Source(domain, name)
	if err != nil {
		return SourceView{}, err
	}
	if err := s.authorize(ctx, p, domain, "source "+src.Key(), "test"); err != nil {
		return SourceView{}, err
	}
	view := s.sourceView(src)
	ok := true
	if err := s.cat.TestSource(ctx, src); err != nil {
		ok = false
		view.TestError = err.Error()
	}
	view.Reachable = &ok
	return view, nil
}

// DeleteSource removes a source no served product uses.
func (s *Service) DeleteSource(ctx context.Context, p *governance.Principal, domain, name string) error {
	src, err := s.cat.Source(domain, name)
	if err != nil {
		return err
	}
	object := "source " + src.Key()
	if err := s.authorize(ctx, p, domain, object, "delete"); err != nil {
		return err
	}
	unused := func() error {
		for _, prod := range s.cat.Products() {
			if prod.Domain != domain || prod.Status == catalog.StatusRetired {
				continue
			}
			for _, ds := range prod.Datasets {
				if ds.Source == name {
					return errs.New(errs.KindFailedPrecondition, "source %s is used by %s; retire those versions first", src.Key(), prod.Ref())
				}
			}
		}
		return nil
	}
	if err := unused(); err != nil {
		return err
	}
	return s.do(ctx, p, object, "delete", "", func() error {
		return s.commitChecked(object, store.Write{Kind: kindSource, Key: src.Key(), Delete: true}, unused, func() error { return s.cat.RemoveSource(domain, name) }, nil)
	})
}
