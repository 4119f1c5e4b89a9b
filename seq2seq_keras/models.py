"""The encoder-decoder: one set of named layers, wired into three graphs.

* the **training model** (teacher forcing): `[source, target_in] -> probabilities`;
* the **encoder model**: `source -> [h, c]`;
* the **decoder model**: `[token, h, c] -> [probabilities, h, c]`, one step.

The inference graphs are wired from the layers of the training model, looked up by
name (`model.get_layer("decoder_lstm")`), so they share its trained weights and can
be rebuilt after loading the model in a fresh process.
"""

from __future__ import annotations

import keras
from keras import ops

from .config import Config

__all__ = [
    "OneHot",
    "MaskedAccuracy",
    "MaskedSparseCategoricalCrossentropy",
    "build_training_model",
    "build_inference_models",
    "compile_model",
]


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
    """

    def __init__(self, name="masked_sparse_categorical_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        mask = ops.cast(ops.not_equal(y_true, 0), losses.dtype)
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, losses.dtype)
        return ops.sum(losses * mask) / ops.maximum(ops.sum(mask), 1.0)


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


def build_training_model(config: Config, source_vocab_size: int,
                         target_vocab_size: int) -> keras.Model:
    """The teacher-forced training graph of the encoder-decoder.

    Args:
        config: the `Config` (`units`, `embedding_dim`, ...).
        source_vocab_size: source vocabulary size, padding and specials included.
        target_vocab_size: target vocabulary size, padding and specials included.

    Returns:
        A `keras.Model` with inputs `encoder_inputs` `(batch, source_time)` and
        `decoder_inputs` `(batch, target_time)` (integer ids) and output
        probabilities `(batch, target_time, target_vocab_size)`.

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
    encoder_inputs = keras.Input(shape=(None,), dtype="int32", name="encoder_inputs")
    decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")

    # The encoder keeps only its final states [h, c]: its outputs are discarded.
    x = _token_layer(config, source_vocab_size, "encoder")(encoder_inputs)
    _, state_h, state_c = keras.layers.LSTM(
        config.units, return_state=True, name="encoder_lstm")(x)

    # The decoder starts from the encoder's [h, c] and, during training, reads the
    # target shifted right (teacher forcing): at step t it sees the true token t-1.
    y = _token_layer(config, target_vocab_size, "decoder")(decoder_inputs)
    y, _, _ = keras.layers.LSTM(
        config.units, return_sequences=True, return_state=True, name="decoder_lstm",
    )(y, initial_state=[state_h, state_c])
    probabilities = keras.layers.Dense(
        target_vocab_size, activation="softmax", name="decoder_dense")(y)
    return keras.Model([encoder_inputs, decoder_inputs], probabilities, name="seq2seq")


def build_inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The blog's two inference graphs, wired from the trained model's named layers.

    Args:
        model: a training model from `build_training_model` (possibly just loaded).

    Returns:
        `(encoder_model, decoder_model)`:
        `encoder_model(source (batch, time)) -> [h, c]`, each `(batch, units)`;
        `decoder_model([tokens (batch, steps), h, c]) -> [probabilities
        (batch, steps, vocab), h, c]`. Both share their weights with `model`.
    """
    encoder_embedding = model.get_layer("encoder_embedding")
    encoder_lstm = model.get_layer("encoder_lstm")
    decoder_embedding = model.get_layer("decoder_embedding")
    decoder_lstm = model.get_layer("decoder_lstm")
    decoder_dense = model.get_layer("decoder_dense")
    units = encoder_lstm.units

    # New Input tensors with their own names: the classic example's rebuilt decoder
    # reused names of the loaded model and clashed.
    source = keras.Input(shape=(None,), dtype="int32", name="source_ids")
    _, state_h, state_c = encoder_lstm(encoder_embedding(source))
    encoder_model = keras.Model(source, [state_h, state_c], name="encoder_model")

    tokens = keras.Input(shape=(None,), dtype="int32", name="target_ids")
    input_h = keras.Input(shape=(units,), name="state_h")
    input_c = keras.Input(shape=(units,), name="state_c")
    y, h, c = decoder_lstm(decoder_embedding(tokens), initial_state=[input_h, input_c])
    decoder_model = keras.Model(
        [tokens, input_h, input_c], [decoder_dense(y), h, c], name="decoder_model")
    return encoder_model, decoder_model


def compile_model(model: keras.Model, config: Config) -> keras.Model:
    """Compile with the config's optimizer and the masked loss and accuracy."""
    optimizer = keras.optimizers.get(
        {"class_name": config.optimizer, "config": {"learning_rate": config.learning_rate}})
    model.compile(optimizer=optimizer, loss=MaskedSparseCategoricalCrossentropy(),
                  metrics=[MaskedAccuracy()])
    return model
