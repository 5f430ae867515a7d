package governance

import (
	"context"
	"net/http"
	"strings"

	"github.com/meshgate/meshgate/internal/errs"
)

type principalKey struct{}

// WithPrincipal returns ctx carrying the authenticated caller. System tables and the HTTP API
// read it back with PrincipalFrom.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller ctx carries.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// HTTPAuth authenticates HTTP API calls with the same credentials as Flight: a bearer token
// (issued at a Flight handshake or by POST /api/v1/login) or a static API token, or Basic
// user:password. The principal is put in the request context.
func HTTPAuth(ids *Identities, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authenticateHTTP(r, ids)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meshgate", Basic realm="meshgate"`)
			WriteHTTPError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func authenticateHTTP(r *http.Request, ids *Identities) (*Principal, error) {
	h := r.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(h, "Bearer "); ok {
		return ids.VerifyToken(strings.TrimSpace(token))
	}
	if user, pass, ok := r.BasicAuth(); ok {
		return ids.Authenticate(r.Context(), user, pass)
	}
	return nil, errs.New(errs.KindUnauthenticated, "the API needs credentials: send Authorization: Bearer <token> or Basic user:password")
}
