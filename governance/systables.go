package governance

import (
	"context"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/planner/expr"
)

// RoleGovernance may read mesh.audit and every policy.
const RoleGovernance = "governance"

// PoliciesTable is mesh.policies: the policies that apply to the caller (for roles admin and
// governance, every policy). It never shows mask keys.
func PoliciesTable(current func() *PolicySet) catalog.SystemTable {
	str := func(name, desc string) catalog.ColumnDef { return catalog.Col(name, expr.String, desc) }
	return &catalog.FuncTable{
		TableName: "policies",
		Desc:      "Governance policies that apply to you (all of them for the governance role)",
		Cols: []catalog.ColumnDef{
			str("name", ""), catalog.Col("version", expr.Int32, ""), str("scope", "global or domain"),
			str("domain", ""), str("kind", "grant, deny, row_filter or mask"), str("datasets", "dataset patterns"),
			str("targets", "columns, classifications and tags"), str("detail", "mask kind or row filter predicate"),
			str("applies_to", "the principals it applies to"), catalog.Col("applies_to_you", expr.Bool, ""),
			str("description", ""),
		},
		Build: func(ctx context.Context, b *array.RecordBuilder) error {
			p, ok := PrincipalFrom(ctx)
			if !ok {
				return errs.New(errs.KindUnauthenticated, "mesh.policies needs an authenticated caller")
			}
			all := p.HasRole(RoleGovernance) || p.HasRole("admin")
			for _, pol := range current().Policies() {
				applies := pol.appliesToPrincipal(p)
				if !applies && !all {
					continue
				}
				var targets []string
				targets = append(targets, pol.Columns...)
				for _, c := range pol.Classifications {
					targets = append(targets, "classification:"+c)
				}
				for _, t := range pol.Tags {
					targets = append(targets, "tag:"+t)
				}
				detail := pol.Predicate
				if pol.Mask != nil {
					detail = pol.Mask.Kind
					if pol.Mask.N > 0 {
						detail += " " + strconv.Itoa(pol.Mask.N)
					}
					if pol.Mask.Unit != "" {
						detail += " " + pol.Mask.Unit
					}
				}
				b.Field(0).(*array.StringBuilder).Append(pol.Name)
				b.Field(1).(*array.Int32Builder).Append(int32(pol.Version))
				for i, v := range []string{pol.Scope, pol.Domain, pol.Kind, strings.Join(pol.Datasets, ","), strings.Join(targets, ","), detail, describeCondition(pol)} {
					b.Field(2 + i).(*array.StringBuilder).Append(v)
				}
				b.Field(9).(*array.BooleanBuilder).Append(applies)
				b.Field(10).(*array.StringBuilder).Append(pol.Description)
			}
			return nil
		},
	}
}

func describeCondition(p *Policy) string {
	var parts []string
	add := func(prefix string, vals []string) {
		for _, v := range vals {
			parts = append(parts, prefix+v)
		}
	}
	add("role:", p.When.Roles)
	add("group:", p.When.Groups)
	add("user:", p.When.Users)
	for k, v := range p.When.Attributes {
		parts = append(parts, k+"="+v)
	}
	s := "everyone"
	if len(parts) > 0 {
		s = strings.Join(parts, ",")
	}
	if !p.Except.IsEmpty() {
		var ex []string
		for _, r := range p.Except.Roles {
			ex = append(ex, "role:"+r)
		}
		for _, u := range p.Except.Users {
			ex = append(ex, "user:"+u)
		}
		for _, g := range p.Except.Groups {
			ex = append(ex, "group:"+g)
		}
		s += " except " + strings.Join(ex, ",")
	}
	return s
}

// AuditTable is mesh.audit, readable only by the governance role (and admins).
func AuditTable(log *AuditLog) catalog.SystemTable {
	str := func(name, desc string) catalog.ColumnDef { return catalog.Col(name, expr.String, desc) }
	return &catalog.FuncTable{
		TableName: "audit",
		Desc:      "One record per query and per change (governance role only)",
		Cols: []catalog.ColumnDef{
			catalog.Col("time", expr.TimestampTZ, ""), str("kind", "query, policy_change or catalog_change"),
			str("principal", ""), str("impersonator", ""), str("client_addr", ""), str("application", ""),
			str("query_id", ""), str("sql", ""), str("sql_sha256", ""),
			str("datasets", "datasets read"), str("projected_columns", "dataset.column values returned"),
			str("predicate_columns", "dataset.column read only to filter, join, group or sort"),
			str("policies", "masks and row filters applied (name@vVERSION)"), str("decision", "allowed, denied or error"),
			catalog.Col("rows", expr.Int64, ""), catalog.Col("bytes", expr.Int64, ""), catalog.Col("duration_ms", expr.Float64, ""),
			str("error_class", ""), str("object", ""), str("action", ""), str("detail", ""),
		},
		Build: func(ctx context.Context, b *array.RecordBuilder) error {
			p, ok := PrincipalFrom(ctx)
			if !ok || !(p.HasRole(RoleGovernance) || p.HasRole("admin")) {
				return errs.New(errs.KindPermissionDenied, "mesh.audit is readable by the %s role only", RoleGovernance)
			}
			records, err := log.ReadAll()
			if err != nil {
				return err
			}
			for _, r := range records {
				var names, proj, pred []string
				for _, d := range r.Datasets {
					names = append(names, d.Name)
					for _, c := range d.Projected {
						proj = append(proj, d.Name+"."+c)
					}
					for _, c := range d.PredicateOnly {
						pred = append(pred, d.Name+"."+c)
					}
				}
				b.Field(0).(*array.TimestampBuilder).AppendTime(r.Time)
				vals := []string{r.Kind, r.Principal, r.Impersonator, r.ClientAddr, r.Application, r.QueryID, r.SQL, r.SQLHash,
					strings.Join(names, ","), strings.Join(proj, ","), strings.Join(pred, ","), strings.Join(r.Policies, ","), r.Decision}
				for i, v := range vals {
					b.Field(1 + i).(*array.StringBuilder).Append(v)
				}
				b.Field(14).(*array.Int64Builder).Append(r.Rows)
				b.Field(15).(*array.Int64Builder).Append(r.Bytes)
				b.Field(16).(*array.Float64Builder).Append(r.DurationMS)
				for i, v := range []string{r.ErrorClass, r.Object, r.Action, r.Detail} {
					b.Field(17 + i).(*array.StringBuilder).Append(v)
				}
			}
			return nil
		},
	}
}
