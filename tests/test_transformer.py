"""The Transformer preset: cached decoding, training, saving, the shared decoding paths."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import seq2seq_keras as s2s


def tiny(**changes):
    values = dict(architecture="transformer", units=16, num_heads=2, ff_dim=32, num_layers=2,
                  max_source_length=10, max_target_length=8)
    return s2s.Config(**{**values, **changes})


@pytest.mark.parametrize("tie", [False, True])
def test_cached_step_equals_full_recomputation_token_for_token(tie):
    keras.utils.set_random_seed(0)
    model = s2s.build_training_model(tiny(tie_embeddings=tie), 30, 40)
    seq2seq = s2s.Seq2Seq(model)
    source = np.array([[5, 6, 7, 8, 0], [9, 10, 11, 0, 0]], np.int32)
    blog_step = s2s.models.make_step(seq2seq.decoder_model)  # probabilities, as the blog's
    state = blog_state = seq2seq.encode(source)
    prefix = np.full((2, 1), s2s.text.START_ID, np.int32)
    for _ in range(7):
        # One new position through the caches against the whole prefix again.
        logits, state = seq2seq.decode_step(tf.constant(prefix[:, -1]), state)
        full = model([source, prefix], training=False)[:, -1, :]
        np.testing.assert_allclose(logits.numpy(), keras.ops.convert_to_numpy(full), atol=1e-4)
        log_probs, blog_state = blog_step(tf.constant(prefix[:, -1]), blog_state)
        np.testing.assert_allclose(log_probs.numpy(), keras.ops.convert_to_numpy(
            keras.ops.log_softmax(full)), atol=1e-4)
        chosen = np.argmax(logits.numpy(), axis=-1).astype(np.int32)
        assert (chosen == np.argmax(keras.ops.convert_to_numpy(full), axis=-1)).all()
        prefix = np.concatenate([prefix, chosen[:, None]], axis=1)
    # The caches grew one position per step; for XLA they are preallocated to the
    # output capacity and give the same logits.
    assert state[-1].shape[1] == 7
    fixed = seq2seq.encode(source, fixed_shapes=True)
    assert fixed[-1].shape[1] == model.output_capacity(source.shape[1]) > 7
    grown = seq2seq.encode(source)
    for t in range(7):
        token = tf.constant(prefix[:, t])
        logits, grown = seq2seq.decode_step(token, grown)
        fixed_logits, fixed = seq2seq.decode_step(token, fixed, fixed_shapes=True)
        np.testing.assert_allclose(fixed_logits.numpy(), logits.numpy(), atol=1e-5)
    # A source longer than any position seen in training: sine positions take it.
    long_source = np.arange(4, 30, dtype=np.int32)[None, :]
    assert seq2seq.encode(long_source)[0].shape == (1, 26, 16)


@pytest.mark.parametrize("changes, message", [
    ({"num_heads": 3}, "divisible by num_heads=3"),
    ({"units": 15, "num_heads": 1}, "must be even"),
    ({"num_layers": 0}, "num_layers must be 1 to 4, got num_layers=0"),
    ({"ff_dim": 0}, "ff_dim must be a positive integer"),
    ({"warmup_steps": 10, "lr_decay": 0.5}, "warmup_steps or lr_decay"),
    ({"architecture": "mamba"}, "architecture must be 'rnn' or 'transformer'"),
    ({"architecture": "rnn", "tie_embeddings": True}, "tie_embeddings needs"),
])
def test_configurations_that_cannot_work_name_the_value(changes, message):
    with pytest.raises(ValueError, match=message):
        tiny(**changes)


def test_tied_output_layer_is_the_target_embedding_transposed():
    untied = s2s.build_training_model(tiny(), 30, 40)
    model = s2s.build_training_model(tiny(tie_embeddings=True), 30, 40)
    # One 40 x 16 matrix fewer, trained once by both uses.
    assert untied.count_params() - model.count_params() == 40 * 16
    embedding = model.get_layer("decoder_positions").embedding.embeddings
    hidden = np.random.default_rng(0).normal(size=(2, 3, 16)).astype(np.float32)
    bias = model.get_layer("decoder_dense").bias.numpy()
    expected = hidden @ embedding.numpy().T + bias  # logits
    np.testing.assert_allclose(model.get_layer("decoder_dense")(hidden), expected, atol=1e-5)
    source = np.array([[5, 6, 7]], np.int32)
    tokens = np.array([[s2s.text.START_ID, 4]], np.int32)
    before = model([source, tokens]).numpy()
    embedding.assign(embedding.numpy() * 2.0)
    assert not np.allclose(model([source, tokens]).numpy(), before)


def test_warmup_schedule_rises_then_falls():
    schedule = s2s.training.WarmupSchedule(1e-3, warmup=100)
    rates = [float(schedule(step)) for step in (0, 49, 99, 399, 9999)]
    assert rates[0] < rates[1] < rates[2] == pytest.approx(1e-3)
    assert rates[3] == pytest.approx(5e-4) and rates[4] == pytest.approx(1e-4)

    # With `decay`: the same rise, then a straight line to 0 at step 1,000 (steps
    # count from 1), and 0 after it.
    schedule = s2s.training.WarmupSchedule(1e-3, warmup=100, decay=1000)
    rates = [float(schedule(step)) for step in (49, 99, 549, 998, 999, 5000)]
    assert rates[0] == pytest.approx(5e-4) and rates[1] == pytest.approx(1e-3)
    assert rates[2] == pytest.approx(5e-4) and rates[3] == pytest.approx(1e-3 / 900)
    assert rates[4] == rates[5] == 0.0
    assert s2s.training.WarmupSchedule(**schedule.get_config()).decay == 1000


@pytest.mark.slow
def test_trained_transformer_translates_saves_and_explains(tmp_path):
    config = s2s.get_preset("quick").replace(
        architecture="transformer", units=32, num_heads=4, ff_dim=64, num_layers=1,
        tie_embeddings=True,
        epochs=3, num_pairs=800, warmup_steps=40, learning_rate=3e-3, level="word",
        embedding_dim=None)
    result = s2s.train(config, str(tmp_path / "model"), verbose=0)
    assert result.history["val_loss"][-1] < result.history["val_loss"][0]
    translator = s2s.Translator(**vars(result.artefact))
    sources = ["Go.", "I won!", "Who ran?", "", "Help me. Hurry."]
    greedy = translator.translate(sources, "greedy")
    # The compiled searches run the cached step; the blog's loop runs it too.
    assert greedy[:3] == [translator.translate_reference(s) for s in sources[:3]]
    assert greedy[3] == ""
    beam = translator.translate(sources, beam_width=3)
    assert len(beam) == 5 and all(isinstance(b, str) for b in beam)
    # Under XLA (every shape of the cached step known when it compiles): the same.
    assert translator.translate(sources, "greedy", jit_compile=True) == greedy
    assert translator.translate(sources, beam_width=3, jit_compile=True) == beam
    source_tokens, target_tokens, weights = translator.attention("I won!")
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-4)
    assert weights.shape == (len(target_tokens), len(source_tokens))
    # Loaded in a fresh process: the same translations.
    script = ("import json, sys, seq2seq_keras as s2s; t = s2s.load_translator(sys.argv[1]); "
              "print(json.dumps(t.translate(json.loads(sys.argv[2]))))")
    import json
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model"),
                          json.dumps(sources)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == translator.translate(sources)
