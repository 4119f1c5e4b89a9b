import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.text import END_ID, PAD_ID, START_ID, UNK_ID, pad_ids


def test_char_vocabulary_round_trip_and_specials():
    vocab = s2s.Vocabulary.build(["Va !", "Cours !"], level="char")
    assert vocab.tokens[:4] == ["", "[UNK]", "[START]", "[END]"]
    assert (PAD_ID, UNK_ID, START_ID, END_ID) == (0, 1, 2, 3)
    ids = vocab.encode("Va !", add_start_end=True)
    assert ids[0] == START_ID and ids[-1] == END_ID and len(ids) == 6
    assert vocab.decode(ids) == "Va !"
    # Decoding stops at [END] and skips padding.
    assert vocab.decode(vocab.encode("Va") + [END_ID] + vocab.encode("Cours")) == "Va"
    assert vocab.decode([PAD_ID, *vocab.encode("Va"), PAD_ID]) == "Va"


def test_unknown_characters_fall_back_to_unk():
    vocab = s2s.Vocabulary.build(["abc"], level="char")
    ids = vocab.encode("a☃c")
    assert ids[1] == UNK_ID
    assert vocab.decode(ids) == "a\ufffdc"


def test_most_frequent_first_and_limits():
    vocab = s2s.Vocabulary.build(["aaab", "ab", "c"], level="char", max_tokens=6)
    assert vocab.tokens[4:] == ["a", "b"]
    assert len(vocab) == 6
    rare = s2s.Vocabulary.build(["aaab", "ab", "c"], level="char", min_count=2)
    assert "c" not in rare.tokens
    # Membership and ids of split tokens agree with `encode`.
    assert "a" in rare and "[UNK]" in rare and "c" not in rare
    assert rare.token_ids(["a", "c", "b"]) == rare.encode("acb") == [4, UNK_ID, 5]


def test_pad_ids_right_pads_with_zero():
    batch = pad_ids([[5, 6, 7], [8], [9, 10]])
    assert batch.dtype == np.int32
    assert batch.tolist() == [[5, 6, 7], [8, PAD_ID, PAD_ID], [9, 10, PAD_ID]]


def test_word_level_tokenize_and_detokenize():
    vocab = s2s.Vocabulary.build(["J'ai froid.", "Tu as froid ?"], level="word")
    assert vocab.tokenize("J'ai froid.") == ["J'", "ai", "froid", "."]
    assert vocab.decode(vocab.encode("Tu as froid ?")) == "Tu as froid ?"
    assert vocab.decode(vocab.encode("J'ai froid.")) == "J'ai froid."
    assert vocab.decode(vocab.encode("J'ai chaud.")) == "J'ai [UNK]."
    # A decoded [UNK] encodes back to one id, not to "[", "UNK", "]".
    assert vocab.encode("J'ai [UNK].") == vocab.encode("J'ai chaud.")
    french = s2s.Vocabulary.build(["« Oui », dit-il : « d'accord ! »"], level="word")
    assert french.decode(french.encode("« Oui », dit-il : « d'accord ! »")) == (
        "« Oui », dit-il : « d'accord ! »")


def test_config_round_trip_and_equality():
    vocab = s2s.Vocabulary.build(["Hello, world!"], level="word")
    again = s2s.Vocabulary.from_config(vocab.get_config())
    assert again == vocab and again.encode("world") == vocab.encode("world")


def test_bad_level_and_special_clash():
    with pytest.raises(ValueError, match="level must be"):
        s2s.Vocabulary([], level="byte")
    with pytest.raises(ValueError, match="special tokens"):
        s2s.Vocabulary(["[END]"])


def test_several_models_input_rules_trace_without_retracing_warnings(caplog):
    # Each model traces its own input rules once; TensorFlow counts traces per Python
    # code object, so a closure per model warned "retracing" from the sixth model on.
    from seq2seq_keras.text.inputs import SourceText

    vocab = s2s.Vocabulary.build(["I am cold.", "Tom is here."], level="word")
    with caplog.at_level("WARNING", logger="tensorflow"):
        for _ in range(7):
            rules = SourceText(vocab, 20, source_words=["I", "am", "cold", "Tom", "is", "here"])
            assert rules.inputs("tom is here. i am cold").single
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
