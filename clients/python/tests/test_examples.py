"""The scripts in examples/python run cleanly against a demo node (as admin and as analyst)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "python"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))


def test_examples_exist():
    assert {"pandas_orders.py", "polars_lineitem.py", "pyarrow_flight.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("user", ["admin", "analyst"])
def test_example_runs(node, script, user):
    env = dict(os.environ, MESHGATE_URI=node.uri, MESHGATE_USER=user, MESHGATE_PASSWORD=user)
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=env, cwd=EXAMPLES, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, f"{script} as {user} failed:\n{res.stdout}\n{res.stderr}"
