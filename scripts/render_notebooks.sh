#!/usr/bin/env bash
# Re-execute notebooks at their default parameters and store them with their outputs:
#   bash scripts/render_notebooks.sh                 # every notebook
#   bash scripts/render_notebooks.sh 05_decoding     # some of them
# TensorFlow's start-up lines are dropped from the stored outputs (the same filter as
# the command line's, seq2seq_keras.apps.tf_logs) and the checkout's and temporary folders'
# paths are shortened, so that a stored notebook shows what a reader needs.
# The kernel imports this checkout's package (PYTHONPATH), even where .venv's editable
# install points at another checkout; S2S_SKIP_SETUP=1 skips the install step.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${S2S_SKIP_SETUP:-}" ] || bash scripts/setup.sh test,notebooks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=($(cd notebooks && ls *.ipynb | sed 's/\.ipynb$//'))
fi
for name in "${names[@]}"; do
  name=${name%.ipynb}
  start=$(date +%s)
  (cd notebooks && ../.venv/bin/papermill --no-progress-bar -k python3 \
    "$name.ipynb" "$name.ipynb.rendered")
  .venv/bin/python scripts/clean_notebook.py "notebooks/$name.ipynb.rendered" "$PWD"
  mv "notebooks/$name.ipynb.rendered" "notebooks/$name.ipynb"
  echo "$name: $(( $(date +%s) - start )) s"
done
