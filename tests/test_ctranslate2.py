"""The CTranslate2 converter and engine (`translation.ctranslate2`), on a tiny Transformer."""

import importlib.util
import json
import os
import sys

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.apps.cli import main
from seq2seq_keras.text.vocabulary import output_ids
from seq2seq_keras.translation import ctranslate2 as ct2

EPSILON = 0.25
needs_ctranslate2 = pytest.mark.skipif(
    importlib.util.find_spec("ctranslate2") is None,
    reason="ctranslate2 is not installed (the ctranslate2 extra: pip install -e .[ctranslate2])")


@pytest.fixture(scope="module")
def tiny():
    """The shipped Transformer's preset shrunk (16 units, 1 block each side, 2 heads,
    SentencePiece models of 360 pieces on 600 corpus pairs), every weight random:
    norm scales and offsets and biases too, so that a weight the conversion drops or
    misplaces changes the outputs, and a layer-norm epsilon of `EPSILON`."""
    config = s2s.get_preset("transformer").replace(
        num_pairs=600, validation_fraction=0.1, test_fraction=0.1, max_source_tokens=360,
        max_target_tokens=360, units=16, num_layers=1, num_heads=2, ff_dim=32,
        max_source_length=12, max_target_length=10)
    prepared = s2s.prepare_data(config)
    model = s2s.build_training_model(prepared.config, len(prepared.source_vocab),
                                     len(prepared.target_vocab))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    for layer in model.layers:  # an epsilon large enough to show if it is carried over
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.epsilon = EPSILON
    translator = s2s.Translator(model, prepared.config, prepared.source_vocab,
                                prepared.target_vocab)
    return translator, [source for source, _ in prepared.splits.train[:60]]


@pytest.fixture(scope="module")
def converted(tiny, tmp_path_factory):
    return ct2.export_ctranslate2(tiny[0], str(tmp_path_factory.mktemp("ct2") / "float32"))


@needs_ctranslate2
def test_teacher_forced_log_probabilities_equal_the_keras_model(tiny, converted):
    import ctranslate2

    translator, sentences = tiny
    engine = ctranslate2.Translator(converted, compute_type="float32")
    source_ids = [translator.encode_source(s) for s in sentences[:20]]
    target_ids = [translator.target_vocab.encode(s) for s in ("Je suis là.", "Va !")] * 10
    tokens = ct2._tokens(translator.source_vocab), ct2._tokens(translator.target_vocab)
    scored = engine.score_batch([[tokens[0][i] for i in ids] for ids in source_ids],
                                [[tokens[1][i] for i in ids] for ids in target_ids])
    for source, target, result in zip(source_ids, target_ids, scored, strict=True):
        logits = translator.model([np.array([source], np.int32),
                                   np.array([[s2s.text.START_ID, *target]], np.int32)])
        log_probs = np.asarray(logits[0]) - np.log(np.exp(np.asarray(logits[0])).sum(-1,
                                                                                  keepdims=True))
        expected = log_probs[np.arange(len(target) + 1), [*target, s2s.text.END_ID]]
        assert result.tokens == [tokens[1][i] for i in target] + ["</s>"]
        np.testing.assert_allclose(result.log_probs, expected, atol=2e-4)


@needs_ctranslate2
def test_greedy_pieces_and_strings_equal_the_package_greedy_search(tiny, converted):
    translator, sentences = tiny
    engine = ct2.CTranslate2Translator(converted, compute_type="float32", intra_threads=1)
    ids = [translator.encode_source(s) for s in sentences] + [[]]
    # Random weights rarely write [END]: most outputs run to their own limit, and
    # the long source (a limit of its own, over max_source_length) to a longer one.
    long_source = translator.encode_source(" ".join(sentences[:3]))
    ids.append(long_source)
    expected = [None if found is None else output_ids(found)
                for found in translator.translate_ids(ids, "greedy")]
    found = engine.translate_ids(ids, batch_size=7)
    assert found == expected
    assert found[-2] is None and len(found[-1]) > translator.config.max_target_length
    assert (engine.translate(sentences[:10], beam_width=1)
            == translator.translate(sentences[:10], "greedy"))
    # A paragraph is split into sentences and joined, as `translate` does.
    paragraph = f"{sentences[0]} {sentences[1]}"
    assert engine.translate(paragraph, beam_width=1) == translator.translate(paragraph, "greedy")
    assert engine.translate([], beam_width=1) == []
    beam = engine.translate(sentences[:4], beam_width=3)
    n_best = engine.translate_n_best(sentences[:4], beam_width=3)
    assert [best[0][0] for best in n_best] == beam and all(len(best) == 3 for best in n_best)
    assert all([s for _, s in best] == sorted((s for _, s in best), reverse=True)
               for best in n_best)
    assert engine.translate_n_best("") == [("", 0.0)]
    with pytest.raises(ValueError, match="not sampling"):
        engine.translate(sentences[:2], s2s.Sampling())
    with pytest.raises(s2s.SentenceTooLongError, match="position table"):
        engine.translate_ids([[5] * (ct2.max_source_pieces(translator.config) + 1)])
    with pytest.raises(ValueError, match="beam_width must be a positive integer"):
        engine.translate_ids(ids, beam_width=0)


@needs_ctranslate2
def test_int8_weights_are_smaller_and_translate(tiny, converted, tmp_path):
    translator, sentences = tiny
    path = ct2.export_ctranslate2(translator, str(tmp_path / "int8"), quantization="int8")
    # The matrices (nearly every weight) take 1 byte a value instead of 4; the
    # position table stays float32.
    saved = (os.path.getsize(os.path.join(converted, "model.bin"))
             - os.path.getsize(os.path.join(path, "model.bin")))
    assert saved > 2.5 * translator.model.count_params()
    with open(os.path.join(path, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    assert config["layer_norm_epsilon"] == pytest.approx(EPSILON)  # the model's
    assert (config["bos_token"], config["eos_token"], config["unk_token"]) == ("<s>", "</s>",
                                                                               "<unk>")
    with open(os.path.join(path, "source_vocabulary.json"), encoding="utf-8") as handle:
        vocabulary = json.load(handle)
    assert vocabulary[:4] == ["<blank>", "<unk>", "<s>", "</s>"]
    assert vocabulary[4:] == translator.source_vocab.tokens[4:]
    engine = ct2.CTranslate2Translator(path)
    assert len(engine.translate(sentences[:5], beam_width=1)) == 5


@needs_ctranslate2
def test_cli_export_flags_and_errors(tiny, tmp_path, capsys):
    translator, _ = tiny
    model = str(tmp_path / "model")
    translator.save(model)
    output = str(tmp_path / "out")
    assert main(["export", "--format", "ctranslate2", "--model", model, "--output", output,
                 "--quantization", "int8"]) == 0
    assert "written to" in capsys.readouterr().out
    assert {"model.bin", "config.json", "source_vocabulary.json",
            "target_vocabulary.json"} <= set(os.listdir(output))
    for args, message in (
            (["--model", model, "--output", output], "exists and is not an empty folder"),
            (["--model", "blog_char", "--output", str(tmp_path / "blog")],
             "CTranslate2 runs Transformers; the model 'blog_char' is a recurrent"),
            (["--model", model, "--output", str(tmp_path / "q"), "--quantization", "int16"],
             "invalid choice: 'int16'")):
        code = None
        try:
            code = main(["export", "--format", "ctranslate2", *args])
        except SystemExit as stop:  # argparse refuses a choice it does not know
            code = stop.code
        err = capsys.readouterr().err
        assert code == 2 and message in err, err
        if "invalid choice" not in message:
            assert err.count("\n") == 1  # one line, no traceback
    assert main(["export", "--model", model, "--output", str(tmp_path / "sm"),
                 "--quantization", "int8"]) == 2
    assert "--quantization is for --format ctranslate2" in capsys.readouterr().err


def test_a_missing_extra_is_one_clear_line(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # `import ctranslate2` fails
    with pytest.raises(ModuleNotFoundError, match=r"seq2seq-keras\[ctranslate2\]"):
        ct2.export_ctranslate2(tiny[0], str(tmp_path / "x"))
    assert main(["export", "--format", "ctranslate2", "--output", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CTranslate2 is not installed" in err
    assert not os.path.exists(tmp_path / "y")


def test_transformer_flops_count_the_matrix_products():
    from seq2seq_keras.apps.benchmark import transformer_flops

    config = s2s.Config(architecture="transformer", units=2, num_heads=1, ff_dim=4,
                        num_layers=1)
    # Encoder, 3 tokens: 3 x (4 d^2 + 2 d ff + 2 s d + 2 d^2) = 3 x 52 = 156 multiply-adds.
    # Decoder step: 6 d^2 + 2 d ff + 2 s d + d vocab = 52 + 20 = 72; two steps attend
    # over 1 and then 2 cached positions: 2 d (1 + 2) = 12.
    assert transformer_flops(config, 10, source_length=3, steps=2) == 2 * (156 + 144 + 12)
    assert transformer_flops(config, 10, 3, 2, beam_width=4) == 2 * (156 + 4 * (144 + 12))


@needs_ctranslate2
def test_compare_engines_rows_and_the_same_greedy_strings(tiny, converted):
    from seq2seq_keras.apps.benchmark import compare_engines, format_engine_table

    translator, sentences = tiny
    sources = sentences[:12]
    result = compare_engines(translator, sources, [[s] for s in sources], converted,
                             sentences=8, one_by_one=2, beam_width=2, xla=False,
                             matmul_size=256, repeats=1)
    rows = {(r["engine"], r.get("search"), r.get("batch")): r for r in result["rows"]}
    assert {("CTranslate2 float32, 2 threads", "greedy", 64),
            ("CTranslate2 int8, 1 thread x 2 batches", "beam 2", 1),
            ("translate", "beam 2", 64)} <= set(rows)
    ours = rows["translate", "greedy", 64]
    theirs = rows["CTranslate2 float32, 1 thread x 2 batches", "greedy", 64]
    assert theirs["same_strings"] == 1.0 and ours["same_strings"] is None
    assert (theirs["bleu"], theirs["chrf"]) == (ours["bleu"], ours["chrf"])
    # No engine runs faster than its useful FLOPs at the measured peak allow.
    assert result["peak_gflops"] > 0 and all(
        0 < r["of_limit"] < 1 for r in result["rows"] if "of_limit" in r)
    table = format_engine_table(result)
    assert "| CTranslate2 float32, 2 threads | greedy | 64 |" in table and "100.0%" in table


@needs_ctranslate2
def test_cli_bench_with_ctranslate2(tiny, converted, tmp_path, capsys):
    translator, _ = tiny
    model = str(tmp_path / "model")
    translator.save(model)
    assert main(["bench", "--model", model, "--ctranslate2", converted, "--sentences", "4",
                 "--reference-sentences", "1", "--beam-width", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    engines = {row["engine"] for row in result["rows"]}
    assert engines == {"translate", "translate + XLA", "Keras int8",
                       "CTranslate2 float32, 2 threads", "CTranslate2 int8, 2 threads",
                       "CTranslate2 float32, 1 thread x 2 batches",
                       "CTranslate2 int8, 1 thread x 2 batches"}
    assert result["threads"] == [[2, 1], [1, 2]] and result["sentences"] == 4


@needs_ctranslate2
def test_cli_translate_with_the_ctranslate2_engine(tiny, converted, tmp_path, capsys):
    translator, sentences = tiny
    lines = sentences[:5]
    assert main(["translate", "--engine", "ctranslate2", "--model", converted, *lines]) == 0
    # The converted folder holds the model's default strategy (greedy here) and rules.
    assert capsys.readouterr().out.splitlines() == translator.translate(lines)
    assert main(["translate", "--engine", "ctranslate2", "--model", converted, "--json",
                 lines[0]]) == 0
    record = json.loads(capsys.readouterr().out)  # the n best of beam search, width 4
    engine = ct2.CTranslate2Translator(converted)
    assert record["translation"] == engine.translate(lines[0], beam_width=4)
    assert len(record["sentences"][0]["n_best"]) == 4
    assert "attention" not in record["sentences"][0]
    model = str(tmp_path / "keras")
    translator.save(model)
    assert main(["translate", "--engine", "ctranslate2", "--model", model, "Go."]) == 2
    err = capsys.readouterr().err
    assert "is not a CTranslate2 model folder" in err and err.count("\n") == 1


@needs_ctranslate2
def test_serve_runs_a_converted_folder_on_ctranslate2(tiny, converted):
    serve = pytest.importorskip("seq2seq_keras.apps.serve")
    from starlette.testclient import TestClient

    translator, sentences = tiny
    translators, _ = serve.load_models([converted])
    engine = translators[os.path.basename(converted)]
    assert isinstance(engine, ct2.CTranslate2Translator)
    lines = sentences[:4]
    with TestClient(serve.create_app(translators)) as client:
        answer = client.post("/v1/models/default:predict", json={"instances": lines})
        assert answer.json() == {"predictions": engine.translate(lines)}
        # Greedy in float32: the strings of the Keras model (the converted folder holds
        # the tiny model's default strategy, greedy).
        assert answer.json()["predictions"] == translator.translate(lines)
        described = client.get("/v1/models/default/metadata").json()
    assert "ctranslate2" in json.dumps(described)
