import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import write_corpus

import seq2seq_keras as s2s
from seq2seq_keras.apps.cli import main

PAIRS = [("Go.", "Va !"), ("Hi.", "Salut !"), ("Run!", "Cours !"), ("Who?", "Qui ?"),
         ("Wow!", "Ça alors !"), ("I see.", "Je comprends."), ("Help!", "À l'aide !")]


@pytest.mark.slow
def test_overfits_a_handful_of_pairs_exactly():
    keras.utils.set_random_seed(0)
    config = s2s.Config(units=64, batch_size=len(PAIRS), optimizer="adam",
                        learning_rate=1e-2, sort_window=1, max_source_length=10,
                        max_target_length=20)
    src = s2s.Vocabulary.build(s for s, _ in PAIRS)
    tgt = s2s.Vocabulary.build(t for _, t in PAIRS)
    dataset = s2s.make_dataset(*s2s.encode_pairs(PAIRS, src, tgt), config.batch_size)
    model = s2s.compile_model(s2s.build_training_model(config, len(src), len(tgt)), config)
    translator = s2s.Translator(model, config, src, tgt)
    for _ in range(8):
        model.fit(dataset, epochs=50, verbose=0)
        outputs = [translator.translate_reference(s) for s, _ in PAIRS]
        if outputs == [t for _, t in PAIRS]:
            break
    assert outputs == [t for _, t in PAIRS]
    assert translator.translate([s for s, _ in PAIRS]) == outputs  # greedy, by default


@pytest.fixture
def corpus(tmp_path, shipped_lines):
    # 600 short pairs plus one malformed line in the middle.
    lines = shipped_lines[:300] + ["no tab here"] + shipped_lines[300:600]
    return write_corpus(tmp_path / "corpus.txt", lines)


def test_cli_train_then_translate(tmp_path, corpus, capsys, monkeypatch):
    output = str(tmp_path / "run")
    args = ["train", "--preset", "quick", "--data", corpus, "--output", output,
            "--epochs", "2", "--num-pairs", "400", "--seed", "3", "--verbose", "0"]
    # A malformed corpus line is an error naming its line, unless skipped on request.
    assert main(args) == 2
    assert "line 301" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="skipped 1 malformed"):
        assert main(args + ["--skip-malformed"]) == 0
    for name in ("model.weights.h5", "translator.json", "history.json", "metrics.json",
                 "training_log.csv"):
        assert os.path.isfile(os.path.join(output, name)), name
    assert not os.path.exists(os.path.join(output, "backup"))
    with open(os.path.join(output, "history.json")) as handle:
        history = json.load(handle)
    assert len(history["val_loss"]) == 2 and len(history["seconds"]) == 2
    with open(os.path.join(output, "metrics.json")) as handle:
        metrics = json.load(handle)
    assert metrics["val_loss_per_token"] == pytest.approx(min(history["val_loss"]), rel=1e-3)
    assert 0 < metrics["val_accuracy"] < 1 and metrics["peak_rss_mb"] > 0
    # TensorBoard curves: one training and one validation loss per epoch.
    for part, key in (("train", "loss"), ("validation", "val_loss")):
        folder = os.path.join(output, "tensorboard", part)
        losses = [value.tensor.float_val[0] if value.tensor.float_val else
                  float(tf.make_ndarray(value.tensor))
                  for name in os.listdir(folder)
                  for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name))
                  for value in event.summary.value if value.tag == "epoch_loss"]
        assert losses == pytest.approx(history[key], rel=1e-5), part
    translator = s2s.load_translator(output)
    assert translator.config.seed == 3 and translator.config.epochs == 2
    capsys.readouterr()

    # Sentences as arguments: one line each, in order.
    assert main(["translate", "--model", output, "Go.", "", "Hi.", "--beam-width", "1"]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines[:3] == [translator.translate("Go.", "greedy"), "",
                         translator.translate("Hi.", "greedy")]
    # Beam search (width 4), the trained model's own strategy, is the command's default,
    # and Python's: the same translation through every door.
    assert translator.strategy == s2s.BeamSearch()
    assert main(["translate", "--model", output, "Go."]) == 0
    assert capsys.readouterr().out == translator.translate("Go.") + "\n"
    assert main(["translate", "--model", output, "Go."]) == 0
    assert capsys.readouterr().out == translator.translate("Go.", beam_width=4) + "\n"
    # From stdin: a line over the hard limit prints an empty line (reason on stderr)
    # and exit code 1; a sentence longer than the training ones is translated, with
    # a note on stderr.
    import io
    too_long, long = "x" * (s2s.text.MAX_SENTENCE_CHARACTERS + 1), "x" * 500
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Go.\n{too_long}\nHi.\n{long}\n"))
    assert main(["translate", "--model", output, "--beam-width", "1"]) == 1
    captured = capsys.readouterr()
    with pytest.warns(s2s.LongSentenceWarning):
        expected_long = translator.translate(long, "greedy")
    assert captured.out.split("\n")[:4] == [translator.translate("Go.", "greedy"), "",
                                            translator.translate("Hi.", "greedy"),
                                            expected_long]
    assert "line 2: not translated" in captured.err and "MAX_SENTENCE_CHARACTERS" in captured.err
    assert "line 4: note" in captured.err and "max_source_length" in captured.err


def test_cli_reports_a_missing_model(capsys, tmp_path):
    assert main(["translate", "--model", str(tmp_path / "none"), "Go."]) == 2
    assert "no model folder" in capsys.readouterr().err
    # A mistyped name lists the shipped ones.
    assert main(["translate", "--model", "transformr", "Go."]) == 2
    error = capsys.readouterr().err
    assert "no model folder 'transformr'" in error and "en_fr" in error and "transformer" in error


def test_prepare_data_resolves_lengths_and_vocabularies():
    config = s2s.get_preset("quick")
    prepared = s2s.prepare_data(config)
    assert prepared.config.max_source_length == prepared.train[0].shape[1]
    assert prepared.config.max_target_length == prepared.train[1].shape[1] - 2
    assert prepared.source_vocab.tokens[4:] and "[UNK]" in prepared.source_vocab.tokens
    assert len(prepared.train[0]) == len(prepared.splits.train)
    with pytest.raises(ValueError, match="use more pairs"):
        s2s.prepare_data(config.replace(num_pairs=1))


def test_same_seed_same_validation_loss():
    config = s2s.get_preset("quick").replace(num_pairs=300, epochs=2)
    first = s2s.train(config, verbose=0).history["val_loss"]
    second = s2s.train(config, verbose=0).history["val_loss"]
    np.testing.assert_allclose(first, second, atol=1e-5)
    other = s2s.train(config.replace(seed=config.seed + 1), verbose=0).history["val_loss"]
    assert abs(other[-1] - first[-1]) > 1e-5


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(tmp_path):
    output = str(tmp_path / "run")
    command = [sys.executable, "-m", "seq2seq_keras.apps.cli", "train", "--preset", "quick",
               "--num-pairs", "3000", "--units", "128", "--epochs", "6", "--output", output,
               "--verbose", "0"]
    log = os.path.join(output, "training_log.csv")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and process.poll() is None:
            if os.path.exists(log) and len(open(log).read().splitlines()) >= 3:  # header + 2
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
    assert not os.path.exists(os.path.join(output, "translator.json"))
    done_before = len(open(log).read().splitlines()) - 1
    assert 2 <= done_before < 6
    subprocess.run(command, check=True, capture_output=True)
    with open(os.path.join(output, "history.json")) as handle:
        history = json.load(handle)
    # Every epoch exactly once: the second run continued, it did not start over.
    assert history["epoch"] == [0, 1, 2, 3, 4, 5]
    assert not os.path.exists(os.path.join(output, "backup"))
    s2s.load_translator(output).translate("Go.")


def test_cli_sets_any_config_field(tmp_path, capsys):
    output = str(tmp_path / "gru")
    assert main(["train", "--preset", "quick", "--num-pairs", "300", "--epochs", "1",
                 "--output", output, "--verbose", "0", "--set", "cell=gru",
                 "--set", "num_layers=2", "--set", "bidirectional=true",
                 "--set", "rnn_options={\"use_bias\": false}"]) == 0
    config = s2s.load_translator(output).config
    assert (config.cell, config.num_layers, config.bidirectional) == ("gru", 2, True)
    assert config.rnn_options == {"use_bias": False}
    assert main(["train", "--preset", "quick", "--output", output, "--set", "colour=red"]) == 2
    assert "unknown Config fields: ['colour']" in capsys.readouterr().err
    assert main(["train", "--preset", "quick", "--output", output, "--set", "cell"]) == 2


def test_cli_trains_on_from_a_saved_model(tmp_path, capsys):
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    base = ["train", "--preset", "quick", "--num-pairs", "300", "--verbose", "0"]
    assert main(base + ["--epochs", "2", "--output", first]) == 0
    start = s2s.load_translator(first)
    validation = s2s.prepare_data(start.config).datasets()[1]
    start_loss = s2s.compile_model(start.model, start.config).evaluate(validation, verbose=0)[0]
    # One more epoch from those weights, at a learning rate too small to move them.
    assert main(base + ["--epochs", "1", "--output", second, "--init-from", first,
                        "--set", "learning_rate=1e-12"]) == 0
    trained_on = s2s.load_translator(second)
    for before, after in zip(start.model.get_weights(), trained_on.model.get_weights(),
                             strict=True):
        np.testing.assert_allclose(after, before, atol=1e-6)
    with open(os.path.join(second, "metrics.json")) as handle:
        metrics = json.load(handle)
    assert metrics["initialized_from"] == first
    assert metrics["val_loss_per_token"] == pytest.approx(start_loss, rel=1e-4)
    # Another architecture cannot start from those weights; the error says why.
    assert main(base + ["--epochs", "1", "--output", second, "--init-from", first,
                        "--units", "8"]) == 2
    assert "units=32 (now 8)" in capsys.readouterr().err


def test_learning_rate_decays_once_per_epoch(tmp_path):
    config = s2s.get_preset("quick").replace(num_pairs=300, epochs=3, lr_decay=0.5,
                                             lr_decay_start=1)
    result = s2s.train(config, str(tmp_path), verbose=0)
    assert result.history["learning_rate"] == pytest.approx([1e-2, 1e-2, 5e-3])
    with pytest.raises(ValueError, match="lr_decay must be in"):
        config.replace(lr_decay=1.5)


def test_label_smoothing_trains_on_the_smoothed_loss_and_reports_the_plain_one(tmp_path):
    config = s2s.get_preset("quick").replace(num_pairs=300, epochs=2, label_smoothing=0.2)
    result = s2s.train(config, str(tmp_path), verbose=0)
    # The log holds the smoothed validation loss the checkpoints were chosen on; the
    # metrics hold the plain cross-entropy of the kept weights, comparable across runs.
    best = min(result.history["val_loss"])
    plain = keras.losses.sparse_categorical_crossentropy  # not masked: compare by hand
    model = s2s.load_translator(str(tmp_path)).model
    prepared = s2s.prepare_data(config)
    source, target = prepared.validation
    logits = model.predict([source, target[:, :-1]], verbose=0)
    labels = target[:, 1:]
    per_token = keras.ops.convert_to_numpy(plain(labels, logits, from_logits=True))
    expected = per_token[labels != 0].mean()
    assert result.metrics["val_loss_per_token"] == pytest.approx(expected, rel=1e-3)
    assert result.metrics["val_loss_per_token"] < best
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        config.replace(label_smoothing=1.0)


def test_training_keeps_the_last_epochs_and_averages_them(tmp_path, capsys):
    config = s2s.get_preset("quick").replace(num_pairs=300, epochs=7)
    s2s.train(config, str(tmp_path / "run"), verbose=0)
    kept = s2s.training.checkpoint_paths(str(tmp_path / "run" / "checkpoints"))
    assert [os.path.basename(p) for p in kept] == [f"epoch_{e:03d}.weights.h5"
                                                   for e in range(3, 8)]
    translator = s2s.load_translator(str(tmp_path / "run"))
    weights = []
    for path in kept[-2:]:
        translator.model.load_weights(path)
        weights.append(translator.model.get_weights())
    assert main(["average", "--model", str(tmp_path / "run"), "--last", "2",
                 "--output", str(tmp_path / "mean")]) == 0
    averaged = s2s.load_translator(str(tmp_path / "mean")).model.get_weights()
    for mean, last, before in zip(averaged, weights[1], weights[0], strict=True):
        np.testing.assert_allclose(mean, (last + before) / 2, rtol=1e-6, atol=1e-7)
    # The run's logs go with it; --half-precision stores float16, as the shipped models.
    assert json.loads((tmp_path / "mean" / "history.json").read_text()) == json.loads(
        (tmp_path / "run" / "history.json").read_text())
    assert main(["average", "--model", str(tmp_path / "run"), "--last", "2",
                 "--output", str(tmp_path / "half"), "--half-precision"]) == 0
    assert sorted(os.listdir(tmp_path / "half")) == sorted(
        ["model.weights.f16.npz", "translator.json", "history.json", "metrics.json",
         "training_log.csv"])
    half = s2s.load_translator(str(tmp_path / "half")).model.get_weights()
    for h, mean in zip(half, averaged, strict=True):
        np.testing.assert_allclose(h, mean.astype(np.float16), rtol=0, atol=0)
    assert main(["average", "--model", str(tmp_path / "run"), "--last", "9",
                 "--output", str(tmp_path / "nine")]) == 2
    assert "holds 5 epoch checkpoints, fewer than --last 9" in capsys.readouterr().err
