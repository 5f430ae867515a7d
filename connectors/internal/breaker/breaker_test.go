package breaker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/connectors/internal/breaker"
	"github.com/meshgate/meshgate/internal/errs"
)

func TestBreaker(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := breaker.New("sales/orders_db", breaker.Options{Failures: 2, Cooldown: time.Minute, Now: func() time.Time { return now }})

	type step struct {
		name      string
		advance   time.Duration
		outcome   string // "fail", "ok", "release" or "" (no attempt made)
		wantProbe bool
		wantErr   bool
	}
	for _, s := range []step{
		{name: "closed: first failure", outcome: "fail"},
		{name: "closed: second failure opens", outcome: "fail"},
		{name: "open: fails fast", wantErr: true},
		{name: "still open before the cool-down", advance: 59 * time.Second, wantErr: true},
		{name: "half-open: one probe, caller went away", advance: 2 * time.Second, wantProbe: true, outcome: "release"},
		{name: "half-open again after a released probe", wantProbe: true, outcome: "fail"},
		{name: "a failed probe opens again", wantErr: true},
		{name: "next probe succeeds", advance: 2 * time.Minute, wantProbe: true, outcome: "ok"},
		{name: "closed after a successful probe", outcome: "fail"},
		{name: "one failure does not open", outcome: "ok"},
	} {
		now = now.Add(s.advance)
		probe, err := b.Allow()
		require.Equal(t, s.wantProbe, probe, s.name)
		if s.wantErr {
			require.ErrorIs(t, err, errs.Unavailable, s.name)
			require.Contains(t, err.Error(), "sales/orders_db", s.name)
			require.Contains(t, err.Error(), "connection refused", s.name)
			continue
		}
		require.NoError(t, err, s.name)
		switch s.outcome {
		case "fail":
			b.Failure("connection refused")
		case "ok":
			b.Success()
		case "release":
			b.Release(probe)
		}
	}
}

// A probe in flight makes every other caller fail fast: only one attempt reaches a source
// that was down.
func TestOneProbeAtATime(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := breaker.New("d/s", breaker.Options{Failures: 1, Cooldown: time.Second, Now: func() time.Time { return now }})
	_, err := b.Allow()
	require.NoError(t, err)
	b.Failure("no answer within the connect timeout")
	now = now.Add(2 * time.Second)
	probe, err := b.Allow()
	require.NoError(t, err)
	require.True(t, probe)
	_, err = b.Allow()
	require.ErrorIs(t, err, errs.Unavailable)
	require.Contains(t, err.Error(), "next attempt is in 0s")
}
