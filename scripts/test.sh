#!/usr/bin/env bash
# Set everything up with the test extras, then run the whole test suite
# (add -m "not slow" to skip the training and notebook tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/python -m pytest -ra "$@"
