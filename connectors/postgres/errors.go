package postgres

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meshgate/meshgate/internal/errs"
)

// Errors from pgx carry connection strings (user, database, host) and server messages that
// may quote data ("invalid input syntax for type integer: \"...\""). Nothing of them reaches
// a caller as is: these functions build caller-safe messages from error codes and classes.

// connectReason describes why a connection attempt failed, without credentials.
func connectReason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "28"):
			return "the server rejected the credentials (SQLSTATE " + pgErr.Code + "); check the source's user and password"
		case pgErr.Code == "3D000":
			return "the database does not exist (SQLSTATE 3D000); check the source's database"
		case pgErr.Code == "53300":
			return "the server has no free connection slots (SQLSTATE 53300)"
		}
		return "the server refused the connection (SQLSTATE " + pgErr.Code + ")"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the connect timeout"
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		if opErr.Timeout() {
			return "no answer within the connect timeout"
		}
		var sys *os.SyscallError
		if errors.As(opErr.Err, &sys) {
			return sys.Err.Error()
		}
		var dns *net.DNSError
		if errors.As(opErr.Err, &dns) {
			return "the host name cannot be resolved"
		}
		return "the network connection failed"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "the host name cannot be resolved"
	}
	if strings.Contains(err.Error(), "tls") {
		return "the TLS handshake failed; check sslmode"
	}
	return "the connection failed"
}

// queryError classifies an error of a running statement. what names the statement's
// purpose ("reading dataset object sales.orders"). SQLSTATE classes whose messages name only
// SQL objects (syntax and access rule violations) keep the server's message; others are
// reduced to their code, since data exceptions can quote values.
func (s *source) queryError(ctx context.Context, err error, what string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(errs.KindOf(ctxErr), ctxErr, "source %s: %s stopped", s.name, what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		code := pgErr.Code
		kind := errs.KindInternal
		detail := "SQLSTATE " + code
		switch {
		case strings.HasPrefix(code, "42"), strings.HasPrefix(code, "3F"), strings.HasPrefix(code, "3D"):
			detail += ": " + pgErr.Message
			kind = errs.KindInvalidArgument
			if code == "42P01" || code == "3F000" {
				kind = errs.KindNotFound
			}
			if code == "42501" {
				kind = errs.KindFailedPrecondition
				detail += "; grant the source's user access"
			}
		case strings.HasPrefix(code, "22"):
			kind = errs.KindInvalidArgument
			detail += " (" + dataExceptions[code] + ")"
		case code == "57014":
			kind = errs.KindCanceled
			detail += " (the query was canceled)"
		case strings.HasPrefix(code, "53"):
			kind = errs.KindResourceExhausted
			detail += " (the server ran out of resources)"
		case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"):
			kind = errs.KindUnavailable
			detail += " (the connection was lost)"
		}
		return errs.New(kind, "source %s: %s failed: %s", s.name, what, strings.TrimSuffix(detail, " ()"))
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, net.ErrClosed) {
		return errs.New(errs.KindUnavailable, "source %s: %s failed: the connection was lost", s.name, what)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return errs.New(errs.KindUnavailable, "source %s: %s failed: %s", s.name, what, connectReason(err))
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.New(errs.KindInternal, "source %s: %s failed: %s", s.name, what, protocolReason(err))
}

// protocolReason keeps only the kind of an unexpected client-side error.
func protocolReason(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "the connection settings cannot be parsed"
	}
	return "unexpected error from the PostgreSQL client"
}

var dataExceptions = map[string]string{
	"22012": "division by zero",
	"22003": "numeric value out of range",
	"22P02": "invalid text representation",
	"22007": "invalid datetime format",
	"22008": "datetime field overflow",
	"22001": "string data right truncation",
	"22021": "character not in repertoire",
	"2201B": "invalid regular expression",
	"22025": "invalid escape sequence",
	"22019": "invalid escape character",
	"2200H": "sequence generator limit exceeded",
}
