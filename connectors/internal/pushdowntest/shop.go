package pushdowntest

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/meshgate/meshgate/planner/expr"
)

// Table is one table to create in the source: its dataset name, columns and rows.
type Table struct {
	// Name is the dataset name; the harness makes the physical table name unique.
	Name    string
	Columns []Column
	// Rows hold canonical values (see expr.Literal), nil for NULL, one per column.
	Rows [][]any
}

// Column is one column of a Table.
type Column struct {
	Name string
	// SQLType is the column's type in PostgreSQL and MySQL spelling alike (bigint, integer,
	// decimal(15,2), char(1), varchar(n), date); it is also the contract's physicalType.
	SQLType string
	// Type is the gateway type the contract declares.
	Type arrow.DataType
	// CaseInsensitive asks for a collation under which equality ignores case (PostgreSQL:
	// a nondeterministic ICU collation; MySQL's default collation already does).
	CaseInsensitive bool
}

var money = expr.Decimal(15, 2)

func cents(v int64) decimal128.Num { return decimal128.FromI64(v) }

func date(y int, m time.Month, d int) arrow.Date32 {
	return arrow.Date32FromTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// Shop returns the suite's tables: 60 customers, 600 orders and their 1 to 5 line items,
// generated deterministically. Char columns hold full-width values only, so every source
// reads them alike (MySQL strips CHAR padding, PostgreSQL keeps it).
func Shop() []Table {
	segments := []string{"AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY"}
	customer := Table{Name: "customer", Columns: []Column{
		{Name: "c_custkey", SQLType: "bigint", Type: expr.Int64},
		{Name: "c_name", SQLType: "varchar(25)", Type: expr.String},
		{Name: "c_email", SQLType: "varchar(40)", Type: expr.String, CaseInsensitive: true},
		{Name: "c_mktsegment", SQLType: "varchar(10)", Type: expr.String},
		{Name: "c_nationkey", SQLType: "integer", Type: expr.Int32},
		{Name: "c_acctbal", SQLType: "decimal(15,2)", Type: money},
	}}
	for k := int64(1); k <= 60; k++ {
		email := fmt.Sprintf("c%d@shop.example", k)
		if k == 17 {
			email = "C7@SHOP.EXAMPLE" // equal to customer 7's under a case-insensitive collation
		}
		var bal any = cents((k*7919)%1_000_000 - 100_000)
		if k%13 == 0 {
			bal = nil
		}
		customer.Rows = append(customer.Rows, []any{k, fmt.Sprintf("Customer#%03d", k), email, segments[k%5], k % 25, bal})
	}
	orders := Table{Name: "orders", Columns: []Column{
		{Name: "o_orderkey", SQLType: "bigint", Type: expr.Int64},
		{Name: "o_custkey", SQLType: "bigint", Type: expr.Int64},
		{Name: "o_orderstatus", SQLType: "char(1)", Type: expr.String},
		{Name: "o_totalprice", SQLType: "decimal(15,2)", Type: money},
		{Name: "o_orderdate", SQLType: "date", Type: expr.Date},
		{Name: "o_orderpriority", SQLType: "varchar(15)", Type: expr.String},
		{Name: "o_comment", SQLType: "varchar(79)", Type: expr.String},
	}}
	lineitem := Table{Name: "lineitem", Columns: []Column{
		{Name: "l_orderkey", SQLType: "bigint", Type: expr.Int64},
		{Name: "l_linenumber", SQLType: "integer", Type: expr.Int32},
		{Name: "l_quantity", SQLType: "decimal(15,2)", Type: money},
		{Name: "l_extendedprice", SQLType: "decimal(15,2)", Type: money},
		{Name: "l_discount", SQLType: "decimal(15,2)", Type: money},
		{Name: "l_returnflag", SQLType: "char(1)", Type: expr.String},
		{Name: "l_linestatus", SQLType: "char(1)", Type: expr.String},
		{Name: "l_shipdate", SQLType: "date", Type: expr.Date},
		{Name: "l_shipmode", SQLType: "varchar(10)", Type: expr.String},
	}}
	priorities := []string{"1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"}
	modes := []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
	comments := []string{"quick delivery", "café crème ☕", "it's \"fragile\"", "", "日本語のメモ"}
	for k := int64(1); k <= 600; k++ {
		// Every third customer never orders, as in TPC-H.
		cust := (k*7)%60 + 1
		if cust%3 == 0 {
			cust--
		}
		day := date(1992, 1, 1) + arrow.Date32((k*13)%2400)
		status := []string{"F", "O", "P"}[k%3]
		var total int64
		lines := k%5 + 1
		for n := int64(1); n <= lines; n++ {
			qty := (k*n)%50 + 1
			price := qty * (90_000 + (k*31+n*17)%110_000) / 10
			disc := (k + n) % 11
			total += price * (100 - disc) / 100
			flag := "N"
			switch {
			case (k+n)%4 == 0:
				flag = "R"
			case (k+n)%4 == 1:
				flag = "A"
			}
			lineitem.Rows = append(lineitem.Rows, []any{k, n, cents(qty * 100), cents(price), cents(disc),
				flag, []string{"F", "O"}[(k+n)%2], day + arrow.Date32((k*n)%120+1), modes[(k+n)%7]})
		}
		var comment any = comments[k%5]
		if k%17 == 0 {
			comment = nil
		}
		orders.Rows = append(orders.Rows, []any{k, cust, status, cents(total), day, priorities[k%5], comment})
	}
	return []Table{customer, orders, lineitem}
}
