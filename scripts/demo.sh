#!/usr/bin/env bash
# Set everything up, then translate with the shipped model: the sentences given as
# arguments, or a few examples. Afterwards: .venv/bin/seq2seq-keras translate --help
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then
  set -- "Go." "I love you." "Where is the station?" "She gave me a book yesterday." \
    "I don't think Tom knows how to swim." "The weather is nice today, let's go for a walk."
fi
.venv/bin/seq2seq-keras translate "$@"
