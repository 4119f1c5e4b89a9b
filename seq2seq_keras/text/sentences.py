"""How people type, undone, and a paragraph split into sentences, as TF string ops.

`tf_tidy_typing`, `tf_split_sentences` and `tf_end_sentence` work on `(batch,)`
strings, so that `Translator.translate` and the export cut and tidy text alike;
`tidy_typing`, `split_sentences` and `end_sentence` are their wrappers for one Python
string. RE2 has no look-around: the patterns consume the context they check and mark
places with private-use characters. The rules: docs/input_rules.md.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["split_sentences", "join_sentences", "tidy_typing", "end_sentence", "known_words",
           "tf_drop_unreadable", "tf_tidy_typing", "tf_split_sentences", "tf_end_sentence",
           "tf_sentences", "tf_join_sentences", "letter_runs", "ABBREVIATIONS", "QUESTION_WORDS"]

ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "mt", "vs"})

# Words that open a question: a typed sentence that starts with one and has no final
# mark gets "?".
QUESTION_WORDS = frozenset("""
who whom whose what which where when why how is are am was were do does did can could
will would shall should may might must have has had isn't aren't wasn't weren't don't
doesn't didn't can't couldn't won't wouldn't shouldn't haven't hasn't hadn't
""".split())

# Private-use characters that mark places between the steps (never typed text: the
# markers are removed before a step returns).
_CAPITAL = "\ue000"   # upper-case the next character
_CUT = "\ue001"       # a sentence ends here
_DOT = "\ue002"       # a "." that does not end a sentence (an abbreviation)
_PIECE = "\ue003"     # between a run of letters and the rest
_DROP = "\ue004"      # a character the model never read
_MARKERS = "[\ue000-\ue004]"

_LONE_I = r"(^|[^\pL\pN_'])i($|[\s',!?;:…]|\.$|\.[^\pL])"
_SENTENCE_START = r"(^|[.!?…][\"'»)\]]*\s+)([\"'«(\[¿¡]*)(\p{Ll}+)([^\pL]|$)"
_ABBREVIATION = (r"(^|[\s\"'«“‘(\[¿¡])((?i:" + "|".join(sorted(ABBREVIATIONS)) +
                 r")|\pL[\pL.]*\.\pL+|\p{Lu})\.(\s)")
_END = r"([.!?…]+[\"'»”’)\]]*)(\s+[\"'«“‘(\[¿¡]*\p{Lu})"
_ENDED = r".*[.!?…][\"'»)\]]*"


def _upper(text):
    return tf.strings.upper(text, encoding="utf-8")


def _lower(text):
    return tf.strings.lower(text, encoding="utf-8")


def _capitalize(words):
    """Each string with its first character upper-cased (the rest as it is)."""
    safe = tf.where(tf.equal(words, ""), "x", words)  # substr needs a first character
    length = tf.strings.length(safe, unit="UTF8_CHAR")
    first = tf.strings.substr(safe, tf.zeros_like(length), tf.ones_like(length),
                              unit="UTF8_CHAR")
    rest = tf.strings.substr(safe, tf.ones_like(length), length, unit="UTF8_CHAR")
    return tf.where(tf.equal(words, ""), words, _upper(first) + rest)


def _replace_twice(text, pattern, rewrite):
    # A match consumes the context it checks, so of two matches side by side the
    # second is missed once; a second pass finds it (the first no longer matches).
    for _ in range(2):
        text = tf.strings.regex_replace(text, pattern, rewrite)
    return text


def known_words(words) -> tf.lookup.StaticHashTable:
    """A table of the words a model knows whole, for the name rule of `tf_tidy_typing`
    (or of the characters it reads, for `tf_drop_unreadable`): 1 for a string in
    `words`, 0 for any other."""
    words = sorted(set(words)) or [_MARKERS]  # a key no text holds
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(words, tf.string), tf.ones([len(words)], tf.int32)), default_value=0)


def letter_runs(text, pattern: str = r"\pL+"):
    """`(batch,)` strings -> ragged `(batch, pieces)`: each cut into runs of letters
    (`\\pL+`, or what `pattern` matches) and the text between them, which
    `reduce_join` puts back together."""
    return tf.strings.split(tf.strings.regex_replace(
        text, f"({pattern})", _PIECE + r"\1" + _PIECE), _PIECE)


def tf_tidy_typing(text, known=None, names=None):
    """`tidy_typing` on `(batch,)` normalized strings.

    Args:
        text: a string tensor.
        known: `known_words(...)` of the model's vocabulary, or `None` (no name rule).
        names: `known_words(...)` of the training sources' lower-cased words, or `None`
            (a line typed without capitals keeps its unknown words as they are).
    """
    text = tf.strings.regex_replace(text, _MARKERS, "")
    chars = tf.strings.unicode_split(text, "UTF-8")
    capitals = tf.reduce_sum(tf.cast(tf.not_equal(chars, _lower(chars)), tf.int32), axis=-1)
    smalls = tf.reduce_sum(tf.cast(tf.not_equal(chars, _upper(chars)), tf.int32), axis=-1)
    shouted = (capitals >= 2) & (smalls == 0)
    caseless = shouted | (capitals == 0)  # a line whose case says nothing of names
    text = tf.where(shouted, _lower(text), text)
    text = _replace_twice(text, _LONE_I, r"\1I\2")
    # Mark each sentence start in lower case, then upper-case the character after
    # each mark (every piece of the split but a row's first).
    text = _replace_twice(text, _SENTENCE_START, r"\1\2" + _CAPITAL + r"\3\4")
    parts = tf.strings.split(text, _CAPITAL)
    values = parts.flat_values
    first = tf.equal(tf.range(tf.size(values, tf.int64)),
                     tf.gather(parts.row_starts(), parts.value_rowids()))
    text = tf.strings.reduce_join(
        parts.with_flat_values(tf.where(first, values, _capitalize(values))), axis=-1)
    if known is None:
        return text
    # Cut the text into runs of letters and the rest; restore the names.
    pieces = letter_runs(text)
    words = pieces.flat_values
    capitalized = _capitalize(words)
    small = (tf.strings.regex_full_match(words, r"\pL+")
             & tf.equal(words, _lower(words)) & tf.not_equal(words, _upper(words)))
    restore = small & tf.equal(known.lookup(words), 0) & tf.equal(known.lookup(capitalized), 1)
    if names is not None:
        restore |= (small & tf.gather(caseless, pieces.value_rowids())
                    & tf.equal(names.lookup(words), 0))
    return tf.strings.reduce_join(
        pieces.with_flat_values(tf.where(restore, capitalized, words)), axis=-1)


def tf_drop_unreadable(text, readable):
    """`(batch,)` strings without the characters a model never read (an emoji, a word
    in another script): those not in the `known_words(...)` table `readable`, other than
    Latin letters and whitespace. Each goes with the spaces before it: `I am cold 😀.`
    gives `I am cold.`"""
    chars = tf.strings.unicode_split(text, "UTF-8")
    values = chars.flat_values
    keep = (tf.equal(readable.lookup(values), 1)
            | tf.strings.regex_full_match(values, r"[\s\p{Latin}]"))
    text = tf.strings.reduce_join(chars.with_flat_values(
        tf.where(keep, values, _DROP)), axis=-1)
    text = tf.strings.regex_replace(text, rf"\s*(?:{_DROP}\s*)+([.,!?…;:])", r"\1")
    text = tf.strings.regex_replace(text, rf"\s*(?:{_DROP}\s*)+", " ")
    return tf.strings.strip(text)


def tf_split_sentences(text):
    """`split_sentences` on `(batch,)` strings: a ragged `(batch, sentences)` tensor."""
    text = tf.strings.regex_replace(text, _MARKERS, "")
    # Protect the "." of abbreviations (but not of a lone "I."), cut after each other
    # sentence end, then put the protected dots back.
    text = _replace_twice(text, _ABBREVIATION, r"\1\2" + _DOT + r"\3")
    text = tf.strings.regex_replace(text, r"(^|[\s\"'«“‘(\[¿¡])I" + _DOT, r"\1I.")
    text = tf.strings.regex_replace(text, _END, r"\1" + _CUT + r"\2")
    sentences = tf.strings.split(tf.strings.regex_replace(text, _DOT, "."), _CUT)
    sentences = sentences.with_flat_values(tf.strings.strip(sentences.flat_values))
    return tf.ragged.boolean_mask(sentences, tf.not_equal(sentences, ""))


def tf_end_sentence(sentences):
    """`end_sentence` on a string tensor of any shape."""
    first = tf.strings.split(sentences, maxsplit=1)
    first = tf.strings.reduce_join(first[..., :1], axis=-1)
    first = tf.strings.regex_replace(_lower(first), r"^[\"'«¿¡(]+|[\"'«¿¡(]+$", "")
    question = tf.reduce_any(tf.equal(tf.expand_dims(first, -1),
                                      tf.constant(sorted(QUESTION_WORDS))), axis=-1)
    ended = tf.equal(sentences, "") | tf.strings.regex_full_match(sentences, _ENDED)
    return tf.where(ended, sentences, sentences + tf.where(question, "?", "."))


def tf_sentences(text, known=None, readable=None, names=None):
    """The sentences `Translator.translate` translates for `(batch,)` normalized strings:
    without the characters the model never read (with a `readable` table: see
    `tf_drop_unreadable`), typing tidied (`known`, `names`: see `tf_tidy_typing`), split, and
    without their final marks (to check their length as typed) and with them: two
    ragged `(batch, sentences)` tensors."""
    if readable is not None:
        text = tf_drop_unreadable(text, readable)
    typed = tf_split_sentences(tf_tidy_typing(text, known, names))
    return typed, typed.with_flat_values(tf_end_sentence(typed.flat_values))


def tf_join_sentences(translations):
    """`join_sentences` on a ragged `(batch, sentences)` tensor: `(batch,)` strings."""
    kept = tf.ragged.boolean_mask(translations, tf.not_equal(translations, ""))
    return tf.strings.reduce_join(kept, axis=-1, separator=" ")


def _one(function, text, *args):
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return function(tf.constant([text]), *args)[0]


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences by the rule in the module docstring.

    Args:
        text: a line of text (any length; spaces inside it are kept).

    Returns:
        The sentences, stripped, in order; `[]` for empty or whitespace-only text.
        Joined with single spaces, they give `text` with its whitespace between
        sentences collapsed.

    Examples:
        >>> split_sentences("Tom is tired. He wants to sleep. Let him rest.")
        ['Tom is tired.', 'He wants to sleep.', 'Let him rest.']
        >>> split_sentences("Mr. Smith arrived. Hello!")
        ['Mr. Smith arrived.', 'Hello!']
    """
    return [s.decode() for s in _one(tf_split_sentences, text).numpy()]


def join_sentences(translations) -> str:
    """Join the translations of a paragraph's sentences with single spaces.

    Empty translations (a sentence of unknown symbols only, for example) add nothing.
    """
    return " ".join(t for t in translations if t)


def tidy_typing(text: str, known=None, names=None) -> str:
    """Undo capitals, a lower-case `i` and lower-case sentence starts (module docstring).

    Args:
        text: a line, normalized.
        known: the words the model's vocabulary has whole (an iterable of strings, or
            a `known_words` table); with them, an unknown word in lower case whose
            capitalized form is known is capitalized (`tom` -> `Tom`). `None`: no such
            step.
        names: with `known`, the training sources' lower-cased words (likewise): in a
            line typed without capitals or in capitals, a word they lack is capitalized.

    Examples:
        >>> tidy_typing("I AM COLD. WHERE IS TOM")
        'I am cold. Where is tom'
        >>> tidy_typing("where is tom", known={"Tom", "is", "where"})
        'Where is Tom'
        >>> tidy_typing("I MET SVETLANA", known={"I", "met"}, names={"i", "met"})
        'I met Svetlana'
    """
    known, names = (t if t is None or isinstance(t, tf.lookup.StaticHashTable)
                    else known_words(t) for t in (known, names))
    return _one(tf_tidy_typing, text, known, names).numpy().decode()


def end_sentence(sentence: str) -> str:
    """`sentence` with a final `?` (after a question word) or `.` if it has no final mark.

    >>> end_sentence("Where is the station")
    'Where is the station?'
    >>> end_sentence("Go!")
    'Go!'
    """
    return _one(tf_end_sentence, sentence).numpy().decode()
