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
one (kept whole; the model still translates it).

The corpus, and so the models, know only text written with care: capitals where they
belong and a final `.`, `!` or `?`. People type otherwise, and the shipped model then
fails (`i'm sick` gave `?`, `I AM COLD.` gave `J'ai AM des COLD.`). So before a line is
split, `tidy_typing` undoes the commonest ways of typing:

* a line in capitals (no lower-case letter, at least two capitals) is lower-cased;
* `i` alone (and in `i'm`, `i'll`, `i've`, `i'd`) becomes `I`;
* the first word of the line, and of each sentence after `.`, `!`, `?` or `…`, is
  capitalized if it is in lower case;
* a word-level model's vocabulary restores names: a word it does not know, whose
  capitalized form it knows (`tom`, `paris`), is capitalized;

and each sentence without a final `.`, `!`, `?` or `…` gets one (`end_sentence`): `?`
if it opens with a question word (`QUESTION_WORDS`: `where`, `do`, `can`, ...), else
`.`. Text written with care goes through unchanged.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "join_sentences", "tidy_typing", "end_sentence", "ABBREVIATIONS",
           "QUESTION_WORDS"]

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


# Words that open a question: a typed sentence that starts with one and has no final
# mark gets "?".
QUESTION_WORDS = frozenset("""
who whom whose what which where when why how is are am was were do does did can could
will would shall should may might must have has had isn't aren't wasn't weren't don't
doesn't didn't can't couldn't won't wouldn't shouldn't haven't hasn't hadn't
""".split())

# "i" alone, not the "i" of "i.e.".
_LONE_I = re.compile(r"(?<![\w'])i(?=$|[\s',!?;:…]|\.(?![^\W\d_]))")
_SENTENCE_START = re.compile(r"(^|[.!?…][\"'»)\]]*\s+)([\"'«(\[¿¡]*)([^\W\d_]+)")
_WORD_CHARS = re.compile(r"[^\W\d_]+")
_ENDED = re.compile(r"""[.!?…]["'»)\]]*$""")


def tidy_typing(text: str, known=None) -> str:
    """Undo capitals, a lower-case `i` and lower-case sentence starts (module docstring).

    Args:
        text: a line, normalized.
        known: `known(word) -> bool`, whether the model's vocabulary has a word as
            written; with it, an unknown word whose capitalized form is known is
            capitalized (`tom` -> `Tom`). `None`: no such step.

    Example:

    >>> tidy_typing("I AM COLD. WHERE IS TOM")
    'I am cold. Where is tom'
    >>> tidy_typing("where is tom", known={"Tom", "is", "where"}.__contains__)
    'Where is Tom'
    """
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) >= 2 and not any(c.islower() for c in letters):
        text = text.lower()
    text = _LONE_I.sub("I", text)
    # Only a word in lower case: "iPhone" stays as it is.
    text = _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2) + (
        m.group(3).capitalize() if m.group(3).islower() else m.group(3)), text)
    if known is not None:
        def restore(match):
            word = match.group(0)
            if word.islower() and not known(word) and known(word.capitalize()):
                return word.capitalize()
            return word
        text = _WORD_CHARS.sub(restore, text)
    return text


def end_sentence(sentence: str) -> str:
    """`sentence` with a final `?` (after a question word) or `.` if it has no final mark.

    >>> end_sentence("Where is the station")
    'Where is the station?'
    >>> end_sentence("Go!")
    'Go!'
    """
    if not sentence or _ENDED.search(sentence):
        return sentence
    first = sentence.split(maxsplit=1)[0].lower().strip("\"'«¿¡(")
    return sentence + ("?" if first in QUESTION_WORDS else ".")
