"""Speed: decoding on one trained model (the blog's loop against the compiled
searches), and the cost of training steps and of their parts.

`seq2seq-keras bench --model DIR` runs `run_benchmark` and prints its table (with
`--export`, `export_speed`'s too: the whole `translate` path against the exported
SavedModel); with `--ctranslate2 DIR`, `compare_engines` instead: a Transformer's
searches in Keras and in CTranslate2 beside the arithmetic limit of the same work
(`transformer_flops`, `matmul_gflops`). Notebook 09 times training with
`training_step_seconds` and `gradient_seconds`.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time

__all__ = ["run_benchmark", "format_table", "export_speed", "format_export_table",
           "seconds_per_call", "training_step_seconds", "gradient_seconds", "matmul_gflops",
           "transformer_flops", "compare_engines", "format_engine_table"]


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


def matmul_gflops(size: int = 2048, repeats: int = 10) -> float:
    """The machine's float32 matrix-product speed as TensorFlow reaches it: GFLOP/s of
    a `size x size` matmul (`2 * size ** 3` FLOPs), all cores, after one warm-up."""
    import tensorflow as tf

    a = tf.random.stateless_normal([size, size], seed=[0, 1])
    b = tf.random.stateless_normal([size, size], seed=[0, 2])
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))  # one scalar back
    return 2 * size ** 3 / seconds_per_call(lambda: product().numpy(), repeats) / 1e9


def transformer_flops(config, target_vocab_size: int, source_length: int, steps: int,
                      beam_width: int = 1) -> int:
    """The useful FLOPs (2 per multiply-add) of translating one sentence with a
    Transformer of `config`'s sizes: its matrix products only (projections,
    feed-forward, attention scores and weighted sums, the output layer over the
    vocabulary), with cached keys and values, nothing recomputed, no padding.

    Args:
        config: the model's `Config` (`units`, `ff_dim`, `num_layers`).
        target_vocab_size: the output layer's width.
        source_length: source tokens.
        steps: decoder steps: the output's pieces and its `[END]` (or its limit).
        beam_width: hypotheses decoded per step (the encoder runs once).
    """
    d, ff, blocks, s = config.units, config.ff_dim, config.num_layers, source_length
    # Encoder, per block and source token: q, k, v, o (4 d^2), the feed-forward
    # (2 d ff), scores and weighted sum over s positions (2 s d); the cross-attention
    # keys and values of the memory (2 d^2).
    encoder = blocks * s * (4 * d * d + 2 * d * ff + 2 * s * d + 2 * d * d)
    # Decoder, per step and hypothesis: self-attention q, k, v, o (4 d^2), cross q, o
    # (2 d^2), the feed-forward, attention over the cache (t + 1 positions at step t)
    # and over the s memory positions; then the output layer (d x vocab).
    per_step = blocks * (6 * d * d + 2 * d * ff + 2 * s * d) + d * target_vocab_size
    cache = blocks * 2 * d * steps * (steps + 1) // 2
    return 2 * (encoder + beam_width * (steps * per_step + cache))


def _keras_int8(translator):
    """A copy of a `Translator` whose `Dense` and `EinsumDense` layers are quantized by
    `model.quantize("int8")` (int8 weights, each product's input quantized as it
    comes). The embeddings stay float32: the output layer is tied to the French one
    and reads its table (`layers.embeddings.TiedOutput`), which a quantized `Embedding`
    hands out as its int8 values without their scales (all of the model quantized,
    26 of 64 test sentences kept their greedy translation)."""
    import warnings

    from seq2seq_keras.models import build_training_model
    from seq2seq_keras.translation.translator import Translator

    model = build_training_model(translator.config, len(translator.source_vocab),
                                 len(translator.target_vocab))
    model.set_weights(translator.model.get_weights())
    with warnings.catch_warnings():  # "Layer Dropout does not have a `quantize` method"
        warnings.simplefilter("ignore", UserWarning)
        model.quantize("int8", filters=lambda layer: layer.name != "tokens")
    return Translator(model, translator.config, translator.source_vocab,
                      translator.target_vocab, strategy=translator.strategy,
                      source_words=translator.source_words)


def _timed(run, ids, beam, batch, repeats: int = 3):
    """`(outputs, seconds)` of `run(ids, beam, batch)`: the best of `repeats` timed
    passes after one warm-up (which traces and, under XLA, compiles every shape); at
    batch 1, one call per sentence. The best, not the mean: on a shared machine a
    pass is only ever slowed by the others' work."""
    def one_pass():
        if batch == 1:
            return [run([one], beam, 1)[0] for one in ids]
        return run(ids, beam, batch)

    one_pass()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        found = one_pass()
        best = min(best, time.perf_counter() - start)
    return found, best


def compare_engines(translator, sources, references, ctranslate2_path: str,
                    sentences: int = 500, one_by_one: int = 50, beam_width: int = 4,
                    threads=((2, 1), (1, 2)), xla: bool = True, keras_int8: bool = True,
                    length_penalty: float = 1.0, matmul_size: int = 2048,
                    repeats: int = 3) -> dict:
    """A Transformer's searches in Keras and in CTranslate2, on the same sentences, in
    one process: speed, scores, and the arithmetic limit of the same work.

    Each engine decodes source ids into output ids (the input rules and the
    detokenization are the package's for both, and timed apart: the `"input
    rules"` entry): greedy and beam search at batch 64 on the first `sentences`
    sources and at batch 1 on the first `one_by_one` (one warm-up pass, in which XLA
    compiles its shapes, then the best of `repeats` timed passes). BLEU and chrF:
    every source, batch 64, as `translate` gives the strings (untimed).

    Engines: `translate` (`tf.function`; with `xla`, also under XLA at batch 64);
    with `keras_int8`, the same model after `model.quantize("int8")` (`_keras_int8`);
    CTranslate2 float32 and int8 (`compute_type`, the weights quantized at load time
    if stored as float32), with each `(intra_threads, inter_threads)` of `threads`:
    by default 2 threads per translation, and 1 thread per translation with 2
    batches translated at once (at batch 1, one thread). CTranslate2's beam search
    ranks by its own length penalty (`length_penalty`), `translate`'s by the model's
    strategy. TensorFlow uses every core (its default).

    The limit: `transformer_flops` of each row's own outputs over `matmul_gflops`
    measured now (`matmul_size`): the sentences per second if every useful FLOP ran
    at the float32 matmul peak (int8 products may in principle beat it).

    Args:
        translator: a `Translator` of a Transformer.
        sources: source sentences (the test split's).
        references: one list of references per source.
        ctranslate2_path: a folder written by `export_ctranslate2` of `translator`.

    Returns:
        `{"peak_gflops", "matmul_size", "threads", "repeats", "ct2_use_mkl",
        "input_rules_sentences_per_second",
        "sentences", "one_by_one", "scored", "rows"}` (the last three: how many
        sentences were timed at batch 64, at batch 1, and scored), each
        row `{"engine", "search", "batch", "sentences_per_second",
        "pieces_per_second", "limit_sentences_per_second", "of_limit", "bleu", "chrf",
        "same_strings"}`; `same_strings`: the fraction of the timed sentences whose
        string equals `translate`'s with the same search (`None` for `translate`
        itself), or an `"error"` instead of the figures.
    """
    from seq2seq_keras.text.vocabulary import output_ids
    from seq2seq_keras.translation.ctranslate2 import CTranslate2Translator
    from seq2seq_keras.translation.evaluation import evaluate_translations

    inputs = translator.source.inputs(list(sources))
    timed, few = inputs.ids[:sentences], inputs.ids[:one_by_one]
    vocab, config = translator.target_vocab, translator.config
    start = time.perf_counter()
    rules = translator.source.inputs(list(sources[:sentences]))
    rules.join(vocab.decode(ids) for ids in timed)
    rules_seconds = time.perf_counter() - start
    peak = matmul_gflops(matmul_size)

    def keras(which, jit_compile=False):
        def run(ids, beam, batch):
            strategy = "greedy" if beam == 1 else translator.resolve_strategy(beam_width=beam)
            return [output_ids(found) for found in which.translate_ids(
                ids, strategy, batch_size=batch, jit_compile=jit_compile)]
        return run

    def ctranslate2(compute_type, intra, inter):
        engine = CTranslate2Translator(ctranslate2_path, compute_type=compute_type,
                                       intra_threads=intra, inter_threads=inter,
                                       length_penalty=length_penalty)

        def run(ids, beam, batch):
            return engine.translate_ids(ids, beam, batch_size=batch)
        return run

    engines = [("translate", lambda: keras(translator), (1, 64), True)]
    if xla:
        engines.append(("translate + XLA", lambda: keras(translator, True), (64,), False))
    if keras_int8:
        engines.append(("Keras int8", lambda: keras(_keras_int8(translator)), (1, 64), True))
    engines += [(f"CTranslate2 {kind}, {_threads(intra, inter)}",
                 functools.partial(ctranslate2, kind, intra, inter), (1, 64), True)
                for kind in ("float32", "int8") for intra, inter in threads]

    rows, strings = [], {}
    for name, make, batches, scored in engines:
        try:
            run = make()
        except Exception as error:  # e.g. a Keras version whose quantize refuses a layer
            rows.append({"engine": name, "error": str(error).splitlines()[0]})
            continue
        for beam in (1, beam_width):
            search = "greedy" if beam == 1 else f"beam {beam}"
            texts = None
            if scored:
                found = run(inputs.ids, beam, 64)
                texts = inputs.join("" if ids is None else vocab.decode(ids) for ids in found)
                result = evaluate_translations(list(sources), texts, list(references))
            for batch in batches:
                chosen = few if batch == 1 else timed
                found, seconds = _timed(run, chosen, beam, batch, repeats)
                pieces = sum(len(ids or []) for ids in found)
                limits = translator.searcher.output_limits([len(ids) for ids in chosen])
                flops = sum(transformer_flops(config, len(vocab), len(source),
                                              min(len(ids) + 1, limit), beam)
                            for source, ids, limit in zip(chosen, found, limits, strict=True)
                            if ids is not None)
                limit_rate = len(chosen) / (flops / (peak * 1e9))
                same = ["" if ids is None else vocab.decode(ids) for ids in found]
                key = (search, batch)
                if name == "translate":
                    strings[key], agree = same, None
                else:
                    agree = round(sum(a == b for a, b in zip(same, strings[key], strict=True))
                                  / len(same), 4) if key in strings else None
                rows.append({
                    "engine": name, "search": search, "batch": batch,
                    "sentences_per_second": round(len(chosen) / seconds, 1),
                    "pieces_per_second": round(pieces / seconds),
                    "limit_sentences_per_second": round(limit_rate),
                    "of_limit": float(f"{len(chosen) / seconds / limit_rate:.3g}"),
                    "bleu": None if texts is None else round(result.bleu, 2),
                    "chrf": None if texts is None else round(result.chrf, 2),
                    "same_strings": agree})
    return {"peak_gflops": round(peak, 1), "matmul_size": matmul_size,
            "threads": [list(pair) for pair in threads], "repeats": repeats,
            # CTranslate2 picks its matrix library at start-up: Intel MKL on Intel CPUs,
            # oneDNN elsewhere, unless CT2_USE_MKL says (docs/results.md, 2026-12-07).
            "ct2_use_mkl": os.environ.get("CT2_USE_MKL"),
            "input_rules_sentences_per_second": round(len(timed) / rules_seconds, 1),
            "sentences": len(timed), "one_by_one": len(few), "scored": len(inputs.ids),
            "rows": rows}


def _threads(intra: int, inter: int) -> str:
    """How a CTranslate2 row runs: `"2 threads"`, `"1 thread x 2 batches"`."""
    each = f"{intra} thread{'s' if intra > 1 else ''}"
    return each if inter == 1 else f"{each} x {inter} batches"


def format_engine_table(result) -> str:
    """A Markdown table of `compare_engines`'s result, with its peak and method."""
    size = result["matmul_size"]
    lines = [f"float32 matmul peak ({size} x {size}, TensorFlow): {result['peak_gflops']} GFLOP/s; "
             f"best of {result['repeats']} timed passes; CT2_USE_MKL="
             f"{result['ct2_use_mkl'] or 'unset (MKL on Intel CPUs, oneDNN otherwise)'}; "
             "input rules + detokenization "
             f"alone: {result['input_rules_sentences_per_second']} sentences / s; batch 64 "
             f"timed on {result['sentences']} sentences, batch 1 on {result['one_by_one']}, "
             f"BLEU / chrF on {result['scored']}",
             "",
             "| engine | search | batch | sentences / s | pieces / s | limit, sentences / s | "
             "of limit | BLEU | chrF | same strings as translate |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def shown(value, percent=False):
        if value is None:
            return "–"
        return f"{100 * value:.1f}%" if percent else f"{value}"

    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r['engine']} | failed: {r['error']} | | | | | | | | |")
            continue
        lines.append(f"| {r['engine']} | {r['search']} | {r['batch']} | "
                     f"{r['sentences_per_second']} | {r['pieces_per_second']} | "
                     f"{r['limit_sentences_per_second']} | {shown(r['of_limit'], True)} | "
                     f"{shown(r['bleu'])} | {shown(r['chrf'])} | "
                     f"{shown(r['same_strings'], True)} |")
    return "\n".join(lines)
