"""LSTM variants as Keras RNN cells: peephole connections, coupled input-forget gates.

Use them with `keras.layers.RNN(cell, return_sequences=..., return_state=...)`, or
through `Config(cell="peephole_lstm")` / `Config(cell="cifg_lstm")`. Their weights
follow `keras.layers.LSTMCell`: `kernel` `(input_dim, blocks * units)`,
`recurrent_kernel` `(units, blocks * units)`, `bias` `(blocks * units,)`, gate
blocks side by side.

The standard LSTM (Keras' `LSTMCell`), with gates i, f, o and candidate c~:

    i = σ(W_i x + U_i h + b_i)      f = σ(W_f x + U_f h + b_f)
    c~ = tanh(W_c x + U_c h + b_c)  c' = f * c + i * c~
    o = σ(W_o x + U_o h + b_o)      h' = o * tanh(c')

* **Peephole** (Gers & Schmidhuber, 2000): the gates also look at the cell state,
  `f` and `i` at the old `c`, `o` at the new `c'`, through diagonal weights `p`:
  `i = σ(... + p_i * c)`, `f = σ(... + p_f * c)`, `o = σ(... + p_o * c')`.
* **Coupled input and forget gates** (CIFG, Greff et al., 2017): one gate decides
  both what to forget and what to write, `c' = f * c + (1 - f) * c~`; a quarter
  fewer weights, often as good.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["PeepholeLSTMCell", "CoupledLSTMCell", "recurrent_layer"]


class _GatedCell(keras.layers.Layer):
    """Weights, arguments and serialization shared by the LSTM variant cells.

    Args:
        units: size of `h` and `c`.
        activation: of the candidate and the output (default `"tanh"`).
        recurrent_activation: of the gates (default `"sigmoid"`).
        use_bias: whether the gates have a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: as in
            `keras.layers.LSTMCell`.
        unit_forget_bias: start the forget gate's bias at 1 (remember by default),
            as Keras' LSTM does (Jozefowicz et al., 2015).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: as in Keras.
    """

    blocks = 4          # gate blocks in the kernels
    forget_block = 1    # index of the forget gate's block

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"units must be a positive integer, got units={units!r}")
        self.units = units
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        width = self.blocks * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer)
        if self.use_bias:
            def bias_initializer(shape, dtype=None):
                bias = self.bias_initializer(shape, dtype=dtype)
                if not self.unit_forget_bias:
                    return bias
                start = self.forget_block * self.units
                ones = ops.ones((self.units,), dtype=dtype)
                return ops.concatenate([bias[:start], ones, bias[start + self.units:]])

            self.bias = self.add_weight(shape=(width,), name="bias",
                                        initializer=bias_initializer,
                                        regularizer=self.bias_regularizer)

    def _gate_inputs(self, inputs, h):
        z = ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent_kernel)
        if self.use_bias:
            z = z + self.bias
        return ops.split(z, self.blocks, axis=-1)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
                for _ in range(2)]

    def get_config(self):
        s = keras.saving.serialize_keras_object
        return {
            **super().get_config(), "units": self.units,
            "activation": s(self.activation),
            "recurrent_activation": s(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": s(self.kernel_initializer),
            "recurrent_initializer": s(self.recurrent_initializer),
            "bias_initializer": s(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": s(self.kernel_regularizer),
            "recurrent_regularizer": s(self.recurrent_regularizer),
            "bias_regularizer": s(self.bias_regularizer),
        }


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class PeepholeLSTMCell(_GatedCell):
    """An LSTM cell whose gates also see the cell state (peephole connections).

    Gate blocks `i, f, c~, o` as in `keras.layers.LSTMCell`, plus three diagonal
    peephole weight vectors `(units,)`: `input_peephole`, `forget_peephole`
    (applied to the previous `c`) and `output_peephole` (applied to the new `c`).
    Arguments: see `_GatedCell`.

    Examples:
        >>> layer = keras.layers.RNN(PeepholeLSTMCell(4), return_state=True)
        >>> output, h, c = layer(keras.ops.ones((2, 3, 5)))
        >>> tuple(h.shape), tuple(c.shape)
        ((2, 4), (2, 4))
    """

    def build(self, input_shape):
        super().build(input_shape)
        for name in ("input_peephole", "forget_peephole", "output_peephole"):
            setattr(self, name, self.add_weight(
                shape=(self.units,), name=name, initializer="glorot_uniform"))

    def call(self, inputs, states, training=False):
        h, c = states
        zi, zf, zc, zo = self._gate_inputs(inputs, h)
        i = self.recurrent_activation(zi + self.input_peephole * c)
        f = self.recurrent_activation(zf + self.forget_peephole * c)
        c = f * c + i * self.activation(zc)
        o = self.recurrent_activation(zo + self.output_peephole * c)
        h = o * self.activation(c)
        return h, [h, c]


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class CoupledLSTMCell(_GatedCell):
    """An LSTM cell with coupled input and forget gates (CIFG): `i = 1 - f`.

    Gate blocks `f, c~, o` (three, not four): `c' = f * c + (1 - f) * c~`.
    Arguments: see `_GatedCell`.
    """

    blocks = 3
    forget_block = 0

    def call(self, inputs, states, training=False):
        h, c = states
        zf, zc, zo = self._gate_inputs(inputs, h)
        f = self.recurrent_activation(zf)
        c = f * c + (1.0 - f) * self.activation(zc)
        h = self.recurrent_activation(zo) * self.activation(c)
        return h, [h, c]


VARIANT_CELLS = {"peephole_lstm": PeepholeLSTMCell, "cifg_lstm": CoupledLSTMCell}


def recurrent_layer(config, units: int, return_sequences: bool, name: str):
    """One recurrent layer of `config.cell` (`"lstm"`, `"gru"` or a variant above) with
    `config`'s options (`rnn_options`, `recurrent_dropout`), returning its final states.

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
    return keras.layers.RNN(VARIANT_CELLS[config.cell](units, **options), **common)
