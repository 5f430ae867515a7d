package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// NewFactory returns the factory of "files" sources. Zero fields of opts take their
// defaults (DefaultOptions).
func NewFactory(opts Options) connectors.Factory {
	return &factory{opts: opts.withDefaults()}
}

type factory struct{ opts Options }

var _ connectors.Factory = (*factory)(nil)

func (f *factory) Type() string { return "files" }

// Open resolves the source's root directory. It does not touch the file system: Ping
// checks that the root exists.
func (f *factory) Open(_ context.Context, cfg connectors.SourceConfig) (connectors.Source, error) {
	name := cfg.Domain + "." + cfg.Name
	root, err := cfg.Option(OptionRoot, "")
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "source %s: option %s cannot be resolved", name, OptionRoot)
	}
	switch {
	case root == "":
		root = cfg.DataDir
	case !filepath.IsAbs(root) && cfg.DataDir != "":
		root = filepath.Join(cfg.DataDir, root)
	}
	if root == "" {
		return nil, errs.New(errs.KindInvalidArgument,
			"source %s: set option %s to the directory holding the files (the node has no data directory to default to)", name, OptionRoot)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, errs.Wrap(errs.KindInvalidArgument, err, "source %s: option %s is not a usable path", name, OptionRoot)
	}
	return &source{
		name:    name,
		root:    filepath.Clean(abs),
		opts:    f.opts,
		footers: &footerCache{max: f.opts.FooterCacheEntries, entries: map[string]footerEntry{}},
	}, nil
}

// source is one registered files source: a root directory and a cache of Parquet footers.
type source struct {
	name    string
	root    string
	opts    Options
	footers *footerCache
}

var _ connectors.Source = (*source)(nil)

func (s *source) Ping(context.Context) error {
	st, err := os.Stat(s.root)
	if err != nil {
		return errs.Wrap(errs.KindUnavailable, err, "source %s: root directory cannot be read; check option %s", s.name, OptionRoot)
	}
	if !st.IsDir() {
		return errs.New(errs.KindInvalidArgument, "source %s: root is not a directory; check option %s", s.name, OptionRoot)
	}
	return nil
}

func (s *source) Close() error {
	s.footers.clear()
	return nil
}

// Describe returns the columns of the object's first file (CSV: inferred from its header
// and a sample of rows). Columns of types the connector cannot serve are left out and
// listed in warnings.
func (s *source) Describe(ctx context.Context, obj connectors.Object) (*arrow.Schema, []string, error) {
	ds, err := s.openDataset(ctx, obj)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	fields := make([]arrow.Field, 0, len(ds.fields))
	for _, ff := range ds.fields {
		if ff.canonical == nil {
			warnings = append(warnings, "column "+ff.name+" of file "+ds.files[ds.schemaFile].rel+" is left out: "+ff.reason)
			continue
		}
		fields = append(fields, arrow.Field{Name: ff.name, Type: ff.canonical, Nullable: ff.nullable})
	}
	return arrow.NewSchema(fields, nil), warnings, nil
}

// OpenTable binds cols by name to the columns of the object's first file. No data is read;
// Parquet footers of the other files are read when the handle is planned.
func (s *source) OpenTable(ctx context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	ds, err := s.openDataset(ctx, obj)
	if err != nil {
		return nil, err
	}
	bound := make([]connectors.Column, len(cols))
	for i, c := range cols {
		ff, err := findField(ds.fields, c.Name, ds.files[ds.schemaFile].rel)
		if err != nil {
			return nil, err
		}
		declared, err := ds.declaredType(ff, c.Type, ds.files[ds.schemaFile].rel)
		if err != nil {
			return nil, err
		}
		bound[i] = connectors.Column{ID: c.ID, Name: c.Name, Type: declared}
	}
	return newHandle(ds, bound), nil
}

// dataset is an object resolved to its files. It is immutable and shared by every handle
// derived from one OpenTable.
type dataset struct {
	src     *source
	pattern string
	format  string
	files   []fileRef
	csv     csvOptions
	// fields describe the columns of files[schemaFile]; for CSV, with inferred types.
	schemaFile int
	fields     []fileField
	// csvBytesPerRow is the average row size of the CSV sample, for row estimates.
	csvBytesPerRow float64
}

func (s *source) openDataset(ctx context.Context, obj connectors.Object) (*dataset, error) {
	if obj.Query != "" {
		return nil, errs.NotSupportedf("source %s reads files; bind the dataset to a path or glob, not a SQL query", s.name)
	}
	format := strings.ToLower(strings.TrimSpace(obj.Format))
	switch format {
	case "":
		format = formatOfName(obj.Table)
	case FormatParquet, FormatCSV, FormatArrow:
	case "ipc", "feather":
		format = FormatArrow
	case "tsv":
		format = FormatCSV
	default:
		return nil, errs.New(errs.KindInvalidArgument, "dataset %s: format %q is unknown; use parquet, csv or arrow", obj.Table, obj.Format)
	}
	files, err := resolveFiles(s.root, obj.Table, format)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = formatOfName(files[0].rel)
		if format == "" {
			return nil, errs.New(errs.KindInvalidArgument,
				"dataset %s: the format cannot be told from file names; set the dataset's format to parquet, csv or arrow", obj.Table)
		}
	}
	ds := &dataset{src: s, pattern: obj.Table, format: format, files: files}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch format {
	case FormatParquet:
		footer, err := s.footers.get(files[0])
		if err != nil {
			return nil, err
		}
		ds.fields = footer.fields
	case FormatCSV:
		tsv := strings.HasSuffix(strings.TrimSuffix(strings.ToLower(files[0].rel), ".gz"), ".tsv")
		if ds.csv, err = parseCSVOptions(obj, tsv); err != nil {
			return nil, err
		}
		if err := ds.inferCSV(s.opts.CSVSampleRows); err != nil {
			return nil, err
		}
	case FormatArrow:
		if ds.fields, err = readIPCFields(files[0]); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// declaredType checks the contract's type for a column against the file's and returns the
// type the scan produces (the file's canonical type when the contract gives none).
func (ds *dataset) declaredType(ff *fileField, declared arrow.DataType, rel string) (arrow.DataType, error) {
	if ds.format == FormatCSV {
		if declared == nil {
			return ff.canonical, nil
		}
		if !csvParsable(declared) {
			return nil, errs.NotSupportedf("column %s of file %s: CSV values cannot be read as %s", ff.name, rel, expr.SQLTypeName(declared))
		}
		return declared, nil
	}
	if ff.canonical == nil {
		return nil, errs.NotSupportedf("column %s of file %s: %s", ff.name, rel, ff.reason)
	}
	if declared == nil {
		return ff.canonical, nil
	}
	if !canWiden(ff.canonical, declared) {
		return nil, errs.New(errs.KindInvalidArgument,
			"column %s is %s in file %s but the contract declares %s; declare %s or a wider type",
			ff.name, expr.SQLTypeName(ff.canonical), rel, expr.SQLTypeName(declared), expr.SQLTypeName(ff.canonical))
	}
	return declared, nil
}

// findField finds a column by name: exactly, else case-insensitively when that is
// unambiguous.
func findField(fields []fileField, name, rel string) (*fileField, error) {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i], nil
		}
	}
	var match *fileField
	for i := range fields {
		if strings.EqualFold(fields[i].name, name) {
			if match != nil {
				return nil, errs.New(errs.KindInvalidArgument,
					"column %s matches both %s and %s in file %s; name the column with its exact case", name, match.name, fields[i].name, rel)
			}
			match = &fields[i]
		}
	}
	if match != nil {
		return match, nil
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return nil, errs.New(errs.KindNotFound, "column %s is not in file %s; available columns: %s", name, rel, strings.Join(names, ", "))
}

// bindFile binds the handle's columns to the columns of one file, with the same rules as
// OpenTable, so every file of a glob is checked, not only the first.
func (ds *dataset) bindFile(fields []fileField, rel string, cols []connectors.Column) ([]*fileField, error) {
	out := make([]*fileField, len(cols))
	for i, c := range cols {
		ff, err := findField(fields, c.Name, rel)
		if err != nil {
			return nil, err
		}
		if _, err := ds.declaredType(ff, c.Type, rel); err != nil {
			return nil, err
		}
		out[i] = ff
	}
	return out, nil
}

// footerCache keeps parsed Parquet footers keyed by path and validated by size and
// modification time, so a rewritten file is never planned with a stale footer.
type footerCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]footerEntry
}

type footerEntry struct {
	size    int64
	modTime time.Time
	footer  *parquetFooter
}

func (c *footerCache) get(ref fileRef) (*parquetFooter, error) {
	c.mu.Lock()
	e, ok := c.entries[ref.abs]
	c.mu.Unlock()
	if ok && e.size == ref.size && e.modTime.Equal(ref.modTime) {
		return e.footer, nil
	}
	footer, err := readParquetFooter(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Dropping everything is crude but bounded; footers are re-read on demand.
		clear(c.entries)
	}
	c.entries[ref.abs] = footerEntry{size: ref.size, modTime: ref.modTime, footer: footer}
	return footer, nil
}

func (c *footerCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// checkUnchanged fails when ref was modified after it was resolved: its footer, splits and
// row counts would no longer describe it.
func checkUnchanged(ref fileRef) error {
	st, err := os.Stat(ref.abs)
	if err != nil {
		return errs.Wrap(errs.KindNotFound, err, "file %s disappeared after the query was planned; run the query again", ref.rel)
	}
	if st.Size() != ref.size || !st.ModTime().Equal(ref.modTime) {
		return errs.New(errs.KindFailedPrecondition, "file %s changed after the query was planned; run the query again", ref.rel)
	}
	return nil
}
