"""Plain pyarrow.flight, without Flight SQL: SQL text as the descriptor command or ticket."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.flight as flight
import pytest


@pytest.fixture
def client(node):
    c = flight.FlightClient(node.uri)
    yield c
    c.close()


def login(client, user="admin"):
    token = client.authenticate_basic_token(user, user)
    return flight.FlightCallOptions(headers=[token])


def do_get_all(node, client, info, opts) -> pa.Table:
    """DoGet every endpoint, at one of its locations when it has any."""
    tables = []
    for endpoint in info.endpoints:
        locations = [loc.uri.decode() if isinstance(loc.uri, bytes) else str(loc.uri) for loc in endpoint.locations]
        for uri in locations:
            assert "0.0.0.0" not in uri and "[::]" not in uri, uri
        if locations:
            other = flight.FlightClient(locations[0])
            try:
                tables.append(other.do_get(endpoint.ticket, opts).read_all())
            finally:
                other.close()
        else:
            tables.append(client.do_get(endpoint.ticket, opts).read_all())
    return pa.concat_tables(tables) if tables else info.schema.empty_table()


def test_authenticate_basic_token_returns_bearer_header(client):
    key, value = client.authenticate_basic_token("admin", "admin")
    assert key.lower() == b"authorization"
    assert value.startswith(b"Bearer ")


def test_wrong_password(client):
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token("admin", "nope")


def test_calls_without_token_are_refused(client):
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.get_flight_info(flight.FlightDescriptor.for_command("SELECT 1"))


def test_get_flight_info_on_sql_and_do_get_every_endpoint(node, client):
    opts = login(client)
    (count,) = client.do_get(flight.Ticket(b"SELECT count(*) AS n FROM sales.lineitem"), opts).read_all().column("n").to_pylist()
    info = client.get_flight_info(flight.FlightDescriptor.for_command("SELECT * FROM sales.lineitem"), opts)
    assert info.schema.names[:2] == ["l_orderkey", "l_partkey"]
    assert len(info.endpoints) >= 1
    table = do_get_all(node, client, info, opts)
    assert table.num_rows == count
    assert table.schema.remove_metadata().equals(info.schema.remove_metadata())


def test_get_schema_on_sql(client):
    opts = login(client)
    result = client.get_schema(flight.FlightDescriptor.for_command("SELECT r_name FROM customers.region"), opts)
    assert result.schema.names == ["r_name"]
    assert result.schema.field("r_name").type == pa.string()


def test_ticket_holding_sql_text(client):
    opts = login(client)
    table = client.do_get(flight.Ticket(b"SELECT r_name FROM customers.region ORDER BY r_regionkey"), opts).read_all()
    assert table.column("r_name").to_pylist() == ["AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST"]


def test_ordered_result_is_one_endpoint(node, client):
    opts = login(client)
    info = client.get_flight_info(
        flight.FlightDescriptor.for_command("SELECT o_orderkey FROM sales.orders ORDER BY o_orderkey DESC"), opts
    )
    assert len(info.endpoints) == 1
    keys = do_get_all(node, client, info, opts).column("o_orderkey").to_pylist()
    assert keys == sorted(keys, reverse=True)


def test_bad_sql_is_an_invalid_argument(client):
    opts = login(client)
    # pyarrow raises ArrowInvalid for the INVALID_ARGUMENT status.
    with pytest.raises(pa.ArrowInvalid) as err:
        client.get_flight_info(flight.FlightDescriptor.for_command("SELEKT 1"), opts)
    assert 'syntax error at or near "SELEKT"' in str(err.value)


def bytes_streamed(node) -> float:
    import urllib.request

    with urllib.request.urlopen(f"http://{node.http_addr}/metrics", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("meshgate_flight_bytes_streamed_total"):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no meshgate_flight_bytes_streamed_total in /metrics")


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_results_on_request(node, client, codec):
    # Plain results by default (JDBC cannot read compressed IPC); compressed when asked.
    token = client.authenticate_basic_token("admin", "admin")
    sql = b"SELECT l_comment FROM sales.lineitem ORDER BY l_orderkey, l_linenumber LIMIT 50000"
    before = bytes_streamed(node)
    plain = client.do_get(flight.Ticket(sql), flight.FlightCallOptions(headers=[token])).read_all()
    middle = bytes_streamed(node)
    opts = flight.FlightCallOptions(headers=[token, (b"x-meshgate-compression", codec.encode())])
    compressed = client.do_get(flight.Ticket(sql), opts).read_all()
    after = bytes_streamed(node)
    assert compressed.num_rows == 50000
    assert compressed.equals(plain)
    assert after - middle < (middle - before) * 0.8, (middle - before, after - middle)
