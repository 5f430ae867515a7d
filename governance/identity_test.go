package governance

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/internal/errs"
)

func TestIdentities(t *testing.T) {
	hash, err := HashPassword("s3cret")
	require.NoError(t, err)
	apiToken := "svc-token-123"
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ids, err := NewIdentities([]User{
		{Name: "alice", PasswordHash: hash, Roles: []string{"analyst"}, Attrs: map[string]string{"region": "EU"}},
		{Name: "svc", APITokenHashes: []string{fmt.Sprintf("%x", sha256.Sum256([]byte(apiToken)))}, Roles: []string{"service"}, MayImpersonate: []string{"alice"}},
	}, IdentityOptions{SigningKey: []byte("key"), TokenTTL: time.Hour, Now: clock})
	require.NoError(t, err)
	ctx := context.Background()

	p, err := ids.Authenticate(ctx, "alice", "s3cret")
	require.NoError(t, err)
	require.Equal(t, "EU", p.Attrs["region"])
	for _, bad := range [][2]string{{"alice", "wrong"}, {"nobody", "s3cret"}, {"svc", ""}} {
		_, err := ids.Authenticate(ctx, bad[0], bad[1])
		require.ErrorIs(t, err, errs.Unauthenticated)
		require.Equal(t, "invalid user name or password", err.Error(), "the same message whether or not the user exists")
	}

	token, exp := ids.IssueToken(p)
	require.Equal(t, now.Add(time.Hour), exp)
	got, err := ids.VerifyToken(token)
	require.NoError(t, err)
	require.Equal(t, "alice", got.User)

	tampered := token[:len(token)-2] + "xx"
	_, err = ids.VerifyToken(tampered)
	require.ErrorIs(t, err, errs.Unauthenticated)
	other, err := NewIdentities(nil, IdentityOptions{SigningKey: []byte("another key"), Now: clock})
	require.NoError(t, err)
	_, err = other.VerifyToken(token)
	require.ErrorIs(t, err, errs.Unauthenticated, "a new signing key revokes every token")

	now = now.Add(2 * time.Hour)
	_, err = ids.VerifyToken(token)
	require.ErrorContains(t, err, "expired")

	svc, err := ids.VerifyToken(apiToken)
	require.NoError(t, err)
	require.Equal(t, "svc", svc.User)
	_, err = ids.VerifyToken("not-a-token")
	require.ErrorIs(t, err, errs.Unauthenticated)
	require.False(t, strings.Contains(fmt.Sprint(ids.Users()), hash), "Users() never returns password hashes")

	as, err := ids.Impersonate(svc, "alice")
	require.NoError(t, err)
	require.Equal(t, "alice", as.User)
	require.Equal(t, "svc", as.Impersonator)
	require.Equal(t, []string{"analyst"}, as.Roles, "the query runs with the target's roles")
	_, err = ids.Impersonate(p, "svc")
	require.ErrorIs(t, err, errs.PermissionDenied, "only granted principals impersonate")
	_, err = ids.Impersonate(as, "alice")
	require.ErrorIs(t, err, errs.PermissionDenied, "no chains")
	_, err = ids.Impersonate(svc, "nobody")
	require.ErrorIs(t, err, errs.PermissionDenied)

	sealed := ids.Seal([]byte("ticket"))
	payload, err := ids.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "ticket", string(payload))
	_, err = ids.Open("x" + sealed)
	require.Error(t, err)
}
