"""Solutions to the exercises of notebook 01 · Anatomy of an LSTM.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with `python notebooks/solutions/01_lstm_anatomy.py`.
"""

import keras
import numpy as np
import tensorflow as tf


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def exercise_1():
    """A GRU step in NumPy.

    Write one step of `keras.layers.GRU(units)` in NumPy (Keras' default
    `reset_after=True`: kernel blocks in the order z, r, h; the bias has two rows, one
    for the input and one for the recurrent product). Run it over 12 steps from a random
    initial state and assert that it equals the layer. How many parameters does a GRU
    have, against an LSTM of the same `units`?
    """
    rng = np.random.default_rng(0)
    units, features = 5, 3
    gru = keras.layers.GRU(units, return_sequences=True, return_state=True)
    gru.build((None, None, features))
    gru.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                     for w in gru.get_weights()])
    kernel, recurrent_kernel, bias = gru.get_weights()  # (f, 3u), (u, 3u), (2, 3u)

    def gru_step(x, h):
        x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
        h_z, h_r, h_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z = sigmoid(x_z + h_z)
        r = sigmoid(x_r + h_r)
        candidate = np.tanh(x_h + r * h_h)  # reset_after: r multiplies U_h h + b'_h
        return z * h + (1 - z) * candidate

    x = rng.normal(size=(4, 12, features)).astype("float32")
    h = h0 = rng.normal(scale=0.5, size=(4, units)).astype("float32")
    outputs = []
    for t in range(x.shape[1]):
        h = gru_step(x[:, t], h)
        outputs.append(h)
    keras_sequence, keras_h = gru(x, initial_state=h0)
    np.testing.assert_allclose(np.stack(outputs, axis=1), keras_sequence, atol=1e-5)
    np.testing.assert_allclose(h, keras_h, atol=1e-5)

    # Three blocks with two biases each, against the LSTM's four blocks with one.
    assert gru.count_params() == 3 * units * (features + units + 2)
    lstm = keras.layers.LSTM(units)
    lstm.build((None, None, features))
    assert lstm.count_params() == 4 * units * (features + units + 1)
    assert gru.count_params() < lstm.count_params()
    return gru.count_params(), lstm.count_params()


def exercise_2():
    """The forget bias and the gradient.

    Repeat the gradient measurement of section 3 for an untrained LSTM of 16 units on
    sequences of 50 steps, with the forget-gate bias set to 0, 1, 3 and 5. How does the
    share of the last step's gradient that reaches the first step change with the bias?
    Compare it with the mean forget gate raised to the 49th power.

    Answer: it grows by orders of magnitude with the bias (the gate moves towards 1);
    `mean_forget ** 49` grows with it, in the same order, and stays below the measured
    share (the gradient also flows through `h`, not only along the cell).
    """
    units, length, features = 16, 50, 2
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(size=(32, length)),
                  np.zeros((32, length))], axis=-1).astype("float32")
    shares, predicted = {}, {}
    for forget_bias in (0.0, 1.0, 3.0, 5.0):
        keras.utils.set_random_seed(0)  # the same kernels for every bias
        layer = keras.layers.LSTM(units)
        layer.build((None, None, features))
        bias = layer.cell.bias.numpy()
        bias[units:2 * units] = forget_bias
        layer.cell.bias.assign(bias)

        x_tensor = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            total = tf.reduce_sum(layer(x_tensor))
        norms = np.linalg.norm(tape.gradient(total, x_tensor).numpy(), axis=-1).mean(axis=0)
        shares[forget_bias] = norms[0] / norms[-1]

        # The mean forget gate along the same sequences, step by step in NumPy.
        kernel, recurrent_kernel, b = layer.get_weights()
        h = np.zeros((len(x), units), "float32")
        c = np.zeros_like(h)
        gates = []
        for t in range(length):
            z_i, z_f, z_c, z_o = np.split(x[:, t] @ kernel + h @ recurrent_kernel + b, 4, -1)
            f = sigmoid(z_f)
            c = f * c + sigmoid(z_i) * np.tanh(z_c)
            h = sigmoid(z_o) * np.tanh(c)
            gates.append(f)
        predicted[forget_bias] = float(np.mean(gates)) ** (length - 1)

    biases = sorted(shares)
    assert all(shares[a] < shares[b] for a, b in zip(biases, biases[1:], strict=False))
    assert all(predicted[a] < predicted[b] for a, b in zip(biases, biases[1:], strict=False))
    assert shares[5.0] > 1e3 * shares[1.0]  # orders of magnitude, not a few percent
    return shares, predicted


def exercise_3():
    """Chunks of any length.

    Feed one sequence of 10 steps to a stateful LSTM in three chunks of 2, 3 and 5 steps
    and show that the final `h` and `c` equal those of the whole sequence through an
    ordinary LSTM with the same weights. Then call `reset_state()` between the second
    and the third chunk: what does the final state equal now?

    Answer: the state of the third chunk alone, from zero states.
    """
    units, features, batch = 6, 3, 2
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 10, features)).astype("float32")
    whole = keras.layers.LSTM(units, return_state=True)
    _, h_whole, c_whole = whole(x)

    chunk = keras.Input(batch_shape=(batch, None, features))
    stateful = keras.layers.LSTM(units, stateful=True, return_state=True)
    model = keras.Model(chunk, stateful(chunk))
    stateful.set_weights(whole.get_weights())
    for start, stop in ((0, 2), (2, 5), (5, 10)):
        _, h, c = model(x[:, start:stop])
    np.testing.assert_allclose(h, h_whole, atol=1e-5)
    np.testing.assert_allclose(c, c_whole, atol=1e-5)

    stateful.reset_state()
    model(x[:, 0:2])
    model(x[:, 2:5])
    stateful.reset_state()  # forget the first five steps
    _, h_reset, c_reset = model(x[:, 5:10])
    _, h_third, c_third = whole(x[:, 5:10])
    np.testing.assert_allclose(h_reset, h_third, atol=1e-5)
    np.testing.assert_allclose(c_reset, c_third, atol=1e-5)
    assert not np.allclose(h_reset, h_whole, atol=1e-3)


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
