#!/usr/bin/env bash
# BLEU and chrF of a model on one split, for the four input styles (clean, typed as
# in a chat box, capitals, and new names: `evaluate --input names`), with the
# model's own decoding strategy:
#   bash scripts/evaluate_inputs.sh MODEL_DIR [SPLIT] [OUT_DIR]
# prints one line per style and, with OUT_DIR, writes evaluation_<split>_<style>.json
# there (the full `seq2seq-keras evaluate` summary, by length included).
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1 split=${2:-validation} out=${3:-}
for style in clean typed capitals names; do
  summary=$(.venv/bin/seq2seq-keras evaluate --model "$model" --split "$split" --input "$style")
  if [ -n "$out" ]; then
    mkdir -p "$out"
    printf '%s\n' "$summary" > "$out/evaluation_${split}_${style}.json"
  fi
  printf '%s\n' "$summary" | .venv/bin/python -c "
import json, sys
s = json.load(sys.stdin)
print(f\"$split $style: BLEU {s['bleu']:.2f} chrF {s['chrf']:.2f} ({s['sentences']} sentences)\")"
done
