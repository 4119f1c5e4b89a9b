"""Solutions to the exercises of notebook 07 · Training at scale.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with
`python notebooks/solutions/07_training_at_scale.py`.
"""

import numpy as np

import seq2seq_keras as s2s


def exercise_1():
    """How wide a window?

    For the corpus' first 2,000 pairs, measure the share of padding in the target
    batches of `s2s.make_dataset` (batches of 32) at `sort_window` 1, 5, 20 and 100. How
    fast does it fall? With a window as large as the whole training set, what is left
    of the randomness of the batches?

    Answer: it falls fast, most of the gain with the first few batches per window.
    With one window over the whole set, the batches are always the same groups of
    sentences of equal length; only their order (and ties) is still shuffled.
    """
    pairs = s2s.load_pairs(num_pairs=2000)
    vocab_source = s2s.Vocabulary.build((s for s, _ in pairs), level="word")
    vocab_target = s2s.Vocabulary.build((t for _, t in pairs), level="word")
    source_ids, target_ids = s2s.encode_pairs(pairs, vocab_source, vocab_target)
    padding = {}
    for window in (1, 5, 20, 100):
        dataset = s2s.make_dataset(source_ids, target_ids, 32, shuffle=True, seed=0,
                                   sort_window=window)
        zeros = positions = 0
        for _, targets in dataset.as_numpy_iterator():
            zeros += np.count_nonzero(targets == 0)
            positions += targets.size
        padding[window] = zeros / positions
    assert padding[1] > padding[5] > padding[20] >= padding[100]
    assert padding[20] < padding[1] / 3
    return padding


def exercise_2():
    """The split belongs to the sentence.

    Show that a sentence's split does not depend on how many pairs are loaded: every
    test pair of `split_pairs(load_pairs(num_pairs=1000), ...)` is a test pair of
    `split_pairs(load_pairs(num_pairs=3000), ...)` too. Why does that matter when models
    trained on different subsets are compared on their test splits?

    Answer: no model is tested on a sentence another one trained on, so test sets of
    different subsets can be compared (and merged) without leakage.
    """
    small = s2s.split_pairs(s2s.load_pairs(num_pairs=1000))
    large = s2s.split_pairs(s2s.load_pairs(num_pairs=3000))
    assert small.test and set(small.test) <= set(large.test)
    assert set(small.train) <= set(large.train)
    large_test_sources = {s for s, _ in large.test}
    assert not any(s in large_test_sources for s, _ in small.train)
    return len(small.test), len(large.test)


def exercise_3():
    """Where label smoothing is smallest.

    For `K = 10` tokens and `e = 0.2`, find on a grid the probability `p` of the
    reference (the rest spread evenly) that minimizes the library's smoothed loss, and
    compare it with `1 - e + e / K`. What does the plain loss prefer?

    Answer: the minimum is at `1 - e + e / K = 0.82`; the plain loss keeps falling
    towards `p = 1`.
    """
    K, epsilon, reference = 10, 0.2, 3
    labels = np.array([[reference]], "int32")
    smoothed = s2s.models.MaskedSparseCategoricalCrossentropy(label_smoothing=epsilon)
    plain = s2s.models.MaskedSparseCategoricalCrossentropy()
    grid = np.round(np.arange(0.5, 0.996, 0.005), 3)
    losses, plain_losses = [], []
    for p in grid:
        probabilities = np.full((1, 1, K), (1 - p) / (K - 1), "float32")
        probabilities[0, 0, reference] = p
        logits = np.log(probabilities)
        losses.append(float(smoothed(labels, logits)))
        plain_losses.append(float(plain(labels, logits)))
    best = float(grid[int(np.argmin(losses))])
    assert abs(best - (1 - epsilon + epsilon / K)) < 0.006
    assert np.all(np.diff(plain_losses) < 0)  # plain: the more confident, the better
    return best


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
