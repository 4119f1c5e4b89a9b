"""Does the CTranslate2 model of a Transformer translate as the Keras model does?

    PYTHONPATH=. python scripts/ctranslate2_check.py [--model transformer] [--sentences 1000]

Converts the model (float32) to a temporary folder, then on the test split:

1. greedy search, the first `--sentences` sources: the output pieces of CTranslate2
   against `Translator.translate_ids(..., "greedy")`; for each sentence that differs,
   the Keras model's two best log-probabilities at the first step where they part
   (teacher-forced on the common prefix), and those of the two engines' choices;
2. beam 4 on every test source: `translate` (the package's length normalization,
   alpha 1.6) against CTranslate2 with its own length penalty (`score / length **
   length_penalty`, 1.0 by default): how many strings differ, and BLEU / chrF of each;
   greedy BLEU / chrF of both too.

Prints one JSON object (docs/results.md quotes it). Not a timing: run it on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import numpy as np


def _log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


def near_ties(translator, pairs):
    """For each `(source ids, keras ids, ctranslate2 ids)` that differ: the first step
    where they part and the Keras model's log-probabilities there."""
    from seq2seq_keras.text.vocabulary import START_ID

    found = []
    for source, keras_ids, ct2_ids in pairs:
        # Where they part: a piece, or the end of one (a sentinel that never matches).
        step = next(k for k, (a, b) in enumerate(zip([*keras_ids, -1], [*ct2_ids, -2],
                                                     strict=False)) if a != b)
        prefix = [START_ID, *keras_ids[:step]]
        logits = translator.model([np.array([source], np.int32),
                                   np.array([prefix], np.int32)])
        log_probs = _log_softmax(np.asarray(logits)[0, -1])
        first, second = np.sort(log_probs)[::-1][:2]
        end = 3  # [END]: a choice of "no more pieces"
        keras_choice = keras_ids[step] if step < len(keras_ids) else end
        ct2_choice = ct2_ids[step] if step < len(ct2_ids) else end
        found.append({"step": step, "top_two": [round(float(first), 4), round(float(second), 4)],
                      "gap": round(float(first - second), 4),
                      "keras_choice": [translator.target_vocab.tokens[keras_choice],
                                       round(float(log_probs[keras_choice]), 4)],
                      "ctranslate2_choice": [translator.target_vocab.tokens[ct2_choice],
                                             round(float(log_probs[ct2_choice]), 4)]})
    return found


def main(argv=None) -> int:
    import seq2seq_keras as s2s
    from seq2seq_keras.text.vocabulary import output_ids
    from seq2seq_keras.translation.ctranslate2 import CTranslate2Translator, export_ctranslate2
    from seq2seq_keras.translation.evaluation import evaluate_translations, split_references

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="transformer")
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--length-penalty", type=float, default=1.0)
    args = parser.parse_args(argv)

    translator = s2s.load_translator(args.model)
    references = split_references(translator.config, "test")
    sources = [s for s in references if translator.fits(s)]
    with tempfile.TemporaryDirectory() as folder:
        engine = CTranslate2Translator(
            export_ctranslate2(translator, os.path.join(folder, "float32")),
            compute_type="float32", length_penalty=args.length_penalty)
        few = translator.source.inputs(sources[: args.sentences], split=False).ids
        keras_ids = [output_ids(ids) for ids in translator.translate_ids(few, "greedy")]
        ct2_ids = engine.translate_ids(few)
        differ = [(s, k, c) for s, k, c in zip(few, keras_ids, ct2_ids, strict=True) if k != c]
        report = {"model": args.model, "greedy_sentences": len(few),
                  "greedy_same_pieces": len(few) - len(differ),
                  "greedy_differences": near_ties(translator, differ)}

        refs = [references[s] for s in sources]
        scores = {}
        for name, run in (
                ("translate greedy", lambda: translator.translate(sources, "greedy")),
                ("ctranslate2 greedy", lambda: engine.translate(sources, beam_width=1)),
                ("translate beam 4", lambda: translator.translate(sources, beam_width=4)),
                ("ctranslate2 beam 4", lambda: engine.translate(sources, beam_width=4))):
            hypotheses = run()
            result = evaluate_translations(sources, hypotheses, refs)
            scores[name] = {"bleu": round(result.bleu, 2), "chrf": round(result.chrf, 2),
                            "hypotheses": hypotheses}
    for search in ("greedy", "beam 4"):
        ours, theirs = (scores[f"{e} {search}"]["hypotheses"] for e in ("translate",
                                                                         "ctranslate2"))
        report[f"{search}: strings that differ"] = sum(
            a != b for a, b in zip(ours, theirs, strict=True))
    report["test sentences"] = len(sources)
    report["ctranslate2 length_penalty"] = args.length_penalty
    report["scores"] = {name: {k: v for k, v in s.items() if k != "hypotheses"}
                        for name, s in scores.items()}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
