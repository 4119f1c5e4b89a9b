"""Keeping TensorFlow's start-up noise off the command line's stderr.

On a machine without a GPU, importing TensorFlow and running its first ops prints
about nine lines from its C++ runtime (oneDNN notices, "Could not find cuda
drivers", "failed call to cuInit", CPU-feature and absl banners). They are not
problems, but a newcomer reads them as failures. `TF_CPP_MIN_LOG_LEVEL` does not
silence them all (absl writes some before it reads the variable), and it would
also hide real errors, so `quiet_stderr` filters the process' stderr instead: file
descriptor 2 goes through a pipe, and a thread drops the lines that match
`NOISE` and passes everything else on (Python warnings, tracebacks, TensorFlow's
real errors), in order.

`seq2seq-keras --verbose ...`, or `SEQ2SEQ_KERAS_TF_LOGS=1` in the environment,
keeps every line.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
import threading

__all__ = ["NOISE", "is_noise", "quiet_stderr", "ENVIRONMENT_VARIABLE"]

ENVIRONMENT_VARIABLE = "SEQ2SEQ_KERAS_TF_LOGS"

# An absl log line: severity letter, date, time, thread id, file:line].
_ABSL = r"[IWE]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
NOISE = re.compile("|".join([
    r"WARNING: All log messages before absl::InitializeLog\(\) is called",
    # INFO lines: oneDNN's and the CPU-feature notices, "Could not find cuda drivers".
    r"I\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ",
    # TensorFlow's Python INFO log ("Assets written to: ..." when exporting).
    r"INFO:tensorflow:",
    r"To enable the following instructions: .* rebuild TensorFlow",
    # SentencePiece (tensorflow-text's tokenizer) on a model trained with identity
    # normalization, which is what the subword models do on purpose.
    r"normalizer\.cc\(\d+\) LOG\(INFO\) precompiled_charsmap is empty",
    # No GPU here, and oneDNN falling back to Eigen for one dtype: not problems.
    _ABSL + r"(failed call to cuInit|oneDNN supports DT_\w+ only"
            r"|Unable to register cu\w+ factory|TF-TRT Warning: Could not find TensorRT"
            r"|computation placer already registered)",
]))
# Wait this long for the rest of a line before passing on a partial one (a prompt or
# a progress bar written without a newline).
_PARTIAL_LINE_SECONDS = 0.05


def is_noise(line: str) -> bool:
    """Whether one stderr line is TensorFlow start-up noise (see `NOISE`)."""
    return NOISE.match(line) is not None


@contextlib.contextmanager
def quiet_stderr(enabled: bool = True):
    """Within the block, drop TensorFlow's start-up noise from stderr (fd 2).

    Args:
        enabled: `False` changes nothing (the `--verbose` path). The
            `SEQ2SEQ_KERAS_TF_LOGS` environment variable (any value but `""` and
            `"0"`) also turns the filter off.

    Yields:
        A file object writing to the real stderr, unfiltered and unbuffered (for a
        progress bar), or `sys.stderr` when the filter is off.
    """
    if not enabled or os.environ.get(ENVIRONMENT_VARIABLE, "") not in ("", "0"):
        yield sys.stderr
        return
    sys.stderr.flush()
    original = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    pump = threading.Thread(target=_pump, args=(read, original), daemon=True)
    pump.start()
    real = os.fdopen(os.dup(original), "w", buffering=1, encoding="utf-8",
                     errors="backslashreplace")
    try:
        yield real
    finally:
        real.close()
        sys.stderr.flush()
        # Restoring fd 2 closes the pipe's last write end: the pump reads to the end.
        os.dup2(original, 2)
        pump.join(timeout=5)
        os.close(original)


def _pump(read: int, out: int) -> None:
    """Copy lines from `read` to `out`, leaving out the noise."""
    pending = b""
    with os.fdopen(read, "rb", buffering=0) as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], _PARTIAL_LINE_SECONDS)
            if not ready:
                if pending and not _may_become_noise(pending):
                    _write(out, pending)
                    pending = b""
                continue
            chunk = pipe.read(65536)
            if not chunk:
                break
            pending += chunk
            while True:
                ends = [i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0]
                if not ends:
                    break
                end = min(ends) + 1
                line, pending = pending[:end], pending[end:]
                if not is_noise(line.decode("utf-8", "replace")):
                    _write(out, line)
    if pending and not is_noise(pending.decode("utf-8", "replace")):
        _write(out, pending)


def _may_become_noise(partial: bytes) -> bool:
    """Whether an unfinished line could still turn out to be noise: hold it back."""
    text = partial.decode("utf-8", "replace")
    return bool(re.match(r"[IWE]\d|WARNING: All|To enable", text))


def _write(out: int, data: bytes) -> None:
    while data:
        data = data[os.write(out, data):]
