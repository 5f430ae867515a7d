package executor

import (
	"github.com/meshgate/meshgate/internal/errs"
)

// internalf reports a broken invariant between the planner and the executor: the plan the
// planner built is not one the executor can run. Users see it as a bug report.
func internalf(format string, args ...any) error {
	return errs.New(errs.KindInternal, "executor: "+format, args...)
}

// invalidf reports a query that is valid SQL but fails on its data (overflow, a subquery
// returning two rows). Messages never contain data values.
func invalidf(format string, args ...any) error {
	return errs.New(errs.KindInvalidArgument, format, args...)
}
