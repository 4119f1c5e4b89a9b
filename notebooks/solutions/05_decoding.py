"""Solutions to the exercises of notebook 05 (decoding).

Each exercise is a function that asserts its answer; `python 05_decoding.py` runs them all.
The toy table and the teaching loops are the notebook's, repeated here so that this file
stands alone. Exercises 1 and 4 also run on the shipped word model `en_fr` (a few sentences).
"""

import functools

import numpy as np

import seq2seq_keras as s2s
from seq2seq_keras.text import END_ID, START_ID

DEFAULT_ALPHA = s2s.config.DEFAULT_ALPHA
TOY = ["[PAD]", "[UNK]", "[START]", "[END]", "le", "un", "chat", "noir"]
NEXT = {
    "[START]": {"le": 0.5, "un": 0.4, "[END]": 0.1},
    "le": {"chat": 0.4, "noir": 0.35, "[END]": 0.25},
    "un": {"chat": 0.9, "[END]": 0.1},
    "chat": {"[END]": 0.55, "noir": 0.45},
    "noir": {"[END]": 1.0},
}
SENTENCES = ["I am cold.", "Who are you waiting for?", "That'll cost thirty euros.",
             "He is not ashamed of being poor."]


def toy_log_table(next_probabilities=NEXT, tokens=TOY):
    """The log of a bigram table `{last: {next: p}}` over `tokens` (-inf where p = 0)."""
    table = np.zeros((len(tokens), len(tokens)))
    for last, row in next_probabilities.items():
        for token, p in row.items():
            table[tokens.index(last), tokens.index(token)] = p
    with np.errstate(divide="ignore"):
        return np.log(table)


def table_step(log_table):
    """The step function of a bigram table (it has no memory: the state passes)."""
    return lambda tokens, state: (log_table[tokens], state)


TOY_STATE = (np.zeros((1, 1)),)


def greedy_search(step, state, max_length):
    """The notebook's greedy loop."""
    token, output = START_ID, []
    for _ in range(max_length):
        log_probs, state = step(np.array([token]), state)
        token = int(np.argmax(log_probs[0]))
        output.append(token)
        if token == END_ID:
            break
    return output


def beam_search(step, state, max_length, beam_width, alpha=DEFAULT_ALPHA, stop_early=False,
                steps=None):
    """The notebook's beam loop, with exercise 4's early stop (`stop_early`); `steps`: a
    list that gets the number of step calls."""
    beam = [(0.0, [], False, 0)]
    calls = 0
    for _ in range(max_length):
        live = [h for h in beam if not h[2]]
        if not live:
            break
        if stop_early and can_stop(beam, max_length, alpha):
            beam = [h for h in beam if h[2]]  # only the best is wanted: the live ones lose
            break
        last = np.array([ids[-1] if ids else START_ID for _, ids, _, _ in live])
        log_probs, state = step(last, state)
        calls += 1
        grown = [(score + log_probs[row, token], ids + [int(token)], token == END_ID, row)
                 for row, (score, ids, _, _) in enumerate(live)
                 for token in np.argsort(-log_probs[row], kind="stable")[:beam_width]]
        beam = sorted([h for h in beam if h[2]] + grown, key=lambda h: -h[0])[:beam_width]
        state = tuple(s[[row for _, _, done, row in beam if not done]] for s in state)
    if steps is not None:
        steps.append(calls)
    return sorted([(ids, score / penalty(len(ids), alpha), score)
                   for score, ids, _, _ in beam], key=lambda h: -h[1])


def penalty(length, alpha):
    return ((5 + length) / 6) ** alpha


def can_stop(beam, max_length, alpha):
    """Exercise 4's rule: the best finished hypothesis can no longer be overtaken."""
    finished = [(score / penalty(len(ids), alpha), score) for score, ids, done, _ in beam if done]
    if not finished:
        return False
    best_normalized, best_score = max(finished)
    return all(score < best_score and score / penalty(max_length, alpha) < best_normalized
               for score, ids, done, _ in beam if not done)


@functools.lru_cache(maxsize=1)
def en_fr():
    """The shipped word model, its NumPy `encode` and `step` (as in the notebook)."""
    import tensorflow as tf

    translator = s2s.load_translator("en_fr")

    def encode(ids):
        return tuple(s.numpy() for s in translator.seq2seq.encode(tf.constant([ids], tf.int32)))

    def step(tokens, state):
        log_probs, state = translator.seq2seq.log_probs(
            tf.constant(tokens, tf.int32), tuple(tf.constant(s) for s in state))
        return log_probs.numpy(), tuple(s.numpy() for s in state)

    return translator, encode, step


def exercise_1():
    """Beam width 1 is greedy search: show it with the two loops, on the toy table and on
    `en_fr`, and explain why it must hold.

    Why: with one hypothesis, the only live row grows by its single most likely token (the
    argmax, the same tie-break as `np.argmax`: the first), and the beam keeps the one best
    candidate, which is that token. A finished hypothesis is the only one left, so the
    search stops at [END], as greedy search does. It breaks if the search ranks the
    candidates by something other than the step's own log-probabilities (a penalty applied
    during the search, a different tie-break) or grows a hypothesis by more than its argmax
    and then keeps a candidate greedy search would not.
    """
    rng = np.random.default_rng(0)
    tables = [toy_log_table()]
    for _ in range(50):  # random bigram tables over the toy's words
        p = rng.dirichlet(np.ones(5) * 0.5, size=len(TOY))
        table = np.zeros((len(TOY), len(TOY)))
        table[:, 3:] = p
        with np.errstate(divide="ignore"):
            tables.append(np.log(table))
    for log_table in tables:
        step = table_step(log_table)
        assert beam_search(step, TOY_STATE, 8, 1)[0][0] == greedy_search(step, TOY_STATE, 8)
    translator, encode, step = en_fr()
    for sentence in SENTENCES[:3]:
        ids = translator.encode_source(sentence)
        limit = translator.config.max_target_length
        assert (beam_search(step, encode(ids), limit, 1)[0][0]
                == greedy_search(step, encode(ids), limit))
    return len(tables)


def sample_search(step, state, max_length, temperature=1.0, top_k=0, rng=None):
    """Exercise 2: greedy search with the argmax replaced by a draw among the `top_k` most
    likely tokens (0: all), at `temperature`."""
    rng = rng or np.random.default_rng(0)
    token, output = START_ID, []
    for _ in range(max_length):
        log_probs, state = step(np.array([token]), state)
        logits = log_probs[0] / temperature
        if top_k:
            logits = np.where(logits >= np.sort(logits)[-top_k], logits, -np.inf)
        p = np.exp(logits - logits.max())
        token = int(rng.choice(len(p), p=p / p.sum()))
        output.append(token)
        if token == END_ID:
            break
    return output


def exercise_2():
    """Top-k sampling in the teaching loop: `top_k=1` is greedy search at any temperature;
    count on the toy the different outputs of 1,000 draws for `top_k` = 1, 2, 3."""
    step = table_step(toy_log_table())
    greedy = greedy_search(step, TOY_STATE, 5)
    rng = np.random.default_rng(0)
    for temperature in (0.3, 1.0, 5.0):
        for _ in range(20):
            assert sample_search(step, TOY_STATE, 5, temperature, 1, rng) == greedy
    distinct = {}
    for k in (1, 2, 3):
        draws = {tuple(sample_search(step, TOY_STATE, 5, 1.0, k, rng)) for _ in range(1000)}
        distinct[k] = len(draws)
    # k = 1: le chat [END]. k = 2: every path through the two best tokens of each row:
    # le/un, then chat/noir or chat/[END], ... Every output of k = 2 is one of k = 3.
    assert distinct[1] == 1 and 1 < distinct[2] <= distinct[3]
    return distinct


def exercise_3():
    """Another length penalty: rank by the average log-probability per token. A toy table
    where the raw score, GNMT's penalty (alpha = 1.6) and the average choose three
    different hypotheses."""
    # Three ways on from [START]: `a [END]` (short and likely), `b d e [END]` (middling), and
    # a chain `c f g ... m [END]` of ten tokens, each step fairly sure (0.75) but long.
    tokens = ["[PAD]", "[UNK]", "[START]", "[END]", *"abcdefghijklm"]
    table = {"[START]": {"a": 0.368, "b": 0.247, "c": 0.385}, "a": {"[END]": 1.0},
             "b": {"d": 1.0}, "d": {"e": 1.0}, "e": {"[END]": 1.0}, "m": {"[END]": 1.0}}
    chain = "cfghijklm"
    for last, token in zip(chain[:-1], chain[1:], strict=True):
        table[last] = {token: 0.75, "[END]": 0.25}
    step = table_step(toy_log_table(table, tokens))

    def words(ids):
        return " ".join(tokens[i] for i in ids)

    found = beam_search(step, TOY_STATE, 12, beam_width=4)
    by_raw = max(found, key=lambda h: h[2])
    by_gnmt = max(found, key=lambda h: h[2] / penalty(len(h[0]), DEFAULT_ALPHA))
    by_average = max(found, key=lambda h: h[2] / len(h[0]))
    chosen = {"raw": words(by_raw[0]), "gnmt": words(by_gnmt[0]),
              "average": words(by_average[0])}
    assert chosen == {"raw": "a [END]", "gnmt": "b d e [END]",
                      "average": "c f g h i j k l m [END]"}, chosen
    return chosen


def exercise_4():
    """Stop early: add the library's rule to `beam_search`; the best hypothesis does not
    change, and fewer steps run (the toy, random tables, and `en_fr`)."""
    saved = []
    rng = np.random.default_rng(1)
    tables = [toy_log_table()]
    for _ in range(50):
        table = np.zeros((len(TOY), len(TOY)))
        table[:, 3:] = rng.dirichlet(np.ones(5), size=len(TOY))
        with np.errstate(divide="ignore"):
            tables.append(np.log(table))
    for log_table in tables:
        full, early = [], []
        step = table_step(log_table)
        best = beam_search(step, TOY_STATE, 12, 3, steps=full)[0]
        best_early = beam_search(step, TOY_STATE, 12, 3, stop_early=True, steps=early)[0]
        assert best[0] == best_early[0] and early[0] <= full[0]
        saved.append(full[0] - early[0])
    translator, encode, step = en_fr()
    limit = translator.config.max_target_length
    for sentence in SENTENCES:
        ids = translator.encode_source(sentence)
        full, early = [], []
        best = beam_search(step, encode(ids), limit, 4, steps=full)[0]
        best_early = beam_search(step, encode(ids), limit, 4, stop_early=True, steps=early)[0]
        assert best[0] == best_early[0] and early[0] <= full[0]
        saved.append(full[0] - early[0])
    assert sum(saved) > 0  # the rule does stop some searches sooner
    return saved


if __name__ == "__main__":
    for name, exercise in sorted(globals().items()):
        if name.startswith("exercise_"):
            print(name, exercise())
