import keras
import numpy as np
import tensorflow as tf

import seq2seq_keras as s2s
from seq2seq_keras import decoding
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
    np.testing.assert_array_equal(out, [[5, 6, 3], [5, 6, 3]])


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
    assert translator.translate(sentences, batch_size=2) == [
        translator.translate_reference(s) for s in sentences]
