#!/usr/bin/env bash
# Create .venv (if missing) and install the package in it, editable, with the
# extras given as the first argument (e.g. "test,notebooks"). Needs only python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=${1:-}
if [ ! -x .venv/bin/python ]; then
  # Debian's python3 may lack ensurepip (the python3-venv package); virtualenv
  # from PyPI does the same job then.
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    "$PYTHON" -m pip install --user --quiet virtualenv
    "$PYTHON" -m virtualenv --quiet .venv
  fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
