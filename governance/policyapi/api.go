// Package policyapi serves governance policies over HTTP (/api/v1/policies) and is the client
// the `meshgate policy` command uses. Authentication and authorization come from governance:
// callers are authenticated by governance.HTTPAuth; the PolicyStore decides who may change what.
package policyapi

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

// maxDocument bounds a policies document.
const maxDocument = 4 << 20

// API is the HTTP handler set.
type API struct {
	store   *governance.PolicyStore
	current func() *governance.PolicySet
}

// New returns the API over a policy store.
func New(store *governance.PolicyStore, current func() *governance.PolicySet) *API {
	return &API{store: store, current: current}
}

// Mount registers the routes; auth wraps each handler with authentication.
func (a *API) Mount(mux *http.ServeMux, auth func(http.Handler) http.Handler) {
	mux.Handle("GET /api/v1/policies", auth(http.HandlerFunc(a.list)))
	mux.Handle("PUT /api/v1/policies", auth(http.HandlerFunc(a.apply)))
	mux.Handle("DELETE /api/v1/policies/{name}", auth(http.HandlerFunc(a.delete)))
}

// PolicyView is a policy as the API returns it.
type PolicyView struct {
	*governance.Policy
	AppliesToYou bool `json:"applies_to_you"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	p, _ := governance.PrincipalFrom(r.Context())
	all := p.HasRole(governance.RoleGovernance) || p.HasRole("admin")
	out := []PolicyView{}
	for _, pol := range a.store.List() {
		applies := pol.AppliesTo(p)
		if applies || all {
			out = append(out, PolicyView{Policy: pol, AppliesToYou: applies})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) apply(w http.ResponseWriter, r *http.Request) {
	p, _ := governance.PrincipalFrom(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, maxDocument+1))
	if err != nil {
		governance.WriteHTTPError(w, errs.Wrap(errs.KindInvalidArgument, err, "reading the policies document"))
		return
	}
	if len(body) > maxDocument {
		governance.WriteHTTPError(w, errs.New(errs.KindInvalidArgument, "the policies document is larger than %d bytes", maxDocument))
		return
	}
	policies, err := governance.ParsePolicies(body)
	if err != nil {
		governance.WriteHTTPError(w, err)
		return
	}
	res, err := a.store.Apply(r.Context(), p, policies)
	if err != nil {
		governance.WriteHTTPError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) delete(w http.ResponseWriter, r *http.Request) {
	p, _ := governance.PrincipalFrom(r.Context())
	if err := a.store.Delete(r.Context(), p, r.PathValue("name")); err != nil {
		governance.WriteHTTPError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
