#!/usr/bin/env bash
# Set up .venv with the docs extra, then build the documentation site into site/ with
# MkDocs (mkdocs.yml), strict: a broken link or a missing page fails the build. The
# notebooks are shown with their stored outputs, not executed.
#   bash scripts/docs.sh                 # build site/ (open site/index.html through a server)
#   bash scripts/docs.sh serve           # serve it at http://127.0.0.1:8000/, rebuilt on edits
#   bash scripts/docs.sh --site-dir DIR  # other arguments go to `mkdocs build`
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh docs
export NO_MKDOCS_2_WARNING=1  # Material's banner about MkDocs 2.0, not this site's problem
if [ "${1:-}" = serve ]; then
  shift
  exec .venv/bin/mkdocs serve "$@"
fi
exec .venv/bin/mkdocs build --strict "$@"
