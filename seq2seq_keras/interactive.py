"""Interactive translation (the REPL of `seq2seq-keras translate`) and JSON results.

The REPL reads lines with any `input`-like function, so it runs the same under a
terminal (with readline editing and history), in tests, or in a notebook.
"""

from __future__ import annotations

import time

from .translator import SentenceTooLongError

__all__ = ["repl", "translation_record", "HELP"]

HELP = """Type an English sentence and press Enter to translate it.
Commands:
  :beam N    beam width N (1: greedy search, the default)
  :alt       show / hide the n best translations with their scores
  :time      show / hide how long each translation took
  :help      this help
  :quit      leave (Ctrl-D and Ctrl-C leave too)"""


def translation_record(translator, sentence: str, beam_width: int = 4,
                       with_attention: bool = True, replace_unknown: bool = True) -> dict:
    """Everything about one translation, JSON-ready.

    `replace_unknown` is passed to `Translator.translate_n_best`.

    Returns:
        `{"source", "translation", "n_best": [{"translation", "score"}]}`, plus
        `"attention": {"source_tokens", "target_tokens", "weights"}` for attention
        models (when `with_attention`), or `{"source", "error"}` if the sentence is
        too long for the model.
    """
    try:
        n_best = translator.translate_n_best(sentence, beam_width=beam_width,
                                             replace_unknown=replace_unknown)
    except SentenceTooLongError as error:
        return {"source": sentence, "error": str(error)}
    record = {"source": sentence, "translation": n_best[0][0],
              "n_best": [{"translation": t, "score": round(s, 4)} for t, s in n_best]}
    if with_attention and translator.config.attention and sentence.strip():
        source_tokens, target_tokens, weights = translator.attention(sentence, n_best[0][0])
        record["attention"] = {"source_tokens": source_tokens, "target_tokens": target_tokens,
                               "weights": weights.astype(float).round(4).tolist()}
    return record


def repl(translator, read=input, write=print, beam_width: int = 1) -> int:
    """Translate lines as they are typed, until `:quit`, end of input or Ctrl-C.

    Args:
        translator: a `Translator`.
        read: `read(prompt) -> line`; raises `EOFError` at the end (as `input` does).
        write: prints one line.
        beam_width: the starting beam width.

    Returns:
        0 (the exit code).
    """
    show_alternatives, show_time = False, False
    write("seq2seq-keras: English -> French. :help for commands, Ctrl-D to quit.")
    # Trace the compiled search now, so the first sentence is as fast as the rest.
    translator.translate("Hi.", beam_width=beam_width)
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
                write(HELP)
            elif command == "alt":
                show_alternatives = not show_alternatives
                write(f"alternatives {'on' if show_alternatives else 'off'}")
            elif command == "time":
                show_time = not show_time
                write(f"timing {'on' if show_time else 'off'}")
            elif command == "beam":
                if argument.strip().isdigit() and int(argument) >= 1:
                    beam_width = int(argument)
                    write(f"beam width {beam_width}")
                else:
                    write(f"usage: :beam N with N >= 1 (now {beam_width})")
            else:
                write(f"unknown command :{command}; :help lists them")
            continue
        start = time.perf_counter()
        try:
            if show_alternatives:
                n_best = translator.translate_n_best(line, beam_width=max(beam_width, 2))
                output = "\n".join(f"  {score:8.3f}  {text}" for text, score in n_best)
            else:
                output = translator.translate(line, beam_width=beam_width)
        except SentenceTooLongError as error:
            write(f"(not translated: {error})")
            continue
        except KeyboardInterrupt:
            write("")
            return 0
        write(f"fr> {output}" if not show_alternatives else output)
        if show_time:
            write(f"    ({1000 * (time.perf_counter() - start):.1f} ms)")
