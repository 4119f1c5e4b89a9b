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
    with pytest.raises(s2s.SentenceTooLongError, match="at most 20"):
        translator.translate("x" * 21)
    with pytest.raises(TypeError, match="must be a str"):
        translator.translate([None])


def test_output_respects_the_length_limit(translator):
    for output in translator.translate(SENTENCES):
        assert len(output) <= translator.config.max_target_length


ARCHITECTURES = {
    "blog": {},
    "bidirectional_stacked_luong": {"bidirectional": True, "num_layers": 2,
                                    "attention": "luong", "embedding_dim": 8, "dropout": 0.1},
    "gru_bahdanau": {"cell": "gru", "attention": "bahdanau", "embedding_dim": 8},
    "peephole_cifg": {"cell": "peephole_lstm"},
    "cifg_stacked": {"cell": "cifg_lstm", "num_layers": 2, "bidirectional": True},
}


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_save_then_load_in_a_fresh_process(translator, tmp_path, architecture):
    config = translator.config.replace(**ARCHITECTURES[architecture])
    keras.utils.set_random_seed(8)
    translator = s2s.Translator(
        s2s.build_training_model(config, len(translator.source_vocab),
                                 len(translator.target_vocab)),
        config, translator.source_vocab, translator.target_vocab)
    path = str(tmp_path / "model")
    translator.save(path)
    assert sorted(os.listdir(path)) == ["model.weights.h5", "translator.json"]
    expected = translator.translate(SENTENCES)
    script = ("import json, sys, seq2seq_keras as s2s; t = s2s.load_translator(sys.argv[1]); "
              "print(json.dumps([t.translate(s) for s in json.loads(sys.argv[2])] + "
              "[t.translate_reference(s) for s in json.loads(sys.argv[2])]))")
    result = subprocess.run([sys.executable, "-c", script, path, json.dumps(SENTENCES)],
                            capture_output=True, text=True, check=True)
    outputs = json.loads(result.stdout.strip().splitlines()[-1])
    assert outputs == expected + expected


def test_loading_a_missing_model_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a saved translator"):
        s2s.load_translator(str(tmp_path))


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
