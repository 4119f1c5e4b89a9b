"""Greedy search and sampling: one `tf.while_loop` over a step function.

The step function is `step(tokens (batch,), state) -> (log_probs (batch, vocab),
state)` (`models.Seq2Seq.log_probs`, or `models.make_step` over the blog's decoder
model); the state is a tuple of `(batch, ...)` tensors, whatever the model. The loop
runs a whole batch inside one `tf.function`, with a `done` mask for the sentences that
wrote `[END]`; without XLA the finished sentences leave the batch as it goes
(`compact=True`). With `aligned=True` the step returns a third `(batch,)` int32 value
(the source position the attention weighed most), kept per output token: the
alignment history that `[UNK]` repair reads. Beam search (`decoding.beam`) shares the helpers.
"""

from __future__ import annotations

import tensorflow as tf

from seq2seq_keras.text.vocabulary import END_ID, PAD_ID, START_ID

__all__ = ["greedy_search", "sample", "search_loop", "compacted", "loop_shapes", "row_limits"]


def row_limits(limits, batch, max_length):
    """Per-row output limits `(batch,)`: `limits`, or `max_length` for every row."""
    if limits is None:
        return tf.fill([batch], tf.cast(max_length, tf.int32))
    return tf.cast(limits, tf.int32)


def search_loop(step, state, max_length, select, limits=None, compact=False, aligned=False):
    """The loop shared by greedy search and sampling.

    `select(log_probs (batch, vocab), t) -> tokens (batch,)` picks each next token.
    The output is a fixed `(batch, max_length)` array written column by column, not
    a growing list: its shape is then known in advance, which XLA requires
    (`jit_compile=True`, with `max_length` a Python int or a function argument).
    Row `i` stops after `limits[i]` tokens (at most `max_length`), so a sentence's
    output never depends on the other sentences of its batch. With `compact` (not
    under XLA: the batch then changes shape), the finished rows leave the batch once
    a quarter of it has finished (`compacted`), so later steps compute only the
    live ones. With `aligned`, the step's third value per token too (see above).
    """
    batch = tf.shape(state[0])[0]
    limits = row_limits(limits, batch, max_length)
    tokens = tf.fill([batch], tf.constant(START_ID, tf.int32))
    done = tf.zeros([batch], tf.bool)
    # The output ids (and with `aligned`, the step's third values), and each row's
    # place in them.
    outputs = (tf.zeros([batch, max_length], tf.int32),) * (2 if aligned else 1)
    rows = tf.range(batch)

    def cond(t, tokens, state, done, rows, limits, outputs):
        return tf.logical_and(t < max_length, tf.logical_not(tf.reduce_all(done)))

    def body(t, tokens, state, done, rows, limits, outputs):
        log_probs, state, *found = step(tokens, state)
        next_tokens = select(log_probs, t)
        next_tokens = tf.where(done, tf.constant(PAD_ID, tf.int32), next_tokens)
        done = tf.logical_or(done, tf.equal(next_tokens, END_ID)) | (t + 1 >= limits)
        places = tf.stack([rows, tf.fill(tf.shape(rows), t)], axis=1)
        outputs = tuple(tf.tensor_scatter_nd_update(buffer, places, column) for buffer, column
                        in zip(outputs, (next_tokens, *found), strict=True))
        if compact:
            (next_tokens, state, done, rows, limits), _ = compacted(
                tf.logical_not(done), (next_tokens, state, done, rows, limits))
        return t + 1, next_tokens, state, done, rows, limits, outputs

    state = tuple(state)
    vector = tf.TensorShape([None])
    *_, outputs = tf.while_loop(
        cond, body, (tf.constant(0), tokens, state, done, rows, limits, outputs),
        shape_invariants=(tf.TensorShape([]), vector, loop_shapes(state), vector, vector,
                          vector, (tf.TensorShape([None, None]),) * len(outputs)))
    return outputs if aligned else outputs[0]


def compacted(live, values, grouped=(), group: int = 1):
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


def greedy_search(step, state, max_length, limits=None, compact=False, aligned=False):
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
        aligned: the step returns a third value per row, returned per token (a
            Python bool; see the module's docstring).

    Returns:
        int32 `(batch, max_length)` ids; after a sentence's `[END]` come padding ids 0.
        With `aligned`, `(ids, alignments)`, the second of the same shape.
    """
    return search_loop(step, state, max_length,
                   lambda log_probs, t: tf.argmax(log_probs, axis=-1, output_type=tf.int32),
                   limits, compact, aligned)


def sample(step, state, max_length, temperature=1.0, top_k=0, seed=0, limits=None,
           aligned=False):
    """Batched random sampling, reproducible for a seed.

    Args:
        step, state, max_length, limits, aligned: as for `greedy_search`.
        temperature: divides the log-probabilities; < 1 is more conservative, > 1
            more varied (a scalar, > 0).
        top_k: sample among the `top_k` most likely tokens only (0: all).
        seed: an integer; the same seed and the same batch give the same samples
            (a sentence's draw depends on its row in the batch).

    Returns:
        int32 `(batch, max_length)` ids (and alignments), as `greedy_search`.
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

    return search_loop(step, state, max_length, select, limits, aligned=aligned)


def loop_shapes(state):
    """`tf.while_loop` shape invariants of a state tuple: any batch size, and a
    dimension of size 0 at the start may grow (a Transformer's self-attention caches
    gain one position per step)."""
    return tuple(tf.TensorShape([None] + [None if d == 0 else d for d in s.shape[1:]])
                 for s in state)
