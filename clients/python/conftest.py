"""Fixtures for the Python client compatibility suite (issue 7).

The suite runs real clients (adbc_driver_flightsql, pyarrow.flight, pandas, polars) against a
real meshgate demo node that the `node` fixture starts: it uses $MESHGATE_BIN, or builds
bin/meshgate with `go build`, starts `meshgate demo` on free ports with a temporary data
directory, waits for /healthz and stops the node when the session ends.

When neither $MESHGATE_BIN nor a Go toolchain is available the tests are skipped with the
reason, unless MESHGATE_REQUIRE_SERVICES=1, when they fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120


def _require_services() -> bool:
    return os.environ.get("MESHGATE_REQUIRE_SERVICES") == "1"


def _unavailable(reason: str):
    if _require_services():
        pytest.fail(reason + " (MESHGATE_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Node:
    """A running demo node."""

    flight_addr: str  # host:port
    http_addr: str
    data_dir: Path
    log: Path

    @property
    def uri(self) -> str:
        return f"grpc://{self.flight_addr}"


@pytest.fixture(scope="session")
def meshgate_bin(tmp_path_factory) -> Path:
    env_bin = os.environ.get("MESHGATE_BIN")
    if env_bin:
        path = Path(env_bin).resolve()
        if not os.access(path, os.X_OK):
            _unavailable(f"MESHGATE_BIN={env_bin} is not an executable file")
        return path
    go = shutil.which("go")
    if go is None:
        _unavailable("no meshgate binary: set MESHGATE_BIN or install Go to build bin/meshgate")
    out = REPO / "bin" / "meshgate"
    env = dict(os.environ, CGO_ENABLED="1")
    res = subprocess.run(
        [go, "build", "-o", str(out), "./cmd/meshgate"], cwd=REPO, env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        pytest.fail(f"go build ./cmd/meshgate failed:\n{res.stderr}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def node(meshgate_bin: Path, tmp_path_factory) -> Node:
    tmp = tmp_path_factory.mktemp("meshgate-demo")
    flight_addr = f"127.0.0.1:{_free_port()}"
    http_addr = f"127.0.0.1:{_free_port()}"
    log = tmp / "node.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [
                str(meshgate_bin),
                "demo",
                "--data-dir",
                str(tmp / "data"),
                "--flight-addr",
                flight_addr,
                "--http-addr",
                http_addr,
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )
    try:
        _wait_healthy(proc, http_addr, log)
        yield Node(flight_addr=flight_addr, http_addr=http_addr, data_dir=tmp / "data", log=log)
    finally:
        _stop(proc)


def _wait_healthy(proc: subprocess.Popen, http_addr: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"meshgate exited with {proc.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"http://{http_addr}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"meshgate not healthy after {STARTUP_TIMEOUT_S}s:\n{log.read_text()}", pytrace=False)
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True)
class TlsNode:
    """A node serving a self-signed certificate; one user tester/tester."""

    flight_addr: str
    cert: Path

    @property
    def uri(self) -> str:
        return f"grpc+tls://{self.flight_addr}"


@pytest.fixture(scope="session")
def tls_node(meshgate_bin: Path, tmp_path_factory) -> TlsNode:
    """`meshgate serve` with TLS, from a configuration file and an openssl certificate."""
    tmp = tmp_path_factory.mktemp("meshgate-tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        _unavailable("openssl is needed to make a test certificate")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    password_hash = subprocess.run(
        [str(meshgate_bin), "hash-password", "tester"], check=True, capture_output=True, text=True
    ).stdout.strip()
    flight_addr, http_addr = f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"
    config = tmp / "meshgate.yaml"
    config.write_text(
        "node:\n"
        f"  data_dir: {tmp / 'data'}\n"
        f"  flight_addr: {flight_addr}\n"
        f"  http_addr: {http_addr}\n"
        '  gossip_addr: "off"\n'
        f"  tls_cert_file: {cert}\n"
        f"  tls_key_file: {key}\n"
        "users:\n"
        "  - name: tester\n"
        f'    password_hash: "{password_hash}"\n'
        "    roles: [analyst]\n"
    )
    log = tmp / "node.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            [str(meshgate_bin), "serve", "--config", str(config)], stdout=logf, stderr=subprocess.STDOUT, cwd=tmp
        )
    try:
        _wait_healthy(proc, http_addr, log)
        yield TlsNode(flight_addr=flight_addr, cert=cert)
    finally:
        _stop(proc)


def _connect(node: Node, user: str, password: str | None = None):
    import adbc_driver_flightsql.dbapi as flight_sql

    return flight_sql.connect(
        node.uri,
        db_kwargs={"username": user, "password": user if password is None else password},
        autocommit=True,
    )


@pytest.fixture(scope="session")
def connect(node: Node):
    """connect(user[, password]) opens an ADBC DB-API connection; closed at session end."""
    opened = []

    def _open(user: str, password: str | None = None):
        conn = _connect(node, user, password)
        opened.append(conn)
        return conn

    yield _open
    for conn in opened:
        conn.close()


@pytest.fixture(scope="session")
def admin(connect):
    return connect("admin")


@pytest.fixture(scope="session")
def analyst(connect):
    return connect("analyst")
