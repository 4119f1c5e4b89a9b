"""The Transformer: an encoder-decoder of attention alone, with the LSTM's interface.

* `build_transformer(config, ...)`: the teacher-forced training graph, `[source ids,
  target ids shifted right] -> logits`, its layers named (a `TransformerModel`);
* `build_transformer_inference(model)`: `(encoder_model, decoder_model, step_model)`
  over the same layers. The decoder models compute **one new position** per call:
  the keys and values of the earlier positions of each self-attention are kept in
  the state (a cache that grows by a position per step, or, with
  `fixed_shapes=True` for XLA, preallocated and written at the current position).

Pre-norm residual blocks of `keras.layers.MultiHeadAttention`, `LayerNormalization`
and `Dense`; sine positions (`layers.embeddings`); the output layer tied to the
target embedding. The cached step calls the attention layers' own projections, so
there is no second implementation of attention. Why not keras-hub's layers:
docs/results.md.
"""

from __future__ import annotations

import keras
from keras import ops

from seq2seq_keras.config import Config
from seq2seq_keras.layers.embeddings import SinePositionEmbedding, TiedOutput
from seq2seq_keras.models.limits import output_limits

__all__ = ["wire_encoder", "wire_decoder", "feed_forward", "TransformerModel",
           "build_transformer", "build_transformer_inference", "build_transformer_attention"]


class TransformerModel(keras.Model):
    """The training graph of `build_transformer` (a functional model), with the length
    limits of its config: the decoding caches are sized from them (`output_capacity`).
    """

    def __init__(self, inputs, outputs, max_source_length=None, max_target_length=None,
                 **kwargs):
        super().__init__(inputs, outputs, **kwargs)
        self.max_source_length, self.max_target_length = max_source_length, max_target_length

    def output_capacity(self, width):
        """Cache positions for sources `width` tokens wide: one more than the longest
        output a search may write for them (`models.limits.output_limits`)."""
        if self.max_source_length is None or self.max_target_length is None:
            raise ValueError("a Transformer decodes with the length limits of its trained "
                             "config (max_source_length, max_target_length)")
        return output_limits(width, self.max_source_length, self.max_target_length) + 1


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


def feed_forward(layers, side, k, x):
    h = layers[f"{side}_{k}_ff_out"](layers[f"{side}_{k}_ff_in"](layers[f"{side}_{k}_ff_norm"](x)))
    return x + layers["dropout"](h)


def wire_encoder(layers, source, num_layers):
    """`(encoder outputs (batch, S, d), source mask (batch, 1, S) bool)`."""
    mask = ops.expand_dims(ops.not_equal(source, 0), 1)
    x = layers["dropout"](layers["encoder_positions"](source))
    for k in range(num_layers):
        h = layers[f"encoder_{k}_self_norm"](x)
        x = x + layers["dropout"](layers[f"encoder_{k}_self_attention"](
            h, h, attention_mask=mask))
        x = feed_forward(layers, "encoder", k, x)
    return layers["encoder_norm"](x), mask


def wire_decoder(layers, tokens, memory, mask, num_layers, scores=False):
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
        x = feed_forward(layers, "decoder", k, x)
    logits = layers["decoder_dense"](layers["decoder_norm"](x))
    return (logits, ops.mean(weights, axis=1)) if scores else logits


def build_transformer(config: Config, source_vocab_size: int,
                      target_vocab_size: int) -> keras.Model:
    """The teacher-forced training graph, inputs and outputs as `models.build_training_model`."""
    layers = _layers(config, source_vocab_size, target_vocab_size)
    source = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
    tokens = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
    memory, mask = wire_encoder(layers, source, config.num_layers)
    logits = wire_decoder(layers, tokens, memory, mask, config.num_layers)
    return TransformerModel([source, tokens], logits, config.max_source_length,
                            config.max_target_length, name="transformer")


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
        memory, mask = wire_encoder(self._layers_by_name, source, self.num_blocks)
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
            x = feed_forward(layers, "decoder", k, x)
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
        memory, mask = wire_encoder(layers, source, blocks)
        return wire_decoder(layers, tokens, memory, mask, blocks, scores=True)[1]


def build_transformer_attention(model: keras.Model) -> keras.Model:
    """`[source, target_in] -> (batch, T, S)`: the last decoder block's cross-attention,
    averaged over heads, teacher-forced (for heat maps, as `models.build_attention_model`)."""
    return _Attention(_layers_of(model), name="attention_model")


