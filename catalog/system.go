package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/meshgate/meshgate/connectors"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// SystemDomain is the schema of the system tables (mesh.datasets, mesh.audit, ...).
const SystemDomain = "mesh"

// SystemTable is a mesh.* table computed on demand. Tables that depend on the caller (e.g.
// mesh.policies) read the principal from the context passed to Rows.
type SystemTable interface {
	Name() string
	Description() string
	Columns() []ColumnDef
	// Rows returns the whole table as one batch owned by the caller, columns as Columns().
	Rows(ctx context.Context, alloc memory.Allocator) (arrow.RecordBatch, error)
}

// RegisterSystemTable adds a mesh.* table owned by another package (governance, cluster).
func (c *Catalog) RegisterSystemTable(t SystemTable) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.system[t.Name()] = t
}

// SystemTables returns the registered system tables sorted by name.
func (c *Catalog) SystemTables() []*Dataset {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Dataset, 0, len(c.system))
	for _, t := range c.system {
		out = append(out, systemDataset(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func systemDataset(t SystemTable) *Dataset {
	return &Dataset{
		Domain: SystemDomain, Name: t.Name(), Product: "system", Version: "1", Status: StatusActive,
		Description: t.Description(), Source: "system", Object: connectors.Object{Table: t.Name()},
		Columns: t.Columns(), System: true, Owner: "meshgate",
	}
}

// FuncTable is a SystemTable built from functions.
type FuncTable struct {
	TableName string
	Desc      string
	Cols      []ColumnDef
	// Build appends one row per element to the builder's columns (in Cols order).
	Build func(ctx context.Context, b *array.RecordBuilder) error
}

func (t *FuncTable) Name() string         { return t.TableName }
func (t *FuncTable) Description() string  { return t.Desc }
func (t *FuncTable) Columns() []ColumnDef { return t.Cols }
func (t *FuncTable) Rows(ctx context.Context, alloc memory.Allocator) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(alloc, SchemaOf(t.Cols))
	defer b.Release()
	if err := t.Build(ctx, b); err != nil {
		return nil, err
	}
	return b.NewRecordBatch(), nil
}

// SchemaOf returns the Arrow schema of column definitions, with descriptions in field metadata.
func SchemaOf(cols []ColumnDef) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		md := map[string]string{}
		if c.Description != "" {
			md[MetaDescription] = c.Description
		}
		if c.Classification != "" {
			md[MetaClassification] = c.Classification
		}
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable(), Metadata: arrow.MetadataFrom(md)}
	}
	return arrow.NewSchema(fields, nil)
}

// Field metadata keys meshgate sets on result and metadata schemas.
const (
	MetaDescription    = "meshgate.description"
	MetaClassification = "meshgate.classification"
)

// Col is shorthand for a system table column.
func Col(name string, t arrow.DataType, desc string) ColumnDef {
	return ColumnDef{Name: name, Type: t, Description: desc}
}

func (c *Catalog) catalogSystemTables() []SystemTable {
	return []SystemTable{
		&FuncTable{
			TableName: "domains", Desc: "Business domains of the mesh",
			Cols: []ColumnDef{Col("domain", expr.String, "domain name (SQL schema)"), Col("description", expr.String, ""), Col("owners", expr.String, "comma-separated owners"), Col("datasets", expr.Int64, "datasets served")},
			Build: func(_ context.Context, b *array.RecordBuilder) error {
				counts := map[string]int64{}
				for _, ds := range c.Datasets() {
					counts[ds.Domain]++
				}
				for _, d := range c.Domains() {
					appendStrings(b, 0, d.Name, d.Description, strings.Join(d.Owners, ","))
					b.Field(3).(*array.Int64Builder).Append(counts[d.Name])
				}
				return nil
			},
		},
		&FuncTable{
			TableName: "products", Desc: "Data products and their versions",
			Cols: []ColumnDef{
				Col("domain", expr.String, ""), Col("product", expr.String, ""), Col("version", expr.String, ""),
				Col("status", expr.String, "draft, active, deprecated or retired"), Col("owner", expr.String, ""),
				Col("description", expr.String, ""), Col("tags", expr.String, "comma-separated"), Col("sla", expr.String, "declared service levels"),
				Col("datasets", expr.String, "comma-separated dataset names"),
				Col("quality", expr.String, "last quality check: passed, failed or error, and how many rules passed"),
				Col("quality_checked_at", expr.TimestampTZ, "when the last quality check ran"),
				Col("data_updated_at", expr.TimestampTZ, "newest value of the freshness column at the last check"),
				Col("fresh", expr.Bool, "whether the data meets the freshness SLA (NULL: unknown)"),
				Col("sunset", expr.TimestampTZ, "when a deprecated version is retired"),
			},
			Build: func(_ context.Context, b *array.RecordBuilder) error {
				now := time.Now()
				for _, p := range c.Products() {
					var sla, dss []string
					for _, s := range p.SLA {
						sla = append(sla, strings.TrimSpace(fmt.Sprintf("%s=%s %s", s.Property, s.Value, s.Unit)))
					}
					for _, ds := range p.Datasets {
						dss = append(dss, ds.Name)
					}
					appendStrings(b, 0, p.Domain, p.Name, p.Version, p.Status, p.Owner, p.Description,
						strings.Join(p.Tags, ","), strings.Join(sla, ", "), strings.Join(dss, ","))
					qb := b.Field(9).(*array.StringBuilder)
					checked := b.Field(10).(*array.TimestampBuilder)
					updated := b.Field(11).(*array.TimestampBuilder)
					fresh := b.Field(12).(*array.BooleanBuilder)
					if q := p.Quality; q != nil {
						qb.Append(q.Status() + " (" + q.Summary() + ")")
						appendTime(checked, q.CheckedAt)
						var newest time.Time
						for _, t := range q.DataUpdatedAt {
							if t.After(newest) {
								newest = t
							}
						}
						appendTime(updated, newest)
						if limit, ok := p.FreshnessLimit(); ok && !newest.IsZero() {
							// The oldest dataset decides: every dataset must be fresh.
							ok := true
							for _, t := range q.DataUpdatedAt {
								ok = ok && now.Sub(t) <= limit
							}
							fresh.Append(ok)
						} else {
							fresh.AppendNull()
						}
					} else {
						qb.AppendNull()
						checked.AppendNull()
						updated.AppendNull()
						fresh.AppendNull()
					}
					appendTime(b.Field(13).(*array.TimestampBuilder), p.Sunset)
				}
				return nil
			},
		},
		&FuncTable{
			TableName: "datasets", Desc: "Queryable datasets (domain.dataset)",
			Cols: []ColumnDef{
				Col("domain", expr.String, ""), Col("dataset", expr.String, ""), Col("product", expr.String, ""),
				Col("version", expr.String, ""), Col("status", expr.String, ""), Col("owner", expr.String, ""),
				Col("source", expr.String, "domain/source"), Col("description", expr.String, ""), Col("tags", expr.String, ""),
				Col("columns", expr.Int64, "number of columns"),
			},
			Build: func(_ context.Context, b *array.RecordBuilder) error {
				for _, ds := range c.Datasets() {
					appendStrings(b, 0, ds.Domain, ds.Name, ds.Product, ds.Version, ds.Status, ds.Owner,
						ds.Domain+"/"+ds.Source, ds.Description, strings.Join(ds.Tags, ","))
					b.Field(9).(*array.Int64Builder).Append(int64(len(ds.Columns)))
				}
				return nil
			},
		},
		&FuncTable{
			TableName: "columns", Desc: "Columns of every dataset with type, classification and description",
			Cols: []ColumnDef{
				Col("domain", expr.String, ""), Col("dataset", expr.String, ""), Col("column_name", expr.String, ""),
				Col("ordinal", expr.Int32, "1-based position"), Col("data_type", expr.String, "SQL type"),
				Col("nullable", expr.Bool, ""), Col("primary_key", expr.Bool, ""), Col("classification", expr.String, ""),
				Col("tags", expr.String, ""), Col("description", expr.String, ""),
			},
			Build: func(_ context.Context, b *array.RecordBuilder) error {
				for _, ds := range c.Datasets() {
					for i, col := range ds.Columns {
						appendStrings(b, 0, ds.Domain, ds.Name, col.Name)
						b.Field(3).(*array.Int32Builder).Append(int32(i + 1))
						appendStrings(b, 4, expr.SQLTypeName(col.Type))
						b.Field(5).(*array.BooleanBuilder).Append(col.Nullable())
						b.Field(6).(*array.BooleanBuilder).Append(col.PrimaryKey)
						appendStrings(b, 7, col.Classification, strings.Join(col.Tags, ","), col.Description)
					}
				}
				return nil
			},
		},
		&FuncTable{
			TableName: "sources", Desc: "Registered sources (options without secrets)",
			Cols: []ColumnDef{Col("domain", expr.String, ""), Col("source", expr.String, ""), Col("type", expr.String, ""), Col("options", expr.String, "option names; values that are secret references are shown as references")},
			Build: func(_ context.Context, b *array.RecordBuilder) error {
				for _, s := range c.Sources() {
					appendStrings(b, 0, s.Domain, s.Name, s.Type, PublicOptions(s.Options))
				}
				return nil
			},
		},
	}
}

// PublicOptions renders source options for display: secret references are shown as the
// reference, and options whose name suggests a secret are hidden.
func PublicOptions(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := opts[k]
		switch {
		case strings.HasPrefix(v, "env:"), strings.HasPrefix(v, "file:"):
		case IsSecretOption(k):
			v = "***"
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

// IsSecretOption reports whether an option name denotes a secret.
func IsSecretOption(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "secret", "token", "private_key", "passphrase", "dsn", "key"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func appendTime(b *array.TimestampBuilder, t time.Time) {
	if t.IsZero() {
		b.AppendNull()
		return
	}
	unit := b.Type().(*arrow.TimestampType).Unit
	v, err := arrow.TimestampFromTime(t, unit)
	if err != nil {
		b.AppendNull()
		return
	}
	b.Append(v)
}

func appendStrings(b *array.RecordBuilder, from int, vals ...string) {
	for i, v := range vals {
		b.Field(from + i).(*array.StringBuilder).Append(v)
	}
}

// systemSource serves system datasets as a connector source.
type systemSource struct{ c *Catalog }

var _ connectors.Source = systemSource{}

func (s systemSource) Describe(_ context.Context, obj connectors.Object) (*arrow.Schema, []string, error) {
	t, err := s.table(obj.Table)
	if err != nil {
		return nil, nil, err
	}
	return SchemaOf(t.Columns()), nil, nil
}
func (systemSource) Ping(context.Context) error { return nil }
func (systemSource) Close() error               { return nil }

func (s systemSource) table(name string) (SystemTable, error) {
	s.c.mu.RLock()
	defer s.c.mu.RUnlock()
	t, ok := s.c.system[name]
	if !ok {
		return nil, errs.New(errs.KindNotFound, "system table mesh.%s does not exist", name)
	}
	return t, nil
}

func (s systemSource) OpenTable(_ context.Context, obj connectors.Object, cols []connectors.Column) (connectors.TableHandle, error) {
	t, err := s.table(obj.Table)
	if err != nil {
		return nil, err
	}
	h := &systemHandle{table: t, cols: cols}
	for _, c := range cols {
		idx := -1
		for i, def := range t.Columns() {
			if def.Name == c.Name {
				idx = i
			}
		}
		if idx < 0 {
			return nil, errs.New(errs.KindNotFound, "column %s does not exist in mesh.%s", c.Name, t.Name())
		}
		h.indices = append(h.indices, idx)
	}
	return h, nil
}

// systemHandle reads a system table: one split, computed when scanned.
type systemHandle struct {
	table   SystemTable
	cols    []connectors.Column
	indices []int
}

var (
	_ connectors.TableHandle        = (*systemHandle)(nil)
	_ connectors.ProjectionPushdown = (*systemHandle)(nil)
)

type systemSplit struct{ name string }

func (s systemSplit) String() string { return "mesh." + s.name }

func (h *systemHandle) Columns() []connectors.Column { return h.cols }
func (h *systemHandle) Stats() connectors.Stats      { return connectors.Stats{Rows: 100, Bytes: -1} }
func (h *systemHandle) Explain() string              { return "system table mesh." + h.table.Name() }
func (h *systemHandle) Splits(context.Context) ([]connectors.Split, error) {
	return []connectors.Split{systemSplit{h.table.Name()}}, nil
}

func (h *systemHandle) ApplyProjection(ids []expr.ColumnID) connectors.TableHandle {
	out := &systemHandle{table: h.table}
	for _, id := range ids {
		for i, c := range h.cols {
			if c.ID == id {
				out.cols = append(out.cols, c)
				out.indices = append(out.indices, h.indices[i])
			}
		}
	}
	return out
}

func (h *systemHandle) Scan(ctx context.Context, _ connectors.Split, opts connectors.ScanOptions) (array.RecordReader, error) {
	alloc := opts.Alloc
	if alloc == nil {
		alloc = memory.NewGoAllocator()
	}
	full, err := h.table.Rows(ctx, alloc)
	if err != nil {
		return nil, err
	}
	defer full.Release()
	fields := make([]arrow.Field, len(h.cols))
	arrs := make([]arrow.Array, len(h.cols))
	for i, c := range h.cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
		arrs[i] = full.Column(h.indices[i])
	}
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecordBatch(schema, arrs, full.NumRows())
	defer rec.Release()
	return array.NewRecordReader(schema, []arrow.RecordBatch{rec})
}
