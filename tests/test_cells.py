"""Each recurrent cell against a NumPy implementation of its equations.

Tolerance: float32 arithmetic over a few steps, atol 1e-5.
"""

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s

UNITS, FEATURES, TIME, BATCH = 5, 3, 7, 2


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def run_numpy(step, x, states):
    outputs = []
    for t in range(x.shape[1]):
        h, states = step(x[:, t], states)
        outputs.append(h)
    return np.stack(outputs, axis=1), states


def lstm_step(kernel, recurrent, bias):
    def step(x, states):
        h, c = states
        i, f, g, o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return h, (h, c)
    return step


def gru_step(kernel, recurrent, bias):
    # Keras' default GRU (reset_after=True): the reset gate multiplies U_h h + b.
    def step(x, states):
        (h,) = states
        xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
        hz, hr, hh = np.split(h @ recurrent + bias[1], 3, axis=-1)
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
        return h, (h,)
    return step


def peephole_step(kernel, recurrent, bias, p_i, p_f, p_o):
    def step(x, states):
        h, c = states
        zi, zf, zc, zo = np.split(x @ kernel + h @ recurrent + bias, 4, axis=-1)
        i, f = sigmoid(zi + p_i * c), sigmoid(zf + p_f * c)
        c = f * c + i * np.tanh(zc)
        h = sigmoid(zo + p_o * c) * np.tanh(c)
        return h, (h, c)
    return step


def cifg_step(kernel, recurrent, bias):
    def step(x, states):
        h, c = states
        zf, zc, zo = np.split(x @ kernel + h @ recurrent + bias, 3, axis=-1)
        f = sigmoid(zf)
        c = f * c + (1 - f) * np.tanh(zc)
        h = sigmoid(zo) * np.tanh(c)
        return h, (h, c)
    return step


LAYERS = {
    "lstm": (lambda: keras.layers.LSTM(UNITS, return_sequences=True, return_state=True),
             lstm_step, 2),
    "gru": (lambda: keras.layers.GRU(UNITS, return_sequences=True, return_state=True),
            gru_step, 1),
    "peephole": (lambda: keras.layers.RNN(s2s.layers.PeepholeLSTMCell(UNITS), return_sequences=True,
                                          return_state=True), peephole_step, 2),
    "cifg": (lambda: keras.layers.RNN(s2s.layers.CoupledLSTMCell(UNITS), return_sequences=True,
                                      return_state=True), cifg_step, 2),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_cell_matches_its_equations(name):
    make, numpy_step, num_states = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = make()
    x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    initial = [rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(num_states)]
    layer(x, initial_state=initial)  # build
    # Random weights everywhere (biases and peepholes included), not the initializers'.
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in layer.get_weights()])
    outputs, *states = layer(x, initial_state=initial)
    expected, expected_states = run_numpy(numpy_step(*layer.get_weights()), x, tuple(initial))
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    for got, want in zip(states, expected_states, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_variant_cells_have_fewer_or_more_weights_than_lstm():
    x = np.zeros((1, 2, FEATURES), "float32")
    counts = {}
    for name in ("lstm", "peephole", "cifg"):
        layer = LAYERS[name][0]()
        layer(x)
        counts[name] = layer.count_params()
    lstm = 4 * UNITS * (FEATURES + UNITS + 1)
    assert counts == {"lstm": lstm, "peephole": lstm + 3 * UNITS, "cifg": lstm * 3 // 4}


@pytest.mark.parametrize("cell", [s2s.layers.PeepholeLSTMCell, s2s.layers.CoupledLSTMCell])
def test_cells_serialize_and_keep_unit_forget_bias(cell):
    layer = keras.layers.RNN(cell(UNITS, kernel_regularizer="l2"), name="rnn")
    layer(np.zeros((1, 2, FEATURES), "float32"))
    forget = layer.cell.forget_block
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias[forget * UNITS:(forget + 1) * UNITS], 1.0)
    assert bias.sum() == UNITS
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(again.cell) is cell and again.cell.units == UNITS
    assert isinstance(again.cell.kernel_regularizer, keras.regularizers.L2)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        cell(0)
