"""Solutions to the exercises of notebook 03 · The word-level encoder-decoder.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with
`python notebooks/solutions/03_word_level_seq2seq.py`.
"""

import keras
import numpy as np
import tensorflow as tf

import seq2seq_keras as s2s
from seq2seq_keras.text import UNK_ID


def exercise_1():
    """How large a vocabulary?

    Split the corpus' first 5,000 pairs with `s2s.split_pairs` and build the French
    vocabulary of the training split without a cap. What is the highest coverage of
    the validation French any cap can reach, and which words stop the rest? Find the
    smallest cap that reaches 95% of that ceiling.

    Answer: the ceiling is below 100%: validation words never seen in training are
    `[UNK]` whatever the cap. Coverage grows fast at first, then slowly (Zipf's law).
    """
    splits = s2s.split_pairs(s2s.load_pairs(num_pairs=5000))
    full = s2s.Vocabulary.build((t for _, t in splits.train), level="word")
    ids = np.concatenate([full.encode(t) for _, t in splits.validation])

    def coverage(size):
        return float(np.mean((ids != UNK_ID) & (ids < size)))

    ceiling = coverage(len(full))
    unseen = {token for _, t in splits.validation for token in full.tokenize(t)
              if token not in full}
    assert 0.8 < ceiling < 1.0 and unseen  # words never seen in training stop the rest
    sizes = range(100, len(full) + 1, 50)
    cap = next(size for size in sizes if coverage(size) >= 0.95 * ceiling)
    # Zipf: the most frequent half of the words covers 95% of what the whole can.
    assert cap <= len(full) / 2
    assert coverage(100) > 0.6  # the 96 most frequent words alone cover most of the text
    return ceiling, cap, len(full)


def exercise_2():
    """Label smoothing by hand.

    Compute `s2s.models.MaskedSparseCategoricalCrossentropy(label_smoothing=0.1)` by
    hand on a small random batch with padding: `(1 - e) * -log p[ref] + e *
    mean_k(-log p[k])` per real token, averaged over the real tokens only.
    """
    rng = np.random.default_rng(0)
    batch, time, vocab, epsilon = 3, 5, 7, 0.1
    logits = rng.normal(size=(batch, time, vocab)).astype("float32")
    targets = rng.integers(1, vocab, size=(batch, time))
    targets[0, 3:] = targets[2, 1:] = 0  # padding
    log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    plain = -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]
    smoothed = (1 - epsilon) * plain + epsilon * -log_p.mean(axis=-1)
    ours = smoothed[targets != 0].mean()

    loss = s2s.models.MaskedSparseCategoricalCrossentropy(label_smoothing=epsilon)
    library = float(loss(targets, logits))
    np.testing.assert_allclose(ours, library, rtol=1e-5)
    # Padding changes nothing: new logits at the padded positions give the same loss.
    logits[targets == 0] = 100.0
    np.testing.assert_allclose(float(loss(targets, logits)), library, rtol=1e-5)
    return ours


def exercise_3():
    """An embedding is a one-hot product.

    Show that `keras.layers.Embedding(V, d)` applied to a batch of ids equals
    `one_hot(ids) @ table`, and that the gradient of a loss on that batch is zero in
    every row of the table whose id the batch does not hold. What does that say about
    how fast a rare word's vector learns?

    Answer: a word's row learns only from the batches that hold the word, so a rare
    word's vector gets few updates.
    """
    V, d = 10, 4
    embedding = keras.layers.Embedding(V, d)
    ids = np.array([[1, 2, 2, 5], [5, 7, 0, 0]])
    embedding.build(ids.shape)
    table = embedding.embeddings.numpy()
    vectors = embedding(ids).numpy()
    np.testing.assert_allclose(vectors, np.eye(V)[ids] @ table, atol=1e-6)

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(embedding(ids) ** 2)
    gradient = tf.convert_to_tensor(tape.gradient(loss, embedding.embeddings)).numpy()
    used = np.unique(ids)
    unused = np.setdiff1d(np.arange(V), used)
    assert np.all(gradient[unused] == 0)
    assert np.all(np.abs(gradient[used]).sum(axis=1) > 0)
    return sorted(used.tolist())


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
