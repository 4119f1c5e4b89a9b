"""Token embeddings: the blog's one-hot vectors, and the Transformer's tokens with sine
positions and the output layer tied to them."""

from __future__ import annotations

import math

import keras
from keras import ops

__all__ = ["OneHot", "SinePositionEmbedding", "TiedOutput", "sine_positions"]


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class OneHot(keras.layers.Layer):
    """One-hot encodes integer ids inside the graph, and masks the padding id 0.

    The classic example feeds dense one-hot arrays built in NumPy; making them here
    keeps the data as small integers. `one_hot(ids) @ W` picks rows of `W`, so this is
    the same model as an `Embedding` whose table is fixed to the identity.

    Args:
        num_tokens: vocabulary size (the one-hot depth).
        mask_zero: emit a mask that is `False` where the id is 0 (padding), as
            `keras.layers.Embedding(mask_zero=True)` does. Downstream RNNs then skip
            the padding, so the encoder's final state is the state after the last
            real token.

    Input shape: `(batch, time)` integers. Output shape: `(batch, time, num_tokens)`.
    """

    def __init__(self, num_tokens, mask_zero=True, **kwargs):
        super().__init__(**kwargs)
        if num_tokens <= 0:
            raise ValueError(f"num_tokens must be positive, got num_tokens={num_tokens}")
        self.num_tokens = num_tokens
        self.mask_zero = mask_zero
        self.supports_masking = True

    def call(self, inputs):
        return ops.one_hot(ops.cast(inputs, "int32"), self.num_tokens, dtype=self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "mask_zero": self.mask_zero}


def sine_positions(length, depth: int, start=0):
    """`(length, depth)` float32 sine / cosine codes of positions `start`, ...,
    `start + length - 1` (`depth` even)."""
    # `start +` an `arange` of the length alone: the length of a decoding step is
    # known when the graph is built (1), as XLA needs, where `start` is not.
    positions = ops.cast(start + ops.arange(length), "float32")[:, None]
    rates = ops.power(10000.0, -ops.cast(ops.arange(depth // 2), "float32") * 2.0 / depth)
    angles = positions * rates[None, :]
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


class SinePositionEmbedding(keras.layers.Layer):
    """Token embeddings scaled by `sqrt(depth)`, plus sine positions from `start`."""

    def __init__(self, vocab_size: int, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.depth = vocab_size, depth
        self.embedding = keras.layers.Embedding(vocab_size, depth, name="tokens")

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.built = True

    def call(self, ids, start=0):
        x = self.embedding(ids) * math.sqrt(self.depth)
        codes = sine_positions(ops.shape(ids)[1], self.depth, start)
        return x + ops.cast(codes, x.dtype)[None, :, :]

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "depth": self.depth}


class TiedOutput(keras.layers.Layer):
    """`x @ E^T + b`, logits: the output layer over the target vocabulary with the
    target embedding matrix `E` of `embedding` (a `SinePositionEmbedding`), and a
    bias of its own. The matrix is trained once, by both uses."""

    def __init__(self, embedding: SinePositionEmbedding, **kwargs):
        super().__init__(**kwargs)
        # The embedding layer stays the model's own (this layer adds only its
        # bias): the matrix is counted and saved once (tests/test_transformer.py).
        self._tied = [embedding]

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self._tied[0].vocab_size,), initializer="zeros",
                                    name="bias")
        self.built = True

    def call(self, x):
        matrix = self._tied[0].embedding.embeddings
        return ops.matmul(x, ops.transpose(ops.cast(matrix, x.dtype))) + self.bias
