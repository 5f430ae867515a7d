-- Small tables the scripts query, one CSV file each (header row, NULL written as NULL).
-- The same statements create them in PostgreSQL when the scripts are updated.

-- Numbers of every width, with NULLs.
create table slt.nums (
	id integer,
	i integer,
	b bigint,
	s smallint,
	f double precision,
	r real,
	d numeric(10,2),
	t text,
	flag boolean
);

-- Join inputs: duplicate and NULL keys on both sides, keys only one side has.
create table slt.l (id integer, k integer, v text);
create table slt.r (id integer, k integer, w text);

-- Employees: departments, salaries, hire dates, a manager hierarchy.
create table slt.emp (
	id integer,
	name text,
	dept text,
	salary numeric(10,2),
	hired date,
	boss integer
);

-- Departments, one without employees.
create table slt.dept (name text, floor integer, budget numeric(12,2));

-- Times: timestamps with and without time zone, dates.
create table slt.events (id integer, ts timestamp, tstz timestamptz, d date, note text);

-- Unicode and LIKE-pattern strings.
create table slt.words (id integer, w text);

-- No rows.
create table slt.empty (a integer, b text, d numeric(10,2), f double precision);

-- Values at the edges of their types, for overflow.
create table slt.edges (id integer, i integer, b bigint, s smallint, d numeric(38,0));

-- Decimals of several scales.
create table slt.decs (id integer, a numeric(10,2), b numeric(12,4), c numeric(20,10), p numeric(5,0));
