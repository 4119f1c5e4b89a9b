"""Subword vocabularies: SentencePiece trained on shipped text, in Python and in TF."""

import json

import pytest

import seq2seq_keras as s2s
from seq2seq_keras.text import END_ID, START_ID, UNK_ID


@pytest.fixture(scope="module")
def corpus():
    pairs = s2s.data.load_pairs(s2s.data.default_corpus_path())
    return [s for s, _ in pairs[:4000]], [t for _, t in pairs[:4000]]


@pytest.fixture(scope="module")
def french(corpus):
    return s2s.Vocabulary.build(corpus[1], level="subword", max_tokens=500)


def test_subword_ids_keep_the_package_layout_and_round_trip(corpus, french):
    assert french.size == 500 and french.tokens[:4] == ["", "[UNK]", "[START]", "[END]"]
    # Every training sentence comes back as written, ids agree with the pieces.
    for sentence in corpus[1]:
        ids = french.encode(sentence, add_start_end=True)
        assert ids[0] == START_ID and ids[-1] == END_ID and UNK_ID not in ids
        assert french.decode(ids) == sentence
        assert french.token_ids(french.tokenize(sentence)) == ids[1:-1]


def test_rare_names_numbers_and_unseen_characters_have_no_unk(french):
    # Never seen in 4,000 short sentences: spelled with pieces, down to bytes.
    for text in ("Zbigniew a 1 234,5 €.", "Ça coûte 3 500 ¥ 😀 ?", "Ωμέγα"):
        ids = french.encode(text)
        assert UNK_ID not in ids
        assert french.decode(ids) == text
    # A stray [UNK] id is left out, never written.
    ids = french.encode("Oui.")
    assert french.decode([*ids[:-1], UNK_ID, ids[-1]]) == "Oui."


def test_subword_vocabulary_is_seeded_and_saved_whole(corpus, french):
    again = s2s.Vocabulary.build(corpus[1], level="subword", max_tokens=500)
    assert again == french
    config = json.loads(json.dumps(french.get_config()))
    loaded = s2s.Vocabulary.from_config(config)
    assert loaded == french and loaded.encode("Je suis là.") == french.encode("Je suis là.")
    other = s2s.Vocabulary.build(corpus[1], level="subword", max_tokens=500, seed=7)
    assert other.size == 500  # another seed trains a model too (maybe the same one)


def test_whole_words_restore_names_in_typed_input(corpus):
    english = s2s.Vocabulary.build(corpus[0], level="subword", max_tokens=800)
    words = english.whole_words()
    assert "Tom" in words and "tom" not in words
    assert s2s.text.tidy_typing("tom is here", words) == "Tom is here"


@pytest.mark.parametrize("texts, size, message", [
    ([], 500, "empty training split"),
    (["", ""], 500, "empty training split"),
    (["Go."] * 10, 5000, "vocab_size=5000 is larger"),
    (["Go."], 100, "at least 261 ids"),
    ([chr(c) for c in range(0x4E00, 0x4E00 + 400)], 300, "400 distinct characters"),
    (["a\0b"], 500, "NUL"),
])
def test_subword_training_errors_name_the_value(texts, size, message):
    with pytest.raises(ValueError, match=message):
        s2s.Vocabulary.build(texts, level="subword", max_tokens=size)


def test_subword_config_needs_its_sizes():
    with pytest.raises(ValueError, match="max_source_tokens and max_target_tokens"):
        s2s.Config(level="subword", max_source_tokens=None, max_target_tokens=8000)
    with pytest.raises(ValueError, match="a subword vocabulary needs its size"):
        s2s.Vocabulary.build(["Go."], level="subword")


def test_the_graph_tokenizer_gives_the_same_ids_and_text(corpus, french):
    import tensorflow as tf
    import tensorflow_text

    tokenizer = tensorflow_text.SentencepieceTokenizer(french.sentencepiece,
                                                        out_type=tf.int32)
    sentences = corpus[1][:500] + ["Zbigniew a 1 234,5 € 😀 ?"]
    ids = tokenizer.tokenize(tf.constant(sentences)).to_list()
    assert ids == [french.encode(s) for s in sentences]
    text = tokenizer.detokenize(tf.ragged.constant(ids)).numpy()
    assert [t.decode() for t in text] == sentences


def test_a_joint_vocabulary_is_one_model_trained_on_both_sides():
    config = s2s.Config(level="subword", num_pairs=3000, max_source_tokens=700,
                        max_target_tokens=700, joint_vocabulary=True)
    joint = s2s.prepare_data(config)
    separate = s2s.prepare_data(config.replace(joint_vocabulary=False))
    source, target = joint.source_vocab, joint.target_vocab
    assert source.sentencepiece == target.sentencepiece and len(source) == 700
    # Trained on English and French together: pieces of both languages on each side,
    # which the separate French model lacks.
    assert {"▁the", "▁le"} <= set(target.tokens) and "▁the" not in separate.target_vocab.tokens
    for english, french_sentence in joint.splits.train[:300]:
        assert source.decode(source.encode(english)) == english
        assert target.decode(target.encode(french_sentence)) == french_sentence
    for bad in ({"level": "word"}, {"max_target_tokens": 800}):
        with pytest.raises(ValueError, match="joint_vocabulary=True needs level='subword'"):
            config.replace(**bad)
