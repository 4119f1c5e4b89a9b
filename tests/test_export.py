import json
import subprocess
import sys
import warnings

import keras
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.cli import main
from seq2seq_keras.export import tf_detokenize, tf_normalize, tf_tokenize

SENTENCES = ["I am cold.", "Where's the station?", "Tom's well-known (really) 3.5 km away!",
             "Hé\u202f: ça va\u00a0?", "J\u2019ai  faim", "", "   ", "unknownword zzz",
             "☃ snow", "Cafe\u0301 cre\u0300me", "x " * 40]


def test_tf_text_ops_match_the_python_ones():
    import tensorflow as tf

    for level in ("char", "word"):
        vocab = s2s.Vocabulary.build(SENTENCES, level=level)
        tokens = tf_tokenize(tf_normalize(tf.constant(SENTENCES)), level).to_list()
        assert [[t.decode() for t in row] for row in tokens] == [
            vocab.tokenize(s2s.normalize(s)) for s in SENTENCES]
    words = [["J'", "ai", "froid", "."], ["«", "Oui", "»", ",", "dit", "-", "il", "(", "là", ")"]]
    joined = tf_detokenize(tf.ragged.constant(words), "word").numpy()
    assert [j.decode() for j in joined] == [s2s.text.detokenize_words(w) for w in words]


@pytest.mark.parametrize("level, changes", [
    ("char", {}),
    ("word", {"attention": "luong", "bidirectional": True, "embedding_dim": 8}),
    ("subword", {"attention": "luong", "embedding_dim": 8, "max_source_tokens": 400,
                 "max_target_tokens": 400}),
    ("subword", {"architecture": "transformer", "num_heads": 2, "ff_dim": 16,
                 "tie_embeddings": True, "max_source_tokens": 400, "max_target_tokens": 400}),
])
def test_export_translates_like_python_without_the_package(tmp_path, tiny_config, level,
                                                           changes):
    keras.utils.set_random_seed(10)
    config = tiny_config.replace(level=level, units=16, max_source_length=30,
                                 max_target_length=12, **changes)
    if level == "subword":  # SentencePiece needs more text than a handful of sentences
        pairs = s2s.data.load_pairs(s2s.data.default_corpus_path())[:3000]
        src = s2s.Vocabulary.build([s for s, _ in pairs], level, max_tokens=400)
        tgt = s2s.Vocabulary.build([t for _, t in pairs], level, max_tokens=400)
    else:
        src = s2s.Vocabulary.build(SENTENCES[:4], level=level)
        tgt = s2s.Vocabulary.build(["Il fait froid. Où est la gare ? J'ai faim !"],
                                   level=level)
    # A default strategy other than greedy: the export must carry it.
    translator = s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)),
                                config, src, tgt, strategy=s2s.BeamSearch(3, alpha=1.2))
    model_dir, export_dir = str(tmp_path / "model"), str(tmp_path / "export")
    translator.save(model_dir)
    assert main(["export", "--model", model_dir, "--output", export_dir]) == 0
    # The export keeps [UNK] (documented), so compare with the model's own output; a
    # sentence longer than any in training is translated too, with its own limit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s2s.LongSentenceWarning)
        expected = translator.translate(SENTENCES, replace_unknown=False,
                                        split_sentences=False)
    assert expected[SENTENCES.index("")] == ""
    assert not translator.fits(SENTENCES[-1])  # longer than max_source_length
    # A fresh interpreter that never imports seq2seq_keras.
    script = ("import json, sys, tensorflow as tf, tensorflow_text; "
              "f = tf.saved_model.load(sys.argv[1]).signatures['serving_default']; "
              "out = f(inputs=tf.constant(json.loads(sys.argv[2])))['outputs'].numpy(); "
              "assert 'seq2seq_keras' not in sys.modules; "
              "print(json.dumps([x.decode() for x in out]))")
    result = subprocess.run([sys.executable, "-c", script, export_dir, json.dumps(SENTENCES)],
                            capture_output=True, text=True, check=True, cwd=tmp_path,
                            env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"})
    assert "seq2seq_keras" not in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
    # Writing over an existing export is refused.
    assert main(["export", "--model", model_dir, "--output", export_dir]) == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["en_fr", "transformer"])
def test_shipped_model_export_equals_translate_on_1000_test_sentences(tmp_path, name):
    """The serving door and the Python door give the shipped models' users the same
    strings: 1,000 test sentences of every length, each model's default strategy."""
    import random

    from seq2seq_keras.evaluation import split_references

    translator = s2s.load_translator(name)
    sources = [s for s in split_references(translator.config, "test") if translator.fits(s)]
    sources = random.Random(0).sample(sources, 1000)
    expected = translator.translate(sources, replace_unknown=False, split_sentences=False)
    export_dir = str(tmp_path / "export")
    assert main(["export", "--model", name, "--output", export_dir]) == 0
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    script = ("import json, sys, tensorflow as tf, tensorflow_text; "
              "f = tf.saved_model.load(sys.argv[1]).signatures['serving_default']; "
              "sources = json.load(open(sys.argv[2])); "
              "out = [x.decode() for i in range(0, len(sources), 100) for x in "
              "f(inputs=tf.constant(sources[i:i + 100]))['outputs'].numpy()]; "
              "assert 'seq2seq_keras' not in sys.modules; print(json.dumps(out))")
    result = subprocess.run(
        [sys.executable, "-c", script, export_dir, str(tmp_path / "sources.json")],
        capture_output=True, text=True, check=True, cwd=tmp_path,
        env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"})
    exported = json.loads(result.stdout.strip().splitlines()[-1])
    differ = [(s, e, x) for s, e, x in zip(sources, expected, exported, strict=True) if e != x]
    assert not differ, f"{len(differ)} of 1000 differ, e.g. {differ[:3]}"
