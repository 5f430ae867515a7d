// Package mysql is the connector for MySQL and MariaDB sources (type "mysql", DESIGN.md §3),
// over go-sql-driver/mysql.
//
// It owns: one database/sql pool per source with the configured concurrency limit and a
// circuit breaker that fails fast while the server is unreachable; describing tables, views
// and queries from information_schema and result metadata; mapping MySQL types to Arrow and
// binding a dataset's declared types to them; pushdown through sqlgen's MySQL dialect, aware
// of collations (text equality is exact only under binary no-pad collations, otherwise
// Inexact; text ordering only under those); splitting scans by ranges of a declared integer
// column; and streaming results into Arrow builders.
//
// Every statement is prepared, so results come in the binary protocol: integers and floats
// arrive as machine values (FLOAT exactly as stored), DECIMAL, dates and datetimes as text
// that the decoders parse without allocating. Connections run with time_zone '+00:00'.
//
// Type mapping (source → Arrow): TINYINT(1)/BOOL and BIT(1) → bool; TINYINT, SMALLINT,
// MEDIUMINT, INT, BIGINT → int8/16/32/32/64, UNSIGNED → the next wider type (BIGINT UNSIGNED →
// decimal128(20,0)); BIT(n) → int64; YEAR → int16; DECIMAL(p,s) → decimal128(p,s) (p > 38 →
// decimal128(38,s), values that do not fit fail naming the column); FLOAT/DOUBLE →
// float32/float64; DATE → date32; DATETIME → timestamp[µs]; TIMESTAMP → timestamp[µs, UTC];
// CHAR/VARCHAR/TEXT, ENUM, SET, JSON → utf8; BINARY/VARBINARY/BLOB → binary; anything else
// (TIME, spatial types) → utf8 of its text form, listed in Describe's warnings. Zero dates
// ('0000-00-00') fail naming the column.
//
// It imports go-sql-driver/mysql, database/sql (for the pool), arrow, connectors,
// connectors/sqlgen, connectors/internal/breaker, planner/expr and internal/errs. It must not
// import planner, executor, catalog, governance or another connector.
package mysql
