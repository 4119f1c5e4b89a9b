"""Speed: decoding on one trained model (the blog's loop against the compiled
searches), and the cost of training steps and of their parts.

`seq2seq-keras bench --model DIR` runs `run_benchmark` and prints its table (with
`--export`, `export_speed`'s too: the whole `translate` path against the exported
SavedModel); notebook 09 times training with `training_step_seconds` and
`gradient_seconds`.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time

__all__ = ["run_benchmark", "format_table", "export_speed", "format_export_table",
           "seconds_per_call", "training_step_seconds", "gradient_seconds"]


def seconds_per_call(fn, repeats: int = 1) -> float:
    """Mean seconds per call of `fn()` over `repeats` calls, after one warm-up call
    (tracing and first-call costs are not steady-state speed)."""
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def _batch_of(sentences, batch: int) -> list:
    """`batch` sentences: `text.sentences`, repeated if there are fewer."""
    sentences = list(sentences)
    return (sentences * (batch // max(len(sentences), 1) + 1))[:batch]


def _speed(seconds: float) -> dict:
    """Seconds per sentence as the tables show them."""
    return {"ms_per_sentence": round(1000 * seconds, 3),
            "sentences_per_second": round(1 / seconds, 1)}


# A comparison of strings in a table: equal, different, not compared.
_SAME = {True: "yes", False: "NO", None: "–"}


def run_benchmark(translator, sentences, reference_sentences=20, batch_sizes=(64, 500),
                  beam_width=4) -> list[dict]:
    """Time each decoder on the same sentences.

    Args:
        translator: a `Translator`.
        sentences: source sentences (at least `max(batch_sizes)` for a fair batch).
        reference_sentences: how many of them the slow reference loop decodes.
        batch_sizes: batch sizes for throughput.
        beam_width: the beam search's width.

    Returns:
        Rows `{"decoder", "batch", "ms_per_sentence", "sentences_per_second",
        "speedup", "matches_reference"}`; `speedup` is against the reference loop's
        sentences per second; `matches_reference` compares the strings of the first
        `reference_sentences` sentences with the reference loop's (`None` for beam
        search, which is not meant to equal greedy decoding).
    """
    sentences = list(sentences)
    few = sentences[:reference_sentences]
    # The searches alone, as the loop does them: one sentence each, no [UNK]
    # replacement pass.
    translate = functools.partial(translator.translate, replace_unknown=False,
                                  split_sentences=False)
    reference = [translator.translate_reference(s) for s in few[:1]]  # warm-up
    start = time.perf_counter()
    reference = [translator.translate_reference(s) for s in few]
    reference_seconds = (time.perf_counter() - start) / len(few)
    rows = [{"decoder": "reference loop (predict per token)", "batch": 1,
             "seconds": reference_seconds, "matches_reference": True}]

    def one_by_one(**options):
        return lambda: [translate(s, **options) for s in few]

    for name, options in (("greedy, tf.function", {"strategy": "greedy"}),
                          ("greedy, tf.function + XLA",
                           {"strategy": "greedy", "jit_compile": True}),
                          (f"beam {beam_width}, tf.function", {"beam_width": beam_width}),
                          (f"beam {beam_width}, tf.function + XLA",
                           {"beam_width": beam_width, "jit_compile": True})):
        try:
            outputs = one_by_one(**options)()
            seconds = seconds_per_call(one_by_one(**options)) / len(few)
        except Exception as error:  # e.g. an XLA build without support for an op
            rows.append({"decoder": name, "batch": 1, "error": str(error).splitlines()[0]})
            continue
        matches = None if "beam_width" in options else outputs == reference
        rows.append({"decoder": name, "batch": 1, "seconds": seconds,
                     "matches_reference": matches})
        for batch in batch_sizes:
            chunk = _batch_of(sentences, batch)
            seconds = seconds_per_call(lambda chunk=chunk, batch=batch, options=options:
                               translate(chunk, batch_size=batch, **options))
            rows.append({"decoder": name, "batch": batch, "seconds": seconds / batch,
                         "matches_reference": matches})
    for row in rows:
        if "seconds" in row:
            seconds = row.pop("seconds")
            row.update(_speed(seconds), speedup=round(reference_seconds / seconds, 1))
    return rows


def format_table(rows) -> str:
    """A Markdown table of `run_benchmark` rows."""
    lines = ["| decoder | batch | ms / sentence | sentences / s | speed-up | same as loop |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['decoder']} | {r['batch']} | failed: {r['error']} | | | |")
            continue
        lines.append(f"| {r['decoder']} | {r['batch']} | {r['ms_per_sentence']} | "
                     f"{r['sentences_per_second']} | {r['speedup']}× | "
                     f"{_SAME[r['matches_reference']]} |")
    return "\n".join(lines)


def export_speed(translator, sentences, batch: int = 64, export_dir: str | None = None):
    """What a user waits for, per sentence, at `batch` sentences per call: the whole
    `translate` path (input rules, the model's default strategy, `[UNK]` repair), the
    same with greedy search, and the exported SavedModel (the same input rules and
    default strategy, in one graph).

    Args:
        translator: a `Translator`.
        sentences: source sentences (repeated up to `batch` if fewer).
        batch: sentences per call.
        export_dir: an export of `translator` to time (`None`: one is written to a
            temporary folder).

    Returns:
        Rows `{"path", "batch", "ms_per_sentence", "sentences_per_second",
        "same_strings"}`; `same_strings` (export row only): whether the export gives
        the strings of `translate`.
    """
    import tensorflow as tf

    from seq2seq_keras.translation.export import export_translator

    chunk = _batch_of(sentences, batch)
    with tempfile.TemporaryDirectory() as folder:
        if export_dir is None:
            export_dir = export_translator(translator, os.path.join(folder, "export"))
        serve = tf.saved_model.load(export_dir).signatures["serving_default"]

        def exported():
            return [x.decode() for x in serve(inputs=tf.constant(chunk))["outputs"].numpy()]

        default = translator.strategy.describe()
        paths = ((f"translate, {default}", lambda: translator.translate(chunk, batch_size=batch),
                  None),
                 ("translate, greedy",
                  lambda: translator.translate(chunk, "greedy", batch_size=batch), None),
                 (f"exported SavedModel, {default}", exported,
                  exported() == translator.translate(chunk, batch_size=batch)))
        rows = []
        for name, run, same in paths:
            rows.append({"path": name, "batch": batch,
                         **_speed(seconds_per_call(run) / batch), "same_strings": same})
    return rows


def format_export_table(rows) -> str:
    """A Markdown table of `export_speed` rows."""
    lines = ["| path | batch | ms / sentence | sentences / s | export = translate |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['path']} | {r['batch']} | {r['ms_per_sentence']} | "
                     f"{r['sentences_per_second']} | {_SAME[r['same_strings']]} |")
    return "\n".join(lines)


def training_step_seconds(model, source, target_in, target_out, repeats: int = 5) -> float:
    """Seconds per `train_on_batch` of a compiled model on one batch (ids as for
    `train`), after one warm-up step that traces it. The steps update the weights:
    time a model built for the purpose, not one to keep."""
    return seconds_per_call(lambda: model.train_on_batch([source, target_in], target_out),
                            repeats)


def gradient_seconds(fn, inputs, variables, repeats: int = 10) -> float:
    """Seconds of one forward and backward pass of `fn(*inputs)` in a `tf.function`:
    the gradients of the sum of its output with respect to `variables` and to the
    floating-point `text.inputs` (what training computes for a part of a model)."""
    import tensorflow as tf

    inputs = [tf.convert_to_tensor(x) for x in inputs]
    floats = [x for x in inputs if x.dtype.is_floating]

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(floats)
            total = tf.reduce_sum(tf.cast(fn(*inputs), tf.float32))
        return tape.gradient(total, [*variables, *floats])

    return seconds_per_call(step, repeats)
