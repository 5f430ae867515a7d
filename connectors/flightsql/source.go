package flightsql

import (
	"context"
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/connectors/internal/breaker"
	"github.com/meshgate/meshgate/connectors/sqlgen"
	"github.com/meshgate/meshgate/internal/errs"
)

// NewFactory returns the factory of "flightsql" sources. Zero fields of opts take their
// defaults (DefaultOptions).
func NewFactory(opts Options) connectors.Factory {
	return &factory{opts: opts.withDefaults()}
}

type factory struct{ opts Options }

var _ connectors.Factory = (*factory)(nil)

func (f *factory) Type() string { return "flightsql" }

// Open builds the source's client without connecting: the first Describe, Scan or Ping
// connects and logs in, so registering a source whose server is down succeeds and Ping
// reports it.
func (f *factory) Open(_ context.Context, cfg connectors.SourceConfig) (connectors.Source, error) {
	name := cfg.Domain + "/" + cfg.Name
	opt := func(key string) (string, error) {
		v, err := cfg.Option(key, "")
		if err != nil {
			return "", errs.Wrap(errs.KindFailedPrecondition, err, "source %s: option %s cannot be resolved", name, key)
		}
		return v, nil
	}
	s := &source{name: name, opts: f.opts, connectTimeout: defaultConnectTimeout, clients: map[string]*flightsql.Client{}}
	uri, err := opt(OptionURI)
	if err != nil {
		return nil, err
	}
	if uri == "" {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: set option %s to the server's address (grpc+tcp://host:port or grpc+tls://host:port)", name, OptionURI)
	}
	if s.user, err = opt(OptionUser); err != nil {
		return nil, err
	}
	if s.password, err = opt(OptionPassword); err != nil {
		return nil, err
	}
	if s.token, err = opt(OptionToken); err != nil {
		return nil, err
	}
	if s.token != "" && s.user != "" {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: set either option %s or options %s and %s, not both", name, OptionToken, OptionUser, OptionPassword)
	}
	if v, err := opt(OptionConnectTimeout); err != nil {
		return nil, err
	} else if v != "" {
		d, ok := parseDuration(v)
		if !ok {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a duration such as 5s", name, OptionConnectTimeout)
		}
		s.connectTimeout = d
	}
	maxStreams := defaultMaxStreams
	if v, err := opt(OptionMaxStreams); err != nil {
		return nil, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s must be a number from 1 to 1000", name, OptionMaxStreams)
		}
		maxStreams = n
	}
	s.streams = make(chan struct{}, maxStreams)
	skipVerify := false
	for _, kv := range []struct {
		key string
		dst *bool
		def bool
	}{{OptionTLSSkipVerify, &skipVerify, false}, {OptionTextPushdown, &s.textPushdown, true}} {
		v, err := opt(kv.key)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(v) {
		case "":
			*kv.dst = kv.def
		case "true":
			*kv.dst = true
		case "false":
			*kv.dst = false
		default:
			return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s must be true or false", name, kv.key)
		}
	}
	s.addr, s.tls, err = parseURI(uri)
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: option %s: %v", name, OptionURI, err)
	}
	s.tlsConfig = &tls.Config{InsecureSkipVerify: skipVerify} //nolint:gosec // opt-in for test servers
	s.dialect = Dialect()
	s.breaker = breaker.New(name, breaker.Options{Failures: f.opts.BreakerFailures, Cooldown: f.opts.BreakerCooldown, Now: f.opts.Now})
	client, err := s.newClient(s.addr, s.tls)
	if err != nil {
		return nil, err
	}
	s.client = client
	return s, nil
}

// parseURI returns host:port and whether TLS is used.
func parseURI(uri string) (addr string, useTLS bool, err error) {
	switch {
	case strings.HasPrefix(uri, "grpc+tls://"):
		addr, useTLS = strings.TrimPrefix(uri, "grpc+tls://"), true
	case strings.HasPrefix(uri, "grpc+tcp://"):
		addr = strings.TrimPrefix(uri, "grpc+tcp://")
	case strings.HasPrefix(uri, "grpc://"):
		addr = strings.TrimPrefix(uri, "grpc://")
	case strings.Contains(uri, "://"):
		return "", false, errors.New("the scheme must be grpc+tcp or grpc+tls")
	default:
		addr = uri
	}
	if addr == "" || strings.ContainsAny(addr, "/@") {
		return "", false, errors.New("it must be grpc+tcp://host:port or grpc+tls://host:port")
	}
	return addr, useTLS, nil
}

// source is one registered Flight SQL server: its client, credentials and breaker.
type source struct {
	name           string
	opts           Options
	addr           string
	tls            bool
	tlsConfig      *tls.Config
	user           string
	password       string
	token          string
	connectTimeout time.Duration
	textPushdown   bool
	dialect        *sqlgen.Dialect
	breaker        *breaker.Breaker
	client         *flightsql.Client
	// streams bounds the result streams read at once.
	streams chan struct{}

	mu sync.Mutex
	// bearer is the Authorization header value sent on every call ("Bearer ..."), learnt
	// from the login; empty before it or without credentials.
	bearer string
	// clients are connections to the other locations endpoints name, by address.
	clients map[string]*flightsql.Client
	closed  bool
}

var _ connectors.Source = (*source)(nil)

func (s *source) newClient(addr string, useTLS bool) (*flightsql.Client, error) {
	creds := insecure.NewCredentials()
	if useTLS {
		creds = credentials.NewTLS(s.tlsConfig)
	}
	c, err := flightsql.NewClient(addr, nil, nil,
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: s.connectTimeout}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, errs.New(errs.KindInvalidArgument, "source %s: a client for the server cannot be built; check option %s", s.name, OptionURI)
	}
	return c, nil
}

// callContext returns ctx carrying the credentials, logging in first if needed. It goes
// through the breaker: an open breaker fails fast; probe says the call is the half-open
// probe, whose outcome the caller reports (call does).
func (s *source) callContext(ctx context.Context) (_ context.Context, probe bool, err error) {
	probe, err = s.breaker.Allow()
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	closed, bearer := s.closed, s.bearer
	s.mu.Unlock()
	if closed {
		s.breaker.Release(probe)
		return nil, false, errs.New(errs.KindUnavailable, "source %s is closed", s.name)
	}
	switch {
	case s.token != "":
		bearer = "Bearer " + s.token
	case s.user != "" && bearer == "":
		bearer, err = s.login(ctx)
		if err != nil {
			switch errs.KindOf(err) {
			case errs.KindUnavailable:
				s.breaker.Failure(connectReason(err))
			case errs.KindFailedPrecondition:
				// The server answered: it is reachable.
				s.breaker.Success()
			default:
				s.breaker.Release(probe)
			}
			return nil, false, err
		}
	}
	if bearer != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", bearer)
	}
	return ctx, probe, nil
}

// login runs the Basic handshake within the connect timeout and keeps the bearer token the
// server returns.
func (s *source) login(ctx context.Context) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
	defer cancel()
	authed, err := s.client.Client.AuthenticateBasicToken(lctx, s.user, s.password)
	if err != nil {
		if ctx.Err() != nil {
			return "", errs.Wrap(errs.KindOf(ctx.Err()), ctx.Err(), "source %s: logging in stopped", s.name)
		}
		if status.Code(err) == codes.Unauthenticated || status.Code(err) == codes.PermissionDenied {
			return "", errs.New(errs.KindFailedPrecondition, "source %s: the server rejected the credentials; check the source's options %s and %s", s.name, OptionUser, OptionPassword)
		}
		return "", errs.New(errs.KindUnavailable, "source %s cannot be reached: %s", s.name, connectReason(err))
	}
	md, _ := metadata.FromOutgoingContext(authed)
	bearer := ""
	for _, v := range md.Get("authorization") {
		if strings.HasPrefix(strings.ToLower(v), "bearer ") {
			bearer = v
		}
	}
	if bearer == "" {
		// The server accepted the login without issuing a token: send Basic on each call.
		if vals := md.Get("authorization"); len(vals) > 0 {
			bearer = vals[len(vals)-1]
		}
	}
	s.mu.Lock()
	s.bearer = bearer
	s.mu.Unlock()
	return bearer, nil
}

// forgetLogin drops the bearer token after the server rejected it (expired), so the next
// call logs in again.
func (s *source) forgetLogin() {
	s.mu.Lock()
	s.bearer = ""
	s.mu.Unlock()
}

// call runs f with credentials, logging in again once if the server says the token
// expired.
//
// The breaker learns the outcome: a call the server answered (even with an error about the
// statement) is a success, one that could not reach it a failure (callError), one the caller
// cancelled says nothing.
func (s *source) call(ctx context.Context, what string, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		cctx, probe, err := s.callContext(ctx)
		if err != nil {
			return err
		}
		err = f(cctx)
		switch {
		case err == nil:
			s.breaker.Success()
			return nil
		case ctx.Err() != nil:
			s.breaker.Release(probe)
		case status.Code(err) != codes.Unavailable:
			s.breaker.Success()
		}
		if status.Code(err) == codes.Unauthenticated && s.user != "" && attempt == 0 {
			s.forgetLogin()
			continue
		}
		return s.callError(ctx, err, what)
	}
}

// clientFor returns the client for an endpoint location: the source's own for none (or the
// reuse-connection URI), else one per address.
func (s *source) clientFor(loc *flight.Location) (*flightsql.Client, error) {
	uri := loc.GetUri()
	if uri == "" || strings.HasPrefix(uri, "arrow-flight-reuse-connection:") {
		return s.client, nil
	}
	addr, useTLS, err := parseURI(uri)
	if err != nil {
		return nil, errs.New(errs.KindUnavailable, "source %s: the server named an endpoint location this connector cannot use (%v)", s.name, err)
	}
	if addr == s.addr && useTLS == s.tls {
		return s.client, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[uri]; ok {
		return c, nil
	}
	c, err := s.newClient(addr, useTLS)
	if err != nil {
		return nil, err
	}
	s.clients[uri] = c
	return c, nil
}

func (s *source) Ping(ctx context.Context) error {
	return s.call(ctx, "ping", func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, s.connectTimeout)
		defer cancel()
		_, err := s.client.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName})
		return err
	})
}

func (s *source) Close() error {
	s.mu.Lock()
	s.closed = true
	clients := s.clients
	s.clients = map[string]*flightsql.Client{}
	s.mu.Unlock()
	var first error
	for _, c := range clients {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	if err := s.client.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// PoolStats reports the result streams: the limit, those being read, and free slots.
func (s *source) PoolStats() (total, acquired, idle int) {
	n := len(s.streams)
	return cap(s.streams), n, cap(s.streams) - n
}
