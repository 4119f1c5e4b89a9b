"""Hostile but fair input: limits before work, a stream that keeps one line per line,
damaged model folders and bad options that each get one clear line."""

import io
import json
import shutil
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seq2seq_keras as s2s
from seq2seq_keras.apps.cli import main
from seq2seq_keras.apps.interactive import UnreadLine, read_lines, translate_stream

BLOG = s2s.pretrained.model_path("blog_char")
CLI = [sys.executable, "-m", "seq2seq_keras.apps.cli"]
# Runs a command and prints its peak RSS in MB: a fresh process, whose only child is it.
PEAK = ("import resource, subprocess, sys\n"
        "with open(sys.argv[1], 'rb') as stdin:\n"
        "    run = subprocess.run(sys.argv[2:], stdin=stdin, capture_output=True)\n"
        "sys.stdout.buffer.write(run.stdout)\n"
        "sys.stderr.buffer.write(run.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr)\n"
        "sys.exit(run.returncode)\n")


@pytest.fixture(scope="module")
def blog():
    return s2s.load_translator("blog_char")


def _run(args, stdin_path, timeout=120):
    """`(exit code, stdout bytes, stderr text without its last line, peak RSS MB)`."""
    run = subprocess.run([sys.executable, "-c", PEAK, str(stdin_path), *args],
                         capture_output=True, timeout=timeout)
    *err, peak = run.stderr.decode(errors="replace").rstrip("\n").split("\n")
    return run.returncode, run.stdout, "\n".join(err), int(peak)


def test_a_huge_text_is_refused_before_any_work(blog):
    with pytest.raises(s2s.text.TextTooLongError, match="MAX_TEXT_CHARACTERS"):
        blog.translate("a " * 5_000_000)  # 10 MB: refused by its length alone
    with pytest.raises(s2s.text.TextTooLongError, match="MAX_SENTENCES"):
        blog.translate("Go. " * (s2s.text.MAX_SENTENCES + 1))
    # Still a SentenceTooLongError: code that refuses a long sentence refuses these too.
    assert issubclass(s2s.text.TextTooLongError, s2s.SentenceTooLongError)
    with pytest.raises(s2s.SentenceTooLongError):
        blog.translate_n_best("a" * (s2s.text.MAX_SENTENCE_CHARACTERS + 1))
    assert blog.translate("Go. " * 5) == blog.translate(" ".join(["Go."] * 5))


def test_the_export_graph_gives_empty_strings_past_the_limits(blog):
    import tensorflow as tf

    from seq2seq_keras.translation.export import Serving

    texts = ["a " * (s2s.text.MAX_TEXT_CHARACTERS // 2 + 1), "Go. " * 1001, "Go."]
    got = [t.decode() for t in Serving(blog).translate(tf.constant(texts)).numpy()]
    assert got == ["", "", blog.translate("Go.")]


@pytest.mark.parametrize("line", ["a " * 25_000_000, "I am cold. " * 4_600_000])
def test_a_50_mb_line_costs_little_and_keeps_its_place(tmp_path, line):
    path = tmp_path / "in.txt"
    path.write_text(f"Go.\n{line}\nGo.\n", encoding="utf-8")
    code, out, err, peak = _run([*CLI, "translate", "--model", BLOG], path)
    go = s2s.load_translator("blog_char").translate("Go.")
    assert out.decode().split("\n") == [go, "", go, ""]
    assert code == 1 and "line 2: not translated" in err and "MAX_TEXT_CHARACTERS" in err
    assert "Traceback" not in err and len(err) < 2000
    assert peak < 1500, f"peak RSS {peak} MB"


def test_invalid_utf8_gets_an_empty_line_and_the_stream_goes_on(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"Go.\nCaf\xe9\nGo.\n")
    code, out, err, _ = _run([*CLI, "translate", "--model", BLOG], path)
    go = s2s.load_translator("blog_char").translate("Go.")
    assert out.decode() == f"{go}\n\n{go}\n"
    assert code == 1 and "line 2: not translated: not valid UTF-8 (byte 4" in err
    code, out, err, _ = _run([*CLI, "translate", "--json", "--model", BLOG], path)
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert len(records) == 3 and "error" in records[1] and records[2]["translation"] == go


def test_a_closed_stdout_and_ctrl_c_end_quietly(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("Go.\n" * 3000, encoding="utf-8")
    command = " ".join([sys.executable, "-m", "seq2seq_keras.apps.cli", "translate", "--model",
                        BLOG, "<", str(path), f"2>{tmp_path / 'err'}", "|", "head", "-1"])
    head = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True,
                          text=True, timeout=120)
    assert head.stdout.count("\n") == 1
    assert head.returncode in (0, 141)
    assert "Traceback" not in (tmp_path / "err").read_text()
    # Ctrl-C in the middle of a long input: the lines done so far, then exit 130.
    with open(path) as stdin:
        # SIGINT as a terminal sends it: a run started in the background (CI) would
        # otherwise hand the child an ignored SIGINT.
        # Unbuffered bytes: a buffered readline would keep read-ahead that communicate()
        # (which reads the pipe itself) never sees, cutting a line in two.
        process = subprocess.Popen([*CLI, "translate", "--model", BLOG], stdin=stdin,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                                    signal.SIG_DFL))
        first = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    lines = (first + out).decode().splitlines()
    assert 1 <= len(lines) < 3000 and set(lines) == {first.decode().strip()}
    assert process.returncode == 130 and b"Traceback" not in err


def test_read_lines_holds_one_bounded_line():
    stream = io.BytesIO(b"short\n" + b"x" * 1000 + b"\n\xff\xfe\nlast")
    lines = list(read_lines(stream, max_characters=100))
    assert lines[0] == "short" and lines[3] == "last"
    assert isinstance(lines[1], UnreadLine) and "over the limit" in lines[1].reason
    assert isinstance(lines[2], UnreadLine) and "UTF-8" in lines[2].reason


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b" ")), max_size=12))
def test_the_stream_writes_one_line_per_line_whatever_the_bytes(blog, raw_lines):
    stream = io.BytesIO(b"".join(line + b"\n" for line in raw_lines))
    written, notes = [], []
    code = translate_stream(blog, read_lines(stream, max_characters=40), write=written.append,
                            note=notes.append, lines_per_chunk=5)
    assert len(written) == len(raw_lines)
    assert code in (0, 1) and (code == 1) == bool(notes)
    assert all("\n" not in line for line in written)


def _copy_of_blog(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(BLOG, folder)
    return folder


def _fails_clearly(folder, match, capsys):
    with pytest.raises(ValueError, match=match):
        s2s.load_translator(str(folder))
    assert main(["translate", "--model", str(folder), "Go."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and len(err) < 1200, err


def test_damaged_weights_get_one_clear_line(tmp_path, capsys):
    folder = _copy_of_blog(tmp_path)
    weights = folder / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:5000])
    _fails_clearly(folder, "cannot be read", capsys)
    weights.write_bytes(b"")
    _fails_clearly(folder, "cannot be read", capsys)
    weights.unlink()
    np.savez(folder / "model.weights.f16.npz", np.zeros(3))
    (folder / "model.weights.f16.npz").write_bytes(
        (folder / "model.weights.f16.npz").read_bytes()[:40])
    _fails_clearly(folder, "cannot be read", capsys)


def test_weights_of_another_shape_are_refused_before_they_are_read(tmp_path, capsys):
    folder = _copy_of_blog(tmp_path)
    translator = s2s.load_translator(str(folder))
    (folder / "model.weights.h5").unlink()
    arrays = [w.astype(np.float16) for w in translator.model.get_weights()]
    # The first weight declares a billion values: only its header is read.
    path = folder / "model.weights.f16.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("arr_0.npy", "w") as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f2", "fortran_order": False, "shape": (10**9,)})
        for i, array in enumerate(arrays[1:], start=1):
            with archive.open(f"arr_{i}.npy", "w") as member:
                np.lib.format.write_array(member, array)
    _fails_clearly(folder, r"is saved as \(1000000000,\)", capsys)
    # A vocabulary one token longer than the weights: named as such.
    np.savez(path, *arrays)
    meta = json.loads((folder / "translator.json").read_text())
    meta["target_vocab"]["tokens"].append("\u2603")
    (folder / "translator.json").write_text(json.dumps(meta))
    _fails_clearly(folder, "vocabulary size .* does not match the model's", capsys)


@pytest.mark.parametrize("damage, match", [
    (lambda meta: meta.update(config=[1, 2]), "lacks"),
    (lambda meta: meta["config"]["dataset"].update(max_target_length=10**9), "at most"),
    (lambda meta: meta["config"]["model"].update(units="many"), "units must be int"),
    (lambda meta: meta["source_vocab"]["tokens"].append(meta["source_vocab"]["tokens"][5]),
     "listed more than once"),
])
def test_a_damaged_translator_json_gets_one_clear_line(tmp_path, capsys, damage, match):
    folder = _copy_of_blog(tmp_path)
    meta = json.loads((folder / "translator.json").read_text())
    meta["config"] = s2s.Config.from_dict(meta["config"]).to_dict()  # the nested form
    damage(meta)
    (folder / "translator.json").write_text(json.dumps(meta))
    _fails_clearly(folder, match, capsys)


def test_deeply_nested_json_gets_one_clear_line(tmp_path, capsys):
    folder = _copy_of_blog(tmp_path)
    (folder / "translator.json").write_text("[" * 100_000 + "]" * 100_000)
    _fails_clearly(folder, "nested too deeply", capsys)


@pytest.mark.parametrize("option, match", [
    ("learning_rate=fast", "learning_rate must be float"),
    ("units=1000000000", "units must be at most"),
    ("num_pairs=" + "9" * 5000, "num_pairs must be at most|num_pairs must be int"),
])
def test_bad_set_values_get_one_short_line(tmp_path, capsys, option, match):
    assert main(["train", "--preset", "quick", "--output", str(tmp_path / "run"),
                 "--set", option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < 400
    assert __import__("re").search(match, err), err
    assert not (tmp_path / "run").exists()


def test_an_output_that_is_a_file_gets_one_clear_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["train", "--preset", "quick", "--num-pairs", "200", "--output",
                 str(tmp_path / "file")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_a_failed_start_leaves_no_folder(tmp_path):
    with pytest.raises(s2s.CorpusError):
        s2s.train(s2s.get_preset("quick").replace(data=str(tmp_path / "none.txt")),
                  str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_an_interrupted_run_of_another_config_says_how_to_go_on(tmp_path, tiny_config):
    output = tmp_path / "run"
    (output / "backup").mkdir(parents=True)
    (output / "backup" / "training_metadata.json").write_text("{}")
    (output / "run_in_progress.json").write_text(tiny_config.replace(units=16).to_json())
    with pytest.raises(ValueError, match=r"backup holds an interrupted run of another config: "
                                         r"units=16 \(now 8\).*--restart"):
        s2s.train(tiny_config, str(output), verbose=0)
    result = s2s.train(tiny_config, str(output), verbose=0, restart=True)
    assert result.metrics["epochs_run"] == 1
    assert not (output / "run_in_progress.json").exists()
