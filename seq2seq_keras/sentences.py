"""Splitting a paragraph into sentences, and joining their translations.

The models are trained on the corpus' single sentences: given three at once they
translate the first two and lose the third. `Translator.translate` therefore splits
each input string with `split_sentences`, translates the sentences as one batch and
joins their translations with a space (`join_sentences`): one string in, one out.

The rule: a sentence ends after `.`, `!`, `?` or `…` (or a run of them, such as
`?!` or `...`), with any closing quotes or brackets, when whitespace and then a
capital letter follow (after optional opening quotes or brackets: `"`, `«`, `(`,
`¿`, `¡`), or at the end of the text. A `.` does not end a sentence after

* a known abbreviation: `Mr.`, `Mrs.`, `Ms.`, `Dr.`, `Prof.`, `St.`, `Jr.`, `Sr.`,
  `Mt.`, `vs.` (any case);
* a single capital letter other than `I`, an initial (`J. K. Rowling`);
* a word with a dot inside (`e.g.`, `i.e.`, `U.S.`, `a.m.`).

So `I met Mr. Smith. He was kind.` is two sentences, `It's 5 p.m. Let's go.` is
one (kept whole; the model still translates it), and lower-case text (`i'm here.
i'm tired.`) is one sentence: the rule needs the capital to be sure.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "join_sentences", "ABBREVIATIONS"]

ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "mt", "vs"})

# A candidate end: the terminators and closing marks, then the whitespace before the
# next sentence, which must open (after opening marks) with a letter: a capital, as
# `split_sentences` checks (`re` has no class for upper-case letters).
_END = re.compile(r"""[.!?…]+["'»”’)\]]*(?=(\s+)["'«“‘(\[¿¡]*([^\W\d_]))""")
# The word just before a final ".": letters and inner dots.
_LAST_WORD = re.compile(r"([^\W\d_](?:[^\W\d_]|\.)*)\.$")


def _is_abbreviation(text_before_dot: str) -> bool:
    """Whether the `.` that ends `text_before_dot + "."` belongs to an abbreviation."""
    match = _LAST_WORD.search(text_before_dot + ".")
    if match is None:
        return False
    word = match.group(1)
    if match.start() > 0 and not text_before_dot[match.start() - 1].isspace() \
            and text_before_dot[match.start() - 1] not in "\"'«“‘([¿¡":
        return False  # part of a longer token ("x2.", "'s.")
    return (word.lower() in ABBREVIATIONS or "." in word
            or (len(word) == 1 and word.isupper() and word != "I"))


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences by the rule in the module docstring.

    Args:
        text: a line of text (any length; spaces inside it are kept).

    Returns:
        The sentences, stripped, in order; `[]` for empty or whitespace-only text.
        Joined with single spaces, they give `text` with its whitespace between
        sentences collapsed.

    Example:

    >>> split_sentences("Tom is tired. He wants to sleep. Let him rest.")
    ['Tom is tired.', 'He wants to sleep.', 'Let him rest.']
    >>> split_sentences("Mr. Smith arrived. Hello!")
    ['Mr. Smith arrived.', 'Hello!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    sentences, start = [], 0
    for match in _END.finditer(text):
        if not match.group(2).isupper():
            continue
        if match.group(0) == "." and _is_abbreviation(text[start:match.start()]):
            continue
        sentence = text[start:match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def join_sentences(translations) -> str:
    """Join the translations of a paragraph's sentences with single spaces.

    Empty translations (a sentence of unknown symbols only, for example) add nothing.
    """
    return " ".join(t for t in translations if t)
