"""The encoder-decoder: one set of named layers, wired into three graphs.

* the **training model** (teacher forcing): `[source, target_in] -> logits` (the loss
  takes logits: no softmax in the training graph);
* the **encoder model**: `source -> [h, c]`;
* the **decoder model**: `[token, h, c] -> [probabilities, h, c]`, one step (the
  blog's, with the softmax on the same logits).
(`config.architecture="transformer"` builds the same three from `transformer`.)

All three are wired by the same two functions, `_encode` and `_decode`, from the
same layer objects; the inference graphs look the layers up by name
(`model.get_layer("decoder_lstm")`), so they share the trained weights and can be
rebuilt after loading the model in a fresh process. With attention, the state
also carries the encoder outputs and the source mask (the attention "memory").
"""

from __future__ import annotations

import keras
from keras import ops

from . import transformer
from .attention import DropMask, get_attention
from .cells import CoupledLSTMCell, PeepholeLSTMCell
from .config import Config

__all__ = ["OneHot", "MaskedAccuracy", "MaskedSparseCategoricalCrossentropy",
           "build_training_model", "build_attention_model", "build_inference_models",
           "compile_model"]


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


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Cross-entropy per real target token: padding (id 0) is not a prediction.

    The mask comes from the targets themselves, so it does not depend on Keras
    propagating masks to the model output. The classic example averages over padded
    positions too, which makes its loss look smaller than the per-token loss.

    It takes logits, as the models give them (`p = softmax(logits)`).

    Args:
        label_smoothing: the target distribution puts `1 - label_smoothing` on the
            reference token and spreads `label_smoothing` evenly over all `K` tokens,
            so the loss is `(1 - e) * -log p[ref] + e * mean_k(-log p[k])`.
    """

    def __init__(self, label_smoothing=0.0, name="masked_sparse_categorical_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        loss = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        if self.label_smoothing:
            uniform = -ops.mean(ops.log_softmax(y_pred, axis=-1), axis=-1)
            loss = (1.0 - self.label_smoothing) * loss + self.label_smoothing * uniform
        return loss

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        mask = ops.cast(ops.not_equal(y_true, 0), losses.dtype)
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, losses.dtype)
        return _scale_for_replicas(ops.sum(losses * mask) / ops.maximum(ops.sum(mask), 1.0))

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def _scale_for_replicas(loss):
    # Under a tf.distribute strategy each replica's loss is divided by the replicas'
    # number, so the summed gradients average them, as Keras' own losses do.
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / replicas
    return loss


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class MaskedAccuracy(keras.metrics.Metric):
    """Accuracy over real target tokens, accumulated exactly across batches.

    The classic example reports 0.87 "accuracy" because it counts correctly predicted
    padding; over real characters the same model scores 0.63.
    """

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable((), initializer="zeros", name="correct")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(y_true, 0), self.dtype)
        hits = ops.cast(ops.equal(ops.argmax(y_pred, axis=-1), y_true), self.dtype)
        self.correct.assign_add(ops.sum(hits * mask))
        self.count.assign_add(ops.sum(mask))

    def result(self):
        return ops.divide_no_nan(self.correct, self.count)


def _token_layer(config: Config, vocab_size: int, side: str):
    name = f"{side}_embedding"
    if config.embedding_dim is None:
        return OneHot(vocab_size, mask_zero=True, name=name)
    return keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=True, name=name)


_VARIANT_CELLS = {"peephole_lstm": PeepholeLSTMCell, "cifg_lstm": CoupledLSTMCell}


def _recurrent_layer(config: Config, units: int, return_sequences: bool, name: str):
    """One recurrent layer of the configured cell, returning its final states.

    `keras.layers.LSTM` and `GRU` keep their cuDNN path on a GPU with the defaults
    (tanh / sigmoid activations, no `recurrent_dropout`, right padding); the variant
    cells run through the generic `keras.layers.RNN` loop.
    """
    options = dict(config.rnn_options or {})
    common = {"return_sequences": return_sequences, "return_state": True, "name": name}
    if config.cell == "lstm":
        return keras.layers.LSTM(units, recurrent_dropout=config.recurrent_dropout,
                                 **options, **common)
    if config.cell == "gru":
        return keras.layers.GRU(units, recurrent_dropout=config.recurrent_dropout,
                                **options, **common)
    return keras.layers.RNN(_VARIANT_CELLS[config.cell](units, **options), **common)


def _num_states(layer) -> int:
    """States per direction of a recurrent layer: `[h]` for GRU, `[h, c]` otherwise."""
    inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    return 1 if isinstance(inner, keras.layers.GRU) else 2


def _units(layer) -> int:
    return layer.units if hasattr(layer, "units") else layer.cell.units


def _make_layers(config: Config, source_vocab_size: int, target_vocab_size: int) -> dict:
    """The model's layers, by name. Both graphs are wired from these same objects.

    Recurrent layers are named `encoder_{cell}` and `decoder_{cell}`, then
    `_2`, `_3`, ... for stacked layers (`encoder_lstm`, `decoder_lstm` in the blog).
    """
    decoder_units = config.units * (2 if config.bidirectional else 1)
    encoder_rnn, decoder_rnn = [], []
    for k in range(1, config.num_layers + 1):
        suffix = "" if k == 1 else f"_{k}"
        # With attention, the last encoder layer returns its outputs at every step
        # (the keys and values of attention); without, only its final states are kept.
        sequences = k < config.num_layers or config.attention is not None
        layer = _recurrent_layer(config, config.units, sequences, f"encoder_{config.cell}{suffix}")
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"encoder_{config.cell}{suffix}")
        encoder_rnn.append(layer)
        decoder_rnn.append(_recurrent_layer(config, decoder_units, True,
                                            f"decoder_{config.cell}{suffix}"))
    layers = {
        "encoder_embedding": _token_layer(config, source_vocab_size, "encoder"),
        "encoder_rnn": encoder_rnn,
        "decoder_embedding": _token_layer(config, target_vocab_size, "decoder"),
        "decoder_rnn": decoder_rnn,
        # Logits: the loss takes them (a softmax inside the training graph would only
        # be undone by the log of the cross-entropy); the decoder model adds it.
        "decoder_dense": keras.layers.Dense(target_vocab_size, name="decoder_dense"),
    }
    if config.attention is not None:
        layers["attention"] = get_attention(config.attention, config.attention_dim)
        # Luong's attentional state: tanh(W [decoder output; context]).
        layers["attention_projection"] = keras.layers.Dense(
            config.attention_dim, activation="tanh", name="attention_projection")
    if config.dropout:
        layers["encoder_dropout"] = keras.layers.Dropout(config.dropout, name="encoder_dropout")
        layers["decoder_dropout"] = keras.layers.Dropout(config.dropout, name="decoder_dropout")
        layers["output_dropout"] = keras.layers.Dropout(config.dropout, name="output_dropout")
    return layers


def _maybe(layers, name, x):
    return layers[name](x) if name in layers else x


def _encode(layers: dict, source):
    """Source ids -> `(memory, states)`.

    `memory` is `()` without attention, else `(encoder_outputs, source_mask)`;
    `states` is the flat list of the decoder's initial states, layer by layer:
    `[h, c]` per LSTM layer, `[h]` per GRU layer.
    """
    x = _maybe(layers, "encoder_dropout", layers["encoder_embedding"](source))
    states = []
    for layer in layers["encoder_rnn"]:
        outputs = layer(x)
        n = _num_states(layer)
        if isinstance(layer, keras.layers.Bidirectional):
            # [sequence, *forward states, *backward states]: concatenate each state
            # of both directions, so the decoder (2 * units) starts from both readings.
            forward, backward = outputs[1:1 + n], outputs[1 + n:]
            states += [ops.concatenate([f, b], axis=-1)
                       for f, b in zip(forward, backward, strict=True)]
        else:
            states += list(outputs[1:])
        x = outputs[0]
    if "attention" not in layers:
        return (), states
    source_mask = ops.cast(ops.not_equal(source, 0), "float32")
    return (x, source_mask), states


def _decode(layers: dict, tokens, states, memory):
    """Target ids, initial states, memory -> `(logits, states, attention weights)`.

    During training `tokens` is the whole shifted target (teacher forcing); at
    inference it is one token, and the returned states feed the next step. Decoder
    layer k starts from the final states of encoder layer k.
    """
    y = _maybe(layers, "decoder_dropout", layers["decoder_embedding"](tokens))
    new_states, start = [], 0
    for layer in layers["decoder_rnn"]:
        n = _num_states(layer)
        y, *layer_states = layer(y, initial_state=list(states[start:start + n]))
        new_states += layer_states
        start += n
    weights = None
    if "attention" in layers:
        encoder_outputs, source_mask = memory
        context, weights = layers["attention"](y, encoder_outputs, source_mask)
        y = layers["attention_projection"](ops.concatenate([y, context], axis=-1))
    y = _maybe(layers, "output_dropout", y)
    return layers["decoder_dense"](y), new_states, weights


def build_training_model(config: Config, source_vocab_size: int,
                         target_vocab_size: int) -> keras.Model:
    """The teacher-forced training graph of the encoder-decoder.

    Args:
        config: the `Config` (`units`, `embedding_dim`, `bidirectional`,
            `attention`, ...).
        source_vocab_size: source vocabulary size, padding and specials included.
        target_vocab_size: target vocabulary size, padding and specials included.

    Returns:
        A `keras.Model` with inputs `encoder_inputs` `(batch, source_time)` and
        `decoder_inputs` `(batch, target_time)` (integer ids) and output logits
        `(batch, target_time, target_vocab_size)` (the loss takes logits;
        `keras.ops.softmax` of them gives the probabilities).

    Example:

    >>> model = build_training_model(Config(units=8), 12, 14)
    >>> [layer.name for layer in model.layers if "lstm" in layer.name]
    ['encoder_lstm', 'decoder_lstm']
    """
    config.validate()
    for name, size in (("source_vocab_size", source_vocab_size),
                       ("target_vocab_size", target_vocab_size)):
        if size <= 4:
            raise ValueError(f"{name} must exceed the 4 special ids, got {name}={size}")
    if config.architecture == "transformer":
        return transformer.build_transformer(config, source_vocab_size, target_vocab_size)
    layers = _make_layers(config, source_vocab_size, target_vocab_size)
    encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
    decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
    # The encoder's final [h, c] are the decoder's initial state; the decoder reads
    # the target shifted right (teacher forcing): at step t it sees the true token t-1.
    memory, states = _encode(layers, encoder_inputs)
    logits, _, _ = _decode(layers, decoder_inputs, states, memory)
    return keras.Model([encoder_inputs, decoder_inputs], logits, name="seq2seq")


def _layers_of(model: keras.Model) -> dict:
    """The layers of a model built by `build_training_model`, looked up by name."""
    names = ("encoder_embedding", "decoder_embedding", "decoder_dense", "attention",
             "attention_projection", "encoder_dropout", "decoder_dropout", "output_dropout")
    layers = {layer.name: layer for layer in model.layers if layer.name in names}
    for side in ("encoder", "decoder"):
        # model.layers is in graph order, so stacked layers come in order.
        layers[f"{side}_rnn"] = [
            layer for layer in model.layers if layer.name.startswith(f"{side}_")
            and isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))]
    return layers


def build_inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The blog's two inference graphs, wired from the trained model's named layers.

    Args:
        model: a training model from `build_training_model` (possibly just loaded).

    Returns:
        `(encoder_model, decoder_model)`, sharing their weights with `model`:

        * `encoder_model(source (batch, time)) -> state`, a list: the decoder's
          initial states (`[h, c]` per LSTM layer, `[h]` per GRU layer), then, with
          attention, the encoder outputs `(batch, time, units or 2 * units)` and
          the source mask `(batch, time)`;
        * `decoder_model([tokens (batch, steps), *state]) -> [probabilities
          (batch, steps, vocab), *state]`: the new states, and the attention
          memory passed through unchanged, so that the output state of one step is
          the input state of the next, whatever the architecture.
    """
    if transformer.is_transformer(model):
        return transformer.build_transformer_inference(model)
    layers = _layers_of(model)
    # New Input tensors with their own names: the classic example's rebuilt decoder
    # reused names of the loaded model and clashed.
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    memory, states = _encode(layers, source)
    outputs = [DropMask(name=f"unmasked_{k}")(x) for k, x in enumerate([*states, *memory])]
    encoder_model = keras.Model(source, outputs, name="encoder_model")

    tokens = keras.Input(shape=(None,), dtype="int32", name="target_ids")
    input_states = []
    for k, layer in enumerate(layers["decoder_rnn"], start=1):
        suffix = "" if k == 1 else f"_{k}"
        for state in ("h", "c")[: _num_states(layer)]:
            input_states.append(keras.Input(shape=(_units(layer),), name=f"state_{state}{suffix}"))
    input_memory = ()
    if memory:
        input_memory = (keras.Input(shape=(None, memory[0].shape[-1]), name="encoder_outputs"),
                        keras.Input(shape=(None,), name="source_mask"))
    logits, new_states, _ = _decode(layers, tokens, input_states, input_memory)
    # The blog's decoder model gives probabilities. An `Activation`, not a `Softmax`
    # layer: the latter would apply the target mask that Keras carries to the logits.
    probabilities = keras.layers.Activation("softmax", name="decoder_softmax")(logits)
    decoder_model = keras.Model([tokens, *input_states, *input_memory],
                                [probabilities, *new_states, *input_memory],
                                name="decoder_model")
    return encoder_model, decoder_model


def build_attention_model(model: keras.Model) -> keras.Model:
    """`[source, target_in] -> attention weights (batch, target_time, source_time)`.

    Teacher-forced: feed a translation (with `[START]` first) to see where each
    output token looked. For plotting; raises `ValueError` without attention.
    """
    if transformer.is_transformer(model):
        return transformer.build_transformer_attention(model)
    layers = _layers_of(model)
    if "attention" not in layers:
        raise ValueError("this model has no attention layer (config.attention is None)")
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    tokens = keras.Input(shape=(None,), dtype="int32", name="target_ids")
    memory, states = _encode(layers, source)
    _, _, weights = _decode(layers, tokens, states, memory)
    return keras.Model([source, tokens], weights, name="attention_model")


def compile_model(model: keras.Model, config: Config) -> keras.Model:
    """Compile with the config's optimizer and the masked loss and accuracy."""
    options = {"learning_rate": transformer.WarmupSchedule(config.learning_rate,
                                                           config.warmup_steps)
               if config.warmup_steps else config.learning_rate}
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    optimizer = keras.optimizers.get({"class_name": config.optimizer, "config": options})
    model.compile(optimizer=optimizer,
                  loss=MaskedSparseCategoricalCrossentropy(config.label_smoothing),
                  metrics=[MaskedAccuracy()])
    return model
