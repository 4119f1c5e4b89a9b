#!/usr/bin/env bash
# Set everything up, then translate with the shipped model: the sentences given as
# arguments, or a few examples. Afterwards: .venv/bin/seq2seq-keras translate --help
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then
  set -- "Go." "I am cold." "He is tall." "We lost." "I love you." "Is it far?"
fi
.venv/bin/seq2seq-keras translate "$@"
