"""Decoding: the blog's step-by-step reference loop; compiled searches as strategies.

The reference loop (`decode_sequence`) is the classic example's: encode once, then
call `decoder_model.predict` once per output token, feeding back the argmax. It is
easy to read and slow: each `predict` call costs ~50 ms of fixed overhead.

The fast paths (greedy search, sampling, beam search) work over a model-agnostic step
function `step(tokens (batch,), state) -> (log_probs (batch, vocab), state)` and loop
in a `tf.while_loop` inside one `tf.function`, for a whole batch at once, with a
`done` mask for sentences that have already produced `[END]`. Without XLA, the
sentences that are done leave the batch as the search goes (`compact=True`, what
`translate` and the export run): a batch's short sentences then stop costing a step
each while its longest is still being written. The state is a tuple
of `(batch, ...)` tensors, whatever the model: `[h, c]`, plus the encoder outputs
and source mask with attention. The library's searches run `models.Seq2Seq.log_probs`
(the log-softmax of the model's logits); `make_step` builds the same from the blog's
decoder model (the log of its probabilities), for the lessons.

Each search with its options is a **strategy** object (`strategies`): what a
saved model stores as its default and what `Translator.translate` takes.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from keras import ops

# DEFAULT_ALPHA lives in config (with its measurements) so that the CLI reads it
# without importing TensorFlow; it is part of this module's API too.
from .config import DEFAULT_ALPHA
from .text import END_ID, PAD_ID, START_ID

__all__ = ["decode_sequence", "encode", "make_step", "greedy_search", "sample", "beam_search",
           "top_k_rows", "output_limits", "DEFAULT_ALPHA"]


def decode_sequence(encoder_model, decoder_model, source_ids, max_length):
    """The classic example's decoding loop, for one sentence.

    Args:
        encoder_model: `source (1, time) -> state` (a list: `[h, c]` in the blog;
            see `models.build_inference_models`).
        decoder_model: `[token (1, 1), *state] -> [probabilities (1, 1, vocab), *state]`.
        source_ids: the source sentence's ids, a 1-D sequence.
        max_length: stop after this many tokens if `[END]` never comes.

    Returns:
        The output ids, without `[START]` and `[END]`.
    """
    states = _as_list(encoder_model.predict(np.asarray([source_ids], dtype="int32"),
                                            verbose=0))
    token = START_ID
    output = []
    while len(output) < max_length:
        probabilities, *states = decoder_model.predict(
            [np.array([[token]], dtype="int32"), *states], verbose=0)
        token = int(np.argmax(probabilities[0, -1]))
        if token == END_ID:
            break
        output.append(token)
    return output


def _as_list(outputs):
    # A Keras model with a single output (a one-layer GRU encoder: just [h]) returns
    # that tensor, not a list of one.
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def encode(encoder_model, source_ids, training=False, **options):
    """The decoder's initial state for a batch of source ids, as a tuple of tensors
    (`options`: keywords of the encoder model's call)."""
    return tuple(_as_list(encoder_model(source_ids, training=training, **options)))


def make_step(decoder_model):
    """A step function over a decoder model `[tokens, *states] -> [probs, *states]`
    (the blog's; `models.Seq2Seq.log_probs` is the same over the logits).

    Returns:
        `step(tokens (batch,), state tuple) -> (log_probs (batch, vocab), state tuple)`.
    """

    def step(tokens, state):
        probabilities, *state = decoder_model([tokens[:, None], *state], training=False)
        return ops.log(probabilities[:, -1, :] + 1e-9), tuple(state)

    return step


def output_limits(source_lengths, max_source_length: int, max_target_length: int):
    """`search.Searcher.output_limit` as a tensor op, for graphs (the export, the
    Transformer's caches): `max(max_target_length, ceil(max_target_length * n /
    max_source_length))` per source length `n`, in float64 as Python computes it."""
    grown = tf.math.ceil(tf.cast(source_lengths, tf.float64) * max_target_length
                         / max_source_length)
    return tf.maximum(max_target_length, tf.cast(grown, tf.int32))


def _row_limits(limits, batch, max_length):
    """Per-row output limits `(batch,)`: `limits`, or `max_length` for every row."""
    if limits is None:
        return tf.fill([batch], tf.cast(max_length, tf.int32))
    return tf.cast(limits, tf.int32)


def _search(step, state, max_length, select, limits=None, compact=False):
    """The loop shared by greedy search and sampling.

    `select(log_probs (batch, vocab), t) -> tokens (batch,)` picks each next token.
    The output is a fixed `(batch, max_length)` array written column by column, not
    a growing list: its shape is then known in advance, which XLA requires
    (`jit_compile=True`, with `max_length` a Python int or a function argument).
    Row `i` stops after `limits[i]` tokens (at most `max_length`), so a sentence's
    output never depends on the other sentences of its batch. With `compact` (not
    under XLA: the batch then changes shape), the finished rows leave the batch once
    a quarter of it has finished (`_compacted`), so later steps compute only the
    live ones.
    """
    batch = tf.shape(state[0])[0]
    limits = _row_limits(limits, batch, max_length)
    tokens = tf.fill([batch], tf.constant(START_ID, tf.int32))
    done = tf.zeros([batch], tf.bool)
    outputs = tf.zeros([batch, max_length], tf.int32)
    rows = tf.range(batch)  # each row's place in `outputs`

    def cond(t, tokens, state, done, rows, limits, outputs):
        return tf.logical_and(t < max_length, tf.logical_not(tf.reduce_all(done)))

    def body(t, tokens, state, done, rows, limits, outputs):
        log_probs, state = step(tokens, state)
        next_tokens = select(log_probs, t)
        next_tokens = tf.where(done, tf.constant(PAD_ID, tf.int32), next_tokens)
        done = tf.logical_or(done, tf.equal(next_tokens, END_ID)) | (t + 1 >= limits)
        outputs = tf.tensor_scatter_nd_update(
            outputs, tf.stack([rows, tf.fill(tf.shape(rows), t)], axis=1), next_tokens)
        if compact:
            (next_tokens, state, done, rows, limits), _ = _compacted(
                tf.logical_not(done), (next_tokens, state, done, rows, limits))
        return t + 1, next_tokens, state, done, rows, limits, outputs

    state = tuple(state)
    vector = tf.TensorShape([None])
    *_, outputs = tf.while_loop(
        cond, body, (tf.constant(0), tokens, state, done, rows, limits, outputs),
        shape_invariants=(tf.TensorShape([]), vector, _loop_shapes(state), vector, vector,
                          vector, tf.TensorShape([None, None])))
    return outputs


def _compacted(live, values, grouped=(), group: int = 1):
    """`(values, grouped)` without the entries that are not `live`, once at least a
    quarter of them are not (else as they are): gathering every state tensor costs
    about a step, so it waits for that many.

    Args:
        live: `(n,)` booleans.
        values: a nest of `(n, ...)` tensors.
        grouped: a nest of `(n * group, ...)` tensors, `group` rows per entry of
            `live` (beam search: a sentence's hypotheses).
    """
    remaining = tf.reduce_sum(tf.cast(live, tf.int32))
    keep = tf.cast(tf.reshape(tf.where(live), [-1]), tf.int32)

    def gather():
        rows = tf.reshape(keep[:, None] * group + tf.range(group), [-1])
        return (tf.nest.map_structure(lambda v: tf.gather(v, keep), values),
                tf.nest.map_structure(lambda v: tf.gather(v, rows), grouped))

    return tf.cond((remaining > 0) & (4 * remaining <= 3 * tf.size(live)), gather,
                   lambda: (values, grouped))


def greedy_search(step, state, max_length, limits=None, compact=False):
    """Batched greedy decoding: at each step, feed back the most likely token.

    Call it inside a `tf.function` so the loop compiles to one `tf.while_loop`.

    Args:
        step: `step(tokens (batch,), state) -> (log_probs (batch, vocab), state)`.
        state: the initial decoder state (a tuple of `(batch, ...)` tensors).
        max_length: the most tokens to produce per sentence (a scalar tensor or int).
        limits: optional `(batch,)` per-sentence limits, each at most `max_length`.
        compact: drop the finished rows from the batch as the search goes (a Python
            bool; the same ids, fewer rows computed; not under XLA, which needs fixed
            shapes).

    Returns:
        int32 `(batch, max_length)` ids; after a sentence's `[END]` come padding ids 0.
    """
    return _search(step, state, max_length,
                   lambda log_probs, t: tf.argmax(log_probs, axis=-1, output_type=tf.int32),
                   limits, compact)


def sample(step, state, max_length, temperature=1.0, top_k=0, seed=0, limits=None):
    """Batched random sampling, reproducible for a seed.

    Args:
        step, state, max_length, limits: as for `greedy_search`.
        temperature: divides the log-probabilities; < 1 is more conservative, > 1
            more varied (a scalar, > 0).
        top_k: sample among the `top_k` most likely tokens only (0: all).
        seed: an integer; the same seed and the same batch give the same samples
            (a sentence's draw depends on its row in the batch).

    Returns:
        int32 `(batch, max_length)` ids, as `greedy_search`.
    """
    temperature = tf.cast(temperature, tf.float32)
    top_k = tf.cast(top_k, tf.int32)
    seed = tf.cast(seed, tf.int32)

    def select(log_probs, t):
        logits = tf.cast(log_probs, tf.float32) / temperature
        vocab = tf.shape(logits)[-1]

        def keep_top_k():
            kth = tf.math.top_k(logits, k=tf.minimum(top_k, vocab)).values[:, -1:]
            return tf.where(logits < kth, tf.constant(-1e9, logits.dtype), logits)

        # Sorting a 10k-word vocabulary every step costs time: only when asked.
        logits = tf.cond(top_k > 0, keep_top_k, lambda: logits)
        # Stateless: the sample depends only on (seed, step), never on call history.
        return tf.cast(tf.random.stateless_categorical(
            logits, 1, seed=tf.stack([seed, t]))[:, 0], tf.int32)

    return _search(step, state, max_length, select, limits)


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


def _loop_shapes(state):
    """`tf.while_loop` shape invariants of a state tuple: any batch size, and a
    dimension of size 0 at the start may grow (a Transformer's self-attention caches
    gain one position per step)."""
    return tuple(tf.TensorShape([None] + [None if d == 0 else d for d in s.shape[1:]])
                 for s in state)


def _length_penalty(lengths, alpha):
    """Wu et al.'s `((5 + length) / 6) ** alpha`, the divisor of a score."""
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, alpha)


def beam_search(step, state, max_length, beam_width=4, alpha=DEFAULT_ALPHA, limits=None,
                best_only=False, compact=False):
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

    Returns:
        `(ids, scores)`: int32 `(batch, beam_width, max_length)`, best first, with
        padding after `[END]`; and float32 `(batch, beam_width)` normalized scores.
    """
    beam_width = tf.cast(beam_width, tf.int32)
    alpha = tf.cast(alpha, tf.float32)
    batch = tf.shape(state[0])[0]
    limits = _row_limits(limits, batch, max_length)
    flat = batch * beam_width
    state = tuple(tf.repeat(s, beam_width, axis=0) for s in state)
    # Only the first beam is live at the start, so the first step does not pick the
    # same token beam_width times.
    scores = tf.where(tf.equal(tf.range(beam_width), 0)[None, :],
                      tf.zeros([batch, beam_width]), tf.fill([batch, beam_width], -1e9))
    tokens = tf.fill([flat], tf.constant(START_ID, tf.int32))
    finished = tf.zeros([batch, beam_width], tf.bool)
    sequences = tf.zeros([batch, beam_width, max_length], tf.int32)
    columns = tf.range(max_length)
    # With `compact`, each sentence's place in the batch it started in, and its
    # hypotheses and scores there (a finished sentence leaves the loop's batch).
    rows = tf.range(batch)
    results = (sequences, scores)

    def cond(t, tokens, state, scores, finished, sequences, rows, limits, results):
        return tf.logical_and(t < max_length, tf.logical_not(tf.reduce_all(finished)))

    def body(t, tokens, state, scores, finished, sequences, rows, limits, results):
        batch = tf.shape(scores)[0]
        log_probs, new_state = step(tokens, state)
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
        sequences = tf.where(tf.equal(columns, t)[None, None, :], token[:, :, None],
                             tf.gather(sequences, parent, batch_dims=1))
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
                            for r, v in zip(results, (sequences, scores), strict=True))
            (scores, finished, sequences, rows, limits), (token, state) = _compacted(
                tf.logical_not(tf.reduce_all(finished, axis=1)),
                (scores, finished, sequences, rows, limits), (token, state), beam_width)
        return t + 1, token, state, scores, finished, sequences, rows, limits, results

    # Every shape but the growing caches' is fixed by the inputs; the invariants say
    # that the batch dimensions are not known while the graph is built.
    matrix, vector = tf.TensorShape([None, None]), tf.TensorShape([None])
    _, _, _, scores, finished, sequences, _, _, results = tf.while_loop(
        cond, body, (tf.constant(0), tokens, state, scores, finished, sequences, rows, limits,
                     results),
        shape_invariants=(tf.TensorShape([]), vector, _loop_shapes(state), matrix, matrix,
                          tf.TensorShape([None, None, None]), vector, vector,
                          (tf.TensorShape([None, None, None]), matrix)))
    if compact:
        sequences, scores = results
    normalized = scores / _length_penalty(tf.math.count_nonzero(sequences, axis=2), alpha)
    order = tf.argsort(normalized, axis=1, direction="DESCENDING")
    return (tf.gather(sequences, order, batch_dims=1),
            tf.gather(normalized, order, batch_dims=1))


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
