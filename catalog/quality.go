package catalog

import (
	"fmt"
	"time"
)

// Quality check outcomes.
const (
	QualityPassed = "passed"
	QualityFailed = "failed"
	QualityError  = "error" // the check could not run (source down, bad SQL)
)

// QualityResult is one run of a product version's quality rules (catalog/quality runs
// them).
type QualityResult struct {
	Product   string    `json:"product"` // domain.product
	Version   string    `json:"version"`
	CheckedAt time.Time `json:"checked_at"`
	// Trigger is "manual" (API, CLI) or "schedule".
	Trigger string       `json:"trigger"`
	Rules   []RuleResult `json:"rules"`
	// DataUpdatedAt is, per dataset, the latest value of the column a freshness rule or the
	// freshness SLA names: when the data last changed.
	DataUpdatedAt map[string]time.Time `json:"data_updated_at,omitempty"`
}

// RuleResult is the outcome of one quality rule.
type RuleResult struct {
	Dataset string `json:"dataset"`
	Column  string `json:"column,omitempty"`
	Name    string `json:"name"`
	// Path locates the rule in the contract (schema[0].properties[2].quality[0]).
	Path   string `json:"path"`
	Status string `json:"status"`
	// Measured is the value the rule computed (a count, a ratio, an age in seconds).
	Measured    *float64 `json:"measured,omitempty"`
	Expectation string   `json:"expectation"`
	Message     string   `json:"message,omitempty"`
	// SQL is the statement that computed the value, as sent through the planner.
	SQL string `json:"sql,omitempty"`
}

// Status is passed when every rule passed, error when a rule could not run, failed
// otherwise.
func (r *QualityResult) Status() string {
	status := QualityPassed
	for _, rr := range r.Rules {
		switch rr.Status {
		case QualityError:
			return QualityError
		case QualityFailed:
			status = QualityFailed
		}
	}
	return status
}

// Summary is a one-line description: "5 of 6 rules passed".
func (r *QualityResult) Summary() string {
	passed := 0
	for _, rr := range r.Rules {
		if rr.Status == QualityPassed {
			passed++
		}
	}
	return fmt.Sprintf("%d of %d rules passed", passed, len(r.Rules))
}
