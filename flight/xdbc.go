package flight

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
)

// xdbcType is one row of GetXdbcTypeInfo (JDBC getTypeInfo, ODBC SQLGetTypeInfo). Optional
// numbers are pointers: nil is NULL.
type xdbcType struct {
	name           string
	dataType       pb.XdbcDataType
	columnSize     *int32
	prefix, suffix string // "" is NULL
	createParams   []string
	caseSensitive  bool
	searchable     pb.Searchable
	numeric        bool // unsigned_attribute and auto_increment are false, not NULL
	minScale       *int32
	maxScale       *int32
	sqlDataType    pb.XdbcDataType
	datetimeSub    *int32
	numPrecRadix   *int32
}

func i32(v int32) *int32 { return &v }

// xdbcTypes are the SQL types meshgate computes with, ordered by data type code and then
// name as the Flight SQL specification asks.
var xdbcTypes = []xdbcType{
	{name: "boolean", dataType: pb.XdbcDataType_XDBC_BIT, columnSize: i32(1), searchable: pb.Searchable_SEARCHABLE_BASIC, sqlDataType: pb.XdbcDataType_XDBC_BIT},
	{name: "tinyint", dataType: pb.XdbcDataType_XDBC_TINYINT, columnSize: i32(3), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		minScale: i32(0), maxScale: i32(0), sqlDataType: pb.XdbcDataType_XDBC_TINYINT, numPrecRadix: i32(10)},
	{name: "bigint", dataType: pb.XdbcDataType_XDBC_BIGINT, columnSize: i32(19), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		minScale: i32(0), maxScale: i32(0), sqlDataType: pb.XdbcDataType_XDBC_BIGINT, numPrecRadix: i32(10)},
	{name: "bytea", dataType: pb.XdbcDataType_XDBC_VARBINARY, prefix: `'\x`, suffix: "'", searchable: pb.Searchable_SEARCHABLE_BASIC,
		sqlDataType: pb.XdbcDataType_XDBC_VARBINARY},
	{name: "numeric", dataType: pb.XdbcDataType_XDBC_NUMERIC, columnSize: i32(38), createParams: []string{"precision", "scale"},
		searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true, minScale: i32(0), maxScale: i32(38),
		sqlDataType: pb.XdbcDataType_XDBC_NUMERIC, numPrecRadix: i32(10)},
	{name: "integer", dataType: pb.XdbcDataType_XDBC_INTEGER, columnSize: i32(10), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		minScale: i32(0), maxScale: i32(0), sqlDataType: pb.XdbcDataType_XDBC_INTEGER, numPrecRadix: i32(10)},
	{name: "smallint", dataType: pb.XdbcDataType_XDBC_SMALLINT, columnSize: i32(5), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		minScale: i32(0), maxScale: i32(0), sqlDataType: pb.XdbcDataType_XDBC_SMALLINT, numPrecRadix: i32(10)},
	{name: "real", dataType: pb.XdbcDataType_XDBC_REAL, columnSize: i32(7), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		sqlDataType: pb.XdbcDataType_XDBC_REAL, numPrecRadix: i32(10)},
	{name: "double precision", dataType: pb.XdbcDataType_XDBC_DOUBLE, columnSize: i32(15), searchable: pb.Searchable_SEARCHABLE_BASIC, numeric: true,
		sqlDataType: pb.XdbcDataType_XDBC_DOUBLE, numPrecRadix: i32(10)},
	{name: "varchar", dataType: pb.XdbcDataType_XDBC_VARCHAR, columnSize: i32(1<<31 - 1), prefix: "'", suffix: "'", createParams: []string{"length"},
		caseSensitive: true, searchable: pb.Searchable_SEARCHABLE_FULL, sqlDataType: pb.XdbcDataType_XDBC_VARCHAR},
	{name: "date", dataType: pb.XdbcDataType_XDBC_DATE, columnSize: i32(10), prefix: "DATE '", suffix: "'", searchable: pb.Searchable_SEARCHABLE_BASIC,
		sqlDataType: pb.XdbcDataType_XDBC_DATETIME, datetimeSub: i32(int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_DATE))},
	{name: "timestamp", dataType: pb.XdbcDataType_XDBC_TIMESTAMP, columnSize: i32(26), prefix: "TIMESTAMP '", suffix: "'",
		searchable: pb.Searchable_SEARCHABLE_BASIC, minScale: i32(0), maxScale: i32(6),
		sqlDataType: pb.XdbcDataType_XDBC_DATETIME, datetimeSub: i32(int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP))},
	{name: "timestamp with time zone", dataType: pb.XdbcDataType_XDBC_TIMESTAMP, columnSize: i32(32), prefix: "TIMESTAMP WITH TIME ZONE '", suffix: "'",
		searchable: pb.Searchable_SEARCHABLE_BASIC, minScale: i32(0), maxScale: i32(6),
		sqlDataType: pb.XdbcDataType_XDBC_DATETIME, datetimeSub: i32(int32(pb.XdbcDatetimeSubcode_XDBC_SUBCODE_TIMESTAMP_WITH_TIMEZONE))},
}

func (s *sqlServer) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.XdbcTypeInfo)
}

func (s *sqlServer) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b := array.NewRecordBuilder(s.srv.mem, schema_ref.XdbcTypeInfo)
	defer b.Release()
	optString := func(f int, v string) {
		if v == "" {
			b.Field(f).AppendNull()
		} else {
			b.Field(f).(*array.StringBuilder).Append(v)
		}
	}
	optInt := func(f int, v *int32) {
		if v == nil {
			b.Field(f).AppendNull()
		} else {
			b.Field(f).(*array.Int32Builder).Append(*v)
		}
	}
	optBool := func(f int, set, v bool) {
		if !set {
			b.Field(f).AppendNull()
		} else {
			b.Field(f).(*array.BooleanBuilder).Append(v)
		}
	}
	for _, t := range xdbcTypes {
		if want := cmd.GetDataType(); want != nil && *want != int32(t.dataType) {
			continue
		}
		b.Field(0).(*array.StringBuilder).Append(t.name)
		b.Field(1).(*array.Int32Builder).Append(int32(t.dataType))
		optInt(2, t.columnSize)
		optString(3, t.prefix)
		optString(4, t.suffix)
		if t.createParams == nil {
			b.Field(5).AppendNull()
		} else {
			lb := b.Field(5).(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(t.createParams, nil)
		}
		b.Field(6).(*array.Int32Builder).Append(int32(pb.Nullable_NULLABILITY_NULLABLE))
		b.Field(7).(*array.BooleanBuilder).Append(t.caseSensitive)
		b.Field(8).(*array.Int32Builder).Append(int32(t.searchable))
		optBool(9, t.numeric, false)
		b.Field(10).(*array.BooleanBuilder).Append(false)
		optBool(11, t.numeric, false)
		optString(12, t.name)
		optInt(13, t.minScale)
		optInt(14, t.maxScale)
		b.Field(15).(*array.Int32Builder).Append(int32(t.sqlDataType))
		optInt(16, t.datetimeSub)
		optInt(17, t.numPrecRadix)
		b.Field(18).AppendNull()
	}
	return oneBatch(b.NewRecordBatch())
}
