package flight

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meshgate/meshgate/internal/errs"
)

// codeOf maps an errs kind to the gRPC status code clients see.
func codeOf(k errs.Kind) codes.Code {
	switch k {
	case errs.KindInvalidArgument:
		return codes.InvalidArgument
	case errs.KindNotFound:
		return codes.NotFound
	case errs.KindAlreadyExists:
		return codes.AlreadyExists
	case errs.KindPermissionDenied:
		return codes.PermissionDenied
	case errs.KindUnauthenticated:
		return codes.Unauthenticated
	case errs.KindNotSupported:
		return codes.Unimplemented
	case errs.KindResourceExhausted:
		return codes.ResourceExhausted
	case errs.KindUnavailable:
		return codes.Unavailable
	case errs.KindCanceled:
		return codes.Canceled
	case errs.KindDeadlineExceeded:
		return codes.DeadlineExceeded
	case errs.KindConflict:
		return codes.Aborted
	case errs.KindFailedPrecondition:
		return codes.FailedPrecondition
	}
	return codes.Internal
}

// toStatus turns err into the gRPC status a client sees. Errors that already are statuses
// (from gRPC itself or the Flight SQL routing) pass through. The message of a classified
// error is its text, which errs guarantees is safe to show; an unclassified or internal error
// is logged with its detail and the client gets only "internal error (query id X)", so a bug
// never leaks data or secrets and support can still find the log line.
func toStatus(log *slog.Logger, err error, queryID string) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		if st, ok := status.FromError(err); ok {
			return st.Err()
		}
	}
	kind := errs.KindOf(err)
	if kind == errs.KindInternal {
		if queryID == "" {
			queryID = newID()
		}
		log.Error("internal error", "query_id", queryID, "error", err.Error())
		return status.Errorf(codes.Internal, "internal error (query id %s)", queryID)
	}
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled) && e == nil:
		msg = "query canceled"
	case errors.Is(err, context.DeadlineExceeded) && e == nil:
		msg = "query ran past its deadline"
	}
	return status.Error(codeOf(kind), msg)
}
