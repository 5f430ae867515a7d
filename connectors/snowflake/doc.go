// Package snowflake is the connector for Snowflake sources (type "snowflake", DESIGN.md §3),
// built on gosnowflake.
//
// It owns: option parsing into a gosnowflake configuration (account, user, password or an
// RSA private key for key-pair authentication, warehouse, database, schema, role; or a
// gosnowflake DSN), all credentials through secret references; describing tables from
// INFORMATION_SCHEMA.COLUMNS and mapping Snowflake types to Arrow; pushdown of projections,
// filters, limits, top-N, aggregates and joins through sqlgen with a Snowflake dialect
// (quoted identifiers, values bound as parameters with CAST(? AS type), never spliced);
// and reading results as Arrow batches (gosnowflake's WithArrowBatches): the statement runs
// when the scan is planned and every result chunk becomes one split, downloaded and
// converted to the gateway's types by the scan that reads it.
//
// Type mapping (Snowflake → Arrow): NUMBER(p,0) declared as an integer → int64 (or the
// declared integer type), NUMBER(p,s) → decimal128(p,s) (values arrive as scaled integers
// and are never rounded through floats); FLOAT/DOUBLE/REAL → float64; VARCHAR/TEXT/STRING/
// CHAR → utf8; BINARY/VARBINARY → binary; BOOLEAN → bool; DATE → date32; TIMESTAMP_NTZ →
// timestamp[µs]; TIMESTAMP_LTZ and TIMESTAMP_TZ → timestamp[µs, UTC]; TIME, VARIANT,
// OBJECT, ARRAY, GEOGRAPHY, GEOMETRY, VECTOR and anything else → utf8 in text form, listed
// in Describe's warnings and never pushed down.
//
// What is verified offline (no Snowflake account is reachable from CI): the dialect's SQL
// for every pushdown kind (golden file), the type mapping and the conversion of Arrow
// batches shaped like gosnowflake's, and option parsing. The live test (TestLive) runs the
// conformance suite only when MESHGATE_TEST_SNOWFLAKE holds a gosnowflake DSN.
//
// It imports gosnowflake, database/sql, arrow, connectors, connectors/sqlgen,
// connectors/internal/breaker, planner/expr and internal/errs. It must not import planner,
// executor, catalog, governance or another connector.
package snowflake
