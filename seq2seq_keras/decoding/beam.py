"""Beam search over a step function, batched and compiled (a strategy: `decoding.strategies`).

The step function, its state, the output limits, the compaction of finished sentences
and the `aligned` option are `decoding`'s, as for greedy search and sampling.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from seq2seq_keras.config import DEFAULT_ALPHA
from seq2seq_keras.decoding.loop import compacted, loop_shapes, row_limits
from seq2seq_keras.text.vocabulary import END_ID, PAD_ID, START_ID

__all__ = ["beam_search", "top_k_rows"]


def top_k_rows(values, k, chunk: int = 64):
    """`tf.math.top_k(values, k)` of a `(rows, n)` float tensor, about 4x faster for a
    large `n` (a vocabulary) and a small `k`: the best `k` values of a row lie in the
    `k` chunks of `chunk` columns with the highest maxima, so only those are sorted.
    Equal values come out in column order, as from `top_k`.
    """
    rows, n = tf.shape(values)[0], tf.shape(values)[1]
    chunks = (n + chunk - 1) // chunk
    padded = tf.pad(values, [[0, 0], [0, chunks * chunk - n]],
                    constant_values=float("-inf"))
    blocks = tf.reshape(padded, [rows, chunks, chunk])
    best = tf.math.top_k(tf.reduce_max(blocks, axis=2), k=tf.minimum(k, chunks)).indices
    best = tf.sort(best, axis=1)  # column order among the candidates, for ties
    candidates = tf.reshape(tf.gather(blocks, best, batch_dims=1), [rows, -1])
    top, index = tf.math.top_k(candidates, k=tf.minimum(k, n))
    return top, tf.gather(best, index // chunk, batch_dims=1) * chunk + index % chunk


def _length_penalty(lengths, alpha):
    """Wu et al.'s `((5 + length) / 6) ** alpha`, the divisor of a score."""
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, alpha)


def beam_search(step, state, max_length, beam_width=4, alpha=DEFAULT_ALPHA, limits=None,
                best_only=False, compact=False, aligned=False):
    """Batched beam search with length normalization.

    Each sentence keeps the `beam_width` best partial translations by total
    log-probability; a finished hypothesis (one that produced `[END]`, or reached
    its sentence's limit) keeps its score and only grows padding. At the end
    hypotheses are ranked by `score / ((5 + length) / 6) ** alpha` (Wu et al., 2016):
    without it, shorter outputs win because every token adds a negative
    log-probability. The hypotheses live in a preallocated `(batch, beam_width,
    max_length)` buffer written column by column (no growing concatenation), so
    every shape but the step's own state is fixed and the search also compiles
    with XLA (without `compact`, which drops the finished sentences from the batch).

    Each step ranks `beam_width` candidates per hypothesis (its best tokens, by
    `top_k_rows`), then the best `beam_width` of those per sentence: the same choice
    as ranking every hypothesis-token pair (the best pairs of a sentence are among
    the best tokens of their hypotheses), without a pass over `beam_width x vocab`
    sums per sentence.

    With `best_only=True` only the best hypothesis of each sentence is returned as
    the full search would (the others may be cut short, scored -1e9): a sentence
    stops as soon as its best finished hypothesis is certain to stay best, that is
    when every live one scores less than it and could not pass its normalized score
    even at the sentence's limit (a score only falls as tokens are added; the
    divisor is largest at the limit). Without it, a sentence stops when all its
    hypotheses are finished, which one hypothesis that loops can put off until the
    limit, and the whole batch waits for it.

    Call it inside a `tf.function`.

    Args:
        step, state, max_length, limits: as for `greedy_search`; the state is tiled
            `beam_width` times (encoder outputs and masks included).
        beam_width: hypotheses kept per sentence (1 is greedy search).
        alpha: length-normalization strength (0: none).
        best_only: stop each sentence as soon as its best hypothesis is known (a
            Python bool).
        compact: a finished sentence leaves the loop's batch (as for
            `greedy_search`; not under XLA).
        aligned: the step returns a third value per hypothesis, which each
            hypothesis keeps per token as it keeps its tokens (`decoding`: the
            alignment history of `[UNK]` repair).

    Returns:
        `(ids, scores)`: int32 `(batch, beam_width, max_length)`, best first, with
        padding after `[END]`; and float32 `(batch, beam_width)` normalized scores.
        With `aligned`, `(ids, scores, alignments)`, the last shaped as the ids.
    """
    beam_width = tf.cast(beam_width, tf.int32)
    alpha = tf.cast(alpha, tf.float32)
    batch = tf.shape(state[0])[0]
    limits = row_limits(limits, batch, max_length)
    flat = batch * beam_width
    state = tuple(tf.repeat(s, beam_width, axis=0) for s in state)
    # Only the first beam is live at the start, so the first step does not pick the
    # same token beam_width times.
    scores = tf.where(tf.equal(tf.range(beam_width), 0)[None, :],
                      tf.zeros([batch, beam_width]), tf.fill([batch, beam_width], -1e9))
    tokens = tf.fill([flat], tf.constant(START_ID, tf.int32))
    finished = tf.zeros([batch, beam_width], tf.bool)
    # The hypotheses' ids (and with `aligned`, the step's third values).
    written = (tf.zeros([batch, beam_width, max_length], tf.int32),) * (2 if aligned else 1)
    columns = tf.range(max_length)
    # With `compact`, each sentence's place in the batch it started in, and its
    # hypotheses and scores there (a finished sentence leaves the loop's batch).
    rows = tf.range(batch)
    results = (*written, scores)

    def cond(t, tokens, state, scores, finished, written, rows, limits, results):
        return tf.logical_and(t < max_length, tf.logical_not(tf.reduce_all(finished)))

    def body(t, tokens, state, scores, finished, written, rows, limits, results):
        batch = tf.shape(scores)[0]
        log_probs, new_state, *found = step(tokens, state)
        # An entry the step hands back unchanged (the attention memory, the source
        # mask, a Transformer's cross-attention keys and values) is the same in every
        # beam of a sentence: it needs no reordering below.
        moving = tuple(new is not old for new, old in zip(new_state, state, strict=True))
        state = new_state
        best, candidates = top_k_rows(tf.cast(log_probs, tf.float32), beam_width)
        k = tf.shape(best)[1]
        # A finished hypothesis may only add padding, at no cost: its candidates are
        # the first k ids (padding first), at 0 and -1e9.
        first = tf.range(k)
        best = tf.where(tf.reshape(finished, [-1, 1]),
                        tf.where(tf.equal(first, PAD_ID), 0.0, -1e9)[None, :], best)
        candidates = tf.where(tf.reshape(finished, [-1, 1]), first[None, :], candidates)
        total = tf.reshape(scores[:, :, None] + tf.reshape(best, [batch, beam_width, k]),
                           [batch, -1])
        scores, index = tf.math.top_k(total, k=beam_width)
        parent = index // k
        token = tf.gather(tf.reshape(candidates, [batch, -1]), index, batch_dims=1)
        # Each hypothesis extends its parent's: the parent's values, then this step's
        # (its token, and the step's third value of the parent's row).
        found = [tf.gather(tf.reshape(f, [batch, beam_width]), parent, batch_dims=1)
                 for f in found]
        now = tf.equal(columns, t)[None, None, :]
        written = tuple(tf.where(now, column[:, :, None], tf.gather(buffer, parent, batch_dims=1))
                        for buffer, column in zip(written, (token, *found), strict=True))
        sequences = written[0]
        finished = (tf.gather(finished, parent, batch_dims=1) | tf.equal(token, END_ID)
                    | (t + 1 >= limits)[:, None])
        if best_only:
            scores, finished = _settle(scores, finished, sequences, limits, alpha)
        beams = tf.reshape(parent + tf.range(batch)[:, None] * beam_width, [-1])
        state = tuple(tf.gather(s, beams) if move else s
                      for s, move in zip(state, moving, strict=True))
        token = tf.reshape(token, [-1])
        if compact:
            results = tuple(tf.tensor_scatter_nd_update(r, rows[:, None], v)
                            for r, v in zip(results, (*written, scores), strict=True))
            (scores, finished, written, rows, limits), (token, state) = compacted(
                tf.logical_not(tf.reduce_all(finished, axis=1)),
                (scores, finished, written, rows, limits), (token, state), beam_width)
        return t + 1, token, state, scores, finished, written, rows, limits, results

    # Every shape but the growing caches' is fixed by the inputs; the invariants say
    # that the batch dimensions are not known while the graph is built.
    matrix, vector = tf.TensorShape([None, None]), tf.TensorShape([None])
    cube = (tf.TensorShape([None, None, None]),) * len(written)
    _, _, _, scores, finished, written, _, _, results = tf.while_loop(
        cond, body, (tf.constant(0), tokens, state, scores, finished, written, rows, limits,
                     results),
        shape_invariants=(tf.TensorShape([]), vector, loop_shapes(state), matrix, matrix,
                          cube, vector, vector, (*cube, matrix)))
    if compact:
        *written, scores = results
    normalized = scores / _length_penalty(tf.math.count_nonzero(written[0], axis=2), alpha)
    order = tf.argsort(normalized, axis=1, direction="DESCENDING")
    ids, *alignments = (tf.gather(buffer, order, batch_dims=1) for buffer in written)
    return (ids, tf.gather(normalized, order, batch_dims=1), *alignments)


def _settle(scores, finished, sequences, limits, alpha):
    """`beam_search(best_only=True)`'s early stop: the sentences whose best finished
    hypothesis no live one can overtake end now, their live hypotheses scored -1e9
    (finished, they keep that score and the beam stays as it is)."""
    normalized = scores / _length_penalty(tf.math.count_nonzero(sequences, axis=2), alpha)
    normalized = tf.where(finished, normalized, -np.inf)
    best = tf.argmax(normalized, axis=1, output_type=tf.int32)
    best_normalized = tf.gather(normalized, best, batch_dims=1)[:, None]
    best_score = tf.gather(scores, best, batch_dims=1)[:, None]
    at_limit = scores / _length_penalty(limits, alpha)[:, None]
    behind = finished | ((scores < best_score) & (at_limit < best_normalized))
    settled = tf.reduce_any(finished, axis=1) & tf.reduce_all(behind, axis=1)
    cut = settled[:, None] & tf.logical_not(finished)
    return tf.where(cut, -1e9, scores), finished | settled[:, None]
