"""Attention over the encoder outputs: Luong (multiplicative) and Bahdanau (additive).

At each decoder step, attention scores every source position against the decoder's
state (the *query*), turns the scores into weights with a softmax over the real
(unmasked) source positions, and returns the weighted sum of the encoder outputs:
the *context* vector. The decoder then predicts from `[decoder output, context]`,
so a long sentence no longer has to squeeze through the two state vectors `[h, c]`.

* Luong "general": `score(q, k) = q · W k` (Luong et al., 2015); `scale=True` divides it
  by `sqrt(query_dim)`, as the Transformer's dot-product attention does (Vaswani et al., 2017).
* Bahdanau: `score(q, k) = v · tanh(W_q q + W_k k)` (Bahdanau et al., 2015).

Keras' own `keras.layers.Attention` is Luong's "dot" score without `W`, and
`keras.layers.AdditiveAttention` has no `W_q`, `W_k` (query and keys must then have
the same size); these layers have the weight matrices of the papers.
"""

from __future__ import annotations

import warnings

import keras
from keras import ops

__all__ = ["LuongAttention", "BahdanauAttention", "get_attention", "DropMask"]


class DropMask(keras.layers.Layer):
    """Passes its input on without its Keras mask: the encoder model's attention
    memory carries the source mask as a tensor of its own, and a mask left on its
    outputs would make every eager call of the decoder model warn that the mask is
    lost."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.copy(inputs)  # a new tensor: the input's own carries the mask

    def compute_mask(self, inputs, mask=None):
        return None


class _Attention(keras.layers.Layer):
    """Shared call: scores -> masked softmax -> context."""

    def __init__(self, units=None, **kwargs):
        super().__init__(**kwargs)
        if units is not None and units <= 0:
            raise ValueError(f"units must be positive, got units={units}")
        self.units = units
        # The decoder outputs arrive with their mask; the padding of the target is
        # handled by the loss, so the layer accepts the mask and emits none.
        self.supports_masking = True

    def compute_mask(self, *args, **kwargs):
        return None

    def call(self, query, value, value_mask=None):
        """Attend from `query` over `value`.

        Args:
            query: `(batch, target_time, query_dim)`, the decoder outputs.
            value: `(batch, source_time, value_dim)`, the encoder outputs.
            value_mask: `(batch, source_time)`, 1 for real source tokens, 0 for
                padding (any dtype); padding gets zero weight.

        Returns:
            `(context, weights)`: `(batch, target_time, value_dim)` and
            `(batch, target_time, source_time)`; weights sum to 1 over the source.
        """
        scores = self.scores(query, value)
        if value_mask is not None:
            keep = ops.cast(value_mask, "bool")[:, None, :]
            scores = ops.where(keep, scores, ops.full_like(scores, -1e9))
        with warnings.catch_warnings():
            # Keras warns when the softmax axis has size 1; a one-word source does
            # have one position to attend to, and its weight is rightly 1.
            warnings.filterwarnings("ignore", "You are using a softmax over axis")
            weights = ops.softmax(scores, axis=-1)
        return ops.matmul(weights, value), weights

    def compute_output_shape(self, query_shape, value_shape, value_mask_shape=None):
        return ((*query_shape[:2], value_shape[-1]), (*query_shape[:2], value_shape[1]))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class LuongAttention(_Attention):
    """Luong's multiplicative ("general") attention: `score(q, k) = q · W k`.

    A dot product of `d` numbers grows with `d`: as training enlarges the queries and `W`,
    the scores can span tens of units, the softmax saturates onto one position, and the
    gradient that would move the weight elsewhere vanishes. `scale=True` divides the
    scores by `sqrt(d)` (the Transformer's scaled dot product), which keeps them in the
    softmax's working range.

    Args:
        units: unused (the score has no hidden layer); kept for a common signature.
        scale: divide the scores by `sqrt(query_dim)` (default False: Luong's score,
            as the shipped `en_fr` model was trained).

    Examples:
        >>> layer = LuongAttention()
        >>> context, weights = layer(keras.ops.ones((2, 3, 8)), keras.ops.ones((2, 5, 6)))
        >>> tuple(context.shape), tuple(weights.shape)
        ((2, 3, 6), (2, 3, 5))
    """

    def __init__(self, units=None, scale=False, **kwargs):
        super().__init__(units=units, **kwargs)
        self.scale = bool(scale)

    def build(self, query_shape, value_shape, value_mask_shape=None):
        self.kernel = self.add_weight(
            name="kernel", shape=(value_shape[-1], query_shape[-1]),
            initializer="glorot_uniform")

    def scores(self, query, value):
        keys = ops.matmul(value, self.kernel)                 # (batch, source, query_dim)
        scores = ops.matmul(query, ops.transpose(keys, (0, 2, 1)))  # (batch, target, source)
        if self.scale:
            scores = scores / ops.sqrt(ops.cast(ops.shape(query)[-1], scores.dtype))
        return scores

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class BahdanauAttention(_Attention):
    """Bahdanau's additive attention: `score(q, k) = v · tanh(W_q q + W_k k)`.

    Args:
        units: size of the hidden layer of the score (default 128).
    """

    def __init__(self, units=128, **kwargs):
        super().__init__(units=units, **kwargs)

    def build(self, query_shape, value_shape, value_mask_shape=None):
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units),
            initializer="glorot_uniform")
        self.key_kernel = self.add_weight(
            name="key_kernel", shape=(value_shape[-1], self.units),
            initializer="glorot_uniform")
        self.score_vector = self.add_weight(
            name="score_vector", shape=(self.units,), initializer="glorot_uniform")

    def scores(self, query, value):
        q = ops.matmul(query, self.query_kernel)[:, :, None, :]  # (batch, target, 1, units)
        k = ops.matmul(value, self.key_kernel)[:, None, :, :]    # (batch, 1, source, units)
        return ops.sum(ops.tanh(q + k) * self.score_vector, axis=-1)


def get_attention(kind: str, units: int = 128, name: str = "attention"):
    """An attention layer by name: `"luong"`, `"scaled_luong"` (Luong's score divided by
    `sqrt(query_dim)`) or `"bahdanau"`.

    Raises:
        ValueError: for another name.
    """
    if kind in ("luong", "scaled_luong"):
        return LuongAttention(scale=kind == "scaled_luong", name=name)
    if kind == "bahdanau":
        return BahdanauAttention(units, name=name)
    raise ValueError("attention must be 'luong', 'scaled_luong', 'bahdanau' or None, got "
                     f"attention={kind!r}")
