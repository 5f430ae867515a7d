"""TLS with a self-signed certificate: trusted explicitly, or with verification disabled."""

from __future__ import annotations

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow.flight as flight
import pytest


def query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_adbc_skip_verify(tls_node):
    conn = flight_sql.connect(
        tls_node.uri,
        db_kwargs={"username": "tester", "password": "tester", "adbc.flight.sql.client_option.tls_skip_verify": "true"},
        autocommit=True,
    )
    try:
        assert query(conn, "SELECT 40 + 2 AS answer") == [(42,)]
    finally:
        conn.close()


def test_adbc_trusted_root(tls_node):
    conn = flight_sql.connect(
        tls_node.uri,
        db_kwargs={
            "username": "tester",
            "password": "tester",
            "adbc.flight.sql.client_option.tls_root_certs": tls_node.cert.read_text(),
        },
        autocommit=True,
    )
    try:
        assert query(conn, "SELECT 'tls' AS s") == [("tls",)]
    finally:
        conn.close()


def test_pyarrow_flight_over_tls(tls_node):
    client = flight.FlightClient(tls_node.uri, tls_root_certs=tls_node.cert.read_bytes())
    try:
        opts = flight.FlightCallOptions(headers=[client.authenticate_basic_token("tester", "tester")])
        table = client.do_get(flight.Ticket(b"SELECT 7 AS n"), opts).read_all()
    finally:
        client.close()
    assert table.column("n").to_pylist() == [7]


def test_untrusted_certificate_is_refused(tls_node):
    client = flight.FlightClient(tls_node.uri)
    try:
        # gRPC reports the failed handshake as UNAVAILABLE or INTERNAL depending on timing.
        with pytest.raises((flight.FlightUnavailableError, flight.FlightInternalError)):
            client.authenticate_basic_token("tester", "tester")
    finally:
        client.close()
