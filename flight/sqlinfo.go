package flight

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	"github.com/meshgate/meshgate/internal/errs"
	"github.com/meshgate/meshgate/internal/version"
)

// sqlInfoTable is everything meshgate reports through GetSqlInfo. Value types follow what
// the Flight SQL JDBC driver casts each id to (ArrowDatabaseMetadata) and what arrow-java's
// SqlInfoBuilder produces, which in three places differs from the proto comments:
// SQL_IDENTIFIER_CASE, SQL_QUOTED_IDENTIFIER_CASE and SQL_DEFAULT_TRANSACTION_ISOLATION are
// int64, and SQL_OUTER_JOINS_SUPPORT_LEVEL is an int32 bitmask of SqlOuterJoinsSupportLevel.
// Everything else: SQL_MAX_* int64, bitmasks and ordinals int32, flags bool, text string,
// name lists []string, SQL_SUPPORTS_CONVERT map[int32][]int32.
//
// The capability claims (functions, subqueries, conversions) describe the planner's SQL
// dialect; keep them in step with planner/expr's function registry.
func sqlInfoTable(opts Options) flightsql.SqlInfoResultMap {
	bits := func(flags ...int32) int32 {
		var m int32
		for _, f := range flags {
			m |= 1 << f
		}
		return m
	}
	return flightsql.SqlInfoResultMap{
		// Server.
		uint32(flightsql.SqlInfoFlightSqlServerName):                        "meshgate",
		uint32(flightsql.SqlInfoFlightSqlServerVersion):                     version.Version,
		uint32(flightsql.SqlInfoFlightSqlServerArrowVersion):                arrow.PkgVersion,
		uint32(flightsql.SqlInfoFlightSqlServerReadOnly):                    true,
		uint32(flightsql.SqlInfoFlightSqlServerSql):                         true,
		uint32(flightsql.SqlInfoFlightSqlServerSubstrait):                   false,
		uint32(flightsql.SqlInfoFlightSqlServerTransaction):                 int32(flightsql.SqlTransactionNone),
		uint32(flightsql.SqlInfoFlightSqlServerCancel):                      true,
		uint32(flightsql.SqlInfoFlightSqlServerBulkIngestion):               false,
		uint32(flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported): false,
		uint32(flightsql.SqlInfoFlightSqlServerStatementTimeout):            int32(min(opts.PreparedStatementIdleTTL.Milliseconds(), 1<<31-1)),
		uint32(flightsql.SqlInfoFlightSqlServerTransactionTimeout):          int32(0),

		// Language.
		uint32(flightsql.SqlInfoDDLCatalog):                             false,
		uint32(flightsql.SqlInfoDDLSchema):                              false,
		uint32(flightsql.SqlInfoDDLTable):                               false,
		uint32(flightsql.SqlInfoIdentifierCase):                         int64(flightsql.SqlCaseSensitivityLowerCase),
		uint32(flightsql.SqlInfoIdentifierQuoteChar):                    `"`,
		uint32(flightsql.SqlInfoQuotedIdentifierCase):                   int64(flightsql.SqlCaseSensitivityUnknown),
		uint32(flightsql.SqlInfoAllTablesAreASelectable):                true,
		uint32(flightsql.SqlInfoNullOrdering):                           int32(flightsql.SqlNullOrderingSortHigh),
		uint32(flightsql.SqlInfoKeywords):                               []string{"ANALYZE", "EXPLAIN", "ILIKE", "LIMIT", "OFFSET", "VERBOSE"},
		uint32(flightsql.SqlInfoNumericFunctions):                       []string{"abs", "cbrt", "ceil", "exp", "floor", "ln", "log10", "mod", "power", "round", "sign", "sqrt", "trunc"},
		uint32(flightsql.SqlInfoStringFunctions):                        []string{"concat", "encode", "initcap", "left", "length", "lower", "lpad", "ltrim", "md5", "octet_length", "repeat", "replace", "reverse", "right", "rpad", "rtrim", "sha256", "split_part", "starts_with", "strpos", "substring", "to_char", "trim", "upper"},
		uint32(flightsql.SqlInfoSystemFunctions):                        []string{"coalesce", "greatest", "least", "nullif"},
		uint32(flightsql.SqlInfoDateTimeFunctions):                      []string{"current_date", "current_timestamp", "date_part", "date_trunc", "extract", "localtimestamp", "make_date", "now"},
		uint32(flightsql.SqlInfoSearchStringEscape):                     `\`,
		uint32(flightsql.SqlInfoExtraNameChars):                         "",
		uint32(flightsql.SqlInfoSupportsColumnAliasing):                 true,
		uint32(flightsql.SqlInfoNullPlusNullIsNull):                     true,
		uint32(flightsql.SqlInfoSupportsConvert):                        supportedConversions(),
		uint32(flightsql.SqlInfoSupportsTableCorrelationNames):          true,
		uint32(flightsql.SqlInfoSupportsDifferentTableCorrelationNames): false,
		uint32(flightsql.SqlInfoSupportsExpressionsInOrderBy):           true,
		uint32(flightsql.SqlInfoSupportsOrderByUnrelated):               true,
		uint32(flightsql.SqlInfoSupportedGroupBy):                       bits(int32(pb.SqlSupportedGroupBy_SQL_GROUP_BY_UNRELATED), int32(pb.SqlSupportedGroupBy_SQL_GROUP_BY_BEYOND_SELECT)),
		uint32(flightsql.SqlInfoSupportsLikeEscapeClause):               true,
		uint32(flightsql.SqlInfoSupportsNonNullableColumns):             true,
		uint32(flightsql.SqlInfoSupportedGrammar):                       bits(int32(pb.SupportedSqlGrammar_SQL_MINIMUM_GRAMMAR), int32(pb.SupportedSqlGrammar_SQL_CORE_GRAMMAR)),
		uint32(flightsql.SqlInfoANSI92SupportedLevel):                   bits(int32(pb.SupportedAnsi92SqlGrammarLevel_ANSI92_ENTRY_SQL), int32(pb.SupportedAnsi92SqlGrammarLevel_ANSI92_INTERMEDIATE_SQL)),
		uint32(flightsql.SqlInfoSupportsIntegrityEnhancementFacility):   false,
		uint32(flightsql.SqlInfoOuterJoinsSupportLevel):                 bits(int32(pb.SqlOuterJoinsSupportLevel_SQL_LIMITED_OUTER_JOINS), int32(pb.SqlOuterJoinsSupportLevel_SQL_FULL_OUTER_JOINS)),
		uint32(flightsql.SqlInfoSchemaTerm):                             "domain",
		uint32(flightsql.SqlInfoProcedureTerm):                          "procedure",
		uint32(flightsql.SqlInfoCatalogTerm):                            "mesh",
		uint32(flightsql.SqlInfoCatalogAtStart):                         true,
		uint32(flightsql.SqlInfoSchemasSupportedActions):                int32(0),
		uint32(flightsql.SqlInfoCatalogsSupportedActions):               int32(0),
		uint32(flightsql.SqlInfoSupportedPositionedCommands):            int32(0),
		uint32(flightsql.SqlInfoSelectForUpdateSupported):               false,
		uint32(flightsql.SqlInfoStoredProceduresSupported):              false,
		uint32(flightsql.SqlInfoSupportedSubqueries):                    bits(int32(pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_COMPARISONS), int32(pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_EXISTS), int32(pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_INS)),
		uint32(flightsql.SqlInfoCorrelatedSubqueriesSupported):          false,
		uint32(flightsql.SqlInfoSupportedUnions):                        bits(int32(pb.SqlSupportedUnions_SQL_UNION), int32(pb.SqlSupportedUnions_SQL_UNION_ALL)),

		// Limits: 0 means none or unknown.
		uint32(flightsql.SqlInfoMaxBinaryLiteralLen):     int64(0),
		uint32(flightsql.SqlInfoMaxCharLiteralLen):       int64(0),
		uint32(flightsql.SqlInfoMaxColumnNameLen):        int64(0),
		uint32(flightsql.SqlInfoMaxColumnsInGroupBy):     int64(0),
		uint32(flightsql.SqlInfoMaxColumnsInIndex):       int64(0),
		uint32(flightsql.SqlInfoMaxColumnsInOrderBy):     int64(0),
		uint32(flightsql.SqlInfoMaxColumnsInSelect):      int64(0),
		uint32(flightsql.SqlInfoMaxColumnsInTable):       int64(0),
		uint32(flightsql.SqlInfoMaxConnections):          int64(0),
		uint32(flightsql.SqlInfoMaxCursorNameLen):        int64(0),
		uint32(flightsql.SqlInfoMaxIndexLen):             int64(0),
		uint32(flightsql.SqlInfoDBSchemaNameLen):         int64(0),
		uint32(flightsql.SqlInfoMaxProcedureNameLen):     int64(0),
		uint32(flightsql.SqlInfoMaxCatalogNameLen):       int64(0),
		uint32(flightsql.SqlInfoMaxRowSize):              int64(0),
		uint32(flightsql.SqlInfoMaxRowSizeIncludesBlobs): false,
		uint32(flightsql.SqlInfoMaxStatementLen):         int64(0),
		uint32(flightsql.SqlInfoMaxStatements):           int64(0),
		uint32(flightsql.SqlInfoMaxTableNameLen):         int64(0),
		uint32(flightsql.SqlInfoMaxTablesInSelect):       int64(0),
		uint32(flightsql.SqlInfoMaxUsernameLen):          int64(0),

		// Transactions and result sets: read-only, no transactions, forward-only cursors.
		uint32(flightsql.SqlInfoDefaultTransactionIsolation):                         int64(pb.SqlTransactionIsolationLevel_SQL_TRANSACTION_NONE),
		uint32(flightsql.SqlInfoTransactionsSupported):                               false,
		uint32(flightsql.SqlInfoSupportedTransactionsIsolationlevels):                bits(int32(pb.SqlTransactionIsolationLevel_SQL_TRANSACTION_NONE)),
		uint32(flightsql.SqlInfoDataDefinitionCausesTransactionCommit):               false,
		uint32(flightsql.SqlInfoDataDefinitionsInTransactionsIgnored):                false,
		uint32(flightsql.SqlInfoSupportedResultSetTypes):                             bits(int32(pb.SqlSupportedResultSetType_SQL_RESULT_SET_TYPE_FORWARD_ONLY)),
		uint32(flightsql.SqlInfoSupportedConcurrenciesForResultSetUnspecified):       bits(int32(pb.SqlSupportedResultSetConcurrency_SQL_RESULT_SET_CONCURRENCY_READ_ONLY)),
		uint32(flightsql.SqlInfoSupportedConcurrenciesForResultSetForwardOnly):       bits(int32(pb.SqlSupportedResultSetConcurrency_SQL_RESULT_SET_CONCURRENCY_READ_ONLY)),
		uint32(flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollSensitive):   int32(0),
		uint32(flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollInsensitive): int32(0),
		uint32(flightsql.SqlInfoBatchUpdatesSupported):                               false,
		uint32(flightsql.SqlInfoSavePointsSupported):                                 false,
		uint32(flightsql.SqlInfoNamedParametersSupported):                            false,
		uint32(flightsql.SqlInfoLocatorsUpdateCopy):                                  false,
		uint32(flightsql.SqlInfoStoredFunctionsUsingCallSyntaxSupported):             false,
	}
}

// supportedConversions is the CAST matrix (SqlSupportsConvert codes) of meshgate's dialect:
// numbers convert among themselves and to text, text parses into every scalar type, dates
// and timestamps convert into each other and to text, binaries to text.
func supportedConversions() map[int32][]int32 {
	c := func(v pb.SqlSupportsConvert) int32 { return int32(v) }
	text := []int32{c(flightsql.SqlConvertChar), c(flightsql.SqlConvertVarchar), c(flightsql.SqlConvertLongVarchar)}
	numbers := []int32{
		c(flightsql.SqlConvertBigInt), c(flightsql.SqlConvertInteger), c(flightsql.SqlConvertSmallInt), c(flightsql.SqlConvertTinyInt),
		c(flightsql.SqlConvertDecimal), c(flightsql.SqlConvertNumeric), c(flightsql.SqlConvertFloat), c(flightsql.SqlConvertReal),
	}
	binary := []int32{c(flightsql.SqlConvertBinary), c(flightsql.SqlConvertVarbinary), c(flightsql.SqlConvertLongVarbinary)}
	temporal := []int32{c(flightsql.SqlConvertDate), c(flightsql.SqlConvertTimestamp)}
	bit := []int32{c(flightsql.SqlConvertBit)}

	out := map[int32][]int32{}
	for _, from := range numbers {
		out[from] = slices.Concat(numbers, text)
	}
	for _, from := range text {
		out[from] = slices.Concat(numbers, text, temporal, bit, binary)
	}
	for _, from := range temporal {
		out[from] = slices.Concat(temporal, text)
	}
	for _, from := range binary {
		out[from] = slices.Concat(binary, text)
	}
	out[c(flightsql.SqlConvertBit)] = slices.Concat(bit, []int32{c(flightsql.SqlConvertInteger)}, text)
	return out
}

func registerSQLInfo(s *sqlServer, opts Options) error {
	s.info = sqlInfoTable(opts)
	for id, v := range s.info {
		if err := s.RegisterSqlInfo(flightsql.SqlInfo(id), v); err != nil {
			return errs.Wrap(errs.KindInternal, err, "registering SqlInfo %d", id)
		}
	}
	return nil
}

func (s *sqlServer) GetFlightInfoSqlInfo(_ context.Context, _ flightsql.GetSqlInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return s.metaInfo(desc, schema_ref.SqlInfo)
}

// DoGetSqlInfo answers the ids meshgate knows and leaves out the others, as the Flight SQL
// specification asks (the base implementation fails the whole request instead, which breaks
// ADBC's GetInfo for the Substrait version ids).
func (s *sqlServer) DoGetSqlInfo(ctx context.Context, cmd flightsql.GetSqlInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	requested := cmd.GetInfo()
	if len(requested) == 0 {
		return s.BaseServer.DoGetSqlInfo(ctx, cmd)
	}
	var known sqlInfoRequest
	for _, id := range requested {
		if _, ok := s.info[id]; ok && !slices.Contains(known, id) {
			known = append(known, id)
		}
	}
	if len(known) == 0 {
		return s.emptyResult(schema_ref.SqlInfo)
	}
	return s.BaseServer.DoGetSqlInfo(ctx, known)
}

type sqlInfoRequest []uint32

func (r sqlInfoRequest) GetInfo() []uint32 { return r }
