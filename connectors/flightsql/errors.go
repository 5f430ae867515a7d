package flightsql

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshgate/meshgate/internal/errs"
)

// connectReason describes why the server could not be reached, without credentials or the
// transport's internal details.
func connectReason(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
		return "no answer within the connect timeout"
	}
	msg := strings.ToLower(status.Convert(err).Message())
	switch {
	case strings.Contains(msg, "connection refused"):
		return "connection refused"
	case strings.Contains(msg, "no such host"), strings.Contains(msg, "name resolver"):
		return "the host name cannot be resolved"
	case strings.Contains(msg, "tls"), strings.Contains(msg, "certificate"), strings.Contains(msg, "handshake"):
		return "the TLS handshake failed; check the uri scheme (grpc+tls or grpc+tcp) and option " + OptionTLSSkipVerify
	case strings.Contains(msg, "deadline"), strings.Contains(msg, "timeout"):
		return "no answer within the connect timeout"
	}
	return "the connection failed"
}

// callError classifies an error of a call to the server. Connection failures are
// Unavailable and count against the breaker; the server's own messages (bad SQL, unknown
// objects) keep its text, which names SQL objects and never this source's credentials.
func (s *source) callError(ctx context.Context, err error, what string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(errs.KindOf(ctxErr), ctxErr, "source %s: %s stopped", s.name, what)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	st := status.Convert(err)
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		reason := connectReason(err)
		s.breaker.Failure(reason)
		return errs.New(errs.KindUnavailable, "source %s cannot be reached: %s", s.name, reason)
	case codes.DeadlineExceeded:
		return errs.New(errs.KindDeadlineExceeded, "source %s: %s: the server's deadline passed", s.name, what)
	case codes.Canceled:
		return errs.New(errs.KindCanceled, "source %s: %s was cancelled by the server", s.name, what)
	case codes.Unauthenticated, codes.PermissionDenied:
		return errs.New(errs.KindFailedPrecondition, "source %s: %s: the server refused the source's identity (%s); check the source's credentials and grants", s.name, what, msg)
	case codes.NotFound:
		return errs.New(errs.KindNotFound, "source %s: %s: %s", s.name, what, msg)
	case codes.InvalidArgument:
		return errs.New(errs.KindInvalidArgument, "source %s: %s: the server rejected the statement: %s", s.name, what, msg)
	case codes.Unimplemented:
		return errs.NotSupportedf("source %s: %s: the server does not implement it (%s)", s.name, what, msg)
	case codes.ResourceExhausted:
		return errs.New(errs.KindResourceExhausted, "source %s: %s: %s", s.name, what, msg)
	}
	return errs.New(errs.KindInternal, "source %s: %s failed on the server (%s): %s", s.name, what, st.Code(), msg)
}
