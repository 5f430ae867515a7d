#!/usr/bin/env bash
# Runs the Python client compatibility suite (make test-python): creates clients/python/.venv
# with the pinned requirements when it is missing or the requirements changed, then runs
# pytest against a demo node the fixtures start from $MESHGATE_BIN.
#
# A missing tool (python3 >= 3.11, venv support, the package index) skips the suite with the
# reason, unless MESHGATE_REQUIRE_SERVICES=1, when it fails. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

unavailable() {
  if [ "${MESHGATE_REQUIRE_SERVICES:-}" = 1 ]; then
    echo "test-python: FAIL: $* (MESHGATE_REQUIRE_SERVICES=1)" >&2
    exit 1
  fi
  echo "test-python: SKIP: $*" >&2
  exit 0
}

command -v "$PYTHON" >/dev/null 2>&1 || unavailable "$PYTHON is not installed"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  unavailable "$("$PYTHON" -V 2>&1) is too old: the pinned client stack needs Python 3.11 or later"

stamp="$VENV/.requirements.sha256"
want=$( (cat requirements.txt; "$PYTHON" -V) | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2 ||
    unavailable "$PYTHON -m venv failed (on Debian/Ubuntu: apt-get install python3-venv, or run scripts/services.sh)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt >&2 ||
    unavailable "pip install -r clients/python/requirements.txt failed (is the package index reachable?)"
  echo "$want" >"$stamp"
fi

exec "$VENV/bin/python" -m pytest "$@"
