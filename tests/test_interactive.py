import json

import keras
import numpy as np
import pytest

import seq2seq_keras as s2s
from seq2seq_keras.apps.cli import main
from seq2seq_keras.apps.interactive import repl, translate_stream, translation_record


@pytest.fixture
def translator(tiny_config):
    keras.utils.set_random_seed(9)
    config = tiny_config.replace(units=16, max_source_length=30, max_target_length=25,
                                 attention="luong", embedding_dim=8)
    src = s2s.Vocabulary.build(["Go. I am cold. Who is he? Hi! Run!"])
    tgt = s2s.Vocabulary.build(["Va ! J'ai froid. Qui est-il ? Salut ! Cours !"])
    # Beam search of width 4 by default, as a trained model has.
    return s2s.Translator(s2s.build_training_model(config, len(src), len(tgt)), config, src, tgt,
                          strategy=s2s.BeamSearch())


def _session(translator, lines):
    feed, out = iter(lines), []

    def read(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    assert repl(translator, read=read, write=out.append) == 0
    return out


TOO_LONG = "x" * (s2s.text.MAX_SENTENCE_CHARACTERS + 1)


def test_repl_survives_bad_input_and_runs_commands(translator):
    out = _session(translator, ["", "Go.", ":beam 1", ":beam x", "Go.", ":alt", "Hi.",
                                ":time", ":alt", "Run!", TOO_LONG, "☃☃", ":nope", ":help"])
    greedy = translator.translate("Go.", beam_width=1)
    beam = translator.translate("Go.", beam_width=4)
    assert out[1] == f"fr> {beam}"  # the REPL starts with the model's strategy, beam 4
    assert out[2] == "beam width 1" and out[3].startswith("usage: :beam N")
    assert out[4] == f"fr> {greedy}"
    assert out[5] == "alternatives on"
    assert len(out[6].splitlines()) == 2  # the 2 best of "Hi." with scores (beam >= 2)
    assert out[7] == "timing on" and out[8] == "alternatives off"
    assert out[9].startswith("fr> ") and out[10].endswith(" ms)")
    assert out[11].startswith("(not translated: a sentence of 10,001 characters")
    assert out[12].startswith("fr> ")  # unknown characters: a translation, no crash
    assert out[14] == "unknown command :nope; :help lists them"
    assert ":quit" in out[15]
    assert "started with the model's\n             beam search (beam_width=4" in out[15]
    assert out[-1] == ""  # end of input leaves cleanly


def test_repl_translates_paragraphs_and_notes_long_sentences(translator):
    paragraph, long = "Go. I am cold. Hi!", "Go " * 12
    out = _session(translator, [paragraph, long, ":alt", paragraph])
    assert out[1] == f"fr> {translator.translate(paragraph, beam_width=4)}"
    assert out[2].startswith("(note: a sentence of ") and "max_source_length=30" in out[2]
    assert out[3].startswith("fr> ")
    # The n best of each of the three sentences, each under its English sentence.
    rows = out[5].splitlines()
    assert [r.strip() for r in rows if not r.strip()[0].isdigit() and r.strip()[0] != "-"] \
        == ["Go.", "I am cold.", "Hi!"]
    assert len(rows) == 3 + 3 * 4


def test_repl_help_states_the_default_it_uses(translator):
    assert "greedy" in _session_help(translator, "greedy").split("started with")[1]
    assert "beam_width=4" in _session_help(translator, None).split("started with")[1]


def _session_help(translator, strategy):
    out = []
    feed = iter([":help"])

    def read(prompt):
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    repl(translator, read=read, write=out.append, strategy=strategy)
    return out[1]


def test_repl_quits_on_command_and_on_ctrl_c(translator):
    assert _session(translator, [":quit", "Go."])[-1].startswith("seq2seq-keras")

    def interrupted(prompt):
        raise KeyboardInterrupt

    assert repl(translator, read=interrupted, write=lambda line: None) == 0


def test_json_record_has_n_best_and_attention_per_sentence(translator):
    record = translation_record(translator, "I am cold. Go.", beam_width=3)
    assert record["source"] == "I am cold. Go."
    assert [s["source"] for s in record["sentences"]] == ["I am cold.", "Go."]
    assert record["translation"] == translator.translate("I am cold. Go.", beam_width=3)
    first = record["sentences"][0]
    assert first["translation"] == first["n_best"][0]["translation"]
    assert len(first["n_best"]) == 3
    attention = first["attention"]
    weights = np.array(attention["weights"])
    assert attention["source_tokens"] == list("I am cold.")
    assert weights.shape == (len(attention["target_tokens"]), len("I am cold."))
    assert attention["target_tokens"][-1] == "[END]"
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-3)
    assert "error" in translation_record(translator, TOO_LONG)
    assert translation_record(translator, "  ") == {"source": "  ", "translation": "",
                                                   "sentences": []}
    json.dumps(record)


def test_cli_json_lines(translator, tmp_path, capsys, monkeypatch):
    path = str(tmp_path / "model")
    translator.save(path)
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(f"Go.\n{TOO_LONG}\n\n{'y' * 80}\n"))
    assert main(["translate", "--model", path, "--json"]) == 1
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["source"] for r in records] == ["Go.", TOO_LONG, "", "y" * 80]
    assert records[0]["translation"] == translator.translate("Go.", beam_width=4)
    assert "error" in records[1] and records[2]["translation"] == ""
    with pytest.warns(s2s.LongSentenceWarning):
        assert records[3]["translation"] == translator.translate("y" * 80, beam_width=4)
    assert "line 2: not translated" in captured.err


def test_stream_keeps_order_and_reads_in_chunks(translator):
    """`translate_stream` reads a chunk, writes it, then reads on: memory stays bounded."""
    lines = [f"{s}\n" for s in ["Go.", "I am cold. Hi!", "", "Run!"] * 5] + [TOO_LONG]
    read, events = iter(lines), []

    def source():
        for line in read:
            events.append("read")
            yield line

    written, notes = [], []
    code = translate_stream(translator, source(), write=lambda t: (events.append("write"),
                                                                   written.append(t)),
                            note=notes.append, strategy="greedy", lines_per_chunk=3)
    assert code == 1 and len(written) == len(lines)
    assert written[:-1] == translator.translate([x.strip() for x in lines[:-1]], beam_width=1)
    assert written[-1] == "" and notes == [f"line {len(lines)}: not translated: "
                                           + notes[0].split("not translated: ")[1]]
    # Never more than one chunk read ahead of what has been written.
    assert events[:7] == ["read"] * 3 + ["write"] * 3 + ["read"]
