package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"os"
	"strconv"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/meshgate/meshgate/internal/errs"
)

// Driver errors can carry the DSN's user and server messages that quote data ("Incorrect
// integer value: 'abc'"). Nothing of them reaches a caller as is: these functions build
// caller-safe messages from error numbers.

// connectReason describes why a connection attempt failed, without credentials.
func connectReason(err error) string {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1698:
			return "the server rejected the credentials (error " + strconv.Itoa(int(me.Number)) + "); check the source's user and password"
		case 1044, 1049:
			return "the database does not exist or is not accessible (error " + strconv.Itoa(int(me.Number)) + "); check the source's database"
		case 1040:
			return "the server has too many connections (error 1040)"
		}
		return "the server refused the connection (error " + strconv.Itoa(int(me.Number)) + ")"
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
		return "the network connection failed"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "the host name cannot be resolved"
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) {
		return "the connection was lost"
	}
	return "the connection failed"
}

// isConnectError reports whether err came from establishing a connection (as opposed to a
// statement failing).
func isConnectError(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1698, 1044, 1049, 1040, 1129, 1130:
			return true
		}
		return false
	}
	return true
}

// queryError classifies an error of a running statement. Syntax and object errors keep the
// server's message (it names SQL objects); data errors are reduced to their number.
func (s *source) queryError(ctx context.Context, err error, what string) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(errs.KindOf(ctxErr), ctxErr, "source %s: %s stopped", s.name, what)
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		n := strconv.Itoa(int(me.Number))
		switch me.Number {
		case 1146, 1049:
			return errs.New(errs.KindNotFound, "source %s: %s failed: error %s: %s", s.name, what, n, me.Message)
		case 1054, 1064, 1052, 1267, 1271, 1253, 1273:
			return errs.New(errs.KindInvalidArgument, "source %s: %s failed: error %s: %s", s.name, what, n, me.Message)
		case 1142, 1143, 1044:
			return errs.New(errs.KindFailedPrecondition, "source %s: %s failed: error %s: %s; grant the source's user access", s.name, what, n, me.Message)
		case 1317, 1927, 3024:
			return errs.New(errs.KindCanceled, "source %s: %s failed: error %s (the query was interrupted)", s.name, what, n)
		case 1365:
			return errs.New(errs.KindInvalidArgument, "source %s: %s failed: error 1365 (division by zero)", s.name, what)
		case 1690, 1264:
			return errs.New(errs.KindInvalidArgument, "source %s: %s failed: error %s (a value is out of range)", s.name, what, n)
		}
		return errs.New(errs.KindInternal, "source %s: %s failed: error %s", s.name, what, n)
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) {
		return errs.New(errs.KindUnavailable, "source %s: %s failed: the connection was lost", s.name, what)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return errs.New(errs.KindUnavailable, "source %s: %s failed: %s", s.name, what, connectReason(err))
	}
	return errs.New(errs.KindInternal, "source %s: %s failed: unexpected error from the MySQL client", s.name, what)
}
