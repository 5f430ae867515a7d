package governance

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/meshgate/meshgate/internal/errs"
)

// HTTPStatus maps an error kind to an HTTP status code.
func HTTPStatus(err error) int {
	// A document that parsed but breaks rules is 422, with every problem listed.
	var lister interface{ ProblemList() []string }
	kind := errs.KindOf(err)
	if kind == errs.KindInvalidArgument && errors.As(err, &lister) {
		return http.StatusUnprocessableEntity
	}
	switch kind {
	case errs.KindInvalidArgument:
		return http.StatusBadRequest
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindAlreadyExists, errs.KindConflict:
		return http.StatusConflict
	case errs.KindPermissionDenied:
		return http.StatusForbidden
	case errs.KindUnauthenticated:
		return http.StatusUnauthorized
	case errs.KindNotSupported:
		return http.StatusNotImplemented
	case errs.KindResourceExhausted:
		return http.StatusTooManyRequests
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	case errs.KindFailedPrecondition:
		return http.StatusPreconditionFailed
	case errs.KindDeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// HTTPError is the JSON body of every API error.
type HTTPError struct {
	Error string `json:"error"`
	// Kind is the error class ("not found", "permission denied", ...).
	Kind string `json:"kind"`
	// Problems lists every violation of a rejected document, each with its path or line.
	Problems []string `json:"problems,omitempty"`
}

// WriteHTTPError writes err as a JSON error response with its status code.
func WriteHTTPError(w http.ResponseWriter, err error) {
	body := HTTPError{Error: err.Error(), Kind: errs.KindOf(err).String()}
	var lister interface{ ProblemList() []string }
	if errors.As(err, &lister) {
		body.Problems = lister.ProblemList()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(HTTPStatus(err))
	_ = json.NewEncoder(w).Encode(body)
}
