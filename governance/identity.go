package governance

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/meshgate/meshgate/internal/errs"
)

// User is a configured identity. PasswordHash is a bcrypt hash; an empty hash means the user
// can only authenticate with an API token.
type User struct {
	Name         string            `yaml:"name" json:"name"`
	PasswordHash string            `yaml:"password_hash" json:"-"`
	Roles        []string          `yaml:"roles" json:"roles"`
	Groups       []string          `yaml:"groups" json:"groups"`
	Attrs        map[string]string `yaml:"attributes" json:"attributes"`
	// APITokens are static bearer tokens for services, stored as SHA-256 hex digests so the
	// config file never holds a usable secret.
	APITokenHashes []string `yaml:"api_token_sha256" json:"-"`
	// MayImpersonate lists the users this (service) principal may run queries as; "*" means
	// any configured user. Granted by mesh admins in the node configuration.
	MayImpersonate []string `yaml:"may_impersonate" json:"may_impersonate,omitempty"`
}

// IdentityOptions configure an Identities store.
type IdentityOptions struct {
	// SigningKey signs bearer tokens. Default: 32 random bytes per process, so restarting a
	// node with no configured key revokes every token it issued.
	SigningKey []byte
	// TokenTTL is how long an issued token is valid. Default 12h.
	TokenTTL time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// DefaultIdentityOptions returns the documented defaults.
func DefaultIdentityOptions() IdentityOptions {
	return IdentityOptions{TokenTTL: 12 * time.Hour, Now: time.Now}
}

// Identities authenticates callers: passwords (bcrypt), signed expiring bearer tokens, and
// static API tokens. It is safe for concurrent use; the user set is fixed at construction.
type Identities struct {
	users  map[string]User
	tokens map[string]string // sha256 hex of an API token → user name
	key    []byte
	// dummyHash is compared against when the user is unknown, so a failed login takes the
	// same time whether or not the user name exists.
	dummyHash []byte
	ttl       time.Duration
	now       func() time.Time
}

// NewIdentities builds the store. Missing options take DefaultIdentityOptions values.
func NewIdentities(users []User, opts IdentityOptions) (*Identities, error) {
	def := DefaultIdentityOptions()
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = def.TokenTTL
	}
	if opts.Now == nil {
		opts.Now = def.Now
	}
	if len(opts.SigningKey) == 0 {
		opts.SigningKey = make([]byte, 32)
		if _, err := rand.Read(opts.SigningKey); err != nil {
			return nil, fmt.Errorf("generating token signing key: %w", err)
		}
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("meshgate timing equaliser"), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	ids := &Identities{users: map[string]User{}, tokens: map[string]string{}, key: opts.SigningKey, dummyHash: dummy, ttl: opts.TokenTTL, now: opts.Now}
	for _, u := range users {
		if u.Name == "" {
			return nil, errs.New(errs.KindInvalidArgument, "a configured user has no name")
		}
		if _, dup := ids.users[u.Name]; dup {
			return nil, errs.New(errs.KindInvalidArgument, "user %q is configured twice", u.Name)
		}
		ids.users[u.Name] = u
		for _, h := range u.APITokenHashes {
			ids.tokens[strings.ToLower(h)] = u.Name
		}
	}
	return ids, nil
}

// HashPassword returns a bcrypt hash for a config file.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// Users returns the configured user names and roles (no secrets), for start-up banners.
func (ids *Identities) Users() []User {
	out := make([]User, 0, len(ids.users))
	for _, u := range ids.users {
		u.PasswordHash, u.APITokenHashes = "", nil
		out = append(out, u)
	}
	return out
}

var errBadCredentials = errs.New(errs.KindUnauthenticated, "invalid user name or password")

// Authenticate checks a user name and password. Every failure gives the same message, so a
// caller cannot probe which user names exist.
func (ids *Identities) Authenticate(_ context.Context, user, password string) (*Principal, error) {
	u, ok := ids.users[user]
	if !ok || u.PasswordHash == "" {
		_ = bcrypt.CompareHashAndPassword(ids.dummyHash, []byte(password))
		return nil, errBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, errBadCredentials
	}
	return ids.principal(u), nil
}

// Lookup returns the principal of a configured user.
func (ids *Identities) Lookup(user string) (*Principal, error) {
	u, ok := ids.users[user]
	if !ok {
		return nil, errs.New(errs.KindUnauthenticated, "user %q is not configured on this node", user)
	}
	return ids.principal(u), nil
}

func (ids *Identities) principal(u User) *Principal {
	p := &Principal{User: u.Name, Roles: append([]string(nil), u.Roles...), Groups: append([]string(nil), u.Groups...), Attrs: map[string]string{}}
	for k, v := range u.Attrs {
		p.Attrs[k] = v
	}
	return p
}

type tokenClaims struct {
	Subject string `json:"sub"`
	Expires int64  `json:"exp"`
	Nonce   string `json:"n"`
}

// IssueToken returns a signed bearer token for p and its expiry. The token carries only the
// user name and expiry; roles are looked up on every call so a config change applies at once.
func (ids *Identities) IssueToken(p *Principal) (string, time.Time) {
	exp := ids.now().Add(ids.ttl)
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	body, _ := json.Marshal(tokenClaims{Subject: p.User, Expires: exp.Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
	payload := base64.RawURLEncoding.EncodeToString(body)
	return "mg1." + payload + "." + ids.sign(payload), exp
}

func (ids *Identities) sign(payload string) string {
	m := hmac.New(sha256.New, ids.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Seal signs an arbitrary payload with the node's key (tickets use it); Open verifies it.
func (ids *Identities) Seal(payload []byte) string {
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + ids.sign(p)
}

// Open returns the payload of a value produced by Seal, or an error if it was tampered with.
func (ids *Identities) Open(sealed string) ([]byte, error) {
	p, sig, ok := strings.Cut(sealed, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(sig), []byte(ids.sign(p))) != 1 {
		return nil, errs.New(errs.KindUnauthenticated, "invalid or tampered signature")
	}
	return base64.RawURLEncoding.DecodeString(p)
}

// VerifyToken returns the principal a bearer token stands for: a token from IssueToken that
// is unexpired and signed with this node's key, or a configured static API token.
func (ids *Identities) VerifyToken(token string) (*Principal, error) {
	if rest, ok := strings.CutPrefix(token, "mg1."); ok {
		payload, sig, ok := strings.Cut(rest, ".")
		if !ok || subtle.ConstantTimeCompare([]byte(sig), []byte(ids.sign(payload))) != 1 {
			return nil, errs.New(errs.KindUnauthenticated, "invalid bearer token; log in again")
		}
		body, err := base64.RawURLEncoding.DecodeString(payload)
		if err != nil {
			return nil, errs.New(errs.KindUnauthenticated, "invalid bearer token; log in again")
		}
		var c tokenClaims
		if err := json.Unmarshal(body, &c); err != nil {
			return nil, errs.New(errs.KindUnauthenticated, "invalid bearer token; log in again")
		}
		if ids.now().Unix() >= c.Expires {
			return nil, errs.New(errs.KindUnauthenticated, "bearer token expired; log in again")
		}
		return ids.Lookup(c.Subject)
	}
	sum := sha256.Sum256([]byte(token))
	if user, ok := ids.tokens[fmt.Sprintf("%x", sum)]; ok {
		return ids.Lookup(user)
	}
	return nil, errs.New(errs.KindUnauthenticated, "unknown bearer token")
}

// Impersonate returns the principal of user target acting on behalf of caller, who must be
// granted impersonation of target. The result carries caller's name as Impersonator, so the
// audit log records both.
func (ids *Identities) Impersonate(caller *Principal, target string) (*Principal, error) {
	if caller.Impersonator != "" {
		return nil, errs.New(errs.KindPermissionDenied, "an impersonated session cannot impersonate again")
	}
	u, ok := ids.users[caller.User]
	allowed := false
	if ok {
		for _, t := range u.MayImpersonate {
			allowed = allowed || t == "*" || t == target
		}
	}
	if !allowed {
		return nil, errs.New(errs.KindPermissionDenied, "user %s may not impersonate %s; a mesh admin grants it with may_impersonate in the node configuration", caller.User, target)
	}
	p, err := ids.Lookup(target)
	if err != nil {
		return nil, errs.New(errs.KindPermissionDenied, "user %s cannot be impersonated: it is not configured on this node", target)
	}
	p.Impersonator = caller.User
	return p, nil
}
