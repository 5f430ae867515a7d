package client

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// friendlyPrefixes turn gRPC codes into words a SQL user understands.
var friendlyPrefixes = map[codes.Code]string{
	codes.InvalidArgument:    "error",
	codes.NotFound:           "not found",
	codes.AlreadyExists:      "already exists",
	codes.PermissionDenied:   "permission denied",
	codes.Unauthenticated:    "login failed",
	codes.Unimplemented:      "not supported",
	codes.ResourceExhausted:  "over a limit",
	codes.Unavailable:        "server unavailable",
	codes.Canceled:           "canceled",
	codes.DeadlineExceeded:   "timed out",
	codes.Aborted:            "conflict, retry",
	codes.FailedPrecondition: "cannot run now",
	codes.Internal:           "server error",
	codes.Unknown:            "error",
}

// FriendlyError renders an error from the server for a person at a terminal: the status
// message behind a plain-words prefix instead of a gRPC code name.
func FriendlyError(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	st, ok := status.FromError(err)
	if !ok {
		return "error: " + err.Error()
	}
	msg := st.Message()
	prefix, known := friendlyPrefixes[st.Code()]
	if !known {
		prefix = strings.ToLower(st.Code().String())
	}
	if st.Code() == codes.Unavailable {
		msg += " (is the meshgate server running and reachable?)"
	}
	if strings.HasPrefix(strings.ToLower(msg), prefix) {
		return msg
	}
	return prefix + ": " + msg
}
