"""The recurrent encoder-decoder: one set of named layers, wired into its graphs.

* the **training model** (teacher forcing): `[source, target_in] -> logits`;
* the **encoder model**: `source -> [h, c]` (with attention, also its outputs and mask);
* the **decoder model**: `[token, h, c] -> [probabilities, h, c]`, one step (the
  blog's), and the **step model**, the same graph without the softmax.

All are wired by `wire_encoder` and `wire_decoder` from the same layer objects, looked up by
name, so they share the trained weights and can be rebuilt after loading.
`config.architecture="transformer"` builds the same graphs from `models.transformer`.
"""

from __future__ import annotations

import keras
from keras import ops

from seq2seq_keras.config import Config
from seq2seq_keras.layers.attention import DropMask, get_attention
from seq2seq_keras.layers.cells import recurrent_layer
from seq2seq_keras.layers.embeddings import OneHot
from seq2seq_keras.models import transformer

__all__ = ["wire_encoder", "wire_decoder", "build_training_model", "build_attention_model",
           "build_inference_models", "build_inference_graphs"]


def _token_layer(config: Config, vocab_size: int, side: str):
    name = f"{side}_embedding"
    if config.embedding_dim is None:
        return OneHot(vocab_size, mask_zero=True, name=name)
    return keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=True, name=name)


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
        layer = recurrent_layer(config, config.units, sequences, f"encoder_{config.cell}{suffix}")
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"encoder_{config.cell}{suffix}")
        encoder_rnn.append(layer)
        decoder_rnn.append(recurrent_layer(config, decoder_units, True,
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


def wire_encoder(layers: dict, source):
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


def wire_decoder(layers: dict, tokens, states, memory):
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

    Examples:
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
    memory, states = wire_encoder(layers, encoder_inputs)
    logits, _, _ = wire_decoder(layers, decoder_inputs, states, memory)
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
    return build_inference_graphs(model)[:2]


def build_inference_graphs(model: keras.Model):
    """`(encoder_model, decoder_model, step_model, aligned_model)`:
    `build_inference_models`' two; the decoder model without its softmax, `[tokens,
    *state] -> [logits (batch, steps, vocab), *state]` (the same graph;
    `Seq2Seq.decode_step` runs it); and with attention (an LSTM's), the step model
    that also gives, per step, the source position of highest attention weight
    `(batch, steps)` int32 (`Seq2Seq.aligned_log_probs`), else `None`."""
    if isinstance(model, transformer.TransformerModel):
        return (*transformer.build_transformer_inference(model), None)
    layers = _layers_of(model)
    # New Input tensors with their own names: the classic example's rebuilt decoder
    # reused names of the loaded model and clashed.
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    memory, states = wire_encoder(layers, source)
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
    logits, new_states, weights = wire_decoder(layers, tokens, input_states, input_memory)
    inputs, states_out = [tokens, *input_states, *input_memory], [*new_states, *input_memory]
    # The blog's decoder model gives probabilities. An `Activation`, not a `Softmax`
    # layer: the latter would apply the target mask that Keras carries to the logits.
    probabilities = keras.layers.Activation("softmax", name="decoder_softmax")(logits)
    decoder_model = keras.Model(inputs, [probabilities, *states_out], name="decoder_model")
    step_model = keras.Model(inputs, [logits, *states_out], name="step_model")
    aligned_model = None if weights is None else keras.Model(inputs, [
        logits, *states_out, ops.cast(ops.argmax(weights, axis=-1), "int32")],
        name="aligned_step_model")
    return encoder_model, decoder_model, step_model, aligned_model


def build_attention_model(model: keras.Model) -> keras.Model:
    """`[source, target_in] -> attention weights (batch, target_time, source_time)`.

    Teacher-forced: feed a translation (with `[START]` first) to see where each
    output token looked. For plotting; raises `ValueError` without attention.
    """
    if isinstance(model, transformer.TransformerModel):
        return transformer.build_transformer_attention(model)
    layers = _layers_of(model)
    if "attention" not in layers:
        raise ValueError("this model has no attention layer (config.attention is None)")
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    tokens = keras.Input(shape=(None,), dtype="int32", name="target_ids")
    memory, states = wire_encoder(layers, source)
    _, _, weights = wire_decoder(layers, tokens, states, memory)
    return keras.Model([source, tokens], weights, name="attention_model")
