package tpch

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/meshgate/meshgate/internal/errs"
)

// SQLTypeKey is the field-metadata key that carries a column's exact SQL type (bigint,
// integer, numeric(15,2), date, char(n), varchar(n)). Arrow has one string type; the
// metadata keeps the char/varchar distinction of the spec so loaders can recreate it.
const SQLTypeKey = "meshgate.sql_type"

// Domains of the demo mesh that serve the TPC-H tables.
const (
	DomainSales     = "sales"
	DomainCustomers = "customers"
	DomainSupply    = "supply"
)

// MinScaleFactor is the smallest supported scale factor. Below it (and at a few scale
// factors above it, which are rejected too) the spec's PARTSUPP supplier formula repeats
// suppliers within a part, which would break the (partkey, suppkey) key.
const MinScaleFactor = 0.01

// Table describes one TPC-H table as a dataset of the demo mesh.
type Table struct {
	// Name is the dataset name, the spec's table name in lower case ("lineitem").
	Name string
	// Domain is the mesh domain (and SQL schema) serving the table.
	Domain string
	// Schema has the spec's column names and types; every field is non-nullable and carries
	// its SQL type under SQLTypeKey.
	Schema *arrow.Schema
	// PrimaryKey lists the key columns of clause 1.4.2.
	PrimaryKey []string
	// ForeignKeys lists the columns that reference another table's key; loaders index them.
	ForeignKeys []string
	// RowCount returns the exact number of rows the generator produces at scale factor sf.
	RowCount func(sf float64) int64
}

// QualifiedName is the table's SQL name in the mesh, e.g. "sales.lineitem".
func (t Table) QualifiedName() string { return t.Domain + "." + t.Name }

// tableID orders the tables; it is also the order of Tables() and of the manifest.
type tableID int

const (
	tableRegion tableID = iota
	tableNation
	tableSupplier
	tableCustomer
	tablePart
	tablePartSupp
	tableOrders
	tableLineItem
	tableCount
)

// column declares one column by its SQL type; the Arrow type follows from it.
type column struct {
	name    string
	sqlType string
	// plain disables Parquet dictionary encoding: the column is (nearly) unique per row,
	// so building a dictionary would only cost time before the writer falls back to plain.
	plain bool
}

type tableDef struct {
	name, domain string
	columns      []column
	primaryKey   []string
	foreignKeys  []string
}

const (
	key   = "bigint"
	money = "numeric(15,2)"
)

func tableDefs() [tableCount]tableDef {
	return [tableCount]tableDef{
		tableRegion: {name: "region", domain: DomainCustomers, primaryKey: []string{"r_regionkey"}, columns: []column{
			{name: "r_regionkey", sqlType: key},
			{name: "r_name", sqlType: "char(25)"},
			{name: "r_comment", sqlType: "varchar(152)", plain: true},
		}},
		tableNation: {name: "nation", domain: DomainCustomers, primaryKey: []string{"n_nationkey"}, foreignKeys: []string{"n_regionkey"}, columns: []column{
			{name: "n_nationkey", sqlType: key},
			{name: "n_name", sqlType: "char(25)"},
			{name: "n_regionkey", sqlType: key},
			{name: "n_comment", sqlType: "varchar(152)", plain: true},
		}},
		tableSupplier: {name: "supplier", domain: DomainSupply, primaryKey: []string{"s_suppkey"}, foreignKeys: []string{"s_nationkey"}, columns: []column{
			{name: "s_suppkey", sqlType: key, plain: true},
			{name: "s_name", sqlType: "char(25)", plain: true},
			{name: "s_address", sqlType: "varchar(40)", plain: true},
			{name: "s_nationkey", sqlType: key},
			{name: "s_phone", sqlType: "char(15)", plain: true},
			{name: "s_acctbal", sqlType: money},
			{name: "s_comment", sqlType: "varchar(101)", plain: true},
		}},
		tableCustomer: {name: "customer", domain: DomainCustomers, primaryKey: []string{"c_custkey"}, foreignKeys: []string{"c_nationkey"}, columns: []column{
			{name: "c_custkey", sqlType: key, plain: true},
			{name: "c_name", sqlType: "varchar(25)", plain: true},
			{name: "c_address", sqlType: "varchar(40)", plain: true},
			{name: "c_nationkey", sqlType: key},
			{name: "c_phone", sqlType: "char(15)", plain: true},
			{name: "c_acctbal", sqlType: money},
			{name: "c_mktsegment", sqlType: "char(10)"},
			{name: "c_comment", sqlType: "varchar(117)", plain: true},
		}},
		tablePart: {name: "part", domain: DomainSupply, primaryKey: []string{"p_partkey"}, columns: []column{
			{name: "p_partkey", sqlType: key, plain: true},
			{name: "p_name", sqlType: "varchar(55)", plain: true},
			{name: "p_mfgr", sqlType: "char(25)"},
			{name: "p_brand", sqlType: "char(10)"},
			{name: "p_type", sqlType: "varchar(25)"},
			{name: "p_size", sqlType: "integer"},
			{name: "p_container", sqlType: "char(10)"},
			{name: "p_retailprice", sqlType: money},
			{name: "p_comment", sqlType: "varchar(23)", plain: true},
		}},
		tablePartSupp: {name: "partsupp", domain: DomainSupply, primaryKey: []string{"ps_partkey", "ps_suppkey"}, foreignKeys: []string{"ps_suppkey"}, columns: []column{
			{name: "ps_partkey", sqlType: key},
			{name: "ps_suppkey", sqlType: key},
			{name: "ps_availqty", sqlType: "integer"},
			{name: "ps_supplycost", sqlType: money},
			{name: "ps_comment", sqlType: "varchar(199)", plain: true},
		}},
		tableOrders: {name: "orders", domain: DomainSales, primaryKey: []string{"o_orderkey"}, foreignKeys: []string{"o_custkey"}, columns: []column{
			{name: "o_orderkey", sqlType: key, plain: true},
			{name: "o_custkey", sqlType: key},
			{name: "o_orderstatus", sqlType: "char(1)"},
			{name: "o_totalprice", sqlType: money, plain: true},
			{name: "o_orderdate", sqlType: "date"},
			{name: "o_orderpriority", sqlType: "char(15)"},
			{name: "o_clerk", sqlType: "char(15)"},
			{name: "o_shippriority", sqlType: "integer"},
			{name: "o_comment", sqlType: "varchar(79)", plain: true},
		}},
		tableLineItem: {name: "lineitem", domain: DomainSales, primaryKey: []string{"l_orderkey", "l_linenumber"}, foreignKeys: []string{"l_partkey", "l_suppkey"}, columns: []column{
			{name: "l_orderkey", sqlType: key},
			{name: "l_partkey", sqlType: key},
			{name: "l_suppkey", sqlType: key},
			{name: "l_linenumber", sqlType: "integer"},
			{name: "l_quantity", sqlType: money},
			{name: "l_extendedprice", sqlType: money},
			{name: "l_discount", sqlType: money},
			{name: "l_tax", sqlType: money},
			{name: "l_returnflag", sqlType: "char(1)"},
			{name: "l_linestatus", sqlType: "char(1)"},
			{name: "l_shipdate", sqlType: "date"},
			{name: "l_commitdate", sqlType: "date"},
			{name: "l_receiptdate", sqlType: "date"},
			{name: "l_shipinstruct", sqlType: "char(25)"},
			{name: "l_shipmode", sqlType: "char(10)"},
			{name: "l_comment", sqlType: "varchar(44)", plain: true},
		}},
	}
}

// Tables returns the eight TPC-H tables in dependency order (region first, lineitem last).
// Each call builds fresh values, so callers may modify what they get.
func Tables() []Table {
	defs := tableDefs()
	tables := make([]Table, 0, len(defs))
	for id := range tableCount {
		tables = append(tables, defs[id].table(id))
	}
	return tables
}

// LookupTable returns the table with the given dataset name ("lineitem") or qualified name
// ("sales.lineitem").
func LookupTable(name string) (Table, bool) {
	for _, t := range Tables() {
		if name == t.Name || name == t.QualifiedName() {
			return t, true
		}
	}
	return Table{}, false
}

func (d tableDef) table(id tableID) Table {
	return Table{
		Name:        d.name,
		Domain:      d.domain,
		Schema:      d.schema(),
		PrimaryKey:  append([]string(nil), d.primaryKey...),
		ForeignKeys: append([]string(nil), d.foreignKeys...),
		RowCount: func(sf float64) int64 {
			s, err := newScale(sf)
			if err != nil {
				return 0
			}
			return s.rows(id)
		},
	}
}

func (d tableDef) schema() *arrow.Schema {
	fields := make([]arrow.Field, len(d.columns))
	for i, c := range d.columns {
		fields[i] = arrow.Field{
			Name:     c.name,
			Type:     arrowType(c.sqlType),
			Nullable: false,
			Metadata: arrow.NewMetadata([]string{SQLTypeKey}, []string{c.sqlType}),
		}
	}
	return arrow.NewSchema(fields, nil)
}

// arrowType maps the SQL types used in tableDefs; an unknown type is a bug in tableDefs.
func arrowType(sqlType string) arrow.DataType {
	switch {
	case sqlType == "bigint":
		return arrow.PrimitiveTypes.Int64
	case sqlType == "integer":
		return arrow.PrimitiveTypes.Int32
	case sqlType == "date":
		return arrow.FixedWidthTypes.Date32
	case sqlType == money:
		return &arrow.Decimal128Type{Precision: 15, Scale: 2}
	case strings.HasPrefix(sqlType, "char("), strings.HasPrefix(sqlType, "varchar("):
		return arrow.BinaryTypes.String
	}
	panic(fmt.Sprintf("tpch: no arrow type for SQL type %q", sqlType))
}

// scale holds the cardinalities of clause 4.2.5 for one scale factor.
type scale struct {
	sf                                  float64
	suppliers, parts, customers, orders int64
	// clerks is the number of distinct O_CLERK values, SF × 1000 (at least 1).
	clerks int64
}

func newScale(sf float64) (scale, error) {
	if math.IsNaN(sf) || math.IsInf(sf, 0) || sf < MinScaleFactor || sf > 100000 {
		return scale{}, errs.New(errs.KindInvalidArgument,
			"TPC-H scale factor %s is out of range: use a value from %g (about 10 MB) up, e.g. 1 for about 1 GB",
			strconv.FormatFloat(sf, 'g', -1, 64), MinScaleFactor)
	}
	count := func(perSF float64) int64 { return max(1, int64(math.Round(sf*perSF))) }
	if suppliers := count(10_000); !partSuppliersDistinct(suppliers) {
		return scale{}, errs.New(errs.KindInvalidArgument,
			"TPC-H scale factor %s gives %d suppliers, for which the spec's PARTSUPP formula repeats a supplier within a part: use a nearby value such as 0.01, 0.02, 0.05 or 0.1",
			strconv.FormatFloat(sf, 'g', -1, 64), suppliers)
	}
	return scale{
		sf:        sf,
		suppliers: count(10_000),
		parts:     count(200_000),
		customers: count(150_000),
		orders:    count(1_500_000),
		clerks:    count(1_000),
	}, nil
}

// partSuppliersDistinct reports whether the PARTSUPP formula gives every part four distinct
// suppliers when there are s suppliers. Supplier i of part p is p + i·d (mod s) with
// d = s/4 + (p-1)/s, and (p-1)/s ranges over 0..19 because there are 20·s parts; two of the
// four coincide exactly when k·d ≡ 0 (mod s) for some k in 1..3. At SF 1 (s = 10000) that never
// happens; at small scale factors it can (s = 120: d = 40, 3·40 = 120).
func partSuppliersDistinct(s int64) bool {
	for d := s / 4; d <= s/4+19; d++ {
		for k := int64(1); k < suppliersPerPart; k++ {
			if k*d%s == 0 {
				return false
			}
		}
	}
	return true
}

// rows returns the exact row count of a table.
func (s scale) rows(id tableID) int64 {
	switch id {
	case tableRegion:
		return int64(len(regionNames))
	case tableNation:
		return int64(len(nations))
	case tableSupplier:
		return s.suppliers
	case tableCustomer:
		return s.customers
	case tablePart:
		return s.parts
	case tablePartSupp:
		return s.parts * suppliersPerPart
	case tableOrders:
		return s.orders
	case tableLineItem:
		return s.lineItems()
	}
	return 0
}
