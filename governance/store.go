package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
)

// DomainOwners tells who owns a domain: user names and group:NAME entries.
type DomainOwners interface {
	Domains() []catalog.Domain
}

// PolicyStoreOptions configure a PolicyStore.
type PolicyStoreOptions struct {
	// Path is the file the policies persist to. Empty: memory only.
	Path string
	// MaskKey derives each domain's hash-mask key.
	MaskKey []byte
	// Owners answers who owns each domain (domain policies are theirs to change).
	Owners DomainOwners
	// Audit records every change. Nil: not audited.
	Audit Auditor
	// OnChange receives every new policy set (the planner reads the current one).
	OnChange func(*PolicySet)
}

// PolicyStore holds the mesh's current policies: applying a document validates it, checks
// the caller may change each policy, bumps versions of changed policies, persists atomically,
// audits, and publishes a new PolicySet.
type PolicyStore struct {
	opts PolicyStoreOptions

	mu       sync.Mutex
	policies map[string]*Policy
}

// persisted is the on-disk form.
type persisted struct {
	Policies []*Policy `json:"policies"`
}

// OpenPolicyStore loads the store from opts.Path (if it exists) and publishes the policy set.
func OpenPolicyStore(opts PolicyStoreOptions) (*PolicyStore, error) {
	s := &PolicyStore{opts: opts, policies: map[string]*Policy{}}
	if opts.Path != "" {
		data, err := os.ReadFile(opts.Path)
		switch {
		case err == nil:
			var p persisted
			if err := json.Unmarshal(data, &p); err != nil {
				return nil, errs.Wrap(errs.KindFailedPrecondition, err, "policy store %s is corrupt; restore it from a backup or the audit log", opts.Path)
			}
			for _, pol := range p.Policies {
				s.policies[pol.Name] = pol
			}
		case !os.IsNotExist(err):
			return nil, errs.Wrap(errs.KindUnavailable, err, "policy store %s", opts.Path)
		}
	}
	s.publish()
	return s, nil
}

// Set returns the current policies as an immutable set.
func (s *PolicyStore) Set() *PolicySet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return NewPolicySet(s.sortedLocked(), s.opts.MaskKey)
}

func (s *PolicyStore) sortedLocked() []*Policy {
	out := make([]*Policy, 0, len(s.policies))
	for _, p := range s.policies {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *PolicyStore) publish() {
	if s.opts.OnChange != nil {
		s.opts.OnChange(NewPolicySet(s.sortedLocked(), s.opts.MaskKey))
	}
}

// Bootstrap installs policies without permission checks or audit (node start-up from a
// trusted file). Policies already in the store are kept: the store is the source of truth
// once it exists.
func (s *PolicyStore) Bootstrap(policies []*Policy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, p := range policies {
		if _, ok := s.policies[p.Name]; !ok {
			s.policies[p.Name] = p
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := s.persistLocked(); err != nil {
		return err
	}
	s.publish()
	return nil
}

// ApplyResult reports what Apply changed.
type ApplyResult struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
}

// Apply upserts the policies of a document (ParsePolicies' output) on behalf of p.
func (s *PolicyStore) Apply(ctx context.Context, p *Principal, policies []*Policy) (*ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var problems []string
	for _, pol := range policies {
		if err := s.mayChange(p, pol); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: policy %q: %v", pol.Line(), pol.Name, err))
		}
		if old, ok := s.policies[pol.Name]; ok {
			if err := s.mayChange(p, old); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: policy %q exists with scope %s: %v", pol.Line(), pol.Name, describeScope(old), err))
			}
		}
	}
	if len(problems) > 0 {
		return nil, errs.New(errs.KindPermissionDenied, "no policy was applied:\n  - %s", strings.Join(problems, "\n  - "))
	}
	res := &ApplyResult{}
	next := map[string]*Policy{}
	for k, v := range s.policies {
		next[k] = v
	}
	for _, pol := range policies {
		cp := *pol
		old, ok := s.policies[pol.Name]
		switch {
		case !ok:
			cp.Version = max(cp.Version, 1)
			res.Created = append(res.Created, cp.Name)
		case samePolicy(old, &cp):
			res.Unchanged = append(res.Unchanged, cp.Name)
			continue
		default:
			cp.Version = old.Version + 1
			res.Updated = append(res.Updated, cp.Name)
		}
		next[cp.Name] = &cp
	}
	if len(res.Created)+len(res.Updated) == 0 {
		return res, nil
	}
	// Audit first: a change that cannot be recorded is not made.
	if err := s.audit(ctx, p, "apply", fmt.Sprintf("created %v updated %v", res.Created, res.Updated)); err != nil {
		return nil, err
	}
	prev := s.policies
	s.policies = next
	if err := s.persistLocked(); err != nil {
		s.policies = prev
		return nil, err
	}
	s.publish()
	return res, nil
}

// Delete removes a policy on behalf of p.
func (s *PolicyStore) Delete(ctx context.Context, p *Principal, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.policies[name]
	if !ok {
		return errs.New(errs.KindNotFound, "policy %q does not exist; list policies with `meshgate policy list`", name)
	}
	if err := s.mayChange(p, old); err != nil {
		return errs.Wrap(errs.KindPermissionDenied, err, "policy %q", name)
	}
	if err := s.audit(ctx, p, "delete", old.ID()); err != nil {
		return err
	}
	delete(s.policies, name)
	if err := s.persistLocked(); err != nil {
		s.policies[name] = old
		return err
	}
	s.publish()
	return nil
}

// List returns every policy, sorted by name.
func (s *PolicyStore) List() []*Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedLocked()
}

func (s *PolicyStore) audit(ctx context.Context, p *Principal, action, detail string) error {
	if s.opts.Audit == nil {
		return nil
	}
	return s.opts.Audit.Record(ctx, AuditRecord{
		Kind: AuditPolicyChange, Principal: p.User, Impersonator: p.Impersonator,
		Object: "policies", Action: action, Detail: detail, Decision: DecisionAllowed,
	})
}

// mayChange enforces who writes which policies: mesh admins any; a domain's owners that
// domain's domain-scoped policies.
func (s *PolicyStore) mayChange(p *Principal, pol *Policy) error {
	if p.HasRole("admin") {
		return nil
	}
	if pol.Scope != ScopeDomain {
		return errs.New(errs.KindPermissionDenied, "only mesh admins change global policies")
	}
	if s.opts.Owners != nil {
		for _, d := range s.opts.Owners.Domains() {
			if d.Name == pol.Domain && isOwner(p, d.Owners) {
				return nil
			}
		}
	}
	return errs.New(errs.KindPermissionDenied, "user %s does not own domain %s", p.User, pol.Domain)
}

// isOwner reports whether p is listed among owners (by name or group:NAME).
func isOwner(p *Principal, owners []string) bool {
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

func describeScope(p *Policy) string {
	if p.Scope == ScopeDomain {
		return "domain " + p.Domain
	}
	return p.Scope
}

func samePolicy(a, b *Policy) bool {
	x, y := *a, *b
	x.Version, y.Version, x.line, y.line = 0, 0, 0, 0
	return reflect.DeepEqual(x, y)
}

// persistLocked writes the store atomically: a crash leaves the old or the new file.
func (s *PolicyStore) persistLocked() error {
	if s.opts.Path == "" {
		return nil
	}
	data, err := json.MarshalIndent(persisted{Policies: s.sortedLocked()}, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.opts.Path, data)
}

// WriteFileAtomic replaces path with data: written to a temporary file, synced, renamed over
// path, and the directory synced, so a crash at any point leaves the old or the new content.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "creating %s", dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "writing %s", path)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return errs.Wrap(errs.KindUnavailable, err, "writing %s", path)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return errs.Wrap(errs.KindUnavailable, err, "syncing %s", path)
	}
	if err := tmp.Close(); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "writing %s", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "replacing %s", path)
	}
	d, err := os.Open(dir)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "syncing %s", dir)
	}
	defer d.Close()
	return d.Sync()
}
