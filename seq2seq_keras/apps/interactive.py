"""Interactive translation (the REPL of `seq2seq-keras translate`), streams and JSON.

The REPL reads lines with any `input`-like function, so it runs the same under a
terminal (with readline editing and history), in tests, or in a notebook.
`translate_stream` translates an iterable of lines (a file, stdin) in batches,
streaming: one output line per input line, in order, whatever the input's length.
Both follow `Translator`'s input rules: a line may hold several sentences.
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings

from seq2seq_keras.decoding.strategies import BeamSearch
from seq2seq_keras.text.inputs import MAX_TEXT_CHARACTERS, LongSentenceWarning, SentenceTooLongError

__all__ = ["repl", "translate_stream", "translation_record", "help_text", "read_lines",
           "UnreadLine"]

# A chunk of the stream, translated as one call, holds at most this many characters.
_CHARACTERS_PER_CHUNK = 200_000


@dataclasses.dataclass
class UnreadLine:
    """A line of input that could not be read as text, and why (`read_lines`)."""

    reason: str


def read_lines(stream, max_characters: int = MAX_TEXT_CHARACTERS):
    """The lines of a binary stream (stdin's buffer), as `str`, without their newline.

    Memory stays bounded: a line of more than `4 * max_characters` bytes (what
    `max_characters` characters may take in UTF-8) is skipped to its end without being
    kept, and comes as an `UnreadLine`; so does a line that is not valid UTF-8. The
    stream then goes on: one item per input line, always.
    """
    limit = 4 * max_characters + 2  # UTF-8 takes up to 4 bytes a character; then CR LF
    while raw := stream.readline(limit):
        if len(raw) == limit and not raw.endswith(b"\n"):
            while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass  # the rest of the line, read in pieces and dropped
            yield UnreadLine(f"a line of more than {limit:,} bytes is over the limit of "
                             f"{max_characters:,} characters (text.MAX_TEXT_CHARACTERS); "
                             "cut it into lines")
            continue
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            yield UnreadLine(f"not valid UTF-8 (byte {error.start + 1} of the line: "
                             f"{error.reason}); save the text as UTF-8")


def _chunks(lines, lines_per_chunk: int):
    """Lists of at most `lines_per_chunk` lines and `_CHARACTERS_PER_CHUNK` characters
    (a single longer line makes a chunk of its own)."""
    chunk, size = [], 0
    for line in lines:
        length = len(line) if isinstance(line, str) else 0
        if chunk and size + length > _CHARACTERS_PER_CHUNK:
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
        if len(chunk) == lines_per_chunk:  # written before the next line is read
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def help_text(strategy) -> str:
    """The REPL's `:help`, stating the decoding strategy it starts with."""
    return f"""Type English (one sentence or several) and press Enter to translate it.
Commands:
  :beam N    beam width N (1: greedy search); this session started with the model's
             {strategy.describe()}
  :alt       show / hide the n best translations of each sentence with their scores
  :time      show / hide how long each translation took
  :help      this help
  :quit      leave (Ctrl-D and Ctrl-C leave too)"""


def translation_record(translator, text: str, beam_width: int | None = None,
                       with_attention: bool = True, replace_unknown: bool = True,
                       strategy=None) -> dict:
    """Everything about the translation of one line, JSON-ready.

    The line is split into sentences as `Translator.translate` splits it; `beam_width`,
    `replace_unknown` and `strategy` are passed to `Translator.translate_n_best`
    (a strategy other than beam search, which has no n best, gives way to the
    translator's beam search).

    Returns:
        `{"source", "translation", "sentences": [{"source", "translation", "n_best":
        [{"translation", "score"}], "attention": {"source_tokens", "target_tokens",
        "weights"}}]}`: `"translation"` is the sentences' best translations joined (what
        `translate(text)` gives with that beam search); `"attention"` only for
        attention models (when `with_attention`). `{"source", "error"}` if a
        sentence is over the hard length limit.
    """
    try:
        sentences = translator.split(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LongSentenceWarning)
            n_bests = translator.translate_n_best(
                sentences, strategy if isinstance(strategy, BeamSearch) else None,
                beam_width=beam_width, replace_unknown=replace_unknown)
    except SentenceTooLongError as error:
        return {"source": text, "error": str(error)}
    records = []
    for sentence, n_best in zip(sentences, n_bests, strict=True):
        record = {"source": sentence, "translation": n_best[0][0],
                  "n_best": [{"translation": t, "score": round(s, 4)} for t, s in n_best]}
        if with_attention and translator.has_attention:
            source_tokens, target_tokens, weights = translator.attention(sentence, n_best[0][0])
            record["attention"] = {"source_tokens": source_tokens,
                                   "target_tokens": target_tokens,
                                   "weights": weights.astype(float).round(4).tolist()}
        records.append(record)
    return {"source": text, "translation": " ".join(r["translation"] for r in records
                                                    if r["translation"]),
            "sentences": records}


def translate_stream(translator, lines, write=print, note=print, progress=None,
                     batch_size: int = 64, strategy=None, replace_unknown: bool = True,
                     as_json: bool = False, lines_per_chunk: int | None = None) -> int:
    """Translate lines as they come, in batches, one output line per input line.

    Memory stays bounded however long the input: lines are read `lines_per_chunk` at
    a time (default `4 * batch_size`), translated as one call of `translate`, and
    written before the next chunk is read.

    Args:
        translator: a `Translator`.
        lines: an iterable of lines (a trailing newline is removed), or of
            `UnreadLine`s among them (`read_lines`), each refused.
        write: prints one output line (a translation, or a JSON record).
        note: prints one note for the user (a sentence longer than the model's
            training sentences, a line refused); the CLI sends these to stderr.
        progress: a text stream (the terminal's stderr) for a progress line, or
            `None`.
        batch_size, strategy, replace_unknown: as for `Translator.translate` (`None`:
            the translator's own strategy).
        as_json: write `translation_record`s as JSON Lines instead.
        lines_per_chunk: lines read and translated together.

    Returns:
        The exit code: 0, or 1 if a line was refused (over a length limit, or not
        valid UTF-8; its output line is empty, or a JSON record with `"error"`).
    """
    lines_per_chunk = lines_per_chunk or 4 * batch_size
    lines = (line.rstrip("\r\n") if isinstance(line, str) else line for line in lines)
    refused, done, start = False, 0, time.perf_counter()
    for chunk in _chunks(lines, lines_per_chunk):
        # Lines that cannot be translated get an empty output line (a JSON record with
        # "error") and a note; the others are translated together.
        outputs, fitting = [""] * len(chunk), []
        for k, line in enumerate(chunk):
            problem = line.reason if isinstance(line, UnreadLine) else None
            if problem is None:
                try:
                    translator.split(line)
                    fitting.append(k)
                    continue
                except SentenceTooLongError as error:
                    problem = str(error)
            refused = True
            note(f"line {done + k + 1}: not translated: {problem}")
            if as_json:
                outputs[k] = json.dumps({"source": line if isinstance(line, str) else None,
                                         "error": problem}, ensure_ascii=False)
        if as_json:
            for k in fitting:
                outputs[k] = json.dumps(translation_record(
                    translator, chunk[k], strategy=strategy,
                    replace_unknown=replace_unknown), ensure_ascii=False)
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LongSentenceWarning)
                translations = translator.translate(
                    [chunk[k] for k in fitting], strategy, batch_size=batch_size,
                    replace_unknown=replace_unknown)
            for long in _long_sentences(caught):
                note(f"line {done + fitting[long.index] + 1}: note: {long}")
            for k, translation in zip(fitting, translations, strict=True):
                outputs[k] = translation
        for output in outputs:
            write(output)
        done += len(chunk)
        if progress is not None:
            rate = done / max(time.perf_counter() - start, 1e-9)
            progress.write(f"\r{done:,} lines translated ({rate:,.1f} lines/s)")
            progress.flush()
    if progress is not None and done:
        progress.write("\n")
    return 1 if refused else 0


def repl(translator, read=input, write=print, strategy=None) -> int:
    """Translate lines as they are typed, until `:quit`, end of input or Ctrl-C.

    Args:
        translator: a `Translator`.
        read: `read(prompt) -> line`; raises `EOFError` at the end (as `input` does).
        write: prints one line.
        strategy: the starting decoding strategy (see `Translator.resolve_strategy`;
            `None`: the translator's own, as `seq2seq-keras translate` uses).

    Returns:
        0 (the exit code).
    """
    strategy = started_with = translator.resolve_strategy(strategy)
    show_alternatives, show_time = False, False
    write("seq2seq-keras: English -> French. :help for commands, Ctrl-D to quit.")
    # Trace the compiled search now, so the first sentence is as fast as the rest.
    translator.translate("Hi.", strategy)
    while True:
        try:
            line = read("en> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        if not line:
            continue
        if line.startswith(":"):
            command, _, argument = line[1:].partition(" ")
            if command in ("quit", "q", "exit"):
                return 0
            if command == "help":
                write(help_text(started_with))
            elif command == "alt":
                show_alternatives = not show_alternatives
                write(f"alternatives {'on' if show_alternatives else 'off'}")
            elif command == "time":
                show_time = not show_time
                write(f"timing {'on' if show_time else 'off'}")
            elif command == "beam":
                if argument.strip().isdigit() and int(argument) >= 1:
                    strategy = translator.resolve_strategy(beam_width=int(argument))
                    write(f"beam width {int(argument)}")
                else:
                    write(f"usage: :beam N with N >= 1 (now {_width(strategy)})")
            else:
                write(f"unknown command :{command}; :help lists them")
            continue
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LongSentenceWarning)
                if show_alternatives:
                    output = _alternatives(translator, line, max(_width(strategy), 2))
                else:
                    output = "fr> " + translator.translate(line, strategy)
        except SentenceTooLongError as error:
            write(f"(not translated: {error})")
            continue
        except KeyboardInterrupt:
            write("")
            return 0
        for long in _long_sentences(caught):
            write(f"(note: {long})")
        write(output)
        if show_time:
            write(f"    ({1000 * (time.perf_counter() - start):.1f} ms)")


def _long_sentences(caught) -> list:
    """The caught `LongSentenceWarning`s; any other caught warning is shown as Python
    would have shown it, so that recording warnings hides none of them."""
    long = []
    for warning in caught:
        if isinstance(warning.message, LongSentenceWarning):
            long.append(warning.message)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    return long


def _width(strategy) -> int:
    """The beam width of a strategy (1 for one that keeps one hypothesis)."""
    return strategy.beam_width if isinstance(strategy, BeamSearch) else 1


def _alternatives(translator, line, beam_width):
    """The n best of each sentence of `line`, one `score  text` row each."""
    sentences = translator.split(line)
    rows = []
    for sentence, n_best in zip(sentences, translator.translate_n_best(
            sentences, beam_width=beam_width), strict=True):
        if len(sentences) > 1:
            rows.append(f"  {sentence}")
        rows.extend(f"  {score:8.3f}  {text}" for text, score in n_best)
    return "\n".join(rows)
