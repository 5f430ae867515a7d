package governance

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/meshgate/meshgate/internal/errs"
)

// Audit record kinds.
const (
	AuditQuery         = "query"          // one per query, whatever its outcome
	AuditPolicyChange  = "policy_change"  // policies applied or removed
	AuditCatalogChange = "catalog_change" // domains, sources, products changed
)

// Audit decisions.
const (
	DecisionAllowed = "allowed"
	DecisionDenied  = "denied"
	DecisionError   = "error"
)

// AuditRecord is one line of the audit log (DESIGN.md §4).
type AuditRecord struct {
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"`
	Principal    string    `json:"principal"`
	Impersonator string    `json:"impersonator,omitempty"`
	ClientAddr   string    `json:"client_addr,omitempty"`
	Application  string    `json:"application,omitempty"`
	QueryID      string    `json:"query_id,omitempty"`
	SQL          string    `json:"sql,omitempty"`
	SQLHash      string    `json:"sql_sha256,omitempty"`
	// Datasets are the datasets read, with the columns the query returned (projected) and
	// those it only filtered, joined or grouped on (predicate-only).
	Datasets []AuditDataset `json:"datasets,omitempty"`
	// Policies are the masks and row filters applied, as name@vVERSION.
	Policies   []string `json:"policies,omitempty"`
	Decision   string   `json:"decision"`
	Rows       int64    `json:"rows"`
	Bytes      int64    `json:"bytes"`
	DurationMS float64  `json:"duration_ms"`
	ErrorClass string   `json:"error_class,omitempty"`
	// Object and Action describe a change (policy_change, catalog_change):
	// e.g. "policy mask-customer-phone", "apply".
	Object string `json:"object,omitempty"`
	Action string `json:"action,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// AuditDataset is the audit view of one dataset a query read.
type AuditDataset struct {
	Name          string   `json:"name"`
	Projected     []string `json:"projected,omitempty"`
	PredicateOnly []string `json:"predicate_only,omitempty"`
}

// SQLHash is the hash recorded for a statement text.
func SQLHash(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:])
}

// Auditor records audit events. Implementations are safe for concurrent use.
type Auditor interface {
	Record(ctx context.Context, rec AuditRecord) error
}

// AuditOptions configure an AuditLog.
type AuditOptions struct {
	// Sync fsyncs the file after every record, so an acknowledged query is on disk. Default
	// true (DefaultAuditOptions).
	Sync bool
	// Now returns the time stamped on records without one. Default time.Now.
	Now func() time.Time
}

// DefaultAuditOptions returns the documented defaults.
func DefaultAuditOptions() AuditOptions { return AuditOptions{Sync: true, Now: time.Now} }

// AuditLog appends records as JSON lines to a file.
type AuditLog struct {
	path string
	opts AuditOptions

	mu sync.Mutex
	f  *os.File
}

var _ Auditor = (*AuditLog)(nil)

// OpenAuditLog opens (creating if needed) the JSON-lines audit file at path.
func OpenAuditLog(path string, opts AuditOptions) (*AuditLog, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "audit log directory %s", filepath.Dir(path))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "audit log %s cannot be opened", path)
	}
	return &AuditLog{path: path, opts: opts, f: f}, nil
}

// Path is the audit file's path.
func (a *AuditLog) Path() string { return a.path }

// Record appends rec. An error means the record is not durable: callers fail the audited
// action (no unaudited access) unless configured otherwise.
func (a *AuditLog) Record(_ context.Context, rec AuditRecord) error {
	if rec.Time.IsZero() {
		rec.Time = a.opts.Now().UTC()
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return errs.Wrap(errs.KindInternal, err, "encoding an audit record")
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return errs.New(errs.KindUnavailable, "audit log %s is closed", a.path)
	}
	if _, err := a.f.Write(line); err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "writing the audit log %s", a.path)
	}
	if a.opts.Sync {
		if err := a.f.Sync(); err != nil {
			return errs.Wrap(errs.KindUnavailable, err, "syncing the audit log %s", a.path)
		}
	}
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f = nil
	return err
}

// ReadAll reads every record of the file (for mesh.audit). A torn last line (a crash during
// a write) is skipped.
func (a *AuditLog) ReadAll() ([]AuditRecord, error) {
	f, err := os.Open(a.path)
	if err != nil {
		return nil, errs.Wrap(errs.KindUnavailable, err, "audit log %s cannot be read", a.path)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit log %s line %d: %w", a.path, line, err)
	}
	return out, nil
}
