package errs

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error for clients.
type Kind int

const (
	KindInternal           Kind = iota // a bug or an unexpected failure
	KindInvalidArgument                // bad SQL, bad parameter, bad document
	KindNotFound                       // unknown dataset, domain, source, column
	KindAlreadyExists                  // creating something that exists
	KindPermissionDenied               // the principal may not do this
	KindUnauthenticated                // no or bad credentials
	KindNotSupported                   // valid request the product cannot serve yet
	KindResourceExhausted              // over a memory or size budget
	KindUnavailable                    // a source or node cannot be reached
	KindCanceled                       // the caller went away or cancelled
	KindDeadlineExceeded               // the query ran over its timeout
	KindConflict                       // concurrent update; retry with the current version
	KindFailedPrecondition             // the state does not allow it (e.g. retired product)
)

var kindNames = [...]string{
	KindInternal:           "internal",
	KindInvalidArgument:    "invalid argument",
	KindNotFound:           "not found",
	KindAlreadyExists:      "already exists",
	KindPermissionDenied:   "permission denied",
	KindUnauthenticated:    "unauthenticated",
	KindNotSupported:       "not supported",
	KindResourceExhausted:  "resource exhausted",
	KindUnavailable:        "unavailable",
	KindCanceled:           "canceled",
	KindDeadlineExceeded:   "deadline exceeded",
	KindConflict:           "conflict",
	KindFailedPrecondition: "failed precondition",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a classified error. Msg is safe to show to the caller.
type Error struct {
	Kind  Kind
	Msg   string
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil && e.Msg == "" {
		return e.Cause.Error()
	}
	if e.Cause != nil {
		return e.Msg + ": " + e.Cause.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Cause }

// Is lets errors.Is(err, errs.NotFound) match any error of that kind.
func (e *Error) Is(target error) bool {
	var k kindSentinel
	if errors.As(target, &k) {
		return e.Kind == k.kind
	}
	return false
}

type kindSentinel struct{ kind Kind }

func (s kindSentinel) Error() string { return s.kind.String() }

// Sentinels for errors.Is checks: errors.Is(err, errs.NotFound).
var (
	Internal           error = kindSentinel{KindInternal}
	InvalidArgument    error = kindSentinel{KindInvalidArgument}
	NotFound           error = kindSentinel{KindNotFound}
	AlreadyExists      error = kindSentinel{KindAlreadyExists}
	PermissionDenied   error = kindSentinel{KindPermissionDenied}
	Unauthenticated    error = kindSentinel{KindUnauthenticated}
	NotSupported       error = kindSentinel{KindNotSupported}
	ResourceExhausted  error = kindSentinel{KindResourceExhausted}
	Unavailable        error = kindSentinel{KindUnavailable}
	Canceled           error = kindSentinel{KindCanceled}
	DeadlineExceeded   error = kindSentinel{KindDeadlineExceeded}
	Conflict           error = kindSentinel{KindConflict}
	FailedPrecondition error = kindSentinel{KindFailedPrecondition}
)

// New returns an error of kind k with a formatted, caller-safe message.
func New(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap classifies cause under kind k with a caller-safe message prefix.
func Wrap(k Kind, cause error, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Cause: cause}
}

// NotSupportedf reports a valid request that meshgate cannot serve yet. The message always
// starts with "not supported yet: " so users and tests can recognise it.
func NotSupportedf(format string, args ...any) error {
	return &Error{Kind: KindNotSupported, Msg: "not supported yet: " + fmt.Sprintf(format, args...)}
}

// Kinded is implemented by error types of other packages that carry a kind (such as a
// validation error listing many problems).
type Kinded interface {
	error
	ErrorKind() Kind
}

// KindOf returns the kind of err: the outermost *Error's or Kinded error's kind, KindCanceled
// or KindDeadlineExceeded for context errors, KindInternal otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k Kinded
	if errors.As(err, &k) {
		return k.ErrorKind()
	}
	switch {
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindDeadlineExceeded
	}
	return KindInternal
}
