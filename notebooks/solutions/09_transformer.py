"""Solutions to the exercises of notebook 09 · The Transformer bridge.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with `python notebooks/solutions/09_transformer.py`.
"""

import keras
import numpy as np

import seq2seq_keras as s2s


def _softmax(scores):
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def exercise_1():
    """Cross-attention over a padded source, by hand.

    Give `multi_head_attention` (section 2) an `attention_mask` argument: a boolean
    `(T, S)` array, True where query `t` may look at memory position `s`, as
    `keras.layers.MultiHeadAttention` takes it. Use it for cross-attention of 3 decoder
    positions over a source of 5 positions whose last 2 are padding (the mask the
    library's `wire_encoder` builds from `source != 0`), with 4 heads at depth 8. Assert
    that output and weights equal the layer's, that the padding gets weight 0 in every
    head, and that changing the padded vectors changes no output.
    """
    heads, depth = 4, 8
    rng = np.random.default_rng(0)
    memory = rng.normal(size=(5, depth)).astype("float32")
    queries = rng.normal(size=(3, depth)).astype("float32")
    real = np.array([True, True, True, False, False])  # source ids != 0
    mask = np.broadcast_to(real, (len(queries), len(memory)))  # (T, S)
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=depth // heads)

    def by_hand(queries, memory, attention_mask):
        def project(dense, x):
            return (np.einsum("td,dhk->htk", x, dense.kernel.numpy())
                    + dense.bias.numpy()[:, None])

        q = project(layer.query_dense, queries)
        k, v = project(layer.key_dense, memory), project(layer.value_dense, memory)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
        weights = _softmax(np.where(attention_mask, scores, -np.inf))
        concatenated = (weights @ v).transpose(1, 0, 2).reshape(len(queries), -1)
        w_o = layer.output_dense.kernel.numpy().reshape(concatenated.shape[1], -1)
        return concatenated @ w_o + layer.output_dense.bias.numpy(), weights

    keras_out, keras_weights = layer(queries[None], memory[None], attention_mask=mask[None],
                                     return_attention_scores=True)
    out, weights = by_hand(queries, memory, mask)
    np.testing.assert_allclose(out, keras_out[0], atol=1e-5)
    np.testing.assert_allclose(weights, keras_weights[0], atol=1e-5)
    assert np.all(weights[:, :, ~real] == 0)

    changed = memory.copy()
    changed[~real] = rng.normal(size=(2, depth))
    np.testing.assert_allclose(by_hand(queries, changed, mask)[0], out, atol=1e-6)
    return weights


def exercise_2():
    """The sine codes by hand.

    Write `sine_positions(length, depth)` in NumPy from its description (the sines of
    all frequencies, then their cosines; the rates are `10000^(-2i / depth)`), assert
    that it equals `s2s.layers.sine_positions`, and show that `codes[p] @ codes[p + k]`
    is the same for every `p`: a function of the distance `k` alone.
    """
    length, depth = 40, 16
    positions = np.arange(length, dtype="float64")[:, None]
    rates = 10000.0 ** (-2.0 * np.arange(depth // 2) / depth)
    angles = positions * rates[None, :]
    ours = np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)
    library = keras.ops.convert_to_numpy(s2s.layers.sine_positions(length, depth))
    np.testing.assert_allclose(ours, library, atol=1e-4)

    similarity = ours @ ours.T
    for k in (1, 3, 7):
        values = [similarity[p, p + k] for p in range(length - k)]
        np.testing.assert_allclose(values, values[0], atol=1e-9)
        # sin a sin b + cos a cos b = cos(a - b), summed over the frequencies.
        np.testing.assert_allclose(values[0], np.cos(k * rates).sum(), atol=1e-9)
    return similarity[0, :8]


def exercise_3():
    """What the causal mask guarantees.

    With `use_causal_mask=True`, change the inputs at positions 3 and 4 of a 5-step
    sequence: outputs 0 to 2 must not change, and 3 and 4 must. Show it, and count the
    positions a decoder computes to write 16 tokens with the cache and without it.

    Answer: 16 positions with the cache, 1 + 2 + ... + 16 = 136 without.
    """
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 5, 8)).astype("float32")
    changed = x.copy()
    changed[:, 3:] = rng.normal(size=(1, 2, 8))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    before = layer(x, x, use_causal_mask=True).numpy()[0]
    after = layer(changed, changed, use_causal_mask=True).numpy()[0]
    np.testing.assert_allclose(before[:3], after[:3], atol=1e-6)
    assert not np.allclose(before[3:], after[3:], atol=1e-3)

    tokens = 16
    cached, recomputed = tokens, sum(range(1, tokens + 1))
    assert (cached, recomputed) == (16, 136)
    return cached, recomputed


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
