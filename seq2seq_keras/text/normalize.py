"""Normalization: the one rule that every sentence goes through first, as TF ops.

Zero-width characters, BOMs and soft hyphens are removed; U+202F, U+00A0, U+2009 and
tabs become a plain space (the corpus writes all of them before French `?!:;`);
curly apostrophes and the prime become `'` (the corpus' usual one); then NFC
composition (after the removals, so that a letter and its accent split by an
invisible character compose); runs of spaces collapse to one; leading and trailing
whitespace (Python's `str.isspace`) is stripped. Case, accents and punctuation are
kept. The corpus reader, `Translator` and the exported SavedModel all run `tf_normalize`.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_text

__all__ = ["normalize", "normalize_all", "tf_normalize"]

# What Python's str.strip() strips: \p{Z} (spaces, line and paragraph separators)
# and the C0/C1 controls that str.isspace() counts. RE2's \s is ASCII only.
_WHITESPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\p{Z}]"


def tf_normalize(text):
    """Normalize `text`, a string tensor of any shape (see the module docstring)."""
    text = tf.strings.regex_replace(text, "[\u200b\u200c\u200d\ufeff\u00ad]", "")
    text = tf.strings.regex_replace(text, "[\u202f\u00a0\u2009\t]", " ")
    text = tf.strings.regex_replace(text, "[\u2019\u2018\u2032]", "'")
    text = tensorflow_text.normalize_utf8(text, "NFC")
    text = tf.strings.regex_replace(text, " {2,}", " ")
    return tf.strings.regex_replace(text, f"^{_WHITESPACE}+|{_WHITESPACE}+$", "")


def normalize_all(texts, batch_size: int = 10_000) -> list[str]:
    """`tf_normalize` of a list of Python strings, in batches: a list of strings."""
    texts = list(texts)
    found = []
    for start in range(0, len(texts), batch_size):
        batch = tf.constant(texts[start:start + batch_size], tf.string)
        found += [t.decode() for t in tf_normalize(batch).numpy()]
    return found


def normalize(text: str) -> str:
    """One sentence normalized by `tf_normalize` (possibly empty).

    Examples:
        >>> normalize("  It\u2019s  cold\u00a0!  ")
        "It's cold !"
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return normalize_all([text])[0]
