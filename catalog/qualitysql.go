package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Library rules meshgate runs (ODCS quality entries of type library).
const (
	RuleRowCount       = "rowCount"       // schema object: number of rows
	RuleNullCheck      = "nullCheck"      // property: NULL values (rows, or percent with unit: percent)
	RuleDuplicateCount = "duplicateCount" // property: rows whose value repeats another row's
	RuleValidValues    = "validValues"    // property: non-NULL values outside validValues
	RuleFreshness      = "freshness"      // property (timestamp or date): age of the newest value
)

// QualityCheck is one quality rule of a product version, ready to run: the SQL that measures
// it (one row, one column) and the expectation the measure must meet.
type QualityCheck struct {
	Dataset string // dataset name
	Column  string // property the rule is on; empty for schema-level rules
	Name    string
	Path    string // location in the contract
	Rule    string // library rule name, or "sql"
	SQL     string
	Expect  Expectation
	// Age: the query returns a timestamp or date; the measure is its age in Unit.
	Age bool
	// Unit of the measure and of the expectation's bounds ("rows", "percent", "h", ...).
	Unit string
	// Every is how often the rule runs by schedule (0: on demand only).
	Every time.Duration
}

// Expectation is what a measured value must satisfy: mustBe, mustNotBe,
// mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo,
// mustBeBetween.
type Expectation struct {
	Op     string
	Value  float64
	Upper  float64 // mustBeBetween
	Source string  // the ODCS keyword
}

// Holds reports whether v meets the expectation.
func (e Expectation) Holds(v float64) bool {
	switch e.Op {
	case "=":
		return v == e.Value
	case "!=":
		return v != e.Value
	case ">":
		return v > e.Value
	case ">=":
		return v >= e.Value
	case "<":
		return v < e.Value
	case "<=":
		return v <= e.Value
	case "between":
		return v >= e.Value && v <= e.Upper
	}
	return false
}

func (e Expectation) String() string {
	if e.Op == "between" {
		return fmt.Sprintf("between %s and %s", fmtNum(e.Value), fmtNum(e.Upper))
	}
	return e.Op + " " + fmtNum(e.Value)
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// QuoteIdent quotes an SQL identifier for the planner.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// PlanQuality turns the quality rules of a product version (and its freshness SLA, when
// the SLA names a column with element) into checks. ref returns the SQL name of a dataset
// (e.g. sales."orders@v1"). Rules meshgate cannot run are reported with their paths as a
// ValidationError.
func PlanQuality(p *Product, ref func(*Dataset) string) ([]QualityCheck, error) {
	var out []QualityCheck
	var problems []string
	c := p.Contract
	if c == nil {
		return nil, nil
	}
	if len(c.Quality) > 0 {
		problems = append(problems, "quality: contract-level quality rules are not supported yet; declare them on a schema object or a property")
	}
	for i, obj := range c.Schema {
		var ds *Dataset
		for _, d := range p.Datasets {
			if d.Name == obj.Name {
				ds = d
			}
		}
		if ds == nil {
			continue
		}
		table := ref(ds)
		for k, r := range obj.Quality {
			path := fmt.Sprintf("schema[%d].quality[%d]", i, k)
			qc, err := planRule(r, path, ds, "", table)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			out = append(out, qc)
		}
		for j, prop := range obj.Properties {
			for k, r := range prop.Quality {
				path := fmt.Sprintf("schema[%d].properties[%d].quality[%d]", i, j, k)
				qc, err := planRule(r, path, ds, prop.Name, table)
				if err != nil {
					problems = append(problems, err.Error())
					continue
				}
				out = append(out, qc)
			}
		}
	}
	for i, s := range c.SLAProperties {
		if !strings.EqualFold(s.Property, "freshness") || s.Element == "" {
			continue
		}
		path := fmt.Sprintf("slaProperties[%d]", i)
		dsName, colName, found := strings.Cut(s.Element, ".")
		if !found && len(p.Datasets) == 1 {
			dsName, colName = p.Datasets[0].Name, s.Element
		}
		var ds *Dataset
		for _, d := range p.Datasets {
			if d.Name == dsName {
				ds = d
			}
		}
		if ds == nil {
			problems = append(problems, fmt.Sprintf("%s.element: %q does not name a column as dataset.column", path, s.Element))
			continue
		}
		if _, ok := ds.Column(colName); !ok {
			problems = append(problems, fmt.Sprintf("%s.element: dataset %s has no column %q", path, ds.Name, colName))
			continue
		}
		limit, unit, err := slaAge(s)
		if err != nil {
			problems = append(problems, path+": "+err.Error())
			continue
		}
		out = append(out, QualityCheck{
			Dataset: ds.Name, Column: colName, Name: "freshness SLA", Path: path, Rule: RuleFreshness,
			SQL:    fmt.Sprintf("SELECT max(%s) FROM %s", QuoteIdent(colName), ref(ds)),
			Expect: Expectation{Op: "<=", Value: limit, Source: "slaProperties"}, Age: true, Unit: unit,
		})
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Subject: "quality rules of " + p.Ref(), Problems: problems}
	}
	return out, nil
}

func slaAge(s SLAEntry) (float64, string, error) {
	v, ok := toFloat(s.Value)
	if !ok || v <= 0 {
		return 0, "", fmt.Errorf("freshness value %v must be a positive number of %s", s.Value, firstNonEmpty(s.Unit, "days"))
	}
	unit := s.Unit
	if unit == "" {
		unit = "d"
	}
	if _, err := unitDuration(unit); err != nil {
		return 0, "", err
	}
	return v, unit, nil
}

func planRule(r QualityRule, path string, ds *Dataset, column, table string) (QualityCheck, error) {
	qc := QualityCheck{Dataset: ds.Name, Column: column, Name: r.Name, Path: path, Unit: r.Unit}
	fail := func(format string, args ...any) (QualityCheck, error) {
		return QualityCheck{}, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if r.Schedule != "" {
		d, err := ParseSchedule(r.Schedule)
		if err != nil {
			return fail("schedule: %v", err)
		}
		qc.Every = d
	}
	typ := strings.ToLower(firstNonEmpty(r.Type, "library"))
	col := QuoteIdent(column)
	switch typ {
	case "text":
		return fail("text rules are documentation only and cannot run; use type library or sql")
	case "custom":
		return fail("not supported yet: custom rules (engine %v); use type library or sql", r.Rule)
	case "sql":
		if strings.TrimSpace(r.Query) == "" {
			return fail("query: a sql rule needs a query returning one number")
		}
		q := r.Query
		for _, ph := range []string{"${object}", "{object}"} {
			q = strings.ReplaceAll(q, ph, table)
		}
		for _, ph := range []string{"${property}", "{property}"} {
			q = strings.ReplaceAll(q, ph, col)
		}
		qc.Rule, qc.SQL = "sql", q
		if qc.Name == "" {
			qc.Name = "sql"
		}
	case "library":
		qc.Rule = r.Rule
		needColumn := func() error {
			if column == "" {
				return fmt.Errorf("%s: rule %s belongs under a property (the column it checks)", path, r.Rule)
			}
			return nil
		}
		switch r.Rule {
		case RuleRowCount:
			qc.SQL = "SELECT count(*) FROM " + table
			if qc.Unit == "" {
				qc.Unit = "rows"
			}
		case RuleNullCheck, "nullValues", "nullCount":
			if err := needColumn(); err != nil {
				return QualityCheck{}, err
			}
			qc.Rule = RuleNullCheck
			if strings.EqualFold(r.Unit, "percent") {
				qc.SQL = fmt.Sprintf("SELECT CASE WHEN count(*) = 0 THEN 0 ELSE 100.0 * (count(*) - count(%s)) / count(*) END FROM %s", col, table)
			} else {
				qc.SQL = fmt.Sprintf("SELECT count(*) - count(%s) FROM %s", col, table)
				qc.Unit = "rows"
			}
		case RuleDuplicateCount, "unique", "uniqueness":
			if err := needColumn(); err != nil {
				return QualityCheck{}, err
			}
			qc.Rule = RuleDuplicateCount
			qc.SQL = fmt.Sprintf("SELECT count(%s) - count(DISTINCT %s) FROM %s", col, col, table)
			qc.Unit = "rows"
		case RuleValidValues, "acceptedValues":
			if err := needColumn(); err != nil {
				return QualityCheck{}, err
			}
			if len(r.ValidValues) == 0 {
				return fail("validValues: list the accepted values")
			}
			lits := make([]string, len(r.ValidValues))
			for i, v := range r.ValidValues {
				lits[i] = sqlLiteral(v)
			}
			qc.Rule = RuleValidValues
			qc.SQL = fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NOT NULL AND %s NOT IN (%s)", table, col, col, strings.Join(lits, ", "))
			qc.Unit = "rows"
		case RuleFreshness:
			if err := needColumn(); err != nil {
				return QualityCheck{}, err
			}
			if qc.Unit == "" {
				qc.Unit = "h"
			}
			if _, err := unitDuration(qc.Unit); err != nil {
				return fail("unit: %v", err)
			}
			qc.SQL = fmt.Sprintf("SELECT max(%s) FROM %s", col, table)
			qc.Age = true
		case "":
			return fail("rule: a library rule needs a rule name (%s, %s, %s, %s, %s)", RuleRowCount, RuleNullCheck, RuleDuplicateCount, RuleValidValues, RuleFreshness)
		default:
			return fail("rule: %q is not supported yet; use %s, %s, %s, %s, %s or a sql rule", r.Rule, RuleRowCount, RuleNullCheck, RuleDuplicateCount, RuleValidValues, RuleFreshness)
		}
		if qc.Name == "" {
			qc.Name = qc.Rule
		}
	default:
		return fail("type: %q is not a quality rule type (library, sql)", r.Type)
	}
	exp, err := expectation(r, qc.Rule)
	if err != nil {
		return fail("%v", err)
	}
	qc.Expect = exp
	return qc, nil
}

// expectation reads the rule's mustBe* keyword; without one, count rules expect 0 and
// rowCount more than 0.
func expectation(r QualityRule, rule string) (Expectation, error) {
	type kw struct {
		name, op string
		v        any
	}
	var set []kw
	for _, k := range []kw{{"mustBe", "=", r.MustBe}, {"mustNotBe", "!=", r.MustNotBe}, {"mustBeGreaterThan", ">", r.MustBeGT},
		{"mustBeGreaterOrEqualTo", ">=", r.MustBeGE}, {"mustBeLessThan", "<", r.MustBeLT}, {"mustBeLessOrEqualTo", "<=", r.MustBeLE}} {
		if k.v != nil {
			set = append(set, k)
		}
	}
	if len(r.MustBeBetween) > 0 {
		if len(r.MustBeBetween) != 2 {
			return Expectation{}, fmt.Errorf("mustBeBetween: needs two numbers [low, high]")
		}
		lo, ok1 := toFloat(r.MustBeBetween[0])
		hi, ok2 := toFloat(r.MustBeBetween[1])
		if !ok1 || !ok2 || lo > hi {
			return Expectation{}, fmt.Errorf("mustBeBetween: needs two numbers [low, high] with low <= high")
		}
		set = append(set, kw{"mustBeBetween", "between", nil})
		if len(set) > 1 {
			return Expectation{}, fmt.Errorf("declare one of mustBe, mustNotBe, mustBeGreaterThan, ... and mustBeBetween, not several")
		}
		return Expectation{Op: "between", Value: lo, Upper: hi, Source: "mustBeBetween"}, nil
	}
	switch len(set) {
	case 0:
		switch rule {
		case RuleRowCount:
			return Expectation{Op: ">", Value: 0, Source: "default"}, nil
		case "sql", RuleFreshness:
			return Expectation{}, fmt.Errorf("declare what the value must be (mustBe, mustBeLessOrEqualTo, mustBeBetween, ...)")
		}
		return Expectation{Op: "=", Value: 0, Source: "default"}, nil
	case 1:
		v, ok := toFloat(set[0].v)
		if !ok {
			return Expectation{}, fmt.Errorf("%s: %v is not a number", set[0].name, set[0].v)
		}
		return Expectation{Op: set[0].op, Value: v, Source: set[0].name}, nil
	}
	return Expectation{}, fmt.Errorf("declare one of mustBe, mustNotBe, mustBeGreaterThan, mustBeGreaterOrEqualTo, mustBeLessThan, mustBeLessOrEqualTo, mustBeBetween, not several")
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case float64:
		return t, true
	case uint64:
		return float64(t), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(t), "%"), 64)
		return f, err == nil
	}
	return 0, false
}

func sqlLiteral(v any) string {
	switch t := v.(type) {
	case int, int64, uint64:
		return fmt.Sprint(t)
	case float64:
		if !math.IsInf(t, 0) && !math.IsNaN(t) {
			return fmtNum(t)
		}
	case bool:
		if t {
			return "TRUE"
		}
		return "FALSE"
	}
	return "'" + strings.ReplaceAll(fmt.Sprint(v), "'", "''") + "'"
}

// unitDuration is the length of one unit of a freshness value or age.
func unitDuration(unit string) (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second", "seconds":
		return time.Second, nil
	case "m", "min", "minute", "minutes":
		return time.Minute, nil
	case "h", "hr", "hour", "hours":
		return time.Hour, nil
	case "d", "day", "days":
		return 24 * time.Hour, nil
	case "w", "week", "weeks":
		return 7 * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("unit %q is not a time unit (s, m, h, d, w)", unit)
}

// AgeIn expresses a duration in a time unit.
func AgeIn(d time.Duration, unit string) float64 {
	u, err := unitDuration(unit)
	if err != nil {
		return d.Hours()
	}
	return float64(d) / float64(u)
}

// FreshnessLimit returns the product's freshness SLA as a duration (false: none declared or
// not a number with a time unit).
func (p *Product) FreshnessLimit() (time.Duration, bool) {
	s, ok := p.SLAValue("freshness")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s.Value), 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	u, err := unitDuration(firstNonEmpty(s.Unit, "d"))
	if err != nil {
		return 0, false
	}
	return time.Duration(v * float64(u)), true
}

// ParseSchedule reads a quality rule's schedule: "@every 1h", "@hourly", "@daily".
func ParseSchedule(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "@hourly":
		return time.Hour, nil
	case "@daily", "@midnight":
		return 24 * time.Hour, nil
	case "@weekly":
		return 7 * 24 * time.Hour, nil
	}
	if rest, ok := strings.CutPrefix(s, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return 0, fmt.Errorf("%q: @every needs a duration of at least 1s such as 15m or 1h", s)
		}
		return d, nil
	}
	return 0, fmt.Errorf("not supported yet: schedule %q (cron expressions); use @every 1h, @hourly or @daily", s)
}
