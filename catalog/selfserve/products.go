package selfserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/store"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// RegisterOptions modify a registration.
type RegisterOptions struct {
	// Expect is the product revision the caller read; the registration fails with a
	// ConflictError if the product changed since. Nil: the revision read when the
	// registration starts (concurrent registrations of one product still conflict).
	Expect *Revision
	// DryRun validates without registering.
	DryRun bool
}

// RegisterResult says what a registration did.
type RegisterResult struct {
	Product  string   `json:"product"` // domain.product
	Version  string   `json:"version"`
	Status   string   `json:"status"`
	Revision Revision `json:"revision"`
	// Datasets are the SQL names that serve this version.
	Datasets  []string `json:"datasets"`
	Unchanged bool     `json:"unchanged,omitempty"`
	DryRun    bool     `json:"dry_run,omitempty"`
	// Warnings are notes that did not prevent the registration.
	Warnings []string `json:"warnings,omitempty"`
}

// Register validates an ODCS v3 contract (YAML or JSON) and registers it as a new version of
// its product. It runs, and reports together, every check: the ODCS JSON schema, what
// meshgate needs to serve it, the global and domain rules, quality rules meshgate can run,
// and the live source (declared columns and types exist). Nothing is stored unless every
// check passes.
func (s *Service) Register(ctx context.Context, p *governance.Principal, data []byte, opts RegisterOptions) (*RegisterResult, error) {
	if p == nil {
		return nil, errs.New(errs.KindUnauthenticated, "registering a product needs credentials")
	}
	doc, err := catalog.ParseDocument(data)
	if err != nil {
		return nil, err
	}
	c := doc.Contract
	var dom catalog.Domain
	if c.Domain != "" {
		if dom, err = s.cat.Domain(c.Domain); err != nil {
			return nil, err
		}
		name := firstNonEmpty(c.DataProduct, c.Name)
		if err := s.authorize(ctx, p, c.Domain, "product "+c.Domain+"."+name, "register"); err != nil {
			return nil, err
		}
	}
	problems := doc.SchemaProblems()
	add := func(more ...string) {
		for _, m := range more {
			if !slices.Contains(problems, m) {
				problems = append(problems, m)
			}
		}
	}
	prod, err := c.ToProduct()
	if err != nil {
		var v *catalog.ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		add(v.Problems...)
	}
	if prod == nil {
		return nil, s.reject(ctx, p, "contract", problems)
	}
	key := prod.Key()
	object := "product " + prod.Ref()
	rev := s.revision(kindProduct, key)
	if opts.Expect != nil {
		rev = *opts.Expect
	}
	existing, err := s.cat.ProductVersions(prod.Domain, prod.Name)
	if err != nil && errs.KindOf(err) != errs.KindNotFound {
		return nil, err
	}
	res := &RegisterResult{Product: key, Version: prod.Version, Status: prod.Status, DryRun: opts.DryRun}
	for _, e := range existing {
		if e.Version != prod.Version {
			continue
		}
		same, err := sameContract(e.Contract, c)
		if err != nil {
			return nil, err
		}
		if same && !opts.DryRun && (opts.Expect == nil || *opts.Expect == s.revision(kindProduct, key)) {
			res.Unchanged, res.Status, res.Revision = true, e.Status, s.revision(kindProduct, key)
			res.Datasets = s.servedNames(prod)
			return res, nil
		}
		if !same {
			add(fmt.Sprintf("version: %s of %s is already registered with a different contract; register the change as a new version", prod.Version, key))
		}
	}
	switch prod.Status {
	case catalog.StatusActive, catalog.StatusDraft:
	default:
		add(fmt.Sprintf("status: %q: register a version as active or draft; deprecate or retire it later (meshgate product deprecate / retire)", c.Status))
	}
	if err := s.cat.CheckProduct(prod); err != nil {
		var v *catalog.ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		add(v.Problems...)
	}
	rules := s.rules.With(dom.Rules)
	add(rules.Check(prod, existing, s.covered())...)
	if _, err := catalog.PlanQuality(prod, func(ds *catalog.Dataset) string { return sqlName(ds, prod) }); err != nil {
		var v *catalog.ValidationError
		if !errors.As(err, &v) {
			return nil, err
		}
		add(v.Problems...)
	}
	live, err := s.cat.CheckLive(ctx, prod)
	if err != nil {
		_ = s.audit(ctx, p, object, "register", "refused: live check failed", err)
		return nil, err
	}
	add(live...)
	if len(problems) > 0 {
		return nil, s.reject(ctx, p, object, problems)
	}
	if opts.DryRun {
		res.Revision = rev
		return res, nil
	}
	prod.Registered = s.opts.Now().UTC()
	prod.RegisteredBy = p.User
	versions := append(clone(existing), prod)
	body, err := encodeProduct(versions)
	if err != nil {
		return nil, err
	}
	w := store.Write{Kind: kindProduct, Key: key, Body: body, CheckVersion: true, ExpectVersion: rev}
	detail := fmt.Sprintf("version %s (%s), datasets %s", prod.Version, prod.Status, strings.Join(datasetNames(prod), ", "))
	err = s.do(ctx, p, object, "register", detail, func() error {
		return s.commitChecked("product "+key, w, func() error { return s.cat.CheckProduct(prod) }, func() error { return s.applyVersions(prod.Domain, prod.Name, versions) }, s.newestVersion(prod.Domain, prod.Name))
	})
	if err != nil {
		return nil, err
	}
	res.Revision = s.revision(kindProduct, key)
	res.Datasets = s.servedNames(prod)
	return res, nil
}

func (s *Service) reject(ctx context.Context, p *governance.Principal, object string, problems []string) error {
	err := &catalog.ValidationError{Subject: object, Problems: problems}
	_ = s.audit(ctx, p, object, "register", fmt.Sprintf("rejected: %d violations", len(problems)), err)
	return err
}

func (s *Service) covered() catalog.MaskCoverage {
	if s.opts.Policies == nil {
		return nil
	}
	ps := s.opts.Policies()
	if ps == nil {
		return nil
	}
	return ps.CoversColumn
}

func sameContract(a, b *catalog.Contract) (bool, error) {
	ja, err := catalog.MarshalContract(a)
	if err != nil {
		return false, err
	}
	jb, err := catalog.MarshalContract(b)
	if err != nil {
		return false, err
	}
	return string(ja) == string(jb), nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func datasetNames(p *catalog.Product) []string {
	var out []string
	for _, ds := range p.Datasets {
		out = append(out, ds.Name)
	}
	return out
}

// sqlName is how SQL addresses a dataset of product version p: the pinned major name, which
// stays valid when a newer major is served at domain.dataset.
func sqlName(ds *catalog.Dataset, p *catalog.Product) string {
	if m := p.Major(); m >= 0 {
		return catalog.QuoteIdent(ds.Domain) + "." + catalog.QuoteIdent(fmt.Sprintf("%s@v%d", ds.Name, m))
	}
	return catalog.QuoteIdent(ds.Domain) + "." + catalog.QuoteIdent(ds.Name)
}

// servedNames lists the SQL names that serve product version p right now.
func (s *Service) servedNames(p *catalog.Product) []string {
	var out []string
	for _, ds := range p.Datasets {
		if cur, err := s.cat.Dataset(ds.Domain, ds.Name); err == nil && cur.Product == p.Name && cur.Version == p.Version {
			out = append(out, ds.QualifiedName())
		}
		if m := p.Major(); m >= 0 {
			pinned := fmt.Sprintf("%s@v%d", ds.Name, m)
			if cur, err := s.cat.Dataset(ds.Domain, pinned); err == nil && cur.Version == p.Version {
				out = append(out, fmt.Sprintf("%s.%q", ds.Domain, pinned))
			}
		}
	}
	return out
}

func (s *Service) newestVersion(domain, name string) func() string {
	return func() string {
		vs, err := s.cat.ProductVersions(domain, name)
		if err != nil || len(vs) == 0 {
			return ""
		}
		return vs[len(vs)-1].Version
	}
}

// clone deep-copies product versions through their stored form, so a change is prepared
// without touching what the catalog serves.
func clone(versions []*catalog.Product) []*catalog.Product {
	if len(versions) == 0 {
		return nil
	}
	body, err := encodeProduct(versions)
	if err != nil {
		return versions
	}
	out, err := decodeProduct(body)
	if err != nil {
		return versions
	}
	return out
}

// applyVersions installs the versions of a product, keeping their last quality results.
func (s *Service) applyVersions(domain, name string, versions []*catalog.Product) error {
	old, _ := s.cat.ProductVersions(domain, name)
	results := map[string]*catalog.QualityResult{}
	for _, o := range old {
		if o.Quality != nil {
			results[o.Version] = o.Quality
		}
	}
	for _, v := range versions {
		if v.Quality == nil {
			v.Quality = results[v.Version]
		}
	}
	s.cat.SetProductVersions(domain, name, versions)
	return nil
}

// LifecycleChange deprecates or retires a version.
type LifecycleChange struct {
	Domain, Product, Version string
	// Sunset is when a deprecated version is retired automatically (zero: not planned).
	Sunset time.Time
	// Note tells consumers what to use instead.
	Note   string
	Expect *Revision
}

// Deprecate marks an active version deprecated: it is still served, and queries reading it
// carry a warning. With a sunset date, it is retired then.
func (s *Service) Deprecate(ctx context.Context, p *governance.Principal, ch LifecycleChange) (*ProductView, error) {
	if !ch.Sunset.IsZero() && !ch.Sunset.After(s.opts.Now()) {
		return nil, errs.New(errs.KindInvalidArgument, "sunset %s of %s.%s@%s is in the past; give a future date such as %s", ch.Sunset.Format(time.RFC3339), ch.Domain, ch.Product, ch.Version, s.opts.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	}
	return s.lifecycle(ctx, p, ch, "deprecate", func(v *catalog.Product) error {
		if v.Status != catalog.StatusActive && v.Status != catalog.StatusDeprecated {
			return errs.New(errs.KindFailedPrecondition, "%s is %s; only active versions can be deprecated", v.Ref(), v.Status)
		}
		setStatus(v, catalog.StatusDeprecated)
		v.Sunset, v.DeprecationNote = ch.Sunset.UTC(), ch.Note
		return nil
	})
}

// Retire stops serving a version. Retired versions stay in the catalog's history.
func (s *Service) Retire(ctx context.Context, p *governance.Principal, ch LifecycleChange) (*ProductView, error) {
	return s.lifecycle(ctx, p, ch, "retire", func(v *catalog.Product) error {
		if v.Status == catalog.StatusRetired {
			return errs.New(errs.KindFailedPrecondition, "%s is already retired", v.Ref())
		}
		setStatus(v, catalog.StatusRetired)
		return nil
	})
}

func (s *Service) lifecycle(ctx context.Context, p *governance.Principal, ch LifecycleChange, action string, change func(*catalog.Product) error) (*ProductView, error) {
	key := ch.Domain + "." + ch.Product
	rev := s.revision(kindProduct, key)
	if ch.Expect != nil {
		rev = *ch.Expect
	}
	existing, err := s.cat.ProductVersions(ch.Domain, ch.Product)
	if err != nil {
		return nil, err
	}
	object := "product " + key + "@" + ch.Version
	if err := s.authorize(ctx, p, ch.Domain, object, action); err != nil {
		return nil, err
	}
	versions := clone(existing)
	var target *catalog.Product
	var known []string
	for _, v := range versions {
		known = append(known, v.Version)
		if v.Version == ch.Version {
			target = v
		}
	}
	if target == nil {
		return nil, errs.New(errs.KindNotFound, "%s has no version %q; registered versions: %s", key, ch.Version, strings.Join(known, ", "))
	}
	if err := change(target); err != nil {
		return nil, err
	}
	body, err := encodeProduct(versions)
	if err != nil {
		return nil, err
	}
	w := store.Write{Kind: kindProduct, Key: key, Body: body, CheckVersion: true, ExpectVersion: rev}
	detail := "status " + target.Status
	if !target.Sunset.IsZero() {
		detail += ", sunset " + target.Sunset.Format(time.RFC3339)
	}
	err = s.do(ctx, p, object, action, detail, func() error {
		return s.commit("product "+key, w, func() error { return s.applyVersions(ch.Domain, ch.Product, versions) }, s.newestVersion(ch.Domain, ch.Product))
	})
	if err != nil {
		return nil, err
	}
	return s.Product(ch.Domain, ch.Product)
}

// ProductView is a product as the API returns it: its newest served version (or newest
// version) and every version's lifecycle.
type ProductView struct {
	Domain      string                 `json:"domain"`
	Product     string                 `json:"product"`
	Version     string                 `json:"version"`
	Status      string                 `json:"status"`
	Owner       string                 `json:"owner,omitempty"`
	Description string                 `json:"description,omitempty"`
	Tags        []string               `json:"tags,omitempty"`
	SLA         []catalog.SLAProperty  `json:"sla,omitempty"`
	Datasets    []string               `json:"datasets"`
	Versions    []VersionView          `json:"versions"`
	Quality     *catalog.QualityResult `json:"quality,omitempty"`
	Revision    Revision               `json:"revision"`
	// Matches says where a search found its text (search only).
	Matches []string `json:"matches,omitempty"`
	// Contract is the newest version's contract (GET of one product only).
	Contract *catalog.Contract `json:"contract,omitempty"`
}

// VersionView is one version's lifecycle.
type VersionView struct {
	Version         string    `json:"version"`
	Status          string    `json:"status"`
	Registered      time.Time `json:"registered,omitzero"`
	RegisteredBy    string    `json:"registered_by,omitempty"`
	Sunset          time.Time `json:"sunset,omitzero"`
	DeprecationNote string    `json:"deprecation_note,omitempty"`
	// Names are the SQL names serving the version (none when it is not served).
	Names   []string `json:"names,omitempty"`
	Quality string   `json:"quality,omitempty"` // passed, failed, error: the last check
}

func (s *Service) productView(versions []*catalog.Product) ProductView {
	// The version shown is the newest served one, else the newest.
	show := versions[len(versions)-1]
	for i := len(versions) - 1; i >= 0; i-- {
		if catalog.Served(versions[i].Status) {
			show = versions[i]
			break
		}
	}
	v := ProductView{
		Domain: show.Domain, Product: show.Name, Version: show.Version, Status: show.Status, Owner: show.Owner,
		Description: show.Description, Tags: show.Tags, SLA: show.SLA, Datasets: datasetNames(show), Quality: show.Quality,
		Revision: s.revision(kindProduct, show.Key()),
	}
	for _, pv := range versions {
		vv := VersionView{Version: pv.Version, Status: pv.Status, Registered: pv.Registered, RegisteredBy: pv.RegisteredBy, Sunset: pv.Sunset, DeprecationNote: pv.DeprecationNote, Names: s.servedNames(pv)}
		if pv.Quality != nil {
			vv.Quality = pv.Quality.Status()
		}
		v.Versions = append(v.Versions, vv)
	}
	return v
}

// Product returns one product with every version and its newest contract.
func (s *Service) Product(domain, name string) (*ProductView, error) {
	vs, err := s.cat.ProductVersions(domain, name)
	if err != nil {
		return nil, err
	}
	v := s.productView(vs)
	for _, pv := range vs {
		if pv.Version == v.Version {
			v.Contract = pv.Contract
		}
	}
	return &v, nil
}

// Search returns the products whose name, domain, description, tags, dataset names, column
// names or column descriptions contain text (case-insensitive); every product when text is
// empty. Retired-only products are left out.
func (s *Service) Search(text string) []ProductView {
	needle := strings.ToLower(strings.TrimSpace(text))
	byKey := map[string][]*catalog.Product{}
	var keys []string
	for _, p := range s.cat.Products() {
		if _, ok := byKey[p.Key()]; !ok {
			keys = append(keys, p.Key())
		}
		byKey[p.Key()] = append(byKey[p.Key()], p)
	}
	sort.Strings(keys)
	out := []ProductView{}
	for _, k := range keys {
		vs := byKey[k]
		v := s.productView(vs)
		if v.Status == catalog.StatusRetired {
			continue
		}
		if needle != "" {
			v.Matches = matches(vs, v.Version, needle)
			if len(v.Matches) == 0 {
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

func matches(vs []*catalog.Product, version, needle string) []string {
	var p *catalog.Product
	for _, x := range vs {
		if x.Version == version {
			p = x
		}
	}
	var out []string
	has := func(s string) bool { return strings.Contains(strings.ToLower(s), needle) }
	if has(p.Name) || has(p.Domain) {
		out = append(out, "name")
	}
	if has(p.Description) {
		out = append(out, "description")
	}
	for _, t := range p.Tags {
		if has(t) {
			out = append(out, "tag "+t)
		}
	}
	for _, ds := range p.Datasets {
		if has(ds.Name) {
			out = append(out, "dataset "+ds.Name)
		}
		if ds.Description != p.Description && has(ds.Description) {
			out = append(out, "dataset "+ds.Name+" description")
		}
		for _, c := range ds.Columns {
			if has(c.Name) {
				out = append(out, "column "+ds.Name+"."+c.Name)
			} else if has(c.Description) {
				out = append(out, "column "+ds.Name+"."+c.Name+" description")
			}
			for _, t := range c.Tags {
				if has(t) {
					out = append(out, "column "+ds.Name+"."+c.Name+" tag "+t)
				}
			}
		}
	}
	return out
}

// DatasetView describes a dataset: contract, owner, SLA, schema with classifications and
// live status.
type DatasetView struct {
	Name            string                 `json:"name"` // domain.dataset (or domain."dataset@vN")
	Domain          string                 `json:"domain"`
	Dataset         string                 `json:"dataset"`
	Product         string                 `json:"product"`
	Version         string                 `json:"version"`
	Status          string                 `json:"status"`
	Owner           string                 `json:"owner,omitempty"`
	Description     string                 `json:"description,omitempty"`
	Tags            []string               `json:"tags,omitempty"`
	Source          string                 `json:"source"` // domain/source
	Object          string                 `json:"object,omitempty"`
	SLA             []catalog.SLAProperty  `json:"sla,omitempty"`
	Sunset          time.Time              `json:"sunset,omitzero"`
	DeprecationNote string                 `json:"deprecation_note,omitempty"`
	Columns         []ColumnView           `json:"columns"`
	Quality         *catalog.QualityResult `json:"quality,omitempty"`
	Live            LiveStatus             `json:"live"`
	Warnings        []string               `json:"warnings,omitempty"`
}

// ColumnView is a column as the contract declares it.
type ColumnView struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	Required       bool     `json:"required,omitempty"`
	Unique         bool     `json:"unique,omitempty"`
	PrimaryKey     bool     `json:"primary_key,omitempty"`
	Classification string   `json:"classification,omitempty"`
	Description    string   `json:"description,omitempty"`
	Tags           []string `json:"tags,omitempty"`
}

// LiveStatus is what the source says now.
type LiveStatus struct {
	Reachable bool    `json:"reachable"`
	Rows      float64 `json:"rows_estimate"` // -1: unknown
	Error     string  `json:"error,omitempty"`
	// DataUpdatedAt is the newest value of the freshness column at the last quality check.
	DataUpdatedAt time.Time `json:"data_updated_at,omitzero"`
}

// Describe returns a dataset (domain.dataset or domain."dataset@vN") with its live status.
func (s *Service) Describe(ctx context.Context, domain, dataset string) (*DatasetView, error) {
	if _, err := s.cat.Domain(domain); err != nil && domain != catalog.SystemDomain {
		return nil, err
	}
	ds, err := s.cat.Dataset(domain, dataset)
	if err != nil {
		return nil, err
	}
	v := &DatasetView{
		Name: ds.Ref(), Domain: ds.Domain, Dataset: ds.Name, Product: ds.Product, Version: ds.Version, Status: ds.Status,
		Owner: ds.Owner, Description: ds.Description, Tags: ds.Tags, Source: ds.Domain + "/" + ds.Source, Object: ds.Object.Table,
	}
	for _, c := range ds.Columns {
		v.Columns = append(v.Columns, ColumnView{Name: c.Name, Type: exprTypeName(c), Required: c.Required, Unique: c.Unique, PrimaryKey: c.PrimaryKey, Classification: c.Classification, Description: c.Description, Tags: c.Tags})
	}
	if vs, err := s.cat.ProductVersions(ds.Domain, ds.Product); err == nil {
		for _, p := range vs {
			if p.Version == ds.Version {
				v.SLA, v.Sunset, v.DeprecationNote, v.Quality = p.SLA, p.Sunset, p.DeprecationNote, p.Quality
				if p.Quality != nil {
					v.Live.DataUpdatedAt = p.Quality.DataUpdatedAt[ds.Name]
				}
			}
		}
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := s.cat.DatasetStats(lctx, ds)
	if err != nil {
		v.Live.Error, v.Live.Rows = err.Error(), -1
	} else {
		v.Live.Reachable, v.Live.Rows = true, st.Rows
	}
	v.Warnings = s.warningsFor(ds)
	return v, nil
}

// Versions returns the revision of a product's document (0: never stored here).
func (s *Service) Versions(domain, name string) Revision {
	return s.revision(kindProduct, domain+"."+name)
}

// MarshalJSON keeps views stable when a nil slice would print null.
func (v DatasetView) MarshalJSON() ([]byte, error) {
	type plain DatasetView
	if v.Columns == nil {
		v.Columns = []ColumnView{}
	}
	return json.Marshal(plain(v))
}
