import json

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.cli import main
from seq2seq_keras.interactive import repl, translation_record


@pytest.fixture
def translator(tiny_config):
    keras.utils.set_random_seed(9)
    config = tiny_config.replace(units=16, max_source_length=30, max_target_length=25,
                                 attention="luong", embedding_dim=8)
    src = s2s.Vocabulary.build(["Go. I am cold. Who is he? Hi! Run!"])
    tgt = s2s.Vocabulary.build(["Va ! J'ai froid. Qui est-il ? Salut ! Cours !"])
    return s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)), config, src, tgt)


def _session(translator, lines):
    feed, out = iter(lines), []

    def read(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    assert repl(translator, read=read, write=out.append) == 0
    return out


def test_repl_survives_bad_input_and_runs_commands(translator):
    out = _session(translator, ["", "Go.", ":beam 3", ":beam x", "Go.", ":alt", "Hi.",
                                ":time", ":alt", "Run!", "x" * 2000, "☃☃", ":nope", ":help"])
    greedy, beam = translator.translate("Go."), translator.translate("Go.", beam_width=3)
    assert out[1] == f"fr> {greedy}"
    assert out[2] == "beam width 3" and out[3].startswith("usage: :beam N")
    assert out[4] == f"fr> {beam}"
    assert out[5] == "alternatives on"
    assert len(out[6].splitlines()) == 3  # the 3 best of "Hi." with scores
    assert out[7] == "timing on" and out[8] == "alternatives off"
    assert out[9].startswith("fr> ") and out[10].endswith(" ms)")
    assert out[11].startswith("(not translated: the sentence has 2000 characters")
    assert out[12].startswith("fr> ")  # unknown characters: a translation, no crash
    assert out[14] == "unknown command :nope; :help lists them"
    assert ":quit" in out[15]
    assert out[-1] == ""  # end of input leaves cleanly


def test_repl_quits_on_command_and_on_ctrl_c(translator):
    assert _session(translator, [":quit", "Go."])[-1].startswith("seq2seq-keras")

    def interrupted(prompt):
        raise KeyboardInterrupt

    assert repl(translator, read=interrupted, write=lambda line: None) == 0


def test_json_record_has_n_best_and_attention(translator):
    record = translation_record(translator, "I am cold.", beam_width=3)
    assert record["translation"] == record["n_best"][0]["translation"]
    assert len(record["n_best"]) == 3
    attention = record["attention"]
    weights = np.array(attention["weights"])
    assert attention["source_tokens"] == list("I am cold.")
    assert weights.shape == (len(attention["target_tokens"]), len("I am cold."))
    assert attention["target_tokens"][-1] == "[END]"
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-3)
    assert "error" in translation_record(translator, "x" * 100)
    json.dumps(record)


def test_cli_json_lines(translator, tmp_path, capsys, monkeypatch):
    path = str(tmp_path / "model")
    translator.save(path)
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("Go.\n" + "y" * 80 + "\n\n"))
    assert main(["translate", "--model", path, "--json"]) == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["source"] for r in records] == ["Go.", "y" * 80, ""]
    assert records[0]["translation"] == translator.translate("Go.", beam_width=4)
    assert "error" in records[1] and records[2]["translation"] == ""
