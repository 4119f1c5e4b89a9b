"""The Transformer bridge: an encoder-decoder of attention alone, no recurrence.

The same interface as the LSTM models of `models`, so that training, the decoding
strategies, `Translator` and saving work unchanged:

* `build_transformer(config, source_vocab_size, target_vocab_size)`: the
  teacher-forced training graph, `[source ids, target ids shifted right] ->
  logits`, its layers named;
* `build_transformer_inference(model)`: `(encoder_model, decoder_model, step_model)`
  over the same layers. `encoder_model(source) -> state`; `decoder_model([token,
  *state]) -> [probabilities, *state]` (`step_model`: logits) decodes **one new
  position** per call: the keys and values of the earlier positions of every
  decoder self-attention are kept in the state (a cache that grows by one position
  per step), and those of the cross-attention are computed once by the encoder
  model. A step costs one position, not a rerun of the prefix, and the searches'
  `tf.while_loop` and beam search's reordering of the state rows work as for the
  LSTM. XLA needs every shape fixed: with `fixed_shapes=True` the caches are
  preallocated to the most positions the search can reach and written at the
  current one (each step then attends over, and beam search reorders, the whole
  preallocated cache, which costs more without XLA).

Layers: `keras.layers.MultiHeadAttention`, `LayerNormalization`, `Dense`,
`Embedding`, in pre-norm residual blocks (layer norm before each sub-block, which
trains without the careful warm-up a post-norm stack needs, and one final norm per
side). The cached step calls the attention layer's own projections
(`query_dense`, `key_dense`, `value_dense`, `output_dense`, `_compute_attention`),
so the weights are those of training: no second implementation of attention to
drift from the first. Positions are sine and cosine waves (Vaswani et al. 2017), not
a learned table: any source length can be encoded, so a sentence longer than any in
training is translated, as with the LSTM.

Why not keras-hub's `TransformerEncoder` / `TransformerDecoder` and
`TokenAndPositionEmbedding` (their source read on 2026-12-05, docs/results.md): the
decoder's cache is a buffer of the full length, `(batch, 2, max_length, heads,
head_dim)`, written at an index with `slice_update` (the preallocated kind, which
costs more here without XLA), its self- and cross-attention caches come both or
neither, and what it returns changes with the arguments; its blocks are post-norm
by default; `TokenAndPositionEmbedding` is a learned table of a fixed
`sequence_length` that a longer input runs past; and keras-hub pins a
tensorflow-text older than the 2.21.1 this package needs with TF 2.21. Keras' own
`MultiHeadAttention` exposes its projections and `_compute_attention` (documented
as the method to override), which is all a one-position step needs.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from .config import Config
from .decoding import output_limits

__all__ = ["build_transformer", "build_transformer_inference", "build_transformer_attention",
           "is_transformer", "sine_positions", "SinePositionEmbedding", "TiedOutput",
           "WarmupSchedule"]


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


def is_transformer(model: keras.Model) -> bool:
    """Whether `model` was built by `build_transformer`."""
    return any(layer.name == "encoder_positions" for layer in model.layers)


def _layers(config: Config, source_vocab_size: int, target_vocab_size: int) -> dict:
    d, heads = config.units, config.num_heads
    layers = {"encoder_positions": SinePositionEmbedding(source_vocab_size, d,
                                                         name="encoder_positions"),
              "decoder_positions": SinePositionEmbedding(target_vocab_size, d,
                                                         name="decoder_positions"),
              "encoder_norm": keras.layers.LayerNormalization(name="encoder_norm"),
              "decoder_norm": keras.layers.LayerNormalization(name="decoder_norm"),
              "dropout": keras.layers.Dropout(config.dropout, name="dropout")}
    layers["decoder_dense"] = (
        TiedOutput(layers["decoder_positions"], name="decoder_dense") if config.tie_embeddings
        else keras.layers.Dense(target_vocab_size, name="decoder_dense"))  # logits
    for k in range(config.num_layers):
        for side, attentions in (("encoder", ("self",)), ("decoder", ("self", "cross"))):
            for kind in attentions:
                layers[f"{side}_{k}_{kind}_attention"] = keras.layers.MultiHeadAttention(
                    heads, d // heads, dropout=config.dropout,
                    name=f"{side}_{k}_{kind}_attention")
                layers[f"{side}_{k}_{kind}_norm"] = keras.layers.LayerNormalization(
                    name=f"{side}_{k}_{kind}_norm")
            layers[f"{side}_{k}_ff_norm"] = keras.layers.LayerNormalization(
                name=f"{side}_{k}_ff_norm")
            layers[f"{side}_{k}_ff_in"] = keras.layers.Dense(
                config.ff_dim, activation="relu", name=f"{side}_{k}_ff_in")
            layers[f"{side}_{k}_ff_out"] = keras.layers.Dense(d, name=f"{side}_{k}_ff_out")
    return layers


def _feed_forward(layers, side, k, x):
    h = layers[f"{side}_{k}_ff_out"](layers[f"{side}_{k}_ff_in"](layers[f"{side}_{k}_ff_norm"](x)))
    return x + layers["dropout"](h)


def _encode(layers, source, num_layers):
    """`(encoder outputs (batch, S, d), source mask (batch, 1, S) bool)`."""
    mask = ops.expand_dims(ops.not_equal(source, 0), 1)
    x = layers["dropout"](layers["encoder_positions"](source))
    for k in range(num_layers):
        h = layers[f"encoder_{k}_self_norm"](x)
        x = x + layers["dropout"](layers[f"encoder_{k}_self_attention"](
            h, h, attention_mask=mask))
        x = _feed_forward(layers, "encoder", k, x)
    return layers["encoder_norm"](x), mask


def _decode(layers, tokens, memory, mask, num_layers, scores=False):
    """Teacher-forced decoder: `logits (batch, T, vocab)`; with `scores`, also
    the last block's cross-attention weights, averaged over heads `(batch, T, S)`."""
    x = layers["dropout"](layers["decoder_positions"](tokens))
    weights = None
    for k in range(num_layers):
        h = layers[f"decoder_{k}_self_norm"](x)
        x = x + layers["dropout"](layers[f"decoder_{k}_self_attention"](
            h, h, use_causal_mask=True))
        h = layers[f"decoder_{k}_cross_norm"](x)
        cross = layers[f"decoder_{k}_cross_attention"]
        if scores and k == num_layers - 1:
            out, weights = cross(h, memory, attention_mask=mask, return_attention_scores=True)
        else:
            out = cross(h, memory, attention_mask=mask)
        x = x + layers["dropout"](out)
        x = _feed_forward(layers, "decoder", k, x)
    logits = layers["decoder_dense"](layers["decoder_norm"](x))
    return (logits, ops.mean(weights, axis=1)) if scores else logits


def build_transformer(config: Config, source_vocab_size: int,
                      target_vocab_size: int) -> keras.Model:
    """The teacher-forced training graph, inputs and outputs as `models.build_training_model`."""
    layers = _layers(config, source_vocab_size, target_vocab_size)
    source = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
    tokens = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
    memory, mask = _encode(layers, source, config.num_layers)
    logits = _decode(layers, tokens, memory, mask, config.num_layers)
    model = keras.Model([source, tokens], logits, name="transformer")
    # The longest output a search may write for a source width (as
    # `search.Searcher.output_limit`), which sizes the decoding caches.
    model.output_capacity = _capacity(config.max_source_length, config.max_target_length)
    return model


def _capacity(max_source_length, max_target_length):
    def capacity(width):
        if max_source_length is None or max_target_length is None:
            raise ValueError("a Transformer decodes with the length limits of its trained "
                             "config (max_source_length, max_target_length)")
        return output_limits(width, max_source_length, max_target_length) + 1
    return capacity


def _layers_of(model):
    return {layer.name: layer for layer in model.layers}


def _num_layers(layers):
    return sum(1 for name in layers if name.endswith("_self_attention")
               and name.startswith("encoder_"))


class _Encoder(keras.Model):
    """`source (batch, S) -> state`: memory, mask, position, cross-attention keys and
    values per layer, and empty self-attention caches: of 0 positions, which each
    step grows by one; with `fixed_shapes=True` (for XLA), of `capacity(S)`
    positions, which each step writes at its own."""

    def __init__(self, layers, capacity, **kwargs):
        super().__init__(**kwargs)
        self._layers_by_name, self.capacity = layers, capacity
        self.num_blocks = _num_layers(layers)

    def call(self, source, fixed_shapes: bool = False):
        memory, mask = _encode(self._layers_by_name, source, self.num_blocks)
        batch = ops.shape(source)[0]
        positions = self.capacity(ops.shape(source)[1]) if fixed_shapes else 0
        state = [memory, ops.cast(mask, "float32"), ops.zeros((batch,), "int32")]
        for k in range(self.num_blocks):
            cross = self._layers_by_name[f"decoder_{k}_cross_attention"]
            self_attention = self._layers_by_name[f"decoder_{k}_self_attention"]
            state += [cross.key_dense(memory), cross.value_dense(memory)]
            shape = (batch, positions, self_attention.num_heads, self_attention.key_dim)
            state += [ops.zeros(shape, memory.dtype), ops.zeros(shape, memory.dtype)]
        return state


class _DecoderStep(keras.Model):
    """`[token (batch, 1), *state] -> [probabilities (batch, 1, vocab), *state]`, or
    the logits with `softmax=False`; `fixed_shapes` as for the `_Encoder` that made
    the state."""

    def __init__(self, layers, softmax: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._layers_by_name, self._softmax = layers, softmax
        self.num_blocks = _num_layers(layers)

    def call(self, inputs, fixed_shapes: bool = False):
        layers = self._layers_by_name
        tokens, memory, mask, position, *caches = inputs
        t = position[0]  # every row of a batch is at the same step
        x = layers["decoder_positions"](tokens, start=t)
        cross_mask = ops.cast(mask, "bool")
        new_caches = []
        for k in range(self.num_blocks):
            cross_keys, cross_values, keys, values = caches[4 * k: 4 * k + 4]
            attention = layers[f"decoder_{k}_self_attention"]
            h = layers[f"decoder_{k}_self_norm"](x)
            keys, values, visible = _cached(keys, values, attention.key_dense(h),
                                            attention.value_dense(h), t, fixed_shapes)
            out, _ = attention._compute_attention(attention.query_dense(h), keys, values,
                                                  attention_mask=visible)
            x = x + attention.output_dense(out)
            cross = layers[f"decoder_{k}_cross_attention"]
            h = layers[f"decoder_{k}_cross_norm"](x)
            out, _ = cross._compute_attention(cross.query_dense(h), cross_keys, cross_values,
                                              attention_mask=cross_mask)
            x = x + cross.output_dense(out)
            x = _feed_forward(layers, "decoder", k, x)
            new_caches += [cross_keys, cross_values, keys, values]
        logits = layers["decoder_dense"](layers["decoder_norm"](x))
        return [ops.softmax(logits) if self._softmax else logits, memory, mask, position + 1,
                *new_caches]


def _cached(keys, values, new_keys, new_values, t, fixed_shapes):
    """The self-attention keys and values of positions `0..t` and the mask of those
    a query may see: the new position appended (every cached one is seen: `None`),
    or, in caches of a fixed size, written at `t` with the later ones masked."""
    if not fixed_shapes:
        return (ops.concatenate([keys, new_keys], axis=1),
                ops.concatenate([values, new_values], axis=1), None)
    start = [0, t, 0, 0]
    keys = ops.slice_update(keys, start, new_keys)
    values = ops.slice_update(values, start, new_values)
    seen = ops.arange(ops.shape(keys)[1]) <= t
    return keys, values, ops.broadcast_to(seen[None, None, :], (ops.shape(keys)[0], 1,
                                                                 ops.shape(keys)[1]))


def build_transformer_inference(model: keras.Model):
    """`(encoder_model, decoder_model, step_model)` of a `build_transformer` model,
    sharing its weights (`step_model`: `decoder_model` without its softmax). The
    self-attention caches grow by a position per step; with `fixed_shapes=True`
    (a keyword of all three, for XLA) they hold `model.output_capacity(source
    width)` positions from the start, more than the longest output a search may
    write."""
    layers = _layers_of(model)
    return (_Encoder(layers, model.output_capacity, name="encoder_model"),
            _DecoderStep(layers, name="decoder_model"),
            _DecoderStep(layers, softmax=False, name="step_model"))


class _Attention(keras.Model):
    """`[source, target_in] -> (batch, T, S)` cross-attention weights (a subclassed
    model: a functional graph cannot ask the training graph's attention layers for
    their scores, having called them without)."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self._layers_by_name = layers

    def call(self, inputs):
        source, tokens = inputs
        layers, blocks = self._layers_by_name, _num_layers(self._layers_by_name)
        memory, mask = _encode(layers, source, blocks)
        return _decode(layers, tokens, memory, mask, blocks, scores=True)[1]


def build_transformer_attention(model: keras.Model) -> keras.Model:
    """`[source, target_in] -> (batch, T, S)`: the last decoder block's cross-attention,
    averaged over heads, teacher-forced (for heat maps, as `models.build_attention_model`)."""
    return _Attention(_layers_of(model), name="attention_model")


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`peak * min(step / warmup, sqrt(warmup / step))`: a linear rise to `peak` over
    `warmup` steps, then the inverse square root of the step (Vaswani et al. 2017).
    With `decay` (> `warmup`), after the rise a straight line from `peak` down to 0 at
    step `decay` instead, and 0 after it."""

    def __init__(self, peak: float, warmup: int, decay: int = 0):
        self.peak, self.warmup, self.decay = peak, warmup, decay

    def __call__(self, step):
        step = ops.maximum(ops.cast(step, "float32") + 1.0, 1.0)
        warmup = float(self.warmup)
        after = (ops.maximum(0.0, (self.decay - step) / (self.decay - warmup)) if self.decay
                 else ops.sqrt(warmup / step))
        return self.peak * ops.minimum(step / warmup, after)

    def get_config(self):
        return {"peak": self.peak, "warmup": self.warmup, "decay": self.decay}
