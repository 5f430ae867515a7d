package flight

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
)

const (
	authorizationHeader = "authorization"
	// impersonateHeader names the user a granted service principal runs the call as; the
	// audit records both (DESIGN.md §4).
	impersonateHeader = "x-meshgate-impersonate"
	handshakeMethod   = "/arrow.flight.protocol.FlightService/Handshake"
)

type principalKey struct{}

// PrincipalFromContext returns the authenticated caller of a request handled by the server.
func PrincipalFromContext(ctx context.Context) (*governance.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*governance.Principal)
	return p, ok && p != nil
}

func withPrincipal(ctx context.Context, p *governance.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the caller; the interceptors guarantee one on every call but the
// handshake, so a missing one is a wiring bug reported as Unauthenticated, never a panic.
func principalOf(ctx context.Context) (*governance.Principal, error) {
	if p, ok := PrincipalFromContext(ctx); ok {
		return p, nil
	}
	return nil, errMissingCredentials
}

var errMissingCredentials = errs.New(errs.KindUnauthenticated,
	"authentication required: log in with a user name and password (Basic) or send a bearer token")

// credentials authenticates the authorization header of a call. It returns the principal
// and, when the caller sent Basic credentials, a freshly issued bearer token to hand back so
// clients that skipped the handshake stop sending their password (and paying for bcrypt) on
// every call.
func (s *Server) credentials(ctx context.Context, md metadata.MD) (p *governance.Principal, issued string, err error) {
	if p, issued, err = s.authenticate(ctx, md); err != nil {
		return nil, "", err
	}
	if target := firstHeader(md, impersonateHeader); target != "" && target != p.User {
		if p, err = s.ids.Impersonate(p, target); err != nil {
			return nil, "", err
		}
	}
	return p, issued, nil
}

// authenticate checks the authorization header and returns the caller it names.
func (s *Server) authenticate(ctx context.Context, md metadata.MD) (p *governance.Principal, issued string, err error) {
	vals := md.Get(authorizationHeader)
	if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		return nil, "", errMissingCredentials
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "bearer":
		p, err = s.ids.VerifyToken(cred)
		return p, "", err
	case "basic":
		user, password, err := decodeBasic(cred)
		if err != nil {
			return nil, "", err
		}
		if p, err = s.ids.Authenticate(ctx, user, password); err != nil {
			return nil, "", err
		}
		token, _ := s.ids.IssueToken(p)
		return p, token, nil
	}
	return nil, "", errs.New(errs.KindUnauthenticated, "unsupported authorization scheme %q: use Basic or Bearer", scheme)
}

func decodeBasic(cred string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		// The Go Flight client encodes without padding.
		if raw, err = base64.RawStdEncoding.DecodeString(cred); err != nil {
			return "", "", errs.New(errs.KindUnauthenticated, "malformed Basic credentials: expected base64 of user:password")
		}
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errs.New(errs.KindUnauthenticated, "malformed Basic credentials: expected base64 of user:password")
	}
	return user, password, nil
}

func bearerHeader(token string) metadata.MD {
	return metadata.Pairs(authorizationHeader, "Bearer "+token)
}

// unaryInterceptor authenticates every unary call and maps returned errors to statuses.
func (s *Server) unaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	p, issued, err := s.credentials(ctx, md)
	if err != nil {
		s.metrics.handshakeFailures.Inc()
		return nil, toStatus(s.log, err, "")
	}
	if issued != "" {
		_ = grpc.SetHeader(ctx, bearerHeader(issued))
	}
	resp, err := handler(withPrincipal(ctx, p), req)
	return resp, toStatus(s.log, err, "")
}

type principalStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *principalStream) Context() context.Context { return w.ctx }

// streamInterceptor authenticates every streaming call but Handshake, which authenticates
// itself, and maps returned errors to statuses.
func (s *Server) streamInterceptor(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if info.FullMethod == handshakeMethod {
		return toStatus(s.log, handler(srv, stream), "")
	}
	ctx := stream.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	p, issued, err := s.credentials(ctx, md)
	if err != nil {
		s.metrics.handshakeFailures.Inc()
		return toStatus(s.log, err, "")
	}
	if issued != "" {
		_ = stream.SetHeader(bearerHeader(issued))
	}
	return toStatus(s.log, handler(srv, &principalStream{ServerStream: stream, ctx: withPrincipal(ctx, p)}), "")
}

// handshake implements Flight's Handshake the way the Flight SQL JDBC and ADBC drivers use
// it: Basic credentials arrive in the authorization header and the bearer token goes back in
// the response headers (JDBC ignores trailers) and, for older clients, in the payload. A
// client that sends no header may send a BasicAuth message as the first payload instead, and
// a client that already holds a bearer token gets it confirmed.
func (s *Server) handshake(stream flight.FlightService_HandshakeServer) error {
	ctx := stream.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	var (
		p   *governance.Principal
		err error
	)
	// The token is always the caller's own: impersonation is asked for on each call, so a
	// token never stands for another user without naming its impersonator.
	if len(md.Get(authorizationHeader)) > 0 {
		p, _, err = s.authenticate(ctx, md)
	} else {
		p, err = s.payloadCredentials(ctx, stream)
	}
	if err != nil {
		s.metrics.handshakeFailures.Inc()
		return err
	}
	token, _ := s.ids.IssueToken(p)
	if err := stream.SetHeader(bearerHeader(token)); err != nil {
		return err
	}
	return stream.Send(&flight.HandshakeResponse{Payload: []byte(token)})
}

func (s *Server) payloadCredentials(ctx context.Context, stream flight.FlightService_HandshakeServer) (*governance.Principal, error) {
	req, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return nil, errMissingCredentials
	}
	if err != nil {
		return nil, err
	}
	var basic flight.BasicAuth
	if proto.Unmarshal(req.GetPayload(), &basic) != nil || basic.GetUsername() == "" {
		return nil, errMissingCredentials
	}
	return s.ids.Authenticate(ctx, basic.GetUsername(), basic.GetPassword())
}
