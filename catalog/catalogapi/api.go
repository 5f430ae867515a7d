// Package catalogapi serves the self-serve catalog over HTTP (/api/v1: domains, sources,
// products, search, describe, quality checks; the OpenAPI document at /api/v1/openapi.json)
// and is the client the meshgate CLI uses. Callers are authenticated by governance.HTTPAuth
// (the same bearer tokens as Flight); catalog/selfserve decides who may change what.
package catalogapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/selfserve"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// OpenAPI is the API's OpenAPI 3 document (openapi.json in this directory).
//
//go:embed openapi.json
var OpenAPI []byte

// maxDocument bounds a request body (a contract, a source definition).
const maxDocument = 4 << 20

// Authenticator checks a user name and password and issues bearer tokens (governance.Identities).
type Authenticator interface {
	Authenticate(ctx context.Context, user, password string) (*governance.Principal, error)
	IssueToken(p *governance.Principal) (string, time.Time)
}

// API is the HTTP handler set.
type API struct {
	svc *selfserve.Service
	ids Authenticator
}

// New returns the API over a self-serve service. ids serves POST /api/v1/login (nil: no
// login endpoint).
func New(svc *selfserve.Service, ids Authenticator) *API { return &API{svc: svc, ids: ids} }

// Route is one authenticated endpoint of the API.
type Route struct {
	Method, Path string
	handler      http.HandlerFunc
}

// Routes lists the authenticated endpoints (the OpenAPI document describes each).
func (a *API) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/rules", a.rules},
		{"GET", "/api/v1/domains", a.listDomains},
		{"POST", "/api/v1/domains", a.createDomain},
		{"GET", "/api/v1/domains/{domain}", a.getDomain},
		{"PUT", "/api/v1/domains/{domain}", a.updateDomain},
		{"DELETE", "/api/v1/domains/{domain}", a.deleteDomain},
		{"GET", "/api/v1/domains/{domain}/sources", a.listSources},
		{"POST", "/api/v1/domains/{domain}/sources", a.createSource},
		{"GET", "/api/v1/domains/{domain}/sources/{source}", a.getSource},
		{"PUT", "/api/v1/domains/{domain}/sources/{source}", a.updateSource},
		{"DELETE", "/api/v1/domains/{domain}/sources/{source}", a.deleteSource},
		{"POST", "/api/v1/domains/{domain}/sources/{source}/test", a.testSource},
		{"GET", "/api/v1/products", a.search},
		{"POST", "/api/v1/products", a.register},
		{"GET", "/api/v1/products/{domain}/{product}", a.getProduct},
		{"POST", "/api/v1/products/{domain}/{product}/versions/{version}/deprecate", a.deprecate},
		{"POST", "/api/v1/products/{domain}/{product}/versions/{version}/retire", a.retire},
		{"POST", "/api/v1/products/{domain}/{product}/check", a.check},
		{"GET", "/api/v1/datasets/{domain}/{dataset}", a.describe},
	}
}

// Mount registers the routes; auth wraps each handler that needs a caller. The OpenAPI
// document and login need none.
func (a *API) Mount(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	})
	if a.ids != nil {
		mux.HandleFunc("POST /api/v1/login", a.login)
	}
	for _, r := range a.Routes() {
		mux.Handle(r.Method+" "+r.Path, auth(r.handler))
	}
}

// LoginRequest is the body of POST /api/v1/login (Basic auth works too).
type LoginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// LoginResponse carries a bearer token for the API and Flight.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      string    `json:"user"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		var req LoginRequest
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
		user, pass = req.User, req.Password
	}
	if user == "" {
		writeError(w, errs.New(errs.KindUnauthenticated, "login needs a user name and password (JSON {\"user\", \"password\"} or Basic auth)"))
		return
	}
	p, err := a.ids.Authenticate(r.Context(), user, pass)
	if err != nil {
		writeError(w, err)
		return
	}
	token, exp := a.ids.IssueToken(p)
	writeJSON(w, http.StatusOK, LoginResponse{Token: token, ExpiresAt: exp, User: p.User})
}

func principal(r *http.Request) *governance.Principal {
	p, _ := governance.PrincipalFrom(r.Context())
	return p
}

func (a *API) rules(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.svc.Rules())
}

func (a *API) listDomains(w http.ResponseWriter, _ *http.Request) {
	out := a.svc.Domains()
	if out == nil {
		out = []selfserve.DomainView{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getDomain(w http.ResponseWriter, r *http.Request) {
	d, err := a.svc.Domain(r.PathValue("domain"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// DomainRequest is the body of domain create and update.
type DomainRequest struct {
	catalog.Domain
	// ExpectedRevision, when set, is the revision the caller read (update only).
	ExpectedRevision *uint64 `json:"expected_revision,omitempty"`
}

func (a *API) createDomain(w http.ResponseWriter, r *http.Request) {
	var req DomainRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if _, err := a.svc.Domain(req.Name); err == nil {
		writeError(w, errs.New(errs.KindAlreadyExists, "domain %s already exists; update it with PUT /api/v1/domains/%s", req.Name, req.Name))
		return
	}
	zero := uint64(0)
	rev, err := a.svc.PutDomain(r.Context(), principal(r), req.Domain, &zero)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, selfserve.DomainView{Domain: req.Domain, Revision: rev})
}

func (a *API) updateDomain(w http.ResponseWriter, r *http.Request) {
	var req DomainRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Name == "" {
		req.Name = r.PathValue("domain")
	}
	if req.Name != r.PathValue("domain") {
		writeError(w, errs.New(errs.KindInvalidArgument, "the body names domain %q but the path %q; domains cannot be renamed", req.Name, r.PathValue("domain")))
		return
	}
	if _, err := a.svc.Domain(req.Name); err != nil {
		writeError(w, err)
		return
	}
	rev, err := a.svc.PutDomain(r.Context(), principal(r), req.Domain, expected(r, req.ExpectedRevision))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, selfserve.DomainView{Domain: req.Domain, Revision: rev})
}

func (a *API) deleteDomain(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.DeleteDomain(r.Context(), principal(r), r.PathValue("domain")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) listSources(w http.ResponseWriter, r *http.Request) {
	out, err := a.svc.Sources(r.PathValue("domain"))
	if err != nil {
		writeError(w, err)
		return
	}
	if out == nil {
		out = []selfserve.SourceView{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) getSource(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.Source(r.PathValue("domain"), r.PathValue("source"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// SourceRequest is the body of source create and update. Option values that are secrets
// must be references: env:NAME or file:/path.
type SourceRequest struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	Options map[string]string `json:"options,omitempty"`
	// AllowUnreachable saves the source even when its connection test fails.
	AllowUnreachable bool    `json:"allow_unreachable,omitempty"`
	ExpectedRevision *uint64 `json:"expected_revision,omitempty"`
}

func (a *API) putSource(w http.ResponseWriter, r *http.Request, create bool) {
	var req SourceRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if !create {
		if req.Name == "" {
			req.Name = r.PathValue("source")
		}
		if req.Name != r.PathValue("source") {
			writeError(w, errs.New(errs.KindInvalidArgument, "the body names source %q but the path %q; sources cannot be renamed", req.Name, r.PathValue("source")))
			return
		}
	}
	allow := req.AllowUnreachable || r.URL.Query().Get("allow_unreachable") == "true"
	v, err := a.svc.PutSource(r.Context(), principal(r), selfserve.SourceChange{
		Source:           catalog.Source{Domain: r.PathValue("domain"), Name: req.Name, Type: req.Type, Options: req.Options},
		AllowUnreachable: allow, Create: create, Expect: expected(r, req.ExpectedRevision),
	})
	if err != nil {
		writeError(w, err)
		return
	}
	status := http.StatusOK
	if create {
		status = http.StatusCreated
	}
	writeJSON(w, status, v)
}

func (a *API) createSource(w http.ResponseWriter, r *http.Request) { a.putSource(w, r, true) }
func (a *API) updateSource(w http.ResponseWriter, r *http.Request) { a.putSource(w, r, false) }

func (a *API) deleteSource(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.DeleteSource(r.Context(), principal(r), r.PathValue("domain"), r.PathValue("source")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) testSource(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.TestSource(r.Context(), principal(r), r.PathValue("domain"), r.PathValue("source"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.svc.Search(r.URL.Query().Get("q")))
}

func (a *API) register(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := a.svc.Register(r.Context(), principal(r), body, selfserve.RegisterOptions{
		Expect: expected(r, nil), DryRun: r.URL.Query().Get("dry_run") == "true",
	})
	if err != nil {
		writeError(w, err)
		return
	}
	status := http.StatusCreated
	if res.Unchanged || res.DryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

func (a *API) getProduct(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.Product(r.PathValue("domain"), r.PathValue("product"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// LifecycleRequest is the body of deprecate and retire.
type LifecycleRequest struct {
	// Sunset (deprecate): when the version is retired automatically, RFC 3339 or YYYY-MM-DD.
	Sunset           string  `json:"sunset,omitempty"`
	Note             string  `json:"note,omitempty"`
	ExpectedRevision *uint64 `json:"expected_revision,omitempty"`
}

func (a *API) lifecycle(w http.ResponseWriter, r *http.Request, retire bool) {
	var req LifecycleRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	ch := selfserve.LifecycleChange{
		Domain: r.PathValue("domain"), Product: r.PathValue("product"), Version: r.PathValue("version"),
		Note: req.Note, Expect: expected(r, req.ExpectedRevision),
	}
	if req.Sunset != "" {
		t, err := parseDate(req.Sunset)
		if err != nil {
			writeError(w, err)
			return
		}
		ch.Sunset = t
	}
	var v *selfserve.ProductView
	var err error
	if retire {
		v, err = a.svc.Retire(r.Context(), principal(r), ch)
	} else {
		v, err = a.svc.Deprecate(r.Context(), principal(r), ch)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	v.Contract = nil
	writeJSON(w, http.StatusOK, v)
}

func (a *API) deprecate(w http.ResponseWriter, r *http.Request) { a.lifecycle(w, r, false) }
func (a *API) retire(w http.ResponseWriter, r *http.Request)    { a.lifecycle(w, r, true) }

func (a *API) check(w http.ResponseWriter, r *http.Request) {
	res, err := a.svc.Check(r.Context(), principal(r), r.PathValue("domain"), r.PathValue("product"), r.URL.Query().Get("version"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, CheckResponse{QualityResult: res, Status: res.Status(), Summary: res.Summary()})
}

// CheckResponse is a quality check's result with its overall status.
type CheckResponse struct {
	*catalog.QualityResult
	Status  string `json:"status"`
	Summary string `json:"summary"`
}

func (a *API) describe(w http.ResponseWriter, r *http.Request) {
	v, err := a.svc.Describe(r.Context(), r.PathValue("domain"), r.PathValue("dataset"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, errs.New(errs.KindInvalidArgument, "sunset %q is not a date such as 2027-01-31 or 2027-01-31T00:00:00Z", s)
}

// expected reads the revision the caller read: the body field, else an If-Match header,
// else ?expected_revision=.
func expected(r *http.Request, body *uint64) *uint64 {
	if body != nil {
		return body
	}
	v := strings.Trim(r.Header.Get("If-Match"), `"`)
	if v == "" {
		v = r.URL.Query().Get("expected_revision")
	}
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxDocument+1))
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "reading the request body")
	}
	if len(body) > maxDocument {
		return nil, errs.New(errs.KindInvalidArgument, "the request body is larger than %d bytes", maxDocument)
	}
	return body, nil
}

func decodeJSON(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.New(errs.KindInvalidArgument, "the request body is not the expected JSON: %v", err)
	}
	return nil
}

// ErrorBody is the JSON body of every API error: governance.HTTPError plus, for a conflict,
// the object's current revision and version.
type ErrorBody struct {
	governance.HTTPError
	CurrentRevision *uint64 `json:"current_revision,omitempty"`
	CurrentVersion  string  `json:"current_version,omitempty"`
	// Line and Column locate a syntax error in a contract.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

func writeError(w http.ResponseWriter, err error) {
	body := ErrorBody{HTTPError: governance.HTTPError{Error: err.Error(), Kind: errs.KindOf(err).String()}}
	var lister interface{ ProblemList() []string }
	if errors.As(err, &lister) {
		body.Problems = lister.ProblemList()
	}
	var ce *selfserve.ConflictError
	if errors.As(err, &ce) {
		body.CurrentRevision, body.CurrentVersion = &ce.Current, ce.CurrentVersion
	}
	var se *catalog.SyntaxError
	if errors.As(err, &se) {
		body.Line, body.Column = se.Line, se.Column
	}
	if governance.HTTPStatus(err) == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meshgate", Basic realm="meshgate"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(governance.HTTPStatus(err))
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
