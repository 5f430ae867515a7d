# %% [markdown]
# # meshgate from polars, through ADBC
#
# `polars.read_database` takes an ADBC connection and reads Arrow directly (no row-by-row
# conversion). Runs as a script or cell by cell (`# %%`). Needs adbc-driver-flightsql, pyarrow
# and polars (`pip install -r clients/python/requirements.txt`).
#
# Connection settings: MESHGATE_URI (default grpc://127.0.0.1:32010), MESHGATE_USER and
# MESHGATE_PASSWORD (default admin/admin).

# %%
import os

import adbc_driver_flightsql.dbapi as flight_sql
import polars as pl

uri = os.environ.get("MESHGATE_URI", "grpc://127.0.0.1:32010")
user = os.environ.get("MESHGATE_USER", "admin")
password = os.environ.get("MESHGATE_PASSWORD", user)
conn = flight_sql.connect(uri, db_kwargs={"username": user, "password": password}, autocommit=True)

# %% [markdown]
# ## Read a dataset and explore it lazily

# %%
lineitem = pl.read_database(
    "SELECT l_returnflag, l_linestatus, l_quantity, l_extendedprice, l_discount, l_shipdate FROM sales.lineitem",
    connection=conn,
)
print(lineitem.schema)

pricing = (
    lineitem.lazy()
    .filter(pl.col("l_shipdate") <= pl.date(1998, 9, 2))
    .with_columns((pl.col("l_extendedprice").cast(pl.Float64) * (1 - pl.col("l_discount").cast(pl.Float64))).alias("disc_price"))
    .group_by("l_returnflag", "l_linestatus")
    .agg(pl.len().alias("count_order"), pl.col("l_quantity").sum().alias("sum_qty"), pl.col("disc_price").sum().alias("sum_disc_price"))
    .sort("l_returnflag", "l_linestatus")
    .collect()
)
print(pricing)

# %% [markdown]
# ## The same aggregate, computed by the gateway (TPC-H Q1), with a bound parameter

# %%
q1 = pl.read_database(
    """
    SELECT l_returnflag, l_linestatus, count(*) AS count_order, sum(l_quantity) AS sum_qty,
           sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price
    FROM sales.lineitem
    WHERE l_shipdate <= ?
    GROUP BY l_returnflag, l_linestatus
    ORDER BY l_returnflag, l_linestatus
    """,
    connection=conn,
    execute_options={"parameters": ["1998-09-02"]},
)
print(q1)
assert q1["count_order"].to_list() == pricing["count_order"].to_list()

conn.close()
