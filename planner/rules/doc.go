// Package rules owns the logical optimizer: small rewrite functions over planner/logical plans,
// run in named, ordered batches listed in one place (order.go, after go-mysql-server). Every
// rule returns an equivalent plan whose root has the same output columns; the runner checks
// that after each rule.
//
// Governance is already in the plan when rules run (DESIGN.md §4): rules move a predicate below
// a row-filter barrier only when it is leakproof, never offer a source a predicate that reads a
// masked value, and never merge a governed scan with another handle through a join.
//
// It imports planner/logical, planner/expr, connectors and executor/eval (constant folding);
// it must not import catalog, governance or flight.
package rules
