"""Masks and row filters apply to Python clients exactly as to every other client."""

from __future__ import annotations

import re

import pyarrow.flight as flight

CUSTOMERS = "SELECT c_custkey, c_phone, c_address FROM customers.customer ORDER BY c_custkey"
EUROPEAN = (
    "SELECT c.c_custkey FROM customers.customer c JOIN customers.nation n ON c.c_nationkey = n.n_nationkey"
    " JOIN customers.region r ON n.n_regionkey = r.r_regionkey WHERE r.r_name = 'EUROPE' ORDER BY 1"
)


def fetch(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table().to_pylist()


def check_masked(analyst_rows, admin_rows):
    clear = {r["c_custkey"]: r for r in admin_rows}
    assert analyst_rows
    for row in analyst_rows:
        original = clear[row["c_custkey"]]
        # show-last-4: only the last four characters survive.
        assert row["c_phone"] != original["c_phone"]
        assert row["c_phone"][-4:] == original["c_phone"][-4:]
        assert re.fullmatch(r"[0-]*", row["c_phone"][:-4]), row["c_phone"]
        # redacted: no character of the address survives.
        assert row["c_address"] != original["c_address"]
        assert re.fullmatch(r"[xX0\W_]*", row["c_address"]), row["c_address"]


def test_analyst_sees_masked_pii_of_european_customers_only(admin, analyst):
    analyst_rows = fetch(analyst, CUSTOMERS)
    european = [r["c_custkey"] for r in fetch(admin, EUROPEAN)]
    assert [r["c_custkey"] for r in analyst_rows] == european
    check_masked(analyst_rows, fetch(admin, CUSTOMERS))


def test_masks_hold_in_aggregates_and_parameters(admin, analyst):
    with analyst.cursor() as cur:
        cur.execute("SELECT c_phone FROM customers.customer WHERE c_custkey = ?", (fetch(admin, EUROPEAN)[0]["c_custkey"],))
        (phone,) = cur.fetchone()
    assert re.fullmatch(r"[0-]*\d{4}", phone), phone
    # A filter on the clear value does not reveal it.
    with analyst.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers.customer WHERE c_phone LIKE '1%'")
        assert cur.fetchone() == (0,)


def test_masked_through_raw_pyarrow_flight(node, admin):
    client = flight.FlightClient(node.uri)
    try:
        token = client.authenticate_basic_token("analyst", "analyst")
        opts = flight.FlightCallOptions(headers=[token])
        info = client.get_flight_info(flight.FlightDescriptor.for_command(CUSTOMERS), opts)
        table = client.do_get(info.endpoints[0].ticket, opts).read_all()
    finally:
        client.close()
    check_masked(table.to_pylist(), fetch(admin, CUSTOMERS))
