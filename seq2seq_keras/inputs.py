"""The input rules: what `Translator.translate` does to text before the model sees it.

For `translate` and `sample` (a string, or a list of strings; anything else is a
`TypeError`):

* the way people type is undone first (`sentences.tidy_typing`): a line in capitals
  is lower-cased, `i` becomes `I`, sentences start with a capital, an unknown word
  whose capitalized form the model knows is capitalized, and a sentence without a
  final mark gets `?` (after a question word) or `.`;
* each string is split into sentences (`sentences.split_sentences`: `.`, `!`, `?`
  or `…` before a capital letter or the end; `Mr.`, `e.g.` and initials kept),
  translated in one batch, and the translations joined with spaces: one string out
  per string in;
* each sentence is normalized as the corpus was (`data.normalize`);
* an empty or whitespace-only string translates to `""`;
* unknown characters or words become `[UNK]` (never a `KeyError`; a subword model
  spells them with byte pieces);
* a sentence of more than `config.max_source_length` tokens, longer than any the
  model has seen, is still translated (the encoder is recurrent and takes any
  length), with a `LongSentenceWarning`; its output limit grows in proportion
  (`search.Searcher.output_limit`). Quality falls with length past that point;
* a sentence of more than `MAX_SENTENCE_CHARACTERS` characters raises
  `SentenceTooLongError`.

`translate_n_best`, `attention` and `translate_reference` take one sentence as it
is (no tidying, no splitting), as does `translate(..., split_sentences=False)`.
"""

from __future__ import annotations

import dataclasses
import warnings

from .data import normalize
from .sentences import end_sentence, join_sentences, split_sentences, tidy_typing
from .text import Vocabulary

__all__ = ["MAX_SENTENCE_CHARACTERS", "SentenceTooLongError", "LongSentenceWarning",
           "as_texts", "SourceText", "Inputs"]

# The hard limit on one sentence (after paragraph splitting), which protects memory:
# the encoder keeps an output per source token, for every sentence of a batch and
# every beam. A sentence of 10,000 characters is about 2,000 words, far past anything
# the models have seen; text that long without a sentence end is not a sentence.
MAX_SENTENCE_CHARACTERS = 10_000


class SentenceTooLongError(ValueError):
    """A sentence is over `MAX_SENTENCE_CHARACTERS`: it is not translated."""


class LongSentenceWarning(UserWarning):
    """A sentence is longer than any the model was trained on; translated anyway.

    Attributes:
        index: the position of the input string that holds it, in the list given to
            `translate` (0 for a single string).
    """

    def __init__(self, message: str, index: int = 0):
        super().__init__(message)
        self.index = index


def check_length(sentence: str) -> None:
    """Raise `SentenceTooLongError` for a sentence over `MAX_SENTENCE_CHARACTERS`."""
    if len(sentence) > MAX_SENTENCE_CHARACTERS:
        raise SentenceTooLongError(
            f"a sentence of {len(sentence):,} characters is over the limit of "
            f"{MAX_SENTENCE_CHARACTERS:,} (inputs.MAX_SENTENCE_CHARACTERS) that "
            "protects memory; end its sentences with . ! or ?")


def as_texts(sentences):
    """`(whether one string was given, the strings as a list)`; `TypeError` otherwise."""
    if isinstance(sentences, str):
        return True, [sentences]
    if sentences is None or isinstance(sentences, (bytes, bytearray, dict)) or not hasattr(
            sentences, "__iter__"):
        raise TypeError("sentences must be a str or a list of str, got "
                        f"{type(sentences).__name__}")
    texts = list(sentences)
    for k, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"sentences must be a str or a list of str, got "
                            f"{type(text).__name__} at index {k}")
    return False, texts


@dataclasses.dataclass
class Inputs:
    """Input strings cut into sentences (`SourceText.inputs`).

    Attributes:
        single: whether one string was given (not a list).
        counts: how many sentences each string holds.
        sentences: all the sentences, in order.
        ids: their source ids.
    """

    single: bool
    counts: list[int]
    sentences: list[str]
    ids: list[list[int]]

    def join(self, translations):
        """The translations of `sentences` joined back: one per input string (a string
        if one string was given)."""
        translations = iter(translations)
        texts = [join_sentences([next(translations) for _ in range(n)]) for n in self.counts]
        return texts[0] if self.single else texts


class SourceText:
    """The input rules above for one model's source vocabulary and length limit."""

    def __init__(self, vocab: Vocabulary, max_source_length: int):
        self.vocab = vocab
        self.max_source_length = max_source_length

    def encode(self, sentence: str) -> list[int]:
        """Ids of one sentence as it is (normalized; no tidying, no splitting).

        Raises:
            TypeError: if `sentence` is not a string.
            SentenceTooLongError: if it is over `MAX_SENTENCE_CHARACTERS`.
        """
        if not isinstance(sentence, str):
            raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
        check_length(sentence)
        return self.vocab.encode(normalize(sentence))

    def split(self, text: str) -> list[str]:
        """The sentences of `text` that `translate(text)` translates: normalized, typing
        tidied (`sentences.tidy_typing`, with the vocabulary's whole words), split,
        each with a final mark (`sentences.end_sentence`).

        Raises:
            TypeError: if `text` is not a string.
            SentenceTooLongError: if a sentence is over `MAX_SENTENCE_CHARACTERS`.
        """
        as_texts([text])
        known = None if self.vocab.level == "char" else self.vocab.knows_word
        sentences = split_sentences(tidy_typing(normalize(text), known))
        for sentence in sentences:
            check_length(sentence)  # as typed, before its final mark is added
        return [end_sentence(sentence) for sentence in sentences]

    def fits(self, sentence: str) -> bool:
        """Whether `sentence` has at most `max_source_length` tokens."""
        try:
            return len(self.encode(sentence)) <= self.max_source_length
        except SentenceTooLongError:
            return False

    def inputs(self, sentences, split: bool = True) -> Inputs:
        """A string or a list of strings, cut into sentences (`split`) and encoded.

        Warns `LongSentenceWarning` for a sentence over `max_source_length` tokens.
        """
        single, texts = as_texts(sentences)
        found = Inputs(single, [], [], [])
        for k, text in enumerate(texts):
            parts = self.split(text) if split else [text]
            found.counts.append(len(parts))
            for part in parts:
                # `split` checked the length of each sentence as typed.
                ids = self.vocab.encode(normalize(part)) if split else self.encode(part)
                if len(ids) > self.max_source_length:
                    unit = "characters" if self.vocab.level == "char" else "tokens"
                    warnings.warn(LongSentenceWarning(
                        f"a sentence of {len(ids)} {unit} is longer than any this model "
                        f"was trained on (max_source_length={self.max_source_length}); "
                        f"translated anyway, its quality may suffer: {part[:40]!r}...", k),
                        stacklevel=3)
                found.sentences.append(part)
                found.ids.append(ids)
        return found
