// Package sqllogic runs SQL behaviour scripts in the sqllogictest style against a meshgate
// planner and, to write their expectations, against PostgreSQL.
//
// A script is a sequence of records separated by blank lines; lines starting with # are
// comments:
//
//	statement ok                      the statement succeeds
//	statement error <substring>       the statement fails with an error containing substring
//	query <types> [sort] [departure]  the query's rows follow the line "----"
//	query error <substring>           the query fails with an error containing substring
//
// An error record may say "error departure <substring>" where PostgreSQL accepts what
// meshgate deliberately rejects (numeric overflow of decimal128, say).
//
// types has one letter per result column: I integer, R float or decimal (compared with a
// relative tolerance, or at the shorter of two decimal scales; PostgreSQL's numeric results
// of EXTRACT count as I where the record says so), T text, B boolean, D anything
// else (dates, timestamps, intervals, bytea), each compared as text. sort is nosort (the
// default: rows compare in order, for queries with a total ORDER BY), rowsort (as multisets) or
// valuesort (every value on its own line, sorted). Each expected row is one line of
// tab-separated values in PostgreSQL's text output; NULL is NULL and the empty string (empty).
//
// Expectations are PostgreSQL's answers: Update runs every query in PostgreSQL, over the same
// tables, and rewrites the expected rows. A query marked departure is one where meshgate
// deliberately answers differently (say avg of integers is double precision); its expectation
// is meshgate's own, and the comment above the record must say why. Update reports departures
// PostgreSQL now agrees with, and every query whose answer differs from meshgate's.
//
// Tables: Tables reads CREATE TABLE statements (tables.sql) that define small tables over
// CSV files; the same statements create them in PostgreSQL.
//
// The package imports the planner and plannertest; it is imported by tests only.
package sqllogic
