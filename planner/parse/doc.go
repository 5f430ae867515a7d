// Package parse owns SQL text → meshgate's own SQL AST.
//
// It is the only importer of pg_query_go (the PostgreSQL parser itself, DESIGN.md §3): Parse
// runs PostgreSQL's grammar and converts its protobuf parse tree into the plain Go structs in
// ast.go, so nothing else in meshgate depends on pg_query's tree. The conversion normalizes the
// grammar's quirks once, here: SQL special forms (EXTRACT, SUBSTRING, POSITION, TRIM, COALESCE,
// CURRENT_DATE, …) become FuncCall with PostgreSQL's function names, LIKE/ILIKE and their
// operator spellings (~~, ~~*, like_escape) become Like, `x NOT IN (subquery)` becomes
// InSubquery{Not: true}, string literals cast to a type become TypedLiteral, LIMIT ALL becomes
// no limit, FETCH FIRST becomes Limit, and so on. Constructs meshgate does not serve are
// rejected here with a "not supported yet" error naming the construct, never passed on.
//
// RewritePlaceholders turns JDBC-style `?` parameters into PostgreSQL's `$n` with PostgreSQL's
// own scanner, so a `?` inside a string, a quoted identifier or a comment is left alone.
//
// Every node that an error may blame carries Pos, a byte offset into the caller's original
// SQL text (before any `?` rewriting); LineCol turns it into the line and column users see.
//
// It imports pg_query_go and internal/errs only; it must not import any other meshgate package
// (the binder imports this package, never the other way round).
package parse
