# %% [markdown]
# # meshgate from pandas, through ADBC
#
# Queries the demo mesh (`make run`) with `adbc_driver_flightsql` and analyses the result in
# pandas. Runs as a script (`python pandas_orders.py`) or cell by cell in VS Code / Jupyter
# (`# %%` cells). Needs `pip install -r clients/python/requirements.txt` (or just
# adbc-driver-flightsql, pyarrow and pandas).
#
# Connection settings come from the environment: MESHGATE_URI (default
# grpc://127.0.0.1:32010), MESHGATE_USER and MESHGATE_PASSWORD (default admin/admin).

# %%
import datetime
import decimal
import os

import adbc_driver_flightsql.dbapi as flight_sql

uri = os.environ.get("MESHGATE_URI", "grpc://127.0.0.1:32010")
user = os.environ.get("MESHGATE_USER", "admin")
password = os.environ.get("MESHGATE_PASSWORD", user)

conn = flight_sql.connect(uri, db_kwargs={"username": user, "password": password}, autocommit=True)

# %% [markdown]
# ## What can I query?
# `adbc_get_objects` walks catalogs → schemas (domains) → tables (datasets) → columns.

# %%
objects = conn.adbc_get_objects(depth="tables", catalog_filter="mesh").read_all().to_pylist()
for schema in objects[0]["catalog_db_schemas"]:
    print(schema["db_schema_name"], [t["table_name"] for t in schema["db_schema_tables"]])

schema = conn.adbc_get_table_schema("orders", db_schema_filter="sales")
for field in schema:
    # Column metadata from the product contract: SQL type name, precision, scale, description.
    md = field.metadata or {}
    print(f"{field.name:18} {md.get(b'ARROW:FLIGHT:SQL:TYPE_NAME', b'').decode():10} {md.get(b'ARROW:FLIGHT:SQL:REMARKS', b'').decode()}")

# %% [markdown]
# ## A parameterized query into a DataFrame
# `?` placeholders are bound by the driver (a prepared statement); types come from Python values.

# %%
with conn.cursor() as cur:
    cur.execute(
        """
        SELECT o_orderdate, o_orderpriority, o_totalprice
        FROM sales.orders
        WHERE o_orderdate >= ? AND o_totalprice > ?
        """,
        (datetime.date(1997, 1, 1), decimal.Decimal("1000.00")),
    )
    orders = cur.fetch_df()

print(orders.dtypes)
orders["month"] = orders["o_orderdate"].astype("datetime64[s]").dt.to_period("M")
monthly = orders.groupby(["month", "o_orderpriority"])["o_totalprice"].count().unstack(fill_value=0)
print(monthly.head(12))

# %% [markdown]
# ## Let the gateway aggregate
# Aggregates, joins and filters run in meshgate (and are pushed to the sources where safe):
# fetch the small result, not the raw rows.

# %%
with conn.cursor() as cur:
    cur.execute(
        """
        SELECT r.r_name AS region, count(*) AS customers, avg(c.c_acctbal) AS avg_balance
        FROM customers.customer c
        JOIN customers.nation n ON c.c_nationkey = n.n_nationkey
        JOIN customers.region r ON n.n_regionkey = r.r_regionkey
        GROUP BY r.r_name
        ORDER BY r.r_name
        """
    )
    by_region = cur.fetch_df()
print(by_region)

# %% [markdown]
# ## Governance travels with the query
# Run this as `analyst` (MESHGATE_USER=analyst): phones are masked to their last four digits,
# addresses redacted, and only European customers are visible.

# %%
with conn.cursor() as cur:
    cur.execute("SELECT c_name, c_phone, c_address FROM customers.customer ORDER BY c_custkey LIMIT 5")
    print(cur.fetch_df())

conn.close()
