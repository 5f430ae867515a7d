"""polars reading through an ADBC connection."""

from __future__ import annotations

import polars as pl


def test_read_database_through_adbc(admin):
    df = pl.read_database(
        "SELECT n_name, n_regionkey FROM customers.nation ORDER BY n_nationkey", connection=admin
    )
    assert df.shape == (25, 2)
    assert df.schema == {"n_name": pl.String, "n_regionkey": pl.Int64}
    assert df["n_name"][0] == "ALGERIA"


def test_read_database_with_parameters(admin):
    df = pl.read_database(
        "SELECT o_orderkey, o_totalprice, o_orderdate FROM sales.orders WHERE o_custkey = ? ORDER BY o_orderkey",
        connection=admin,
        execute_options={"parameters": [370]},
    )
    assert df.height > 0
    assert df.schema["o_totalprice"] == pl.Decimal(15, 2)
    assert df.schema["o_orderdate"] == pl.Date
    assert df["o_orderkey"].is_sorted()


def test_lazy_aggregation_over_a_large_result(admin):
    df = pl.read_database("SELECT l_returnflag, l_quantity FROM sales.lineitem", connection=admin)
    agg = df.lazy().group_by("l_returnflag").agg(pl.len().alias("n")).sort("l_returnflag").collect()
    assert agg["l_returnflag"].to_list() == ["A", "N", "R"]
    assert agg["n"].sum() == df.height


def test_masked_for_analyst(analyst):
    df = pl.read_database("SELECT c_phone FROM customers.customer", connection=analyst)
    assert df.height > 0
    assert df["c_phone"].str.contains(r"^[0-]*\d{4}$").all()
