"""adbc_driver_flightsql.dbapi against a real node: what pandas/Jupyter users run."""

from __future__ import annotations

import datetime
import decimal

import adbc_driver_manager
import pandas as pd
import pyarrow as pa
import pytest


def rows(conn, sql: str, params=None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def scalar(conn, sql: str, params=None):
    (row,) = rows(conn, sql, params)
    return row[0]


def test_connect_with_user_and_password(admin):
    assert scalar(admin, "SELECT count(*) FROM customers.region") == 5


def test_wrong_password_is_refused(node):
    import adbc_driver_flightsql.dbapi as flight_sql

    with pytest.raises(adbc_driver_manager.Error) as err:
        conn = flight_sql.connect(node.uri, db_kwargs={"username": "admin", "password": "wrong"}, autocommit=True)
        conn.close()
    assert "invalid user name or password" in str(err.value)


def test_fetch_arrow_table_has_plain_types(admin):
    with admin.cursor() as cur:
        cur.execute(
            "SELECT o_orderkey, o_custkey, o_orderstatus, o_totalprice, o_orderdate, o_comment"
            " FROM sales.orders ORDER BY o_orderkey LIMIT 10"
        )
        table = cur.fetch_arrow_table()
    assert table.num_rows == 10
    # JDBC and older readers cannot read view or dictionary encodings: none leave the server.
    assert table.schema.field("o_orderkey").type == pa.int64()
    assert table.schema.field("o_orderstatus").type == pa.string()
    assert table.schema.field("o_comment").type == pa.string()
    assert table.schema.field("o_totalprice").type == pa.decimal128(15, 2)
    assert table.schema.field("o_orderdate").type == pa.date32()
    assert table.column("o_orderkey").to_pylist() == sorted(table.column("o_orderkey").to_pylist())


def test_large_result_streams_completely(admin):
    expected = scalar(admin, "SELECT count(*) FROM sales.lineitem")
    with admin.cursor() as cur:
        cur.execute("SELECT * FROM sales.lineitem")
        table = cur.fetch_arrow_table()
    assert table.num_rows == expected > 100_000


def test_execute_with_parameters_matches_literals(admin):
    sql = (
        "SELECT o_orderkey FROM sales.orders WHERE o_custkey = {} AND o_orderdate >= {}"
        " AND o_totalprice > {} AND o_orderpriority <> {} ORDER BY 1"
    )
    literal = rows(admin, sql.format("370", "DATE '1995-01-01'", "10000.00", "'1-URGENT'"))
    assert literal
    params = (370, datetime.date(1995, 1, 1), decimal.Decimal("10000.00"), "1-URGENT")
    assert rows(admin, sql.format("?", "?", "?", "?"), params) == literal
    # The same cursor re-binds and re-executes.
    with admin.cursor() as cur:
        cur.execute(sql.format("?", "?", "?", "?"), params)
        first = cur.fetchall()
        cur.execute(sql.format("?", "?", "?", "?"), (371, *params[1:]))
        second = cur.fetchall()
    assert first == literal
    assert second == rows(admin, sql.format("371", "DATE '1995-01-01'", "10000.00", "'1-URGENT'"))


def test_null_parameter_matches_nothing(admin):
    assert scalar(admin, "SELECT count(*) FROM customers.customer WHERE c_nationkey = ?", (None,)) == 0


def test_parameters_in_a_join(admin):
    sql = (
        "SELECT count(*) FROM customers.nation n JOIN customers.region r ON n.n_regionkey = r.r_regionkey"
        " WHERE r.r_name = ?"
    )
    assert scalar(admin, sql, ("EUROPE",)) == 5


def test_type_round_trip_through_parameters(admin):
    ts = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    big = "x" * 1_000_000
    with admin.cursor() as cur:
        cur.execute(
            "SELECT CAST(? AS numeric(15,2)) AS d, CAST(? AS date) AS dt, CAST(? AS timestamptz) AS ts,"
            " CAST(? AS boolean) AS b, CAST(? AS bigint) AS n, CAST(? AS varchar) AS u, CAST(? AS varchar) AS big",
            (decimal.Decimal("-12345.67"), datetime.date(2024, 2, 29), ts, True, None, "zürich ✓ 日本 🚀", big),
        )
        table = cur.fetch_arrow_table()
    assert table.schema.types == [
        pa.decimal128(15, 2),
        pa.date32(),
        pa.timestamp("us", tz="UTC"),
        pa.bool_(),
        pa.int64(),
        pa.string(),
        pa.string(),
    ]
    (row,) = table.to_pylist()
    assert row == {
        "d": decimal.Decimal("-12345.67"),
        "dt": datetime.date(2024, 2, 29),
        "ts": ts,
        "b": True,
        "n": None,
        "u": "zürich ✓ 日本 🚀",
        "big": big,
    }


def test_type_round_trip_through_literals(admin):
    with admin.cursor() as cur:
        cur.execute(
            "SELECT CAST(12345.67 AS numeric(15,2)) AS d, DATE '2024-02-29' AS dt,"
            " TIMESTAMPTZ '2024-01-02 03:04:05.678+00' AS ts, TIMESTAMP '2024-01-02 03:04:05' AS lts,"
            " false AS b, CAST(NULL AS varchar) AS n, 'zürich ✓ 日本 🚀' AS u, repeat('ab', 500000) AS big"
        )
        table = cur.fetch_arrow_table()
    # Instants carry the UTC zone; timestamps without a zone have none.
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("lts").type == pa.timestamp("us")
    (row,) = table.to_pylist()
    assert row["d"] == decimal.Decimal("12345.67")
    assert row["dt"] == datetime.date(2024, 2, 29)
    assert row["ts"] == datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    assert row["lts"] == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row["b"] is False and row["n"] is None
    assert row["u"] == "zürich ✓ 日本 🚀"
    assert row["big"] == "ab" * 500000


def test_fetch_df_into_pandas(admin):
    with admin.cursor() as cur:
        cur.execute(
            "SELECT r.r_name AS region, count(*) AS customers, sum(c.c_acctbal) AS balance"
            " FROM customers.customer c JOIN customers.nation n ON c.c_nationkey = n.n_nationkey"
            " JOIN customers.region r ON n.n_regionkey = r.r_regionkey GROUP BY r.r_name ORDER BY r.r_name"
        )
        df = cur.fetch_df()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["region", "customers", "balance"]
    assert list(df["region"]) == ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]
    assert df["customers"].sum() == scalar(admin, "SELECT count(*) FROM customers.customer")
    assert pd.api.types.is_integer_dtype(df["customers"])


def test_errors_are_clear(admin):
    with admin.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error) as err:
            cur.execute("SELECT * FROM sales.order")
        assert "did you mean sales.orders?" in str(err.value)


def test_adbc_get_info(admin):
    info = admin.adbc_get_info()
    assert info["vendor_name"] == "meshgate"
    assert info["vendor_version"]
    assert info["vendor_arrow_version"]
    assert "ADBC Flight SQL Driver" in info["driver_name"]


def test_adbc_get_table_types(admin):
    assert sorted(admin.adbc_get_table_types()) == ["SYSTEM TABLE", "TABLE", "VIEW"]


def test_adbc_get_objects_at_every_depth(admin):
    catalogs = admin.adbc_get_objects(depth="catalogs").read_all().to_pylist()
    assert [c["catalog_name"] for c in catalogs] == ["mesh"]

    schemas = admin.adbc_get_objects(depth="db_schemas", catalog_filter="mesh").read_all().to_pylist()
    names = sorted(s["db_schema_name"] for s in schemas[0]["catalog_db_schemas"])
    assert names == ["customers", "mesh", "sales", "supply"]

    tables = admin.adbc_get_objects(depth="tables", db_schema_filter="customers").read_all().to_pylist()
    found = sorted(t["table_name"] for s in tables[0]["catalog_db_schemas"] for t in s["db_schema_tables"])
    assert found == ["customer", "nation", "region"]

    # Patterns: % and _ as in SQL LIKE, on schema, table and column names.
    cols = admin.adbc_get_objects(
        depth="all", catalog_filter="mesh", db_schema_filter="cust%", table_name_filter="c_stomer", column_name_filter="c_%"
    ).read_all().to_pylist()
    (schema,) = cols[0]["catalog_db_schemas"]
    (table,) = schema["db_schema_tables"]
    assert table["table_name"] == "customer" and table["table_type"] == "TABLE"
    columns = {c["column_name"]: c for c in table["table_columns"]}
    assert list(columns) == ["c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment"]
    assert [c["ordinal_position"] for c in columns.values()] == list(range(1, 9))
    assert columns["c_acctbal"]["xdbc_type_name"] == "numeric"
    assert columns["c_custkey"]["xdbc_type_name"] == "bigint"


def test_adbc_get_table_schema(admin):
    schema = admin.adbc_get_table_schema("customer", db_schema_filter="customers")
    assert schema.names == ["c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment"]
    assert schema.field("c_acctbal").type == pa.decimal128(15, 2)
    md = schema.field("c_acctbal").metadata
    assert md[b"ARROW:FLIGHT:SQL:TYPE_NAME"] == b"numeric"
    assert md[b"ARROW:FLIGHT:SQL:PRECISION"] == b"15"
    assert md[b"ARROW:FLIGHT:SQL:SCALE"] == b"2"
    assert md[b"ARROW:FLIGHT:SQL:REMARKS"]  # from the product contract


def test_unknown_table_schema_is_not_found(admin):
    with pytest.raises(adbc_driver_manager.Error):
        admin.adbc_get_table_schema("no_such_table", db_schema_filter="customers")


def test_a_single_value_larger_than_the_default_message_limit(node):
    """Rows are never split, so one 20 MB value is one 20 MB message: ADBC's default 16 MiB
    receive limit must be raised for it (the server already accepts and sends 64 MiB)."""
    import adbc_driver_flightsql.dbapi as flight_sql

    conn = flight_sql.connect(
        node.uri,
        db_kwargs={
            "username": "admin",
            "password": "admin",
            "adbc.flight.sql.client_option.with_max_msg_size": str(64 << 20),
        },
        autocommit=True,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT repeat('x', 20000000) AS s, 1 AS n UNION ALL SELECT 'small', 2 ORDER BY n")
            table = cur.fetch_arrow_table()
    finally:
        conn.close()
    assert [len(v) for v in table.column("s").to_pylist()] == [20_000_000, 5]


def test_empty_result_keeps_its_schema(admin):
    with admin.cursor() as cur:
        cur.execute("SELECT o_orderkey, o_totalprice FROM sales.orders WHERE o_orderkey < 0")
        table = cur.fetch_arrow_table()
        assert table.num_rows == 0
        assert table.schema.names == ["o_orderkey", "o_totalprice"]
        assert table.schema.field("o_totalprice").type == pa.decimal128(15, 2)
        assert [d[0] for d in cur.description] == ["o_orderkey", "o_totalprice"]
