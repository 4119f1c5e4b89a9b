import keras
import numpy as np
import pytest
import tensorflow as tf

import seq2seq_keras as s2s
from seq2seq_keras import decoding
from seq2seq_keras.decoding import beam
from seq2seq_keras.text import END_ID, START_ID


def _table_step(table):
    """A fake decoder: the next token is table[previous token]; the state counts steps."""
    table = tf.constant(table, tf.int32)

    def step(tokens, state):
        log_probs = tf.math.log(tf.one_hot(tf.gather(table, tokens), 10) + 1e-9)
        return log_probs, (state[0] + 1,)

    return step


def test_greedy_stops_at_end_and_pads_finished_rows():
    # START(2) -> 5 -> 6 -> END(3); 4 -> 4 forever.
    table = [0, 0, 5, 3, 4, 6, 3, 0, 0, 0]
    step = _table_step(table)
    state = (tf.zeros([2, 1]),)
    out = tf.function(lambda s: decoding.greedy_search(step, s, 10))(state).numpy()
    np.testing.assert_array_equal(out, [[5, 6, 3] + [0] * 7] * 2)


def test_greedy_respects_the_length_limit():
    table = [0, 0, 4, 3, 4, 0, 0, 0, 0, 0]   # START -> 4 -> 4 -> ... never END
    out = decoding.greedy_search(_table_step(table), (tf.zeros([1, 1]),), 5).numpy()
    np.testing.assert_array_equal(out, [[4, 4, 4, 4, 4]])
    assert START_ID not in out and END_ID not in out


def test_compiled_greedy_equals_the_reference_loop(tiny_config):
    # An untrained model gives arbitrary, varied outputs: a demanding comparison.
    keras.utils.set_random_seed(5)
    config = tiny_config.replace(units=16, max_source_length=12, max_target_length=15)
    src = s2s.Vocabulary.build(["abcdefghij klm"])
    tgt = s2s.Vocabulary.build(["nopqrstuvw xyz"])
    model = s2s.build_training_model(config, len(src), len(tgt))
    translator = s2s.Translator(model, config, src, tgt)
    sentences = ["abc", "hello", "jig klm", "a", "mkl ba"]
    # The same input rules first ("abc" is one sentence: "Abc."), then the blog's loop.
    assert translator.translate(sentences, batch_size=2) == [
        translator.translate_reference(translator.split(s)[0]) for s in sentences]
    assert translator.translate(sentences, batch_size=2, split_sentences=False) == [
        translator.translate_reference(s) for s in sentences]


def _markov_step(table):
    """A fake decoder whose next-token distribution depends on the previous token."""
    log_table = tf.math.log(tf.constant(table, tf.float32) + 1e-9)

    def step(tokens, state):
        return tf.gather(log_table, tokens), state

    return step


# ids: 0 PAD, 1 UNK, 2 START, 3 END, 4 "A", 5 "B". Greedy takes A (0.6) and then
# ends (0.4): probability 0.24. Beam search finds B (0.4) then END (0.9): 0.36.
MARKOV = [[1, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0.6, 0.4],
          [1, 0, 0, 0, 0, 0], [0, 0, 0, 0.4, 0.3, 0.3], [0, 0, 0, 0.9, 0.1, 0]]


def test_beam_search_finds_the_more_likely_sentence():
    step, state = _markov_step(MARKOV), (tf.zeros([3, 1]),)
    greedy = decoding.greedy_search(step, state, 6).numpy()
    np.testing.assert_array_equal(greedy[0], [4, 3, 0, 0, 0, 0])
    ids, scores = beam.beam_search(step, state, 6, beam_width=2, alpha=0.0)
    assert ids.shape[:2] == (3, 2)
    np.testing.assert_array_equal(ids[0, 0, :2], [5, 3])
    np.testing.assert_allclose(scores[:, 0], np.log(0.36), rtol=1e-5)
    np.testing.assert_allclose(scores[:, 1], np.log(0.24), rtol=1e-5)
    one, _ = beam.beam_search(step, state, 6, beam_width=1)
    np.testing.assert_array_equal(one[:, 0], greedy[:, :one.shape[2]])
    assert not greedy[:, one.shape[2]:].any()


def test_length_normalization_favours_longer_hypotheses():
    # START -> END (0.5) or A (0.5); A -> END (1.0): equal probability, A is longer.
    table = [[1, 0, 0, 0, 0, 0]] * 2 + [[0, 0, 0, 0.5, 0.5, 0], [1, 0, 0, 0, 0, 0],
                                        [0, 0, 0, 1.0, 0, 0], [1, 0, 0, 0, 0, 0]]
    step, state = _markov_step(table), (tf.zeros([1, 1]),)
    ids, _ = beam.beam_search(step, state, 5, beam_width=2, alpha=1.0)
    np.testing.assert_array_equal(ids[0, 0, :2], [4, 3])


def test_top_k_rows_equals_top_k_ties_and_infinities_included():
    rng = np.random.default_rng(0)
    for rows, n, k in ((5, 8000, 4), (3, 130, 4), (4, 20, 3), (2, 3, 4), (6, 64, 1)):
        # Few distinct values: many ties, which must come out in column order.
        values = rng.integers(0, 7, (rows, n)).astype(np.float32)
        values[0, : n // 2] = -np.inf
        top, index = beam.top_k_rows(tf.constant(values), k)
        expected = tf.math.top_k(values, k=min(k, n))
        np.testing.assert_array_equal(top.numpy(), expected.values.numpy())
        np.testing.assert_array_equal(index.numpy(), expected.indices.numpy())


def test_best_only_beam_search_stops_a_sentence_once_its_best_is_certain():
    # START -> END (0.6) or A (0.4); A -> A (0.9) or END (0.1): the best is [END] at
    # once, while a hypothesis of A's loops on to the limit.
    table = [[1, 0, 0, 0, 0, 0]] * 2 + [[0, 0, 0, 0.6, 0.4, 0], [1, 0, 0, 0, 0, 0],
                                        [0, 0, 0, 0.1, 0.9, 0], [1, 0, 0, 0, 0, 0]]
    step, state = _markov_step(table), (tf.zeros([2, 1]),)
    full, full_scores = beam.beam_search(step, state, 20, beam_width=2, alpha=1.0)
    best, best_scores = beam.beam_search(step, state, 20, beam_width=2, alpha=1.0,
                                             best_only=True)
    np.testing.assert_array_equal(best[:, 0].numpy(), full[:, 0].numpy())
    np.testing.assert_array_equal(best[:, 0, :1].numpy(), [[END_ID]] * 2)
    np.testing.assert_allclose(best_scores[:, 0], full_scores[:, 0])
    # The full search grew the looping hypothesis to the limit. best_only cut it and
    # scored it out once even its score at the limit could not pass [END]'s:
    # (log 0.4 + (m - 1) log 0.9) / ((5 + 20) / 6) < log 0.6 from m = 13 tokens.
    assert (full[:, 1].numpy() == 4).sum(axis=1).tolist() == [20, 20]
    np.testing.assert_array_equal(best[:, 1].numpy(), [[4] * 13 + [0] * 7] * 2)
    assert (best_scores[:, 1].numpy() < -1e8).all()
    # No early stop while a live hypothesis could still win: greedy's A (0.6), then
    # END (0.4) against B's (0.4) then END (0.9).
    step, state = _markov_step(MARKOV), (tf.zeros([1, 1]),)
    ids, _ = beam.beam_search(step, state, 6, beam_width=2, alpha=0.0, best_only=True)
    np.testing.assert_array_equal(ids[0, 0, :2], [5, 3])


def test_sampling_is_seeded_and_top_k_1_is_greedy():
    step, state = _markov_step(MARKOV), (tf.zeros([200, 1]),)
    a = decoding.sample(step, state, 6, temperature=1.0, seed=3).numpy()
    b = decoding.sample(step, state, 6, temperature=1.0, seed=3).numpy()
    c = decoding.sample(step, state, 6, temperature=1.0, seed=4).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a[:, :1] != c[:, :1]).any()
    # About 60% of first tokens are A, as the table says.
    assert 0.45 < np.mean(a[:, 0] == 4) < 0.75
    greedy = decoding.greedy_search(step, state, 6).numpy()
    top1 = decoding.sample(step, state, 6, temperature=1.0, top_k=1, seed=9).numpy()
    np.testing.assert_array_equal(top1, greedy)


def test_translator_searches_trace_once_and_agree(tiny_config):
    keras.utils.set_random_seed(7)
    config = tiny_config.replace(units=16, max_source_length=12, max_target_length=15,
                                 attention="luong", bidirectional=True, embedding_dim=8)
    src = s2s.Vocabulary.build(["abcdefghij klm"])
    tgt = s2s.Vocabulary.build(["nopqrstuvw xyz"])
    translator = s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)),
                                config, src, tgt)
    sentences = ["abc", "hello", "jig klm", "a", "mkl ba", "fed cba ab"]
    greedy = translator.translate(sentences, batch_size=4)
    assert translator.translate(sentences[:2], batch_size=1) == greedy[:2]
    assert greedy == [translator.translate_reference(translator.split(s)[0]) for s in sentences]
    assert translator.translate(sentences, beam_width=1) == greedy
    beam = translator.translate(sentences, beam_width=3, batch_size=4)
    assert translator.translate(sentences, beam_width=3, batch_size=2) == beam
    # translate_n_best takes its sentence as it is: the rules make "hello" "Hello."
    n_best = translator.translate_n_best(translator.split("hello")[0], beam_width=3)
    assert len(n_best) == 3 and n_best[0][0] == beam[1]
    assert n_best[0][1] >= n_best[1][1] >= n_best[2][1]
    assert translator.sample(sentences, seed=1) == translator.sample(sentences, seed=1)
    assert translator.sample(sentences, top_k=1) == greedy
    # One trace per strategy, for every batch size and sentence length above.
    for strategy in ("greedy", s2s.BeamSearch(3), s2s.Sampling(seed=1)):
        function = translator.compiled_search(strategy)
        assert function.experimental_get_tracing_count() == 1, strategy
    assert translator.translate(sentences, jit_compile=True) == greedy
    # A function per sampling seed is by design: TensorFlow's retracing warning about
    # it (after five) is dropped, so a notebook that samples many seeds stays quiet.
    import logging

    import tensorflow as tf

    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        for seed in range(8):
            translator.sample(sentences[:2], seed=seed)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in seen if "retracing" in m]


def test_strategies_are_objects_that_carry_their_options(tiny_config):
    beam = s2s.BeamSearch(beam_width=3, alpha=0.5, drop_penalty=2.0)
    assert s2s.decoding.get_strategy(beam.get_config()) == beam
    assert s2s.decoding.get_strategy("beam") == s2s.BeamSearch() and beam.n_best == 3
    assert s2s.decoding.get_strategy({"name": "sampling", "seed": 4}) == s2s.Sampling(seed=4)
    for bad, match in ((lambda: s2s.BeamSearch(0), "beam_width"),
                       (lambda: s2s.BeamSearch(alpha=-1), "alpha"),
                       (lambda: s2s.Sampling(temperature=0), "temperature"),
                       (lambda: s2s.decoding.get_strategy("nucleus"), "unknown decoding strategy"),
                       (lambda: s2s.decoding.get_strategy({"name": "greedy", "width": 2}),
                        "width")):
        with pytest.raises(ValueError, match=match):
            bad()
    keras.utils.set_random_seed(7)
    config = tiny_config.replace(units=16, max_source_length=12, max_target_length=15)
    src = s2s.Vocabulary.build(["abcdefghij klm"])
    tgt = s2s.Vocabulary.build(["nopqrstuvw xyz"])
    translator = s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)),
                                config, src, tgt, strategy=beam)
    sentences = ["abc", "hello", "jig klm"]
    # No options: the translator's own strategy; one argument away: any other.
    assert translator.translate(sentences) == translator.translate(sentences, beam)
    assert translator.translate(sentences, "greedy") == translator.translate(
        sentences, beam_width=1) == [translator.translate_reference(translator.split(s)[0])
                                     for s in sentences]
    assert translator.resolve_strategy(beam_width=5) == s2s.BeamSearch(5, 0.5, 2.0)
    assert translator.resolve_strategy(alpha=1.0) == s2s.BeamSearch(3, 1.0, 2.0)
    with pytest.raises(ValueError, match="not both"):
        translator.translate(sentences, "greedy", beam_width=2)
    with pytest.raises(ValueError, match="no option"):
        translator.resolve_strategy("greedy", alpha=1.0)
    with pytest.raises(ValueError, match="needs a beam search"):
        translator.translate_n_best("abc", "greedy")


def test_per_sentence_limits_stop_each_row_on_its_own():
    table = [0, 0, 4, 3, 4, 0, 0, 0, 0, 0]   # START -> 4 -> 4 -> ... never END
    step, state = _table_step(table), (tf.zeros([3, 1]),)
    limits = tf.constant([2, 5, 3])
    greedy = decoding.greedy_search(step, state, 5, limits).numpy()
    np.testing.assert_array_equal(greedy, [[4, 4, 0, 0, 0], [4] * 5, [4, 4, 4, 0, 0]])
    ids, _ = beam.beam_search(step, state, 5, beam_width=2, limits=limits)
    np.testing.assert_array_equal(ids[:, 0].numpy(), greedy)
    sampled = decoding.sample(step, state, 5, limits=limits).numpy()
    np.testing.assert_array_equal(sampled, greedy)


def test_finished_sentences_leave_the_batch_with_the_same_results():
    # Row i's likeliest next token is END after `left[i]` tokens; a second choice
    # keeps the beams apart. The rows end at different steps, some at their limit.
    computed = tf.Variable(0)

    def step(tokens, state):
        computed.assign_add(tf.shape(tokens)[0])
        (left,) = state
        main = tf.where(left <= 0, END_ID, 4 + left % 3)
        probs = (0.6 * tf.one_hot(main, 8) + 0.3 * tf.one_hot(4 + tokens % 4, 8) + 0.1 / 8)
        return tf.math.log(probs), (left - 1,)

    state = (tf.constant([9, 0, 4, 12, 2, 7, 1, 11, 5]),)
    limits = tf.constant([14, 14, 3, 14, 14, 6, 14, 14, 14])
    searches = {
        "greedy": lambda compact: (decoding.greedy_search(step, state, 14, limits, compact),),
        "beam": lambda compact: beam.beam_search(step, state, 14, 3, 1.0, limits,
                                                     compact=compact),
        "best only": lambda compact: beam.beam_search(step, state, 14, 3, 1.0, limits,
                                                          best_only=True, compact=compact),
    }
    for name, search in searches.items():
        rows, results = [], []
        for compact in (False, True):
            computed.assign(0)
            results.append(tf.function(search)(compact))
            rows.append(int(computed.numpy()))
        if name == "best only":  # only the best hypotheses are the full search's
            results = [(ids[:, 0], scores[:, 0]) for ids, scores in results]
        (full, *full_scores), (compacted, *compacted_scores) = results
        np.testing.assert_array_equal(compacted.numpy(), full.numpy(), err_msg=name)
        for a, b in zip(full_scores, compacted_scores, strict=True):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, err_msg=name)
        assert rows[1] < 0.7 * rows[0], (name, rows)


def test_beam_search_writes_a_fixed_buffer_and_compiles_with_xla():
    step, state = _markov_step(MARKOV), (tf.zeros([3, 1]),)
    eager, eager_scores = beam.beam_search(step, state, 6, beam_width=2, alpha=0.6)
    # The whole output width from the start, however early the hypotheses end.
    assert eager.shape == (3, 2, 6)
    xla = tf.function(lambda s: beam.beam_search(step, s, 6, beam_width=2, alpha=0.6),
                      jit_compile=True)
    ids, scores = xla(state)
    np.testing.assert_array_equal(ids.numpy(), eager.numpy())
    np.testing.assert_allclose(scores.numpy(), eager_scores.numpy(), rtol=1e-6)


def test_a_sentence_translates_the_same_whatever_its_batch(tiny_config):
    keras.utils.set_random_seed(8)
    config = tiny_config.replace(units=16, max_source_length=6, max_target_length=8)
    src = s2s.Vocabulary.build(["abcdefghij klm"])
    tgt = s2s.Vocabulary.build(["nopqrstuvw xyz"])
    translator = s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)),
                                config, src, tgt)
    short, long = "abc", "abcdefghij klm abcdefghij"  # 25 characters: past the 6 trained
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s2s.LongSentenceWarning)
        for options in ({}, {"beam_width": 3}, {"beam_width": 3, "jit_compile": True},
                        {"jit_compile": True}):
            together = translator.translate([short, long], **options)
            assert together == [translator.translate(short, **options),
                                translator.translate(long, **options)], options
            assert len(together[1]) > config.max_target_length  # its limit grew with it
