package meshtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/planner"
	"github.com/meshgate/meshgate/planner/bind"
	"github.com/meshgate/meshgate/planner/expr"
)

// Options configure New. Zero fields take their defaults.
type Options struct {
	// Connectors opens the sources. Required.
	Connectors connectors.Registry
	// Partitions is the planner's parallelism. Default 4, so EXPLAIN does not depend on the
	// machine's core count.
	Partitions int
	// Logs, when set, receives the catalog's and the planner's log output (tests that check
	// no secret is ever logged). Default: discarded.
	Logs io.Writer
	// Alloc is the planner's base allocator (a checked allocator in tests that assert no
	// Arrow memory leaks). Default: Go allocator.
	Alloc memory.Allocator
}

// Mesh is a catalog and a planner over it, as one node runs them, with no governance
// policies: the admin principal reads every dataset unmasked.
type Mesh struct {
	Catalog  *catalog.Catalog
	Planner  *planner.Planner
	policies *governance.PolicySet
	logger   *slog.Logger
}

// New returns an empty mesh; the catalog is closed when t ends.
func New(t testing.TB, opts Options) *Mesh {
	t.Helper()
	if opts.Partitions <= 0 {
		opts.Partitions = 4
	}
	if opts.Logs == nil {
		opts.Logs = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(opts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cat := catalog.New(catalog.Options{Connectors: opts.Connectors, DataDir: t.TempDir(), Logger: logger})
	t.Cleanup(func() { _ = cat.Close() })
	m := &Mesh{Catalog: cat, policies: governance.NewPolicySet(nil, []byte("meshtest mask key")), logger: logger}
	m.Planner = planner.New(planner.Options{
		Catalog: cat, Policies: func() bind.Policies { return m.policies }, Partitions: opts.Partitions, Logger: logger,
		Alloc: opts.Alloc,
	})
	return m
}

// Admin is the principal every query runs as.
func Admin() *governance.Principal {
	return &governance.Principal{User: "admin", Roles: []string{"admin"}}
}

// AddSource registers a source, creating its domain first if needed.
func (m *Mesh) AddSource(t testing.TB, domain, name, typ string, options map[string]string) {
	t.Helper()
	known := false
	for _, d := range m.Catalog.Domains() {
		known = known || d.Name == domain
	}
	if !known {
		require.NoError(t, m.Catalog.PutDomain(catalog.Domain{Name: domain, Owners: []string{"admin"}}))
	}
	require.NoError(t, m.Catalog.PutSource(catalog.Source{Domain: domain, Name: name, Type: typ, Options: options}))
}

// AddContract registers the product an ODCS v3 contract describes.
func (m *Mesh) AddContract(t testing.TB, contract string) {
	t.Helper()
	c, err := catalog.ParseContract([]byte(contract))
	require.NoError(t, err)
	p, err := c.ToProduct()
	require.NoError(t, err)
	require.NoError(t, m.Catalog.PutProduct(p))
}

// Result is what a query returned.
type Result struct {
	Schema *arrow.Schema
	// Rows hold canonical values (see expr.ValueAt), nil for NULL.
	Rows [][]any
}

// Query runs sql and returns every row; the test fails on an error.
func (m *Mesh) Query(t testing.TB, sql string, params ...any) *Result {
	t.Helper()
	res, err := m.TryQuery(context.Background(), sql, params...)
	require.NoError(t, err, sql)
	return res
}

// TryQuery runs sql through Prepare and Execute, as the Flight front door does.
func (m *Mesh) TryQuery(ctx context.Context, sql string, params ...any) (*Result, error) {
	st, err := m.Planner.Prepare(ctx, planner.Request{Principal: Admin(), SQL: sql})
	if err != nil {
		return nil, err
	}
	rdr, err := st.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	res := &Result{Schema: rdr.Schema()}
	for rdr.Next() {
		res.Rows = append(res.Rows, Rows(rdr.RecordBatch())...)
	}
	return res, rdr.Err()
}

// Rows converts a batch to rows of canonical values.
func Rows(rec arrow.RecordBatch) [][]any {
	out := make([][]any, rec.NumRows())
	for i := range out {
		row := make([]any, rec.NumCols())
		for j := range row {
			row[j] = expr.ValueAt(rec.Column(j), i)
		}
		out[i] = row
	}
	return out
}

// Explain returns the EXPLAIN text of sql: the plan with the SQL sent to each source and
// its split count.
func (m *Mesh) Explain(t testing.TB, sql string) string {
	t.Helper()
	return m.explain(t, "EXPLAIN "+sql)
}

// ExplainAnalyze runs sql and returns its EXPLAIN ANALYZE text with rows and bytes per
// operator; Normalize removes what changes from run to run.
func (m *Mesh) ExplainAnalyze(t testing.TB, sql string) string {
	t.Helper()
	return m.explain(t, "EXPLAIN ANALYZE "+sql)
}

func (m *Mesh) explain(t testing.TB, sql string) string {
	res := m.Query(t, sql)
	lines := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		lines[i] = r[0].(string)
	}
	return strings.Join(lines, "\n")
}

var (
	timings   = regexp.MustCompile(` time=[0-9.]+[µnm]?s`)
	execution = regexp.MustCompile(`(?m)^Execution: (\d+) rows in .*$`)
)

// Normalize removes timings and memory peaks from EXPLAIN ANALYZE text, so it can be
// compared with a golden file.
func Normalize(explain string) string {
	explain = timings.ReplaceAllString(explain, "")
	return execution.ReplaceAllString(explain, "Execution: $1 rows")
}

// Lines renders the rows, one line per row with values separated by " | ", in result order.
func (r *Result) Lines() []string {
	out := make([]string, len(r.Rows))
	for i, row := range r.Rows {
		var b strings.Builder
		for j, v := range row {
			if j > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(Format(r.Schema.Field(j).Type, v))
		}
		out[i] = b.String()
	}
	return out
}

// SortedLines are Lines in sorted order, for results without ORDER BY.
func (r *Result) SortedLines() []string {
	out := r.Lines()
	sort.Strings(out)
	return out
}

// Format renders one canonical value of type t.
func Format(t arrow.DataType, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("\\x%x", x)
	case decimal128.Num:
		return expr.FormatDecimal(x, t.(*arrow.Decimal128Type).Scale)
	case string:
		return fmt.Sprintf("%q", x)
	case arrow.Date32:
		return x.FormattedString()
	case arrow.Timestamp:
		return x.ToTime(arrow.Microsecond).UTC().Format("2006-01-02 15:04:05.999999")
	case float64:
		return strconv.FormatFloat(x, 'g', 12, 64)
	}
	return fmt.Sprint(v)
}

// LogBuffer is a log sink for Options.Logs that tests can read while queries log.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
