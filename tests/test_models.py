import keras
import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.models import MaskedAccuracy, MaskedSparseCategoricalCrossentropy

SRC, TGT = 11, 13


@pytest.fixture
def model(tiny_config):
    keras.utils.set_random_seed(0)
    return s2s.build_training_model(tiny_config, SRC, TGT)


def _ids(rng, rows, length, vocab):
    return rng.integers(4, vocab, size=(rows, length)).astype("int32")


def test_training_graph_shapes_and_names(model):
    rng = np.random.default_rng(0)
    logits = model({"encoder_inputs": _ids(rng, 3, 5, SRC),
                    "decoder_inputs": _ids(rng, 3, 7, TGT)})
    assert logits.shape == (3, 7, TGT)
    # Logits, not probabilities: no softmax in the training graph (the loss takes logits).
    assert not np.allclose(np.sum(logits, axis=-1), 1.0)
    assert model.get_layer("decoder_dense").activation is keras.activations.linear
    names = {layer.name for layer in model.layers}
    assert {"encoder_inputs", "decoder_inputs", "encoder_lstm", "decoder_lstm",
            "decoder_dense"} <= names


def test_padding_does_not_change_encoder_state(model):
    encoder_model, _ = s2s.build_inference_models(model)
    rng = np.random.default_rng(1)
    source = _ids(rng, 1, 4, SRC)
    padded = np.concatenate([source, np.zeros((1, 3), "int32")], axis=1)
    for a, b in zip(encoder_model(source), encoder_model(padded), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


VARIANTS = {
    "blog": {},
    "embedding": {"embedding_dim": 6},
    "bidirectional": {"bidirectional": True},
    "luong": {"attention": "luong", "embedding_dim": 6},
    "bahdanau": {"attention": "bahdanau", "attention_dim": 5},
    "bidirectional_scaled_luong": {"bidirectional": True, "attention": "scaled_luong",
                                   "embedding_dim": 6},
    "bidirectional_luong_dropout": {"bidirectional": True, "attention": "luong",
                                    "dropout": 0.3, "embedding_dim": 6},
    "gru": {"cell": "gru"},
    "gru_stacked_bidirectional_bahdanau": {"cell": "gru", "num_layers": 3,
                                           "bidirectional": True, "attention": "bahdanau"},
    "peephole_stacked": {"cell": "peephole_lstm", "num_layers": 2},
    "cifg_bidirectional_luong": {"cell": "cifg_lstm", "bidirectional": True,
                                 "attention": "luong"},
    "lstm_options": {"num_layers": 2, "recurrent_dropout": 0.2, "rnn_options": {
        "unit_forget_bias": False, "activation": "relu", "recurrent_initializer": "zeros",
        "kernel_regularizer": {"class_name": "L2", "config": {"l2": 1e-4}}}},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_inference_graphs_share_layers_and_match_teacher_forcing(variant, tiny_config):
    keras.utils.set_random_seed(0)
    model = s2s.build_training_model(tiny_config.replace(**VARIANTS[variant]), SRC, TGT)
    encoder_model, decoder_model = s2s.build_inference_models(model)
    cell = tiny_config.replace(**VARIANTS[variant]).cell
    for name in (f"decoder_{cell}", "decoder_dense", f"encoder_{cell}"):
        found = decoder_model if name.startswith("decoder") else encoder_model
        assert found.get_layer(name) is model.get_layer(name)
    rng = np.random.default_rng(2)
    source, target = _ids(rng, 2, 5, SRC), _ids(rng, 2, 6, TGT)
    source[1, 3:] = 0  # a padded source: attention must ignore the padding
    logits = model({"encoder_inputs": source, "decoder_inputs": target})
    expected = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    state = s2s.models.encode(encoder_model, source)
    config = tiny_config.replace(**VARIANTS[variant])
    units = 16 if config.bidirectional else 8
    per_layer = 1 if config.cell == "gru" else 2
    memory = 2 if config.attention else 0
    assert len(state) == per_layer * config.num_layers + memory
    assert all(s.shape == (2, units) for s in state[:per_layer * config.num_layers])
    # Feeding the decoder model one token at a time, carrying its state, gives the
    # probabilities of the teacher-forced training graph's logits; `Seq2Seq`'s
    # `decode_step` gives the logits themselves, from its own graphs.
    seq2seq = s2s.Seq2Seq(model)
    assert seq2seq.step_model.get_layer("decoder_dense") is model.get_layer("decoder_dense")
    steps = seq2seq.encode(source)
    for t in range(target.shape[1]):
        probs, *state = decoder_model([keras.ops.convert_to_tensor(target[:, t:t + 1]), *state])
        np.testing.assert_allclose(probs[:, 0], expected[:, t], atol=1e-5)
        step_logits, steps = seq2seq.decode_step(keras.ops.convert_to_tensor(target[:, t]), steps)
        np.testing.assert_allclose(step_logits, logits[:, t], atol=1e-5)


def test_masked_loss_ignores_padding():
    rng = np.random.default_rng(3)
    y_pred = rng.dirichlet(np.ones(TGT), size=(2, 4)).astype("float32")
    y_true = np.array([[5, 6, 0, 0], [7, 8, 9, 0]], "int32")
    per_token = -np.log(np.take_along_axis(y_pred, y_true[..., None], -1)[..., 0])
    expected = per_token[y_true != 0].mean()
    # The loss takes logits: log p is one set of logits whose softmax is p.
    loss = MaskedSparseCategoricalCrossentropy()(y_true, np.log(y_pred))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_label_smoothing_is_cross_entropy_with_a_smoothed_target():
    rng = np.random.default_rng(4)
    y_pred = rng.dirichlet(np.ones(TGT), size=(2, 4)).astype("float32")
    y_true = np.array([[5, 6, 0, 0], [7, 8, 9, 0]], "int32")
    # The target distribution written out: 1 - e + e/K on the reference, e/K elsewhere.
    smoothing = 0.1
    target = np.full(y_pred.shape, smoothing / TGT)
    np.put_along_axis(target, y_true[..., None], 1 - smoothing + smoothing / TGT, -1)
    per_token = -(target * np.log(y_pred)).sum(-1)
    expected = per_token[y_true != 0].mean()
    loss_fn = MaskedSparseCategoricalCrossentropy(label_smoothing=smoothing)
    logits = np.log(y_pred)
    np.testing.assert_allclose(float(loss_fn(y_true, logits)), expected, rtol=1e-5)
    # More than the plain loss (the smoothed target has entropy), and it survives a
    # saved config.
    assert float(loss_fn(y_true, logits)) > float(
        MaskedSparseCategoricalCrossentropy()(y_true, logits))
    restored = MaskedSparseCategoricalCrossentropy.from_config(loss_fn.get_config())
    assert restored.label_smoothing == smoothing


def test_masked_accuracy_counts_real_tokens_only():
    metric = MaskedAccuracy()
    y_true = np.array([[5, 6, 0, 0]], "int32")
    # Right on token 5, wrong on token 6, "right" on both padding positions.
    y_pred = keras.ops.one_hot(np.array([[5, 7, 0, 0]]), TGT)
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == 0.5
    metric.update_state(np.array([[4, 0]], "int32"), keras.ops.one_hot(np.array([[4, 0]]), TGT))
    assert float(metric.result()) == pytest.approx(2 / 3)


def test_untrained_loss_is_about_log_vocabulary(model, tiny_config):
    s2s.compile_model(model, tiny_config)
    rng = np.random.default_rng(4)
    x = {"encoder_inputs": _ids(rng, 8, 5, SRC), "decoder_inputs": _ids(rng, 8, 6, TGT)}
    loss, _ = model.evaluate(x, _ids(rng, 8, 6, TGT), verbose=0)
    assert loss == pytest.approx(np.log(TGT), rel=0.1)


def test_attention_weights_ignore_padding(tiny_config):
    model = s2s.build_training_model(tiny_config.replace(attention="luong"), SRC, TGT)
    source = np.array([[5, 6, 7, 0, 0]], "int32")
    weights = s2s.models.build_attention_model(model)(
        [source, np.array([[2, 5, 6]], "int32")]).numpy()
    assert weights.shape == (1, 3, 5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.abs(weights[..., 3:]).max() < 1e-6
    with pytest.raises(ValueError, match="no attention layer"):
        s2s.models.build_attention_model(s2s.build_training_model(tiny_config, SRC, TGT))


def test_scaled_luong_divides_the_scores_by_the_square_root_of_the_query_size():
    rng = np.random.default_rng(0)
    query, value = rng.normal(size=(2, 3, 16)), rng.normal(size=(2, 4, 6))
    plain, scaled = s2s.layers.LuongAttention(), s2s.layers.LuongAttention(scale=True)
    plain(query, value), scaled(query, value)
    scaled.kernel.assign(plain.kernel)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(scaled.scores(query, value)),
                               keras.ops.convert_to_numpy(plain.scores(query, value)) / 4,
                               rtol=1e-5, atol=1e-6)
    assert s2s.layers.attention.get_attention("scaled_luong").get_config()["scale"] is True
    assert s2s.layers.attention.get_attention("luong").get_config()["scale"] is False


def test_embedding_variant_and_bad_vocab(tiny_config):
    model = s2s.build_training_model(tiny_config.replace(embedding_dim=6), SRC, TGT)
    assert isinstance(model.get_layer("encoder_embedding"), keras.layers.Embedding)
    with pytest.raises(ValueError, match="source_vocab_size must exceed"):
        s2s.build_training_model(tiny_config, 4, TGT)


@pytest.mark.parametrize("changes, message", [
    ({"cell": "lstm2"}, "cell must be one of"),
    ({"num_layers": 0}, "num_layers must be 1 to 4"),
    ({"num_layers": 5}, "num_layers must be 1 to 4"),
    ({"cell": "cifg_lstm", "recurrent_dropout": 0.1}, "recurrent_dropout is only for"),
    ({"rnn_options": {"colour": 1}}, "unknown rnn_options"),
    ({"cell": "gru", "rnn_options": {"unit_forget_bias": True}}, "GRU has no forget gate"),
    ({"attention": "dot"}, "attention must be"),
])
def test_impossible_configurations_fail_at_build_time(tiny_config, changes, message):
    with pytest.raises(ValueError, match=message):
        s2s.build_training_model(tiny_config.replace(**changes), SRC, TGT)


def test_stacked_layer_names_and_options(tiny_config):
    config = tiny_config.replace(**VARIANTS["lstm_options"])
    model = s2s.build_training_model(config, SRC, TGT)
    names = [layer.name for layer in model.layers]
    assert "encoder_lstm_2" in names and "decoder_lstm_2" in names
    layer = model.get_layer("decoder_lstm_2")
    assert layer.cell.activation is keras.activations.relu
    assert layer.cell.recurrent_dropout == 0.2
    assert model.losses  # the L2 regularizer contributes to the loss
