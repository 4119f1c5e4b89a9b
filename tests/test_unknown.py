"""[UNK] replacement: the lexicon, the rules, and the shipped model end to end."""

import collections
import itertools
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

import seq2seq_keras as s2s
from seq2seq_keras.text import START_ID, UNK, pad_ids
from seq2seq_keras.text.vocabulary import written
from seq2seq_keras.training.lexicon import attention_alignments, build_lexicon
from seq2seq_keras.translation.evaluation import evaluate_translations, split_references
from seq2seq_keras.translation.repair import penalized_ranking, replace_unknown, wordless

PAIRS = [
    ("I like the keyboard.", "J'aime le clavier."),
    ("The keyboard is new.", "Le clavier est neuf."),
    ("I like cats.", "J'aime les chats."),
    ("I like 3 cats!", "J'aime 3 chats !"),
    ("The house is new.", "La maison est neuve."),
    ("The house is big.", "La maison est grande."),
    ("I like the dog.", "J'aime le chien."),
]
# The French words the model knows: clavier, chats, maison, chien... are not.
TARGET = s2s.Vocabulary(["J'", "aime", "le", "Le", "La", "les", "est", ".", "!", "3"],
                        level="word")


def source_vocab():
    return s2s.Vocabulary.build([s for s, _ in PAIRS], level="word")


def test_lexicon_pairs_words_with_their_out_of_vocabulary_translation():
    lexicon = build_lexicon(PAIRS, source_vocab(), TARGET)
    assert lexicon["keyboard"] == "clavier"
    assert lexicon["cats"] == "chats"
    assert lexicon["house"] == "maison" and lexicon["dog"] == "chien"
    # Only words the model cannot write are values; numbers and punctuation are
    # copied or dropped, never looked up.
    assert not set(lexicon.values()) & set(TARGET.tokens)
    assert "3" not in lexicon and "." not in lexicon and "!" not in lexicon
    # A pairing seen once is dropped when two are required.
    strict = build_lexicon(PAIRS, source_vocab(), TARGET, min_pairs=2)
    assert strict["keyboard"] == "clavier" and "dog" not in strict
    with pytest.raises(ValueError, match="word-level"):
        build_lexicon(PAIRS, s2s.Vocabulary.build(["a"]), TARGET)


def test_alignments_choose_the_translation_among_dices_candidates():
    plain = build_lexicon(PAIRS, source_vocab(), TARGET)
    assert plain["new"] == "neuve" and plain["like"] == "chats"
    aligned = collections.Counter({("new", "neuf"): 2, ("new", "neuve"): 1,
                                   ("like", "clavier"): 1, ("Zelda", "Zelda"): 1})
    lexicon = build_lexicon(PAIRS, source_vocab(), TARGET, alignments=aligned)
    # The most frequent alignment wins over a higher Dice coefficient...
    assert lexicon["new"] == "neuf" and lexicon["like"] == "clavier"
    # ...words the attention never aligned keep their Dice choice, and an alignment
    # never adds a word the pairs do not hold.
    assert {w: t for w, t in lexicon.items() if w not in ("new", "like")} == {
        w: t for w, t in plain.items() if w not in ("new", "like")}
    assert "Zelda" not in lexicon
    # Only pairings that pass min_dice (and min_pairs) are candidates: Dice(like,
    # clavier) is 2 * 1 / (4 + 2).
    strict = build_lexicon(PAIRS, source_vocab(), TARGET, min_dice=0.5, alignments=aligned)
    assert strict["new"] == "neuf" and strict["like"] == "chats"


def test_alignments_follow_the_shipped_models_attention():
    translator = s2s.load_translator("en_fr")
    pairs = [("I need a keyboard.", "J'ai besoin d'un clavier."),
             # Every French word in the vocabulary: nothing to align.
             ("I am cold.", "J'ai froid.")]
    counts = attention_alignments(pairs, translator.source_vocab, translator.target_vocab,
                                  translator.seq2seq.attention)
    assert counts == collections.Counter({("keyboard", "clavier"): 1})


def test_each_unknown_is_translated_copied_or_dropped():
    source = "I met Zelda in 1999 and bought a keyboard .".split()
    vocab = s2s.Vocabulary(["I", "met", "in", "and", "bought", "a", "keyboard", "."],
                           level="word")
    output = ["J'", "ai", "rencontré", UNK, "en", UNK, "et", UNK, "un", UNK, "."]
    # Where each output token looked (one-hot rows), over 11 columns (one padding).
    looked = [0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    weights = np.eye(len(source) + 1)[looked]
    result = replace_unknown(source, output, weights, {"keyboard": "clavier"}, vocab)
    # Zelda (a name) and 1999 are copied, "keyboard" translated, "bought" dropped.
    assert result == ["J'", "ai", "rencontré", "Zelda", "en", "1999", "et", "un", "clavier",
                      "."]
    # A known capitalized word first in the sentence is no name: dropped; an unknown
    # one is copied.
    vocab_with_the = s2s.Vocabulary(["The", "end"], level="word")
    assert replace_unknown(["The", "end"], [UNK, "fin"], np.eye(2), {},
                           vocab_with_the) == ["fin"]
    assert replace_unknown(["Zelda", "left"], [UNK, "part"], np.eye(2), {},
                           vocab_with_the) == ["Zelda", "part"]


def test_a_dropped_word_strands_no_comma():
    vocab = s2s.Vocabulary(["nice", "today", ",", "let'", "s", "walk", "."], level="word")
    source = ["nice", "today", ",", "let'", "s", "walk", "."]

    def replaced(output, looked):
        weights = np.eye(len(source))[looked]
        return s2s.Vocabulary([], level="word").join(
            replace_unknown(source, output, weights, {}, vocab))

    # "let'" has no entry and is no name: dropped, and so is the comma before it.
    assert replaced(["beau", "aujourd'hui", ",", UNK, "."], [0, 1, 2, 3, 6]) == (
        "beau aujourd'hui.")
    assert replaced(["beau", "aujourd'hui", ",", UNK], [0, 1, 2, 3]) == "beau aujourd'hui"
    assert replaced([UNK, ",", "beau", "."], [3, 2, 0, 6]) == "beau."
    assert replaced(["beau", ",", UNK, ",", "bien", "."], [0, 2, 3, 2, 5, 6]) == (
        "beau, bien.")
    # A comma the model wrote away from any dropped word stays.
    assert replaced(["beau", ",", "bien", "."], [0, 2, 5, 6]) == "beau, bien."
    # How many were dropped, for beam search's penalty.
    weights = np.eye(len(source))[[0, 3, 2, 4, 6]]
    assert replace_unknown(source, ["beau", UNK, ",", UNK, "."], weights, {}, vocab,
                           with_drops=True) == (["beau", "."], 2)
    # A replaced or copied [UNK] keeps its commas.
    weights = np.eye(len(source))[[0, 1, 2, 5, 6]]
    assert replace_unknown(source, ["beau", "aujourd'hui", ",", UNK, "."], weights,
                           {"walk": "promenons-nous"}, vocab) == [
        "beau", "aujourd'hui", ",", "promenons-nous", "."]


def test_translator_saves_and_loads_its_lexicon(tiny_config, tmp_path):
    config = tiny_config.replace(level="word", embedding_dim=8, attention="luong",
                                 max_source_length=10, max_target_length=10)
    src = source_vocab()
    model = s2s.build_training_model(config, len(src), len(TARGET))
    lexicon = build_lexicon(PAIRS, src, TARGET)
    s2s.Translator(model, config, src, TARGET, lexicon).save(str(tmp_path))
    with open(tmp_path / "lexicon.json", encoding="utf-8") as handle:
        assert json.load(handle) == lexicon
    loaded = s2s.load_translator(str(tmp_path))
    assert loaded.lexicon == lexicon and loaded.replaces_unknown
    # Saving without a lexicon leaves none behind from before.
    s2s.Translator(model, config, src, TARGET).save(str(tmp_path))
    assert not os.path.exists(tmp_path / "lexicon.json")
    assert s2s.load_translator(str(tmp_path)).lexicon == {}


def _fills(raw, new):
    """Whether `new` is `raw` with each [UNK] replaced by one token or none (a dropped
    one may take a comma beside it along, see `replace_unknown`)."""
    if not raw:
        return not new
    if raw[0] == UNK:
        return (_fills(raw[1:], new) or (raw[1:2] == [","] and _fills(raw[2:], new))
                or (bool(new) and _fills(raw[1:], new[1:])))
    if raw[:2] == [",", UNK] and _fills(raw[2:], new):
        return True
    return bool(new) and raw[0] == new[0] and _fills(raw[1:], new[1:])


def test_shipped_model_replaces_unknown_words_and_scores_higher():
    translator = s2s.load_translator("en_fr")
    assert len(translator.lexicon) > 5000
    references = split_references(translator.config, "test")
    sources = [s for s in references if translator.fits(s)][:400]
    # Greedy search: one hypothesis, so `replaced` is `raw` with its [UNK] filled.
    raw = translator.translate(sources, "greedy", replace_unknown=False)
    replaced = translator.translate(sources, "greedy")
    with_unknown = [i for i, text in enumerate(raw) if UNK in text]
    assert len(with_unknown) > 20
    assert not any(UNK in text for text in replaced)
    tokenize = translator.target_vocab.tokenize
    for i in range(len(sources)):
        if i in with_unknown:
            assert _fills(tokenize(raw[i]), tokenize(replaced[i])), (raw[i], replaced[i])
        else:
            assert raw[i] == replaced[i]
    refs = [references[s] for s in sources]
    before = evaluate_translations(sources, raw, refs)
    after = evaluate_translations(sources, replaced, refs)
    assert after.bleu > before.bleu and after.chrf > before.chrf
    # A word outside the 12,000 French words, found through the lexicon.
    assert UNK in translator.translate("I need a keyboard.", "greedy", replace_unknown=False)
    assert "clavier" in translator.translate("I need a keyboard.", "greedy")
    assert "clavier" in translator.translate("I need a keyboard.")  # the default, beam 4
    # The repair read the search's own alignments: no teacher-forced pass ran.
    assert translator.seq2seq.attention.experimental_get_tracing_count() == 0
    # n-best lists are replaced too, with the model's scores kept where no word is
    # dropped.
    n_best = translator.translate_n_best("I need a keyboard.", beam_width=2)
    raw_n_best = translator.translate_n_best("I need a keyboard.", beam_width=2,
                                             replace_unknown=False)
    assert [s for _, s in n_best] == [s for _, s in raw_n_best]
    assert not any(UNK in text for text, _ in n_best)


@pytest.mark.parametrize("width", [1, 4])
def test_the_searchs_alignments_are_the_attention_of_its_outputs(width):
    # Repair reads where the decoder looked from the search's history; that must be
    # the argmax of the attention over the same outputs, teacher-forced (what the
    # repair read before), and keeping it must not change what the search finds.
    translator = s2s.load_translator("en_fr")
    sources = [s for s in split_references(translator.config, "test")
               if translator.fits(s)][:300]
    ids = [translator.encode_source(s) for s in sources]
    strategy = translator.resolve_strategy(beam_width=width)
    plain = translator.searcher.hypotheses(ids, strategy)
    found = translator.searcher.hypotheses(ids, strategy, aligned=True)
    flat = [(k, h) for k, best in enumerate(found) for h in best]
    assert len(flat) == 300 * width
    for (_, (out, score, _)), (plain_out, plain_score) in zip(
            flat, [h for best in plain for h in best], strict=True):
        np.testing.assert_array_equal(out, plain_out)
        assert score == pytest.approx(plain_score, abs=1e-5)
    outputs = np.stack([h[0] for _, h in flat])
    weights = translator.seq2seq.attention([
        tf.constant(pad_ids([ids[k] for k, _ in flat]), tf.int32),
        tf.constant(np.concatenate([np.full((len(flat), 1), START_ID), outputs[:, :-1]], 1),
                    tf.int32)]).numpy()
    keep = written(outputs).numpy()
    alignments = np.stack([h[2] for _, h in flat])
    assert keep.sum() > 3 * len(flat)  # some 4.5 words a translation
    np.testing.assert_array_equal(alignments[keep], weights.argmax(axis=-1)[keep])
    # Every alignment points into its own sentence.
    lengths = np.array([len(ids[k]) for k, _ in flat])
    assert (alignments[keep] < np.repeat(lengths, keep.sum(axis=1))).all()
    # A model that cannot align says so.
    with pytest.raises(ValueError, match="attention"):
        s2s.load_translator("transformer").seq2seq.aligned_log_probs(None, None)


def _whole_penalties(difference):
    """Whether a score `difference` is a whole number (>= 0) of `DROP_PENALTY`."""
    count = difference / s2s.config.DROP_PENALTY
    return round(count) >= 0 and abs(count - round(count)) < 1e-4


def test_beam_search_prefers_hypotheses_that_drop_no_word():
    translator = s2s.load_translator("en_fr")
    # "Watch us." -> "[UNK] !": replaced, nothing but "!" would be left.
    raw = translator.translate_n_best("Watch us.", beam_width=4, replace_unknown=False)
    assert raw[0][0].startswith(UNK)
    assert any(c.isalpha() for c in translator.translate("Watch us.", beam_width=4))
    sources = list(split_references(translator.config, "validation"))[:300]
    raw = translator.translate_n_best(sources, beam_width=4, replace_unknown=False)
    replaced = translator.translate_n_best(sources, beam_width=4)
    reordered = 0
    for raw_best, best in zip(raw, replaced, strict=True):
        scores = [score for _, score in best]
        # Best first, a hypothesis left without a word after those that kept one.
        words = [any(c.isalnum() for c in text) for text, _ in best]
        assert words == sorted(words, reverse=True)
        for kept in (True, False):
            group = [score for score, has in zip(scores, words, strict=True) if has == kept]
            assert group == sorted(group, reverse=True)
        # The same hypotheses, each losing DROP_PENALTY per dropped word, if any.
        assert any(all(_whole_penalties(r - s) for (_, r), s in zip(order, scores, strict=True))
                   for order in itertools.permutations(raw_best))
        reordered += best[0][0] != translator.target_vocab.join(
            translator.target_vocab.tokenize(raw_best[0][0]))
    assert reordered > 0
    assert translator.translate(sources, beam_width=4) == [best[0][0] for best in replaced]
    # Without the penalty: the model's own order and scores, replaced.
    unpenalized = translator.translate_n_best(sources, s2s.BeamSearch(4, drop_penalty=0))
    assert [[s for _, s in best] for best in unpenalized] == [
        [s for _, s in best] for best in raw]
    with pytest.raises(ValueError, match="drop_penalty"):
        translator.translate("Watch us.", s2s.BeamSearch(4, drop_penalty=-1))


def test_a_hypothesis_left_without_a_word_ranks_last():
    assert wordless(["!", "", " ?", "Dis-moi !", "3 !", "é", "[UNK]"]).numpy().tolist() == [
        True, True, True, False, False, False, False]
    scores = tf.constant([[-1.0, -2.0, -3.0], [-1.0, -2.0, -3.0], [-1.0, -2.0, -3.0]])
    drops = tf.constant([[1, 0, 0], [0, 0, 0], [0, 0, 0]])
    empty = tf.constant([[True, False, False], [False, True, True], [True, False, False]])
    penalized, order = penalized_ranking(scores, drops, 1.0, empty)
    np.testing.assert_allclose(penalized, [[-2, -2, -3], [-1, -2, -3], [-1, -2, -3]])
    # Only a hypothesis that a drop emptied moves: one the model wrote without a word
    # ("?" for "?") keeps its place.
    assert order.numpy().tolist() == [[1, 2, 0], [0, 1, 2], [0, 1, 2]]
    assert penalized_ranking(scores, drops, 0.0, empty)[1].numpy().tolist() == [[0, 1, 2]] * 3
    # The shipped word model: "[UNK] !" lost its only word; a hypothesis with one wins.
    translator = s2s.load_translator("en_fr")
    for sentence in ("Tell me.", "Follow us."):
        raw = translator.translate_n_best(sentence, beam_width=4, replace_unknown=False)
        assert raw[0][0].startswith(UNK)
        assert any(c.isalpha() for c in translator.translate(sentence, beam_width=4))


def test_training_a_word_model_writes_its_lexicon(tiny_config, tmp_path):
    from seq2seq_keras.apps.cli import main

    config = tiny_config.replace(level="word", embedding_dim=8, attention="luong",
                                 max_target_tokens=60, num_pairs=300)
    result = s2s.train(config, str(tmp_path / "model"), verbose=0)
    prepared = s2s.prepare_data(config)
    train, source, target = prepared.splits.train, prepared.source_vocab, prepared.target_vocab
    alignments = attention_alignments(train, source, target,
                                      s2s.Seq2Seq(result.artefact.model).attention_model)
    expected = build_lexicon(train, source, target, alignments=alignments)
    assert sum(alignments.values()) > 100
    assert expected and result.artefact.lexicon == expected
    assert expected != build_lexicon(train, source, target)
    assert s2s.load_translator(str(tmp_path / "model")).lexicon == expected
    # `seq2seq-keras lexicon` learns it again for a saved model (e.g. one trained
    # before the lexicon was aligned), writing lexicon.json only.
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "model", copy)
    os.remove(copy / "lexicon.json")
    weights = sorted(os.listdir(copy))
    assert main(["lexicon", "--model", str(copy)]) == 0
    assert sorted(os.listdir(copy)) == sorted([*weights, "lexicon.json"])
    assert s2s.load_translator(str(copy)).lexicon == expected


def test_cli_keeps_unknown_words_on_request(capsys):
    from seq2seq_keras.apps.cli import main

    assert main(["translate", "--model", "en_fr", "I need a keyboard.", "--beam-width", "1"]) == 0
    replaced = capsys.readouterr().out
    assert main(["translate", "--model", "en_fr", "I need a keyboard.", "--beam-width", "1",
                 "--keep-unknown"]) == 0
    kept = capsys.readouterr().out
    assert UNK not in replaced and "clavier" in replaced and UNK in kept


def test_cli_evaluate_passes_the_drop_penalty(tmp_path, capsys):
    from seq2seq_keras.apps.cli import main

    hypotheses, penalties = {}, {}
    for penalty in ("0", None):
        path = tmp_path / f"penalty{penalty}.txt"
        extra = ["--drop-penalty", penalty] if penalty else []
        assert main(["evaluate", "--model", "en_fr", "--split", "validation",
                     "--max-sentences", "300", "--beam-width", "4", "--hypotheses", str(path),
                     *extra]) == 0
        penalties[penalty] = json.loads(capsys.readouterr().out)["drop_penalty"]
        hypotheses[penalty] = path.read_text(encoding="utf-8").splitlines()
    assert penalties == {"0": 0.0, None: s2s.config.DROP_PENALTY}
    # Some translations that left a word out give way to another hypothesis.
    changed = [k for k, (a, b) in enumerate(zip(hypotheses["0"], hypotheses[None],
                                                strict=True)) if a != b]
    assert changed
