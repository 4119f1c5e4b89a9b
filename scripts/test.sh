#!/usr/bin/env bash
# Set everything up with the test and docs extras, then run the whole test suite
# (add -m "not slow" to skip the training, notebook, site and browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
# The page of `seq2seq-keras serve` and the documentation site are tested in headless
# Chromium (tests/test_serve.py, tests/test_docs.py, which skip without it): installed
# here on Debian when running as root.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: no Chromium; the browser test will be skipped (as root on Debian:" \
         "apt-get install chromium chromium-driver)" >&2
  fi
fi
bash scripts/setup.sh test,docs
# Two processes (pytest-xdist), a test file each at a time: most of the suite is
# single-threaded Python, imports and tracing. `-n 0` runs it in one process.
.venv/bin/python -m pytest -ra -n 2 --dist loadfile "$@"
