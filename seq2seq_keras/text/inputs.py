"""The input rules of `Translator.translate`, over a model's vocabulary: typing tidied,
paragraphs split, sentences normalized and encoded, rare names and numbers carried
through placeholders, and the limits (`MAX_SENTENCE_CHARACTERS`, a warning past
`max_source_length`). The whole specification: docs/input_rules.md.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

import tensorflow as tf

from seq2seq_keras.text.normalize import normalize, normalize_all
from seq2seq_keras.text.placeholders import PLACEHOLDERS, tf_mask_names, tf_restore_names
from seq2seq_keras.text.sentences import join_sentences, known_words, tf_sentences
from seq2seq_keras.text.vocabulary import Vocabulary

__all__ = ["MAX_SENTENCE_CHARACTERS", "MAX_TEXT_CHARACTERS", "MAX_SENTENCES",
           "SentenceTooLongError", "TextTooLongError", "LongSentenceWarning", "as_texts",
           "SourceText", "Inputs"]

# The hard limit on one sentence (after paragraph splitting), which protects memory:
# the encoder keeps an output per source token, for every sentence of a batch and
# every beam. A sentence of 10,000 characters is about 2,000 words, far past anything
# the models have seen; text that long without a sentence end is not a sentence.
MAX_SENTENCE_CHARACTERS = 10_000
# The limits on one input string (a line, a paragraph), checked before any work: the
# input rules' string ops hold several copies of a text, so a 50 MB line would cost
# gigabytes before its first sentence could be refused.
MAX_TEXT_CHARACTERS = 100_000
MAX_SENTENCES = 1_000
# The input rules run on at most this many characters at once (a long list of strings
# is cut into groups), so that memory stays bounded whatever the list's length.
_CHARACTERS_PER_CALL = 200_000

# `text.placeholders.tf_restore_names` traced once: eager, its string ops cost a piped line about
# as much as the rules themselves would (see `SourceText._tf_sentences`).
_restore_names = tf.function(tf_restore_names, autograph=False, input_signature=[
    tf.TensorSpec([None], tf.string), tf.TensorSpec([None, len(PLACEHOLDERS)], tf.string)])


def _traced(rules):
    """`rules` (a `functools.partial` over a model's tables) as a `tf.function` over a
    `[None]` batch of strings, traced once. TensorFlow counts traces per Python code
    object, so closures would make several models' functions warn of "retracing"; a
    partial is its own key."""
    return tf.function(rules, input_signature=[tf.TensorSpec([None], tf.string)],
                       autograph=False)


class SentenceTooLongError(ValueError):
    """A sentence is over `MAX_SENTENCE_CHARACTERS`: it is not translated."""


class TextTooLongError(SentenceTooLongError):
    """An input string is over `MAX_TEXT_CHARACTERS` or holds more than `MAX_SENTENCES`
    sentences: it is not translated (refused before any work)."""


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
            f"{MAX_SENTENCE_CHARACTERS:,} (text.MAX_SENTENCE_CHARACTERS) that "
            "protects memory; end its sentences with . ! or ?")


def as_texts(sentences):
    """`(whether one string was given, the strings as a list)`; `TypeError` for other
    input, `ValueError` for a string that is not valid Unicode (a lone surrogate),
    `TextTooLongError` for one over `MAX_TEXT_CHARACTERS` (in constant time)."""
    single = isinstance(sentences, str)
    if single:
        texts = [sentences]
    elif sentences is None or isinstance(sentences, (bytes, bytearray, dict)) or not hasattr(
            sentences, "__iter__"):
        raise TypeError("sentences must be a str or a list of str, got "
                        f"{type(sentences).__name__}")
    else:
        texts = list(sentences)
    for k, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"sentences must be a str or a list of str, got "
                            f"{type(text).__name__} at index {k}")
        if len(text) > MAX_TEXT_CHARACTERS:
            raise TextTooLongError(
                f"a text of {len(text):,} characters is over the limit of "
                f"{MAX_TEXT_CHARACTERS:,} (text.MAX_TEXT_CHARACTERS) that protects memory; "
                "cut it into lines or paragraphs" + (f" (index {k})" if len(texts) > 1 else ""))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate, e.g. from bad decoding
            raise ValueError(f"sentences must be valid Unicode text, got {text[:40]!r} at "
                             f"index {k} ({error.reason})") from None
    return single, texts


def rule_tables(vocab: Vocabulary):
    """The tables the input rules read for `vocab`: `text.sentences.tf_sentences`'s `known`
    (whole words, for names) and `readable` (characters), `None` where a rule does not
    apply (no names at char level, no unreadable characters but at subword level)."""
    known = None if vocab.level == "char" else known_words(vocab.whole_words())
    characters = vocab.readable_characters()
    return known, None if characters is None else known_words(characters)


@dataclasses.dataclass
class Inputs:
    """Input strings cut into sentences (`SourceText.inputs`).

    Attributes:
        single: whether one string was given (not a list).
        counts: how many sentences each string holds.
        sentences: all the sentences, in order, as the model reads them (rare names
            replaced: `names`).
        ids: their source ids.
        names: per sentence, the names its placeholders stand for (`text.placeholders`), or
            `None` where no rare name was replaced.
    """

    single: bool
    counts: list[int]
    sentences: list[str]
    ids: list[list[int]]
    names: object = None

    def restore(self, translations, rows=None):
        """Translations with the rare names of their sentences put back: `rows[i]` is
        the sentence `translations[i]` translates (default: `i`)."""
        translations = list(translations)
        if self.names is None or not translations:
            return translations
        rows = range(len(translations)) if rows is None else rows
        restored = _restore_names(tf.constant(translations, tf.string),
                                  tf.gather(self.names, list(rows)))
        return [t.decode() for t in restored.numpy()]

    def join(self, translations):
        """The translations of `text.sentences`, their rare names put back, joined: one
        per input string (a string if one string was given)."""
        translations = iter(self.restore(translations))
        texts = [join_sentences([next(translations) for _ in range(n)]) for n in self.counts]
        return texts[0] if self.single else texts


class SourceText:
    """The input rules above for one model's source vocabulary and length limit."""

    def __init__(self, vocab: Vocabulary, max_source_length: int, source_words=None):
        self.vocab = vocab
        self.max_source_length = max_source_length
        self._sentences = None
        # The rare-name rule's table of the training sources' words (`text.placeholders`; not at
        # char level), `None` without them; the export reads it too.
        self.name_words = (known_words(source_words)
                           if source_words and vocab.level != "char" else None)
        self._mask = None if self.name_words is None else _traced(
            functools.partial(tf_mask_names, known=self.name_words))

    def _tf_sentences(self, texts):
        # Traced once (a batch of any size): called eagerly, the rules' few dozen
        # string ops cost about 70 ms a call, which a piped line would pay each time.
        # No AutoGraph: the rules have no Python control flow to convert.
        if self._sentences is None:
            known, readable = rule_tables(self.vocab)
            self._sentences = _traced(functools.partial(
                tf_sentences, known=known, readable=readable, names=self.name_words))
        return self._sentences(tf.constant(texts, tf.string))

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
        tidied (`text.sentences.tidy_typing`, with the vocabulary's whole words), split,
        each with a final mark (`text.sentences.end_sentence`).

        Raises:
            TypeError: if `text` is not a string.
            SentenceTooLongError: if a sentence is over `MAX_SENTENCE_CHARACTERS`.
        """
        as_texts([text])
        return self._split_all([text])[0]

    def _split_all(self, texts: list[str]) -> list[list[str]]:
        """`split` of each of `texts` (strings, checked by `as_texts`), in one call of
        the TF ops."""
        found, group, size = [], [], 0
        for text in [*texts, None]:  # None: the end, which runs the last group
            if group and (text is None or size + len(text) > _CHARACTERS_PER_CALL):
                typed, ended = self._tf_sentences(normalize_all(group))
                for row in typed.to_list():
                    if len(row) > MAX_SENTENCES:
                        raise TextTooLongError(
                            f"a text of {len(row):,} sentences is over the limit of "
                            f"{MAX_SENTENCES:,} (text.MAX_SENTENCES) that protects memory; "
                            "cut it into lines or paragraphs")
                    for sentence in row:
                        check_length(sentence.decode())  # as typed, before its final mark
                found += [[s.decode() for s in row] for row in ended.to_list()]
                group, size = [], 0
            if text is not None:
                group.append(text)
                size += len(text)
        return found

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
        if split:
            split_texts = self._split_all(texts)  # checked each sentence's length as typed
        else:
            for text in texts:
                check_length(text)
            split_texts = [[text] for text in texts]
        plain = iter(normalize_all(part for parts in split_texts for part in parts))
        for k, parts in enumerate(split_texts):
            found.counts.append(len(parts))
            for part in parts:
                ids = self.vocab.encode(next(plain))
                if len(ids) > self.max_source_length:
                    unit = "characters" if self.vocab.level == "char" else "tokens"
                    warnings.warn(LongSentenceWarning(
                        f"a sentence of {len(ids)} {unit} is longer than any this model "
                        f"was trained on (max_source_length={self.max_source_length}); "
                        f"translated anyway, its quality may suffer: {part[:40]!r}...", k),
                        stacklevel=3)
                found.sentences.append(part)
                found.ids.append(ids)
        if self._mask is not None and found.sentences:
            plain = normalize_all(found.sentences)
            masked, names = self._mask(tf.constant(plain, tf.string))
            masked = [s.decode() for s in masked.numpy()]
            found.ids = [ids if new == old else self.vocab.encode(new)
                         for ids, new, old in zip(found.ids, masked, plain, strict=True)]
            found.sentences = masked
            if masked != plain:  # else no translation has a name to put back
                found.names = names
        return found
