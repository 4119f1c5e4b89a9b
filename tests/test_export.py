import json
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.apps import benchmark
from seq2seq_keras.apps.cli import main
from seq2seq_keras.text import END_ID, PAD_ID, UNK_ID
from seq2seq_keras.text.normalize import normalize_all, tf_normalize
from seq2seq_keras.text.vocabulary import tf_detokenize, tf_tokenize

SENTENCES = ["I am cold.", "Where's the station?", "Tom's well-known (really) 3.5 km away!",
             "Hé\u202f: ça va\u00a0?", "J\u2019ai  faim", "", "   ", "unknownword zzz",
             "☃ snow", "Cafe\u0301 cre\u0300me", "x " * 40]
# Typed as people type, and paragraphs: the export tidies and splits them as `translate`.
TYPED = ["i am cold", "I AM COLD. WHERE IS THE STATION", "where's the station",
         "I am cold. Where's the station? J'ai faim."]


def test_tf_text_ops_match_the_python_ones():
    import tensorflow as tf

    for level in ("char", "word"):
        vocab = s2s.Vocabulary.build(SENTENCES, level=level)
        tokens = tf_tokenize(tf_normalize(tf.constant(SENTENCES)), level).to_list()
        assert [[t.decode() for t in row] for row in tokens] == [
            vocab.tokenize(s2s.text.normalize(s)) for s in SENTENCES]
    words = [["J'", "ai", "froid", "."], ["«", "Oui", "»", ",", "dit", "-", "il", "(", "là", ")"]]
    joined = tf_detokenize(tf.ragged.constant(words), "word").numpy()
    assert [j.decode() for j in joined] == [s2s.text.vocabulary.detokenize_words(w) for w in words]


def test_a_lone_word_piece_adds_no_space_in_python_or_the_export():
    # The shipped Transformer wrote "J'ai rencontré  Fambada" for "I MET ZELDA": a
    # lone `▁` piece before a word. Both decoders keep one space between words.
    from seq2seq_keras.translation.export import Serving

    translator = s2s.load_translator()
    vocab = translator.target_vocab
    pieces = [["▁J", "'", "ai", "▁rencontré", "▁", "▁F", "a", "m", "b", "a", "d", "a",
               "▁", "."], ["▁", "▁Oui", "▁"], ["▁", "▁", "▁"]]
    index = {token: i for i, token in enumerate(vocab.tokens)}
    ids = [[index[p] for p in row] + [END_ID] for row in pieces]
    width = max(map(len, ids))
    ids = np.array([row + [PAD_ID] * (width - len(row)) for row in ids], np.int32)
    expected = ["J'ai rencontré Fambada .", "Oui", ""]
    assert [vocab.decode(row) for row in ids] == expected
    graph = Serving(translator).decode(ids).numpy()
    assert [text.decode() for text in graph] == expected


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
    # A default strategy other than greedy: the export must carry it. The word model's
    # lexicon travels as a table (a word outside the French vocabulary for "cold").
    model = s2s.build_training_model(config, len(src), len(tgt))
    if level == "word":  # an untrained model that writes [UNK] often, for the repair
        dense = model.get_layer("decoder_dense")
        dense.bias.assign(dense.bias.numpy() + 3.0 * (np.arange(len(tgt)) == UNK_ID))
    translator = s2s.Translator(model, config, src, tgt, strategy=s2s.BeamSearch(3, alpha=1.2),
                                lexicon={"cold": "glacial", "station": "gare"})
    model_dir, export_dir = str(tmp_path / "model"), str(tmp_path / "export")
    translator.save(model_dir)
    assert main(["export", "--model", model_dir, "--output", export_dir]) == 0
    # [UNK] repaired as `translate` does (the word model: lexicon, copy, drop); a
    # sentence longer than any in training is translated too, with its own limit.
    inputs = SENTENCES + TYPED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s2s.LongSentenceWarning)
        expected = translator.translate(inputs)
    if translator.replaces_unknown:  # the repair had work to do: the test can fail
        assert expected != translator.translate(inputs, replace_unknown=False)
    assert expected[SENTENCES.index("")] == ""
    assert not translator.fits(SENTENCES[-1])  # longer than max_source_length
    # A fresh interpreter that never imports seq2seq_keras.
    script = ("import json, sys, tensorflow as tf, tensorflow_text; "
              "f = tf.saved_model.load(sys.argv[1]).signatures['serving_default']; "
              "out = f(inputs=tf.constant(json.loads(sys.argv[2])))['outputs'].numpy(); "
              "assert 'seq2seq_keras' not in sys.modules; "
              "print(json.dumps([x.decode() for x in out]))")
    result = subprocess.run([sys.executable, "-c", script, export_dir, json.dumps(inputs)],
                            capture_output=True, text=True, check=True, cwd=tmp_path,
                            env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin"})
    assert "seq2seq_keras" not in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
    # `bench --export` times this export, and finds it gives translate's strings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", s2s.LongSentenceWarning)
        rows = benchmark.export_speed(translator, inputs, batch=len(inputs),
                                          export_dir=export_dir)
    assert [row["same_strings"] for row in rows] == [None, None, True]
    assert rows[2]["path"] == "exported SavedModel, " + translator.strategy.describe()
    # Writing over an existing export is refused.
    assert main(["export", "--model", model_dir, "--output", export_dir]) == 2


@pytest.mark.slow
@pytest.mark.parametrize("name", ["en_fr", "transformer"])
def test_shipped_model_export_equals_translate_on_1000_test_sentences(tmp_path, name):
    """The serving door and the Python door give the shipped models' users the same
    strings: 1,000 inputs made of test sentences of every length, clean, typed (lower
    case, no final mark), in capitals and as paragraphs of two or three sentences,
    a few with an emoji or another script, and two whose best hypothesis loses its only
    word to the `[UNK]` repair (en_fr), each model's default strategy."""
    import random

    from seq2seq_keras.translation.evaluation import split_references

    translator = s2s.load_translator(name)
    sources = [s for s in split_references(translator.config, "test") if translator.fits(s)]
    rng = random.Random(0)
    sources = rng.sample(sources, 1200)
    paragraphs = [" ".join(sources[i:i + rng.choice([2, 3])]) for i in range(1000, 1200, 2)]
    sources = (sources[:600] + [s.lower().rstrip(".!?") for s in sources[600:800]]
               + [s.upper() for s in sources[800:900]] + paragraphs
               + ["😀", "I am cold 😀", "Привет", "", "Tell me.", "Follow us."])
    expected = translator.translate(sources)
    assert not any("[UNK]" in e for e in expected)
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
    assert not differ, f"{len(differ)} of {len(sources)} differ, e.g. {differ[:3]}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["blog_char", "en_fr", "transformer"])
def test_graph_pipeline_gives_the_shipped_models_their_training_ids(name):
    """On every line of the shipped corpus, the export's TF ops (normalization from the
    raw text, tokenization, vocabulary lookup or SentencePiece) give the source ids
    that `Vocabulary.encode` gave in training, and decode the French ids to the text
    that `Vocabulary.decode` gives."""
    import gzip

    import numpy as np
    import tensorflow as tf

    from seq2seq_keras.translation.export import Serving

    translator = s2s.load_translator(name)
    serving = Serving(translator)
    with gzip.open(s2s.data.default_corpus_path(), "rt", encoding="utf-8") as handle:
        columns = [line.rstrip("\n").split("\t") for line in handle]
    sources = [c[0] for c in columns]
    targets = normalize_all([c[1] for c in columns])  # one TF call per 10,000
    source_vocab, target_vocab = translator.source_vocab, translator.target_vocab
    for start in range(0, len(columns), 20_000):
        batch = sources[start:start + 20_000]
        ids = serving.encode(tf_normalize(tf.constant(batch))).to_list()
        expected = [source_vocab.encode(s) for s in normalize_all(batch)]
        differ = [(s, e, i) for s, e, i in zip(batch, expected, ids, strict=True) if e != i]
        assert not differ, f"{len(differ)} sources differ, e.g. {differ[:2]}"
        encoded = [target_vocab.encode(t, add_start_end=True)
                   for t in targets[start:start + 20_000]]
        padded = np.zeros((len(encoded), max(map(len, encoded))), np.int32)
        for row, t in zip(padded, encoded, strict=True):
            row[:len(t)] = t
        decoded = [t.decode() for t in serving.decode(tf.constant(padded)).numpy()]
        expected = [target_vocab.decode(t) for t in encoded]
        differ = [(e, d) for e, d in zip(expected, decoded, strict=True) if e != d]
        assert not differ, f"{len(differ)} targets differ, e.g. {differ[:2]}"
