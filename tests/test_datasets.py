import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras import data
from seq2seq_keras.data import load_splits
from seq2seq_keras.text import END_ID, START_ID

PAIRS = [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Who?", "Qui ?"),
         ("Wow!", "Ça alors !"), ("I see.", "Je comprends.")]


def _vocabs():
    return (s2s.Vocabulary.build([s for s, _ in PAIRS]),
            s2s.Vocabulary.build([t for _, t in PAIRS]))


def test_encode_pairs_pads_right_and_wraps_targets():
    src_vocab, tgt_vocab = _vocabs()
    source, target = s2s.encode_pairs(PAIRS, src_vocab, tgt_vocab)
    assert source.dtype == np.int32 and source.shape == (6, 6)
    assert target.shape == (6, len("Je comprends.") + 2)
    assert (target[:, 0] == START_ID).all()
    assert src_vocab.decode(source[0]) == "Go." and (source[0, 3:] == 0).all()
    assert tgt_vocab.decode(target[5]) == "Je comprends."
    assert target[0, len("Va !") + 1] == END_ID


def test_encode_pairs_drops_too_long_pairs():
    src_vocab, tgt_vocab = _vocabs()
    source, target = s2s.encode_pairs(PAIRS, src_vocab, tgt_vocab, max_source_length=4,
                                      max_target_length=7)
    kept = {src_vocab.decode(row) for row in source}
    assert kept == {"Go.", "Hi.", "Run!", "Who?"}


def test_teacher_forcing_batches():
    src_vocab, tgt_vocab = _vocabs()
    source, target = s2s.encode_pairs(PAIRS, src_vocab, tgt_vocab)
    dataset = s2s.make_dataset(source, target, batch_size=4)
    assert dataset.cardinality().numpy() == 2
    (inputs, targets), = dataset.take(1).as_numpy_iterator()
    assert inputs["decoder_inputs"].shape == targets.shape
    # The decoder reads token t-1 and predicts token t: targets are its input shifted.
    np.testing.assert_array_equal(inputs["decoder_inputs"][:, 1:], targets[:, :-1])
    assert (inputs["decoder_inputs"][:, 0] == START_ID).all()
    # Each batch is cut to its own longest sentence.
    assert inputs["encoder_inputs"].shape[1] == max(len(s) for s, _ in PAIRS[:4])
    assert (inputs["encoder_inputs"][:, -1] != 0).any()


def test_sorted_shuffled_batches_keep_every_pair_once():
    pairs = s2s.load_pairs(num_pairs=700)
    src_vocab = s2s.Vocabulary.build([s for s, _ in pairs])
    tgt_vocab = s2s.Vocabulary.build([t for _, t in pairs])
    source, target = s2s.encode_pairs(pairs, src_vocab, tgt_vocab)
    dataset = s2s.make_dataset(source, target, batch_size=16, shuffle=True, seed=3,
                               sort_window=5)
    seen, batches, padding = [], 0, 0
    for inputs, targets in dataset.as_numpy_iterator():
        batches += 1
        padding += (targets == 0).sum()
        for row in inputs["encoder_inputs"]:
            seen.append(src_vocab.decode(row))
    assert batches == dataset.cardinality().numpy()
    assert sorted(seen) == sorted(src_vocab.decode(row) for row in source)
    # Sorting within windows pads less than plain random batches.
    plain = s2s.make_dataset(source, target, batch_size=16, shuffle=True, seed=3)
    plain_padding = sum((t == 0).sum() for _, t in plain.as_numpy_iterator())
    assert padding < plain_padding


def test_sample_pairs_spreads_over_the_lengths_of_the_sorted_corpus():
    # The shipped corpus is sorted by length: its first pairs are its shortest, a
    # sample of the same size reaches its long sentences.
    first = load_splits(s2s.Config(level="word", num_pairs=3000))
    sampled = load_splits(s2s.Config(level="word", num_pairs=3000, sample_pairs=True))
    again = load_splits(s2s.Config(level="word", num_pairs=3000, sample_pairs=True))
    assert sampled.train == again.train  # seeded by split_seed

    def longest(splits):
        return max(len(s.split()) for s, _ in splits.train + splits.validation + splits.test)

    def count(splits):
        return len(splits.train) + len(splits.validation) + len(splits.test)

    assert count(first) == count(sampled) == 3000
    assert longest(first) <= 4 and longest(sampled) >= 15
    # In corpus order.
    pairs = s2s.load_pairs()
    position = {pair: i for i, pair in enumerate(pairs)}
    order = [position[pair] for pair in data.sample_pairs(pairs, 500)]
    assert order == sorted(order) and len(set(order)) == 500
    # A sample moves no sentence across splits: the split depends on the sentence only.
    full = load_splits(s2s.Config(level="word"))
    assert set(sampled.test) <= set(full.test)


def test_sample_pairs_bad_values_are_named():
    with pytest.raises(ValueError, match="give num_pairs too"):
        s2s.Config(sample_pairs=True)
    with pytest.raises(ValueError, match="num_pairs=0"):
        data.sample_pairs([("a", "b")], 0)
    assert data.sample_pairs([("a", "b")], 5) == [("a", "b")]
