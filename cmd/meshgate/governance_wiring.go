package main

import (
	"net/http"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/governance/policyapi"
)

// governanceCommands are the governance CLI subcommands.
func governanceCommands() map[string]command {
	return map[string]command{
		"policy":        {"apply, list or delete governance policies (policy apply -f FILE | list | delete NAME)", runPolicy},
		"hash-password": {"print a bcrypt hash of a password for a config file", runHashPassword},
	}
}

// mountGovernance serves /api/v1/policies.
func mountGovernance(n *node, mux *http.ServeMux) {
	api := policyapi.New(n.policyDB, func() *governance.PolicySet { return n.policies.Load() })
	api.Mount(mux, func(h http.Handler) http.Handler { return governance.HTTPAuth(n.ids, h) })
}
