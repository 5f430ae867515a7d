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
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"meshgate demo exited with {proc.returncode}:\n{log.read_text()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"http://{http_addr}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"meshgate demo not healthy after {STARTUP_TIMEOUT_S}s:\n{log.read_text()}", pytrace=False)
            time.sleep(0.1)
        yield Node(flight_addr=flight_addr, http_addr=http_addr, data_dir=tmp / "data", log=log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
