package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/version"
	"github.com/meshgate/meshgate/planner/parse"
)

// sessionAnswer is the one-row result of a session statement.
type sessionAnswer struct {
	column string
	value  string
}

func (a *sessionAnswer) schema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: a.column, Type: arrow.BinaryTypes.String}}, nil)
}

func (a *sessionAnswer) reader(alloc memory.Allocator) (array.RecordReader, error) {
	return textReader(alloc, a.schema(), []string{a.value})
}

// harmlessSettings are settings clients send on connect whose value meshgate already has
// (or which do not change results); setting them is accepted.
var harmlessSettings = map[string]string{
	"client_encoding":               "UTF8",
	"timezone":                      "UTC",
	"application_name":              "",
	"extra_float_digits":            "",
	"datestyle":                     "ISO, MDY",
	"statement_timeout":             "",
	"transaction_isolation":         "read committed",
	"default_transaction_read_only": "on",
	"standard_conforming_strings":   "on",
}

// answerSession answers SET, SHOW and transaction statements. Sessions are read-only and every
// statement runs on its own, so transaction control is accepted as a no-op; settings that would
// change results are refused rather than silently ignored.
func (p *Planner) answerSession(stmt parse.Statement, req Request) (*sessionAnswer, error) {
	switch s := stmt.(type) {
	case *parse.Transaction:
		return &sessionAnswer{column: "status", value: s.Kind.String()}, nil
	case *parse.Set:
		want, known := harmlessSettings[s.Name]
		switch {
		case s.Name == "search_path" || s.Name == "schema":
			return nil, errs.NotSupportedf("SET %s; set the default schema with the Flight SQL session option \"schema\" (SetSessionOptions) or the x-meshgate-schema header", s.Name)
		case !known:
			return nil, errs.NotSupportedf("SET %s; meshgate sessions have no such setting", s.Name)
		case want != "" && !s.Default && !strings.EqualFold(strings.Trim(s.Value, "'\""), want) && !(s.Name == "timezone" && isUTC(s.Value)):
			return nil, errs.NotSupportedf("SET %s TO %s; meshgate sessions use %s", s.Name, s.Value, want)
		}
		return &sessionAnswer{column: "status", value: "SET"}, nil
	case *parse.Show:
		v, err := p.show(s.Name, req)
		if err != nil {
			return nil, err
		}
		return &sessionAnswer{column: s.Name, value: v}, nil
	}
	return nil, errs.NotSupportedf("statement %T", stmt)
}

func isUTC(v string) bool {
	switch strings.ToUpper(strings.Trim(v, "'\" ")) {
	case "UTC", "GMT", "ETC/UTC", "Z", "+00", "+00:00", "0":
		return true
	}
	return false
}

func (p *Planner) show(name string, req Request) (string, error) {
	switch name {
	case "server_version":
		return "meshgate " + version.Version, nil
	case "search_path", "schema":
		return req.DefaultSchema, nil
	case "is_superuser":
		if req.Principal != nil && req.Principal.HasRole("admin") {
			return "on", nil
		}
		return "off", nil
	}
	if v, ok := harmlessSettings[name]; ok && v != "" {
		return v, nil
	}
	return "", errs.New(errs.KindNotFound, "unrecognized configuration parameter %q", name)
}
