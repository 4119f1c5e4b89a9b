"""Solutions to the exercises of notebook 04 · Attention: Luong and Bahdanau.

Each `exercise_N` restates its exercise, solves it at small sizes in a few seconds of
CPU, and asserts the answer. Run them all with `python notebooks/solutions/04_attention.py`.
"""

import collections

import keras
import numpy as np

import seq2seq_keras as s2s


def _tiny_example():
    # Section 3's tiny batch: 2 decoder steps attend over 5 source positions, 2 of them padding.
    rng = np.random.default_rng(0)
    query = rng.normal(size=(1, 2, 4)).astype("float32")
    value = rng.normal(size=(1, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0]], "float32")
    return query, value, mask


def _masked_softmax(scores, mask):
    scores = np.where(mask[:, None, :] > 0, scores, -np.inf)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def exercise_1():
    """Luong's "dot" score.

    Luong et al. also define the score `h_t . h_s`, without `W`. Show that
    `s2s.layers.LuongAttention` with its kernel set to the identity computes exactly
    that: the weights and the context of section 3's tiny example, with its mask, by
    hand in NumPy. What does `W` make possible that the dot score cannot do?

    Answer: `W` maps keys into the query's space, so the decoder and the encoder may
    have different sizes (here queries of 4 numbers, keys of 3), and it learns which
    directions of the two should match.
    """
    query, value, mask = _tiny_example()
    value4 = np.concatenate([value, np.zeros((1, 5, 1), "float32")], axis=-1)  # same size
    luong = s2s.layers.LuongAttention()
    luong(query, value4, value_mask=mask)  # builds the kernel (value_dim, query_dim)
    luong.kernel.assign(np.eye(4, dtype="float32"))
    context, weights = (keras.ops.convert_to_numpy(t)
                        for t in luong(query, value4, value_mask=mask))

    ours = _masked_softmax(query @ value4.transpose(0, 2, 1), mask)  # h_t . h_s
    np.testing.assert_allclose(weights, ours, atol=1e-6)
    np.testing.assert_allclose(context, ours @ value4, atol=1e-5)
    assert np.all(weights[..., 3:] == 0)

    # With W, keys of 3 numbers are scored against queries of 4: no dot product could.
    general = s2s.layers.LuongAttention()
    general(query, value, value_mask=mask)
    assert tuple(general.kernel.shape) == (3, 4)
    return weights


def exercise_2():
    """Attention has no order.

    Permute the source positions of the tiny example (the values and the mask
    together): the weights are permuted the same way and the context does not change
    at all. What, in this notebook's models, tells the decoder the order of the English
    words?

    Answer: the encoder LSTM, which reads the words in order: each of its outputs
    depends on the words before it (and, bidirectional, after it).
    """
    query, value, mask = _tiny_example()
    order = [4, 2, 0, 3, 1]
    for layer in (s2s.layers.LuongAttention(), s2s.layers.BahdanauAttention(units=8)):
        context, weights = (keras.ops.convert_to_numpy(t)
                            for t in layer(query, value, value_mask=mask))
        context_p, weights_p = (keras.ops.convert_to_numpy(t) for t in layer(
            query, value[:, order], value_mask=mask[:, order]))
        np.testing.assert_allclose(weights_p, weights[..., order], atol=1e-6)
        np.testing.assert_allclose(context_p, context, atol=1e-5)


def exercise_3():
    """Dice by hand.

    On a toy corpus of a few pairs, compute the Dice coefficient
    `2 c(e, f) / (c(e) + c(f))` of every (English word, rare French word) pair by
    hand, and check that `s2s.training.build_lexicon`, with a French vocabulary that
    leaves the rare words out, picks for each English word the candidate with the
    highest one.
    """
    pairs = [("I need a keyboard.", "J'ai besoin d'un clavier."),
             ("The keyboard is new.", "Le clavier est neuf."),
             ("I need a lamp.", "J'ai besoin d'une lampe."),
             ("The lamp is new.", "La lampe est neuve."),
             ("The keyboard is broken.", "Le clavier est cassé.")]
    rare = {"clavier", "lampe", "cassé"}
    source_vocab = s2s.Vocabulary.build((s for s, _ in pairs), level="word")
    full_target = s2s.Vocabulary.build((t for _, t in pairs), level="word")
    keep = [token for token in full_target.tokens[4:] if token not in rare]
    target_vocab = s2s.Vocabulary.build([" ".join(keep)], level="word")
    assert not rare & set(target_vocab.tokens)

    # By hand: c(e) pairs holding e, c(f) pairs holding f, c(e, f) pairs holding both.
    words = [{w for w in source_vocab.tokenize(s) if w.isalpha()} for s, _ in pairs]
    rares = [{t for t in full_target.tokenize(t) if t in rare} for _, t in pairs]
    c_e = collections.Counter(w for ws in words for w in ws)
    c_f = collections.Counter(f for fs in rares for f in fs)
    c_ef = collections.Counter((w, f) for ws, fs in zip(words, rares, strict=True)
                               for w in ws for f in fs)
    dice = {(e, f): 2 * n / (c_e[e] + c_f[f]) for (e, f), n in c_ef.items()}
    assert dice["keyboard", "clavier"] == 1.0  # always together
    assert dice["lamp", "lampe"] == 1.0
    assert dice["broken", "cassé"] == 1.0

    lexicon = s2s.training.build_lexicon(pairs, source_vocab, target_vocab)
    for word, chosen in lexicon.items():
        best = max(d for (e, _), d in dice.items() if e == word)
        assert dice[word, chosen] == best, (word, chosen)
    assert lexicon["keyboard"] == "clavier" and lexicon["lamp"] == "lampe"
    return lexicon


def exercise_4():
    """Why scale.

    Draw random queries and keys of `d` numbers each (standard normal) for `d` = 4, 64
    and 1024, and show that the spread of their dot products grows as `sqrt(d)`. Then
    take a softmax over 10 such scores and measure the largest weight and the size of
    the softmax's Jacobian, with and without the division by `sqrt(d)`. Why does an
    attention whose weights are already near 0 or 1 learn slowly, and why does
    Bahdanau's score not need the division?

    Answer: the dot product sums `d` independent products of variance 1, so its
    standard deviation is `sqrt(d)`. Scores that far apart put nearly all the weight on
    one position; the softmax's Jacobian `diag(a) - a a^T` is then close to 0, so the
    loss barely moves the scores of the other positions: the attention keeps looking
    where it first looked. Divided by `sqrt(d)`, the scores have a spread of 1 whatever
    `d`, and the weights stay spread enough to learn. Bahdanau's score is
    `v . tanh(...)`: each tanh lies in (-1, 1), so the score is bounded by `sum |v|`
    and cannot run away with `d` (only through `v`, which is learned slowly).
    """
    rng = np.random.default_rng(0)
    spread, largest, jacobian = {}, {}, {}
    for d in (4, 64, 1024):
        queries = rng.normal(size=(2000, 1, d))
        keys = rng.normal(size=(2000, 10, d))
        scores = (queries * keys).sum(axis=-1)  # (2000, 10) dot products
        spread[d] = scores.std()
        assert abs(spread[d] / np.sqrt(d) - 1) < 0.05  # the spread grows as sqrt(d)
        for scaled in (False, True):
            s = scores / np.sqrt(d) if scaled else scores
            a = np.exp(s - s.max(axis=-1, keepdims=True))
            a /= a.sum(axis=-1, keepdims=True)
            # The softmax's Jacobian d a / d s = diag(a) - a a^T, its Frobenius norm per row.
            jac = a[:, :, None] * np.eye(10) - a[:, :, None] * a[:, None, :]
            largest[d, scaled] = a.max(axis=-1).mean()
            jacobian[d, scaled] = np.linalg.norm(jac, axis=(1, 2)).mean()
    # Unscaled, the weights saturate as d grows and the gradient through the softmax dies;
    # scaled, they stay the same for every d.
    assert largest[1024, False] > 0.95 and jacobian[1024, False] < 0.1
    assert largest[1024, True] < 0.6 and jacobian[1024, True] > 3 * jacobian[1024, False]
    assert abs(largest[4, True] - largest[1024, True]) < 0.05
    return spread, largest, jacobian


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3, exercise_4):
        exercise()
        print(f"{exercise.__name__}: ok")
