package selfserve

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/store"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

func exprTypeName(c catalog.ColumnDef) string { return expr.SQLTypeName(c.Type) }

// Quality check triggers.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
)

// Check runs the quality rules of a product version (the newest served one when version is
// empty), stores the result and returns it. Domain owners, mesh admins and the governance
// role may run checks.
func (s *Service) Check(ctx context.Context, p *governance.Principal, domain, product, version string) (*catalog.QualityResult, error) {
	vs, err := s.cat.ProductVersions(domain, product)
	if err != nil {
		return nil, err
	}
	target, err := pickVersion(vs, version)
	if err != nil {
		return nil, err
	}
	if p == nil || !p.HasRole(governance.RoleGovernance) {
		if err := s.authorize(ctx, p, domain, "product "+target.Ref(), "check"); err != nil {
			return nil, err
		}
	}
	return s.runCheck(ctx, target, TriggerManual)
}

func pickVersion(vs []*catalog.Product, version string) (*catalog.Product, error) {
	var known []string
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		known = append(known, v.Version+" ("+v.Status+")")
		if version == "" && catalog.Served(v.Status) || version != "" && v.Version == version {
			return v, nil
		}
	}
	if version == "" {
		return nil, errs.New(errs.KindFailedPrecondition, "%s has no served version to check; versions: %s", vs[0].Key(), strings.Join(known, ", "))
	}
	return nil, errs.New(errs.KindNotFound, "%s has no version %q; versions: %s", vs[0].Key(), version, strings.Join(known, ", "))
}

// runCheck measures every rule through the planner and records the result.
func (s *Service) runCheck(ctx context.Context, p *catalog.Product, trigger string) (*catalog.QualityResult, error) {
	if !catalog.Served(p.Status) {
		return nil, errs.New(errs.KindFailedPrecondition, "%s is %s and not served, so its rules cannot run; check a served version", p.Ref(), p.Status)
	}
	for _, ds := range p.Datasets {
		if m := p.Major(); m >= 0 {
			cur, err := s.cat.Dataset(ds.Domain, fmt.Sprintf("%s@v%d", ds.Name, m))
			if err == nil && cur.Version != p.Version {
				return nil, errs.New(errs.KindFailedPrecondition, "%s is not served: %s serves major version %d; check that version", p.Ref(), cur.Version, m)
			}
		}
	}
	checks, err := catalog.PlanQuality(p, func(ds *catalog.Dataset) string { return sqlName(ds, p) })
	if err != nil {
		return nil, err
	}
	if s.opts.Query == nil {
		return nil, errs.NotSupportedf("running quality checks on this node: no query engine is attached")
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CheckTimeout)
	defer cancel()
	now := s.opts.Now().UTC()
	res := &catalog.QualityResult{Product: p.Key(), Version: p.Version, CheckedAt: now, Trigger: trigger, DataUpdatedAt: map[string]time.Time{}}
	for _, qc := range checks {
		rr := catalog.RuleResult{Dataset: qc.Dataset, Column: qc.Column, Name: qc.Name, Path: qc.Path, SQL: qc.SQL, Expectation: qc.Expect.String()}
		if qc.Unit != "" {
			rr.Expectation += " " + qc.Unit
		}
		v, ts, err := s.measure(ctx, qc)
		switch {
		case err != nil:
			rr.Status, rr.Message = catalog.QualityError, err.Error()
		case qc.Age && ts == nil:
			rr.Status, rr.Message = catalog.QualityFailed, "the column holds no value, so the data has no age"
		default:
			if qc.Age {
				if prev, ok := res.DataUpdatedAt[qc.Dataset]; !ok || ts.After(prev) {
					res.DataUpdatedAt[qc.Dataset] = ts.UTC()
				}
				v = catalog.AgeIn(now.Sub(*ts), qc.Unit)
			}
			m := v
			rr.Measured = &m
			rr.Status = catalog.QualityPassed
			if !qc.Expect.Holds(v) {
				rr.Status = catalog.QualityFailed
				rr.Message = fmt.Sprintf("measured %s %s, expected %s", strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", v), "0"), "."), qc.Unit, rr.Expectation)
			}
		}
		res.Rules = append(res.Rules, rr)
	}
	if len(res.DataUpdatedAt) == 0 {
		res.DataUpdatedAt = nil
	}
	if err := s.storeQuality(res); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) storeQuality(res *catalog.QualityResult) error {
	body, err := json.Marshal(res)
	if err != nil {
		return err
	}
	domain, name, _ := strings.Cut(res.Product, ".")
	return s.commit("quality result of "+res.Product+"@"+res.Version, store.Write{Kind: kindQuality, Key: res.Product + "@" + res.Version, Body: body}, func() error {
		s.cat.SetQuality(domain, name, res.Version, res)
		return nil
	}, nil)
}

// measure runs a check's SQL and reads its single value: a number, or a timestamp/date for
// age checks.
func (s *Service) measure(ctx context.Context, qc catalog.QualityCheck) (float64, *time.Time, error) {
	rdr, err := s.opts.Query(ctx, qc.SQL)
	if err != nil {
		return 0, nil, err
	}
	defer rdr.Release()
	if !rdr.Next() {
		if err := rdr.Err(); err != nil {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("the query returned no row; it must return one row with one value")
	}
	rec := rdr.RecordBatch()
	if rec.NumCols() < 1 || rec.NumRows() < 1 {
		return 0, nil, fmt.Errorf("the query returned no value; it must return one row with one value")
	}
	col := rec.Column(0)
	if col.IsNull(0) {
		if qc.Age {
			return 0, nil, nil
		}
		return 0, nil, fmt.Errorf("the query returned NULL; it must return a number")
	}
	switch a := col.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(0).ToTime(unit)
		return 0, &t, nil
	case *array.Date32:
		t := a.Value(0).ToTime()
		return 0, &t, nil
	case *array.Date64:
		t := a.Value(0).ToTime()
		return 0, &t, nil
	}
	if qc.Age {
		return 0, nil, fmt.Errorf("the freshness column returned %s; it must be a timestamp or date", col.DataType())
	}
	v, err := number(col)
	return v, nil, err
}

func number(col arrow.Array) (float64, error) {
	switch a := col.(type) {
	case *array.Int64:
		return float64(a.Value(0)), nil
	case *array.Int32:
		return float64(a.Value(0)), nil
	case *array.Int16:
		return float64(a.Value(0)), nil
	case *array.Int8:
		return float64(a.Value(0)), nil
	case *array.Uint64:
		return float64(a.Value(0)), nil
	case *array.Float64:
		return a.Value(0), nil
	case *array.Float32:
		return float64(a.Value(0)), nil
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return decimal128.Num.ToFloat64(a.Value(0), dt.Scale), nil
	case *array.Boolean:
		if a.Value(0) {
			return 1, nil
		}
		return 0, nil
	}
	return math.NaN(), fmt.Errorf("the query returned %s; it must return a number", col.DataType())
}

// schedule runs due quality checks and retires deprecated versions past their sunset, until
// Close.
func (s *Service) schedule() {
	defer close(s.done)
	t := time.NewTicker(s.opts.ScheduleTick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Tick(context.Background())
		}
	}
}

// systemPrincipal is who scheduled changes are audited as.
func systemPrincipal() *governance.Principal {
	return &governance.Principal{User: "meshgate:scheduler", Roles: []string{"admin"}}
}

// Tick does one round of scheduled work: quality checks whose schedule is due, and sunsets
// that passed. The scheduler calls it; tests call it directly.
func (s *Service) Tick(ctx context.Context) {
	now := s.opts.Now()
	sys := systemPrincipal()
	for _, p := range s.cat.Products() {
		if p.Status == catalog.StatusDeprecated && !p.Sunset.IsZero() && !now.Before(p.Sunset) {
			_, err := s.Retire(ctx, sys, LifecycleChange{Domain: p.Domain, Product: p.Name, Version: p.Version})
			if err != nil {
				s.opts.Logger.Warn("retiring a version at its sunset failed", "product", p.Ref(), "error", err)
			}
			continue
		}
		if !catalog.Served(p.Status) {
			continue
		}
		every := time.Duration(0)
		checks, err := catalog.PlanQuality(p, func(ds *catalog.Dataset) string { return sqlName(ds, p) })
		if err != nil {
			continue
		}
		for _, c := range checks {
			if c.Every > 0 && (every == 0 || c.Every < every) {
				every = c.Every
			}
		}
		if every == 0 || (p.Quality != nil && now.Sub(p.Quality.CheckedAt) < every) {
			continue
		}
		if _, err := s.runCheck(ctx, p, TriggerSchedule); err != nil {
			s.opts.Logger.Warn("scheduled quality check failed to run", "product", p.Ref(), "error", err)
		}
	}
}

// Warnings returns what to tell a client reading the given datasets (domain.dataset names):
// deprecated product versions and missed freshness SLAs.
func (s *Service) Warnings(datasets []string) []string {
	var out []string
	for _, name := range datasets {
		domain, ds, ok := strings.Cut(name, ".")
		if !ok || domain == catalog.SystemDomain {
			continue
		}
		d, err := s.cat.Dataset(domain, ds)
		if err != nil {
			continue
		}
		for _, w := range s.warningsFor(d) {
			if !contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Service) warningsFor(ds *catalog.Dataset) []string {
	if ds.System {
		return nil
	}
	vs, err := s.cat.ProductVersions(ds.Domain, ds.Product)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range vs {
		if p.Version != ds.Version {
			continue
		}
		if p.Status == catalog.StatusDeprecated {
			w := fmt.Sprintf("data product %s version %s (dataset %s) is deprecated", p.Key(), p.Version, ds.Ref())
			if !p.Sunset.IsZero() {
				w += "; it will be retired on " + p.Sunset.Format("2006-01-02")
			}
			if newer := newestServed(vs); newer != nil && newer.Version != p.Version {
				w += fmt.Sprintf("; version %s is available", newer.Version)
			}
			if p.DeprecationNote != "" {
				w += ": " + p.DeprecationNote
			}
			out = append(out, w)
		}
		limit, ok := p.FreshnessLimit()
		if !ok || p.Quality == nil {
			continue
		}
		if at, ok := p.Quality.DataUpdatedAt[ds.Name]; ok {
			if age := s.opts.Now().Sub(at); age > limit {
				out = append(out, fmt.Sprintf("dataset %s misses its freshness SLA of %s: the newest data is from %s (%s old)", ds.Ref(), limit, at.Format(time.RFC3339), age.Round(time.Minute)))
			}
		}
	}
	return out
}

func newestServed(vs []*catalog.Product) *catalog.Product {
	for i := len(vs) - 1; i >= 0; i-- {
		if catalog.Served(vs[i].Status) {
			return vs[i]
		}
	}
	return nil
}
