"""Session options (default catalog and schema), cancellation and parameter errors through ADBC."""

from __future__ import annotations

import threading
import time

import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager
import pytest


@pytest.fixture
def session_conn(node):
    # Session options live in a signed cookie: ADBC keeps it with its cookie middleware.
    conn = flight_sql.connect(
        node.uri,
        db_kwargs={"username": "admin", "password": "admin", "adbc.flight.sql.rpc.with_cookie_middleware": "true"},
        autocommit=True,
    )
    yield conn
    conn.close()


def test_current_catalog_and_schema(session_conn):
    assert session_conn.adbc_current_catalog == "mesh"
    assert session_conn.adbc_current_db_schema == ""
    with session_conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error, match="set a default schema"):
            cur.execute("SELECT count(*) FROM region")

    session_conn.adbc_current_db_schema = "customers"
    assert session_conn.adbc_current_db_schema == "customers"
    with session_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM region")
        assert cur.fetchone() == (5,)
        # Qualified names still reach other domains.
        cur.execute("SELECT count(*) FROM sales.orders WHERE o_custkey = ?", (370,))
        assert cur.fetchone()[0] > 0


def test_schema_header_without_cookies(node):
    import pyarrow.flight as flight

    client = flight.FlightClient(node.uri)
    try:
        token = client.authenticate_basic_token("admin", "admin")
        opts = flight.FlightCallOptions(headers=[token, (b"x-meshgate-schema", b"customers")])
        table = client.do_get(flight.Ticket(b"SELECT count(*) AS n FROM nation"), opts).read_all()
    finally:
        client.close()
    assert table.column("n").to_pylist() == [25]


def test_untyped_parameter_error_says_how_to_declare_the_type(admin):
    with admin.cursor() as cur:
        with pytest.raises(adbc_driver_manager.Error, match=r"declare the type you bind in SQL, e.g. CAST\(\$1 AS bigint\)"):
            cur.execute("SELECT ?", (1,))
        cur.execute("SELECT CAST(? AS bigint) AS one", (1,))
        assert cur.fetchone() == (1,)


def test_cancel_a_running_query(admin):
    sql = "SELECT count(*) FROM sales.lineitem a, sales.lineitem b WHERE a.l_comment < b.l_comment"
    cur = admin.cursor()
    errors: list[BaseException] = []

    def run():
        try:
            cur.execute(sql)
            cur.fetchall()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    worker = threading.Thread(target=run)
    start = time.monotonic()
    worker.start()
    # Cancel until the query has ended: a cancel before it started is a no-op.
    while worker.is_alive() and time.monotonic() - start < 60:
        time.sleep(0.2)
        cur.adbc_cancel()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the query kept running after cancel"
    assert time.monotonic() - start < 60
    assert errors and "cancel" in str(errors[0]).lower(), errors
    cur.close()
    # The connection keeps working.
    with admin.cursor() as cur2:
        cur2.execute("SELECT count(*) FROM customers.region")
        assert cur2.fetchone() == (5,)
