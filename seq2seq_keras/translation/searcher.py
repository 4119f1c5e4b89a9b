"""Compiled, batched search: a model's inference graphs run over many sentences.

A `Searcher` compiles one `tf.function` per decoding strategy (see `decoding.strategies`),
sorts sentences by length into batches that are padded little and stay within a
token budget, gives each sentence its own output limit, and returns the results in
input order.
"""

from __future__ import annotations

import functools
import logging

import tensorflow as tf

from seq2seq_keras.decoding.reference import decode_sequence
from seq2seq_keras.models.limits import output_limits
from seq2seq_keras.text.vocabulary import pad_ids

__all__ = ["Searcher"]


class _OneFunctionPerStrategy(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning about the search
    functions: a `Searcher` traces one on purpose for each strategy (a sampling seed
    or temperature is a strategy of its own), which TensorFlow counts as retracing."""

    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message
                    and "Searcher.compiled" in message)


tf.get_logger().addFilter(_OneFunctionPerStrategy())


class Searcher:
    """The searches of one model.

    Args:
        seq2seq: the model (`models.Seq2Seq`): the searches run over its `encode`
            and `log_probs` (the log-softmax of `decode_step`'s logits).
        max_source_length, max_target_length: the model's training limits.
    """

    def __init__(self, seq2seq, max_source_length: int, max_target_length: int):
        self.seq2seq = seq2seq
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self._functions, self._graphs = {}, {}

    def compiled(self, strategy, jit_compile: bool = False, best_only: bool = False,
                 aligned: bool = False):
        """The cached `tf.function` of a strategy's search.

        `search(source_ids (batch, time), max_length, limits (batch,)) -> (ids (batch,
        n_best, max_length), scores (batch, n_best))`: `max_length` is the output
        width, `limits` each sentence's own limit (`output_limit`). Traced once per
        strategy for all batch sizes, sentence lengths and limits (under XLA, which
        needs the output shape at compile time, each new `max_length` compiles once;
        within the training lengths it is always `max_target_length`). With
        `best_only`, only each sentence's first hypothesis is the full search's (beam
        search stops sooner: see `decoding.beam.beam_search`). With `aligned` (an LSTM with
        attention), also `alignments` shaped as the ids: the source position each
        output token's attention weighed most (`models.Seq2Seq.aligned_log_probs`).
        """
        key = (strategy, jit_compile, best_only, aligned)
        if key not in self._functions:
            model = self.seq2seq

            def search(source_ids, max_length, limits):
                # XLA compiles only fixed shapes: a Transformer's caches preallocated.
                step = model.aligned_log_probs if aligned else functools.partial(
                    model.log_probs, fixed_shapes=jit_compile)
                # Without XLA, finished sentences leave the batch as the search goes.
                return strategy.search(step, model.encode(source_ids, fixed_shapes=jit_compile),
                                       max_length, limits, best_only, compact=not jit_compile,
                                       aligned=aligned)

            self._functions[key] = tf.function(search, jit_compile=jit_compile, input_signature=[
                tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32),
                tf.TensorSpec([None], tf.int32)])
        return self._functions[key]

    def _concrete(self, strategy, jit_compile: bool, best_only: bool, aligned: bool = False):
        """`compiled`'s one graph itself: calling it skips the `tf.function`'s matching
        of arguments to traces (about 0.1 ms a call, much of a short sentence's time)."""
        key = (strategy, jit_compile, best_only, aligned)
        if key not in self._graphs:
            self._graphs[key] = self.compiled(*key).get_concrete_function()
        return self._graphs[key]

    def reference(self, source_ids) -> list[int]:
        """The blog's loop on one sentence's ids: one `predict` per output token."""
        return decode_sequence(self.seq2seq.encoder_model, self.seq2seq.decoder_model,
                                        source_ids, self.output_limit(len(source_ids)))

    def output_limit(self, source_length: int) -> int:
        """The most tokens decoded for a source of `source_length` tokens
        (`models.limits.output_limits`)."""
        return int(self.output_limits([source_length])[0])

    def output_limits(self, source_lengths) -> list[int]:
        """`output_limit` of each of `source_lengths`, in one call of the rule's op."""
        return output_limits(tf.constant(source_lengths, tf.int32), self.max_source_length,
                             self.max_target_length).numpy().tolist()

    def run_batched(self, batch_ids, batch_size, run):
        """Call `run(padded (rows, width) int32, max_length, limits (rows,)) -> per-row
        results` in batches (`limits`: each row's `output_limit`, `max_length` theirs).

        Sentences are sorted by length so that each batch is padded little. A batch
        holds at most `batch_size` sentences and, so that memory stays bounded for
        long ones, `batch_size * max_source_length` padded tokens. Results come back
        in input order, `None` for empty sentences.
        """
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got batch_size={batch_size}")
        results = [None] * len(batch_ids)
        order = sorted((i for i, ids in enumerate(batch_ids) if ids),
                       key=lambda i: len(batch_ids[i]))
        budget = batch_size * self.max_source_length
        chunks, chunk = [], []
        for i in order:
            # Sorted by length, so the newcomer is the longest: it sets the padding.
            if chunk and (len(chunk) == batch_size
                          or (len(chunk) + 1) * len(batch_ids[i]) > budget):
                chunks.append(chunk)
                chunk = []
            chunk.append(i)
        if chunk:
            chunks.append(chunk)
        for chunk in chunks:
            limits = self.output_limits([len(batch_ids[i]) for i in chunk])
            found = run(tf.constant(pad_ids([batch_ids[i] for i in chunk])),
                        tf.constant(max(limits)),
                        tf.constant(limits, tf.int32))
            for row, result in zip(chunk, found, strict=True):
                results[row] = result
        return results

    def best_ids(self, batch_ids, strategy, batch_size: int = 64, jit_compile: bool = False,
                 aligned: bool = False):
        """The best output ids of `strategy` per source (an array; `None` if empty);
        with `aligned`, `(ids, alignment)` pairs (see `compiled`)."""
        search = self._concrete(strategy, jit_compile, True, aligned)

        def run(*args):
            ids, _, *alignments = (found.numpy()[:, 0] for found in search(*args))
            return list(zip(ids, *alignments, strict=True)) if aligned else ids

        return self.run_batched(batch_ids, batch_size, run)

    def hypotheses(self, batch_ids, strategy, batch_size: int = 64, jit_compile: bool = False,
                   aligned: bool = False):
        """Every hypothesis of `strategy` per source: a list of `(ids, score)`, best
        first (`None` for an empty source); with `aligned`, `(ids, score,
        alignment)` (see `compiled`)."""
        search = self._concrete(strategy, jit_compile, False, aligned)

        def run(*args):
            found = [f.numpy() for f in search(*args)]
            return [list(zip(*sentence, strict=True)) for sentence in zip(*found, strict=True)]

        return self.run_batched(batch_ids, batch_size, run)
