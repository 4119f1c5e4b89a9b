"""The command line as a user meets it: quiet stderr, --version, real defaults in
--help, long piped input streamed in order."""

import os
import subprocess
import sys

import pytest

import seq2seq_keras as s2s
from seq2seq_keras.apps.cli import build_parser, main
from seq2seq_keras.apps.tf_logs import is_noise

# What TensorFlow 2.21 printed on this 2-core machine with no GPU, before the filter.
START_UP_NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796162260.305902    2112 port.cc:153] oneDNN custom operations are on. "
    "You may see slightly different numerical results due to floating-point round-off "
    "errors from different computation orders.",
    "I0000 00:00:1796162260.307282    2112 cudart_stub.cc:31] Could not find cuda drivers "
    "on your machine, GPU will not be used.",
    "I0000 00:00:1796162260.380259    2112 cpu_feature_guard.cc:227] This TensorFlow binary "
    "is optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "E0000 00:00:1796162262.996481    2112 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "E0000 00:00:1796162264.446590    2112 util.cc:131] oneDNN supports DT_BOOL only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if "
    "present.",
    "INFO:tensorflow:Assets written to: export/1/assets",
]


def _cli(args, stdin=None, env=None, timeout=300):
    """Run the installed command in a subprocess, as a user does."""
    command = [os.path.join(os.path.dirname(sys.executable), "seq2seq-keras"), *args]
    environment = {k: v for k, v in os.environ.items() if k != "SEQ2SEQ_KERAS_TF_LOGS"}
    environment.update(env or {})
    return subprocess.run(command, input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=environment)


def test_noise_filter_drops_start_up_lines_and_keeps_real_messages():
    assert all(is_noise(line) for line in START_UP_NOISE)
    for real in ["Traceback (most recent call last):",
                 "E0000 00:00:1796162264.446590    2112 op_kernel.cc:1830] OP_REQUIRES failed "
                 "at strided_slice_op.cc:117 : INVALID_ARGUMENT: slice index 5 out of bounds",
                 "W0000 00:00:1796162264.4 2112 loader.cc:12] could not read the checkpoint",
                 "/x/translator.py:170: LongSentenceWarning: a sentence of 42 tokens ...",
                 "seq2seq-keras translate: error: /m is not a saved translator"]:
        assert not is_noise(real), real


def test_translate_prints_nothing_on_stderr_unless_asked():
    result = _cli(["translate", "I am cold."])
    assert result.returncode == 0, result.stderr
    assert result.stdout == s2s.load_translator().translate("I am cold.", beam_width=4) + "\n"
    assert result.stderr == ""
    # --tf-logs (or SEQ2SEQ_KERAS_TF_LOGS=1) keeps TensorFlow's own lines.
    for args, env in ((["--tf-logs", "translate", "Hi."], None),
                      (["translate", "Hi."], {"SEQ2SEQ_KERAS_TF_LOGS": "1"})):
        verbose = _cli(args, env=env)
        assert verbose.returncode == 0 and any(is_noise(line) for line in
                                               verbose.stderr.splitlines()), verbose.stderr
    # Real errors still show.
    missing = _cli(["translate", "--model", "/nonexistent", "Hi."])
    assert missing.returncode == 2
    assert missing.stderr.startswith("seq2seq-keras translate: error: no model folder "
                                     "'/nonexistent'")


def test_version_and_help_show_the_real_values(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"seq2seq-keras {s2s.__version__}"
    commands = build_parser()._subparsers._group_actions[0].choices
    translate = " ".join(commands["translate"].format_help().split())
    # argparse wraps a long path across lines: compare without whitespace.
    assert s2s.pretrained.model_path() in "".join(translate.split())
    # The decoding default is the model's own strategy; the help says what it is for
    # the shipped models, and that is what they store.
    assert "the model's own decoding strategy" in translate and "beam search, width 4" in translate
    shipped = s2s.load_translator().strategy
    assert shipped.beam_width == 4
    evaluate = " ".join(commands["evaluate"].format_help().split())
    assert f"shipped model: {shipped.alpha}, config.DEFAULT_ALPHA" in evaluate
    assert f"shipped model: {shipped.drop_penalty}, config.DROP_PENALTY" in evaluate
    assert (shipped.alpha, shipped.drop_penalty) == (s2s.config.DEFAULT_ALPHA,
                                                     s2s.config.DROP_PENALTY)


def test_load_translator_without_a_path_is_the_shipped_default():
    translator = s2s.load_translator()
    assert translator.config.name == "transformer"
    assert translator.translate("Go.", beam_width=4) == s2s.load_translator(
        s2s.pretrained.model_path()).translate("Go.", beam_width=4)


@pytest.mark.slow
def test_ten_thousand_piped_lines_come_out_in_order():
    translator = s2s.load_translator(s2s.pretrained.model_path("blog_char"))
    sources = ["Go.", "I am cold.", "Hi!", "Who is he?", "Run!", "I won!", "Stop!", "Help!",
               "Tom is tired. He is sleeping.", ""]
    expected = {s: translator.translate(s, "greedy") for s in sources}
    lines = [sources[(i * 7) % len(sources)] for i in range(10_000)]
    result = _cli(["translate", "--model", s2s.pretrained.model_path("blog_char"),
                   "--beam-width", "1"], stdin="".join(f"{line}\n" for line in lines))
    assert result.returncode == 0, result.stderr[-2000:]
    outputs = result.stdout.split("\n")
    assert outputs[-1] == "" and len(outputs) == 10_001
    assert outputs[:-1] == [expected[line] for line in lines]
    assert result.stderr == ""  # stderr is not a terminal: no progress bar


def test_lexicon_of_a_model_that_cannot_use_one_is_a_clear_error(capsys):
    # `blog_char` writes no [UNK] to replace and has no attention to align with:
    # one line naming the model and what it is, no file written beside it.
    before = sorted(os.listdir(s2s.pretrained.model_path("blog_char")))
    assert main(["lexicon", "--model", "blog_char"]) == 2
    error = capsys.readouterr().err
    assert "a lexicon is for word-level models with attention; " in error
    assert "blog_char is char level (" in error and "attention=None" in error
    assert sorted(os.listdir(s2s.pretrained.model_path("blog_char"))) == before
