import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s

SENTENCES = ["Go.", "I am cold.", "Who is he?", "Hi!", "☃ Run!"]


@pytest.fixture
def translator(tiny_config):
    keras.utils.set_random_seed(6)
    config = tiny_config.replace(units=16, max_source_length=20, max_target_length=25)
    src = s2s.Vocabulary.build(["Go. I am cold. Who is he? Hi! Run!"])
    tgt = s2s.Vocabulary.build(["Va ! J'ai froid. Qui est-il ? Salut ! Cours !"])
    return s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)), config, src, tgt)


def test_input_rules(translator):
    assert translator.translate("") == ""
    assert translator.translate("   \u202f") == ""
    assert translator.translate(["", "Go."])[0] == ""
    assert isinstance(translator.translate("☃☃ unknown ☃"), str)
    limit = s2s.text.MAX_SENTENCE_CHARACTERS
    with pytest.raises(s2s.SentenceTooLongError, match=f"{limit:,}"):
        translator.translate(["Go.", "x" * (limit + 1)])
    with pytest.raises(s2s.SentenceTooLongError):
        translator.split("Go. " + "X" * (limit + 1))
    # The limit counts the sentence as typed, not the final mark the rules add.
    assert translator.split("Hi. " + "X" * limit) == ["Hi.", "X" * limit + "."]
    assert isinstance(translator.translate("Hi. " + "X" * limit), str)


@pytest.mark.parametrize("bad", [None, 3, 2.5, b"Go.", bytearray(b"Go."), {"Go.": 1},
                                 ["Go.", None], [b"Go."]])
def test_anything_but_strings_is_a_type_error_naming_it(translator, bad):
    name = type(bad[-1] if isinstance(bad, list) else bad).__name__
    for call in (translator.translate, translator.translate_n_best, translator.sample):
        with pytest.raises(TypeError, match=f"got {name}"):
            call(bad)


def test_a_paragraph_is_split_translated_as_sentences_and_joined(translator):
    paragraph = "Go. I am cold.  Who is he? Hi!"
    sentences = ["Go.", "I am cold.", "Who is he?", "Hi!"]
    assert translator.split(paragraph) == sentences
    alone = translator.translate(sentences)
    assert translator.translate(paragraph) == " ".join(t for t in alone if t)
    assert translator.translate([paragraph, "Go."]) == [translator.translate(paragraph),
                                                        alone[0]]
    beam = translator.translate(sentences, beam_width=3)
    assert translator.translate(paragraph, beam_width=3) == " ".join(t for t in beam if t)
    # split_sentences=False: the whole line as one sentence, as the blog's loop takes it.
    with pytest.warns(s2s.LongSentenceWarning):  # 29 characters, trained on 20
        whole = translator.translate(paragraph, split_sentences=False)
    assert whole == translator.translate_reference(paragraph)


def test_a_sentence_longer_than_training_is_translated_with_a_warning(translator):
    long = "Go " * 30  # 90 characters, past max_source_length=20, no sentence end
    with pytest.warns(s2s.LongSentenceWarning, match="max_source_length=20") as caught:
        outputs = translator.translate(["Go.", long])
    assert [w.message.index for w in caught if w.category is s2s.LongSentenceWarning] == [1]
    assert isinstance(outputs[1], str) and not translator.fits(long)
    # Its output limit grows with it (a fixed limit would cut the translation).
    assert translator.output_limit(90) == 25 * 90 // 20 + 1 > translator.output_limit(20) == 25
    ids = translator.encode_source(long)
    assert translator.translate_ids([ids])[0].shape == (translator.output_limit(len(ids)),)


def test_output_respects_the_length_limit(translator):
    for output in translator.translate(SENTENCES):
        assert len(output) <= translator.config.max_target_length


def test_batches_of_long_sentences_stay_within_the_token_budget(translator):
    widths = []

    def run(array, max_length, limits):
        widths.append(tuple(array.shape))
        return list(array.numpy())

    ids = [[5] * n for n in (3, 4, 60, 61, 80, 2)]
    results = translator.searcher.run_batched(ids, 4, run)
    assert [len([x for x in r if x]) for r in results] == [3, 4, 60, 61, 80, 2]
    # Budget: 4 sentences x max_source_length 20 = 80 padded tokens per batch.
    assert all(rows * width <= 80 for rows, width in widths), widths


ARCHITECTURES = {
    "blog": {},
    "bidirectional_stacked_luong": {"bidirectional": True, "num_layers": 2,
                                    "attention": "luong", "embedding_dim": 8, "dropout": 0.1},
    "gru_bahdanau": {"cell": "gru", "attention": "bahdanau", "embedding_dim": 8},
    "peephole_cifg": {"cell": "peephole_lstm"},
    "cifg_stacked": {"cell": "cifg_lstm", "num_layers": 2, "bidirectional": True},
}


def test_save_then_load_in_a_fresh_process(translator, tmp_path):
    """Every architecture, saved here, translates the same in one fresh process (one
    process for all of them: TensorFlow's start-up is paid once), through the compiled
    search and through the blog's two inference models (on two sentences: a `predict`
    per token is slow)."""
    paths, expected = [], []
    for architecture in sorted(ARCHITECTURES):
        config = translator.config.replace(**ARCHITECTURES[architecture])
        keras.utils.set_random_seed(8)
        built = s2s.Translator(
            s2s.build_training_model(config, len(translator.source_vocab),
                                     len(translator.target_vocab)),
            config, translator.source_vocab, translator.target_vocab)
        path = str(tmp_path / architecture)
        built.save(path)
        assert sorted(os.listdir(path)) == ["model.weights.h5", "translator.json"]
        paths.append(path)
        expected.append(built.translate(SENTENCES) + built.translate(SENTENCES[:2]))
    script = ("import json, sys, seq2seq_keras as s2s; sentences = json.loads(sys.argv[1]); "
              "ts = [s2s.load_translator(p) for p in sys.argv[2:]]; "
              "print(json.dumps([[t.translate(s) for s in sentences] + "
              "[t.translate_reference(s) for s in sentences[:2]] for t in ts]))")
    result = subprocess.run([sys.executable, "-c", script, json.dumps(SENTENCES), *paths],
                            capture_output=True, text=True, check=True)
    outputs = json.loads(result.stdout.strip().splitlines()[-1])
    for architecture, got, want in zip(sorted(ARCHITECTURES), outputs, expected, strict=True):
        assert got == want, architecture


def test_loading_a_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a saved translator"):
        s2s.load_translator(str(tmp_path))


def test_the_default_strategy_is_saved_and_old_artefacts_still_load(translator, tmp_path):
    from seq2seq_keras.apps.cli import main

    path = str(tmp_path / "model")
    translator.strategy = s2s.BeamSearch(3, alpha=0.8)
    translator.save(path)
    assert s2s.load_translator(path).strategy == s2s.BeamSearch(3, alpha=0.8)
    meta_path = os.path.join(path, "translator.json")
    with open(meta_path, encoding="utf-8") as handle:
        meta = json.load(handle)
    assert meta["decoding"] == {"name": "beam_search", "beam_width": 3, "alpha": 0.8,
                                "drop_penalty": 1.0}
    # Written before strategies were stored: beam 4, what the command line used then.
    del meta["decoding"]
    with open(meta_path, "w", encoding="utf-8") as handle:
        json.dump(meta, handle)
    assert s2s.load_translator(path).strategy == s2s.BeamSearch()
    # A damaged file: a clear error naming it, from Python and from the command line.
    with open(meta_path, "w", encoding="utf-8") as handle:
        handle.write('{"config": ')
    with pytest.raises(ValueError, match="translator.json is not valid JSON"):
        s2s.load_translator(path)
    with open(meta_path, "w", encoding="utf-8") as handle:
        json.dump({"config": meta["config"]}, handle)
    with pytest.raises(ValueError, match=r"lacks \['source_vocab', 'target_vocab'\]"):
        s2s.load_translator(path)
    assert main(["translate", "--model", path, "Go."]) == 2


def test_half_precision_artefact_is_half_the_size_and_translates(translator, tmp_path):
    full, half = str(tmp_path / "full"), str(tmp_path / "half")
    translator.save(full)
    translator.save(half, half_precision=True)
    assert sorted(os.listdir(half)) == ["model.weights.f16.npz", "translator.json"]
    size = os.path.getsize(os.path.join(half, "model.weights.f16.npz"))
    assert size < 0.6 * os.path.getsize(os.path.join(full, "model.weights.h5"))
    loaded = s2s.load_translator(half)
    for a, b in zip(loaded.model.get_weights(), translator.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    assert loaded.translate(SENTENCES) == translator.translate(SENTENCES)
    # Saving again in full precision replaces the half-precision weights.
    loaded.save(half)
    assert sorted(os.listdir(half)) == ["model.weights.h5", "translator.json"]


# -- fuzzing: any text in, one string out, never an exception ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Unicode of every category, surrogates included, plus the characters that break
# naive code: control characters, NUL, line and paragraph separators, BOM, tabs.
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(
    "\x00\x07\x1b\r\n\t\x0b\x0c\u2028\u2029\ufeff\u200b\u00ad\u202f. !?…'\"«»[UNK]")),
    max_size=200)


@pytest.fixture(scope="module")
def fuzz_translators():
    """A character-level model and a word-level attention model (replacing [UNK])."""
    import keras

    keras.utils.set_random_seed(11)
    config = s2s.Config(name="tiny", units=8, batch_size=4, epochs=1, patience=0,
                        sort_window=1, max_source_length=20, max_target_length=25)
    src = s2s.Vocabulary.build(["Go. I am cold. Who is he? Hi! Run!"])
    tgt = s2s.Vocabulary.build(["Va ! J'ai froid. Qui est-il ? Salut ! Cours !"])
    char = s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)), config, src, tgt)
    word_config = config.replace(level="word", attention="luong", embedding_dim=4,
                                 max_source_length=6, max_target_length=8)
    src = s2s.Vocabulary.build(["Go . I am cold . Who is he ? Tom"], level="word")
    tgt = s2s.Vocabulary.build(["Va ! J'ai froid . Qui est-il ?"], level="word")
    word = s2s.Translator(s2s.build_training_model(word_config, len(src), len(tgt)),
                          word_config, src, tgt, lexicon={"cold": "froid"})
    return char, word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=1, max_size=6), beam_width=st.sampled_from([1, 3]))
def test_any_unicode_gives_one_string_per_string(fuzz_translators, texts, beam_width):
    import warnings

    for translator in fuzz_translators:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", s2s.LongSentenceWarning)
            outputs = translator.translate(texts, beam_width=beam_width)
            single = translator.translate(texts[0], beam_width=beam_width)
        assert isinstance(outputs, list) and len(outputs) == len(texts)
        assert all(isinstance(o, str) for o in outputs)
        assert single == outputs[0]
        for text, output in zip(texts, outputs, strict=True):
            if not translator.split(text):
                assert output == ""  # nothing to translate: nothing out


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT.filter(bool).map(lambda text: (text * 5000)[:5000]))
def test_five_thousand_character_lines_are_translated(fuzz_translators, text):
    import warnings

    for translator in fuzz_translators:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", s2s.LongSentenceWarning)
            outputs = translator.translate([text, "Go."])
        assert len(outputs) == 2 and all(isinstance(o, str) for o in outputs)
