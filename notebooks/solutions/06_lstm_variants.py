"""Solutions to the exercises of notebook 06 · LSTM variants.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with
`python notebooks/solutions/06_lstm_variants.py`.
"""

import keras
import numpy as np

import seq2seq_keras as s2s


def exercise_1():
    """Count before you build.

    Write the parameter count of the `lstm`, `bidirectional` and `stacked` variants as
    formulas of `units`, `embedding_dim` and the two vocabulary sizes (the embeddings,
    the recurrent layers and the output layer), and check them against
    `s2s.build_training_model` at tiny sizes.
    """
    u, d, vs, vt = 8, 4, 50, 60

    def lstm(inputs, n):  # four gate blocks: kernel, recurrent kernel, bias
        return 4 * n * (inputs + n + 1)

    embeddings = vs * d + vt * d
    expected = {
        # encoder LSTM, decoder LSTM, output layer (weights and biases).
        "lstm": embeddings + lstm(d, u) + lstm(d, u) + (u * vt + vt),
        # Two encoder LSTMs (one per direction); the decoder has 2u units to take both states.
        "bidirectional": embeddings + 2 * lstm(d, u) + lstm(d, 2 * u) + (2 * u * vt + vt),
        # A second layer on each side reads the first layer's u outputs.
        "stacked": embeddings + 2 * (lstm(d, u) + lstm(u, u)) + (u * vt + vt),
    }
    base = s2s.get_preset("word_attention").replace(
        attention=None, bidirectional=False, dropout=0.0, units=u, embedding_dim=d)
    changes = {"lstm": {}, "bidirectional": {"bidirectional": True}, "stacked": {"num_layers": 2}}
    for name, change in changes.items():
        model = s2s.build_training_model(base.replace(**change), vs, vt)
        assert model.count_params() == expected[name], (name, model.count_params(),
                                                        expected[name])
    return expected


def exercise_2():
    """The GRU's `reset_after`.

    Build `keras.layers.GRU(units, reset_after=False)` and `reset_after=True` on the
    same input, count their parameters, and write the difference as a formula. Which of
    the two can run on cuDNN?

    Answer: `reset_after=True` has a second bias per block, `3 * units` more
    parameters; it is the one cuDNN implements (Keras' default).
    """
    units, features = 7, 5
    counts = {}
    for reset_after in (False, True):
        layer = keras.layers.GRU(units, reset_after=reset_after)
        layer.build((None, None, features))
        counts[reset_after] = layer.count_params()
    assert counts[False] == 3 * units * (features + units + 1)
    assert counts[True] - counts[False] == 3 * units
    return counts


def exercise_3():
    """CIFG keeps its memory bounded.

    Run `s2s.layers.CoupledLSTMCell` and `keras.layers.LSTMCell` with large random
    weights for 200 steps from zero states: the CIFG cell state never leaves [-1, 1],
    the LSTM's does. Why does `c' = f c + (1 - f) c~` guarantee it?

    Answer: `c'` is a weighted mean of `c` and `c~ = tanh(...)`, with weights `f` and
    `1 - f` in [0, 1]; starting from 0 and mixing in values within [-1, 1], it stays in
    [-1, 1]. The LSTM adds `i c~` to `f c` with independent gates, so `c` can grow.
    """
    units, features, steps = 6, 3, 200
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, steps, features)).astype("float32")
    largest = {}
    for name, cell in (("cifg", s2s.layers.CoupledLSTMCell(units)),
                       ("lstm", keras.layers.LSTMCell(units))):
        cell.build((None, features))
        for weight in cell.weights:
            weight.assign(rng.normal(scale=2.0, size=weight.shape).astype("float32"))
        h = np.zeros((4, units), "float32")
        c = np.zeros_like(h)
        peak = 0.0
        for t in range(steps):
            h, (h, c) = cell(x[:, t], [h, c])
            peak = max(peak, float(np.abs(keras.ops.convert_to_numpy(c)).max()))
        largest[name] = peak
    assert largest["cifg"] <= 1.0 + 1e-6
    assert largest["lstm"] > 1.0
    return largest


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
