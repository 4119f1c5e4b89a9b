"""Vocabularies: text <-> integer ids, at character, word or subword level.

Index 0 is padding (never a real token, so masks are simply `ids != 0`), then the
special tokens `[UNK]`, `[START]` and `[END]`, then the tokens of the training text
by decreasing frequency (at subword level: the SentencePiece model's pieces, see
`text.subwords`, whose ids follow the same layout). The blog example uses `"\\t"` and
`"\\n"` as start and end characters; named special tokens cannot collide with
characters of the corpus.
"""

from __future__ import annotations

import base64
import collections
import re

import numpy as np
import tensorflow as tf

__all__ = ["Vocabulary", "pad_ids", "output_ids", "written", "detokenize_words", "tf_tokenize",
           "tf_detokenize", "PAD", "UNK", "START", "END", "PAD_ID", "UNK_ID", "START_ID", "END_ID",
           "LEVELS"]

LEVELS = ("char", "word", "subword")

PAD, UNK, START, END = "", "[UNK]", "[START]", "[END]"
_SPECIALS = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = range(4)

# Word level: the token [UNK] (so that a decoded "[UNK]" encodes back to one id), a
# run of letters/digits (with inner hyphens or dots, as in "peut-être" or "U.S."),
# keeping an apostrophe that ends it ("j'" + "ai", "aujourd'" + "hui": detokenizing
# joins them again), or any single other non-space character (punctuation).
# Written once, for Python's `re` and for RE2 (TensorFlow's, whose \w is ASCII only,
# so there a word character is spelled out: a letter, a digit or "_").
_WORD_PATTERN = r"\[UNK\]|{w}+(?:[-.]{w}+)*'?|[^{inner}\s]"
_WORD = re.compile(_WORD_PATTERN.format(w=r"\w", inner=r"\w"), re.UNICODE)
_TF_WORD = "(" + _WORD_PATTERN.format(w=r"[\pL\pN_]", inner=r"\pL\pN_") + ")"
# French writes « guillemets » with spaces inside, and a space before ? ! : ;
_NO_SPACE_BEFORE = {".", ",", ")", "]", "}", "%", "…"}
_NO_SPACE_AFTER = {"(", "[", "{", "¿", "¡"}


class Vocabulary:
    """A token <-> id mapping at character, word or subword level.

    Args:
        tokens: the regular tokens (no special tokens), most frequent first; at
            subword level `None`: they are the SentencePiece model's pieces.
        level: `"char"`, `"word"` or `"subword"`.
        sentencepiece: at subword level, the serialized SentencePiece model (see
            `text.subwords.train_sentencepiece`).

    Examples:
        >>> vocab = Vocabulary.build(["Hi.", "Run!"], level="char")
        >>> vocab.decode(vocab.encode("Hi!"))
        'Hi!'
    """

    def __init__(self, tokens, level="char", sentencepiece: bytes | None = None):
        if level not in LEVELS:
            raise ValueError(f"level must be one of {list(LEVELS)}, got level={level!r}")
        self._pieces = None
        if level == "subword":
            if sentencepiece is None:
                raise ValueError("a subword Vocabulary needs its SentencePiece model")
            from seq2seq_keras.text.subwords import SentencePiece

            self._pieces = SentencePiece(sentencepiece)
            tokens = self._pieces.pieces
        tokens = list(tokens)
        clash = [t for t in tokens if t in _SPECIALS]
        if clash:
            raise ValueError(f"tokens must not include the special tokens, got {clash[:5]}")
        twice = [t for t, count in collections.Counter(tokens).items() if count > 1]
        if twice:
            raise ValueError(f"a vocabulary lists each token once; {len(twice)} are listed "
                             f"more than once, first {twice[:5]}")
        self.level = level
        self.tokens = list(_SPECIALS) + tokens
        self._index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts, level="char", max_tokens=None, min_count=1, seed=1337):
        """Build a vocabulary from training text.

        Args:
            texts: an iterable of sentences.
            level: `"char"`, `"word"` or `"subword"`.
            max_tokens: keep at most this many tokens, special tokens included
                (`None`: no limit). Rarer tokens become `[UNK]`. At subword level:
                the number of SentencePiece ids (required).
            min_count: drop tokens seen fewer times than this (they become `[UNK]`,
                which then also appears in training, so the model learns it). Not
                used at subword level.
            seed: the SentencePiece trainer's seed (subword level).

        Returns:
            A `Vocabulary`.
        """
        if max_tokens is not None and max_tokens <= len(_SPECIALS):
            raise ValueError(
                f"max_tokens must be greater than {len(_SPECIALS)} (the special tokens), "
                f"got max_tokens={max_tokens}"
            )
        if level == "subword":
            if max_tokens is None:
                raise ValueError("a subword vocabulary needs its size: max_tokens=None")
            from seq2seq_keras.text.subwords import train_sentencepiece

            return cls(None, level, train_sentencepiece(texts, max_tokens, seed=seed))
        counts = collections.Counter()
        tokenize = cls._tokenizer(level)
        for text in texts:
            counts.update(tokenize(text))
        # Most frequent first; ties broken by the token so that the order is stable.
        ranked = sorted((t for t, c in counts.items() if c >= min_count),
                        key=lambda t: (-counts[t], t))
        if max_tokens is not None:
            ranked = ranked[: max_tokens - len(_SPECIALS)]
        return cls(ranked, level=level)

    @staticmethod
    def _tokenizer(level):
        if level == "char":
            return list
        return _WORD.findall

    def tokenize(self, text: str) -> list[str]:
        """Split a (normalized) sentence into tokens."""
        if self._pieces is not None:
            return self._pieces.tokenize(text)
        return self._tokenizer(self.level)(text)

    def readable_characters(self) -> list[str] | None:
        """At subword level, the characters of the pieces (other than `▁`): what the
        model reads as text, where any other character is spelled in bytes, which the
        training text rarely held (`text.sentences.tf_drop_unreadable`). `None` at the other
        levels, whose unknown characters or words become `[UNK]`."""
        if self.level != "subword":
            return None
        return sorted({c for t in self.tokens[len(_SPECIALS):]
                       if not re.fullmatch(r"<0x[0-9A-F]{2}>", t)
                       for c in t.replace("\u2581", "")})

    def whole_words(self) -> list[str]:
        """The words that are one token as written (at subword level, the pieces that
        open a word: `▁Tom` gives `Tom`); `[]` at char level. `text.sentences.tidy_typing`
        restores a name from them."""
        if self.level == "char":
            return []
        if self.level == "subword":
            return [t[1:] for t in self.tokens if t.startswith("\u2581") and len(t) > 1]
        return self.tokens[len(_SPECIALS):]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        """Whether `token` has an id of its own (special tokens included)."""
        return token in self._index

    @property
    def size(self) -> int:
        """Number of ids, padding and special tokens included."""
        return len(self.tokens)

    def encode(self, text: str, add_start_end: bool = False) -> list[int]:
        """Ids of a sentence; unknown tokens map to `[UNK]` (id 1), never an error.

        Args:
            text: the sentence, normalized (see `text.normalize`).
            add_start_end: wrap the ids in `[START]` ... `[END]` (decoder side).
        """
        ids = (self._pieces.encode(text) if self._pieces is not None
               else self.token_ids(self.tokenize(text)))
        if add_start_end:
            ids = [START_ID, *ids, END_ID]
        return ids

    def token_ids(self, tokens) -> list[int]:
        """Ids of tokens already split; unknown tokens map to `[UNK]` (id 1)."""
        return [self._index.get(token, UNK_ID) for token in tokens]

    def decode(self, ids) -> str:
        """Text of a sequence of ids: stops at `[END]`, skips padding and `[START]`.

        `[UNK]` is written as `[UNK]` at word level and as U+FFFD `�` (the Unicode
        replacement character, never confused with a real `?`) at character level. A
        subword model never needs it (byte pieces spell any character): an `[UNK]` it
        writes is left out.
        """
        return self.join(self.decode_tokens(ids))

    def decode_tokens(self, ids) -> list[str]:
        """The tokens that `decode` joins, one per id before `[END]` (minus padding)."""
        tokens = []
        for i in output_ids(ids):
            if i == UNK_ID and self._pieces is not None:
                continue
            token = self.tokens[i] if 0 <= i < len(self.tokens) else UNK
            if token == UNK and self.level == "char":
                token = "\ufffd"
            tokens.append(token)
        return tokens

    def join(self, tokens) -> str:
        """Text of tokens: concatenated characters, `detokenize_words`, or the pieces
        joined by SentencePiece (`▁` starts a word, byte pieces become characters)."""
        if self._pieces is not None:
            return self._pieces.join(tokens)
        if self.level == "char":
            return "".join(tokens)
        return detokenize_words(tokens)

    @property
    def sentencepiece(self) -> bytes | None:
        """The serialized SentencePiece model (subword level), else `None`."""
        return None if self._pieces is None else self._pieces.model

    def get_config(self) -> dict:
        if self._pieces is not None:
            return {"level": self.level,
                    "sentencepiece": base64.b64encode(self._pieces.model).decode("ascii")}
        return {"level": self.level, "tokens": self.tokens[len(_SPECIALS):]}

    @classmethod
    def from_config(cls, config: dict) -> Vocabulary:
        if config["level"] == "subword":
            return cls(None, "subword", base64.b64decode(config["sentencepiece"]))
        return cls(config["tokens"], level=config["level"])

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and (
            self.level, self.tokens, self.sentencepiece) == (
            other.level, other.tokens, other.sentencepiece)

    def __repr__(self):
        return f"Vocabulary(level={self.level!r}, size={self.size})"


def pad_ids(rows) -> np.ndarray:
    """Lists of ids as one int32 batch `(len(rows), longest)`, right-padded with 0 (no
    rows: `(0, 1)`)."""
    array = np.full((len(rows), max((len(r) for r in rows), default=1)), PAD_ID, np.int32)
    for i, row in enumerate(rows):
        array[i, : len(row)] = row
    return array


def output_ids(ids) -> list[int]:
    """Decoded ids up to `[END]`, without padding or `[START]` (`None`: none)."""
    found = []
    for i in [] if ids is None else ids:
        if int(i) == END_ID:
            break
        if int(i) not in (PAD_ID, START_ID):
            found.append(int(i))
    return found


def detokenize_words(tokens: list[str]) -> str:
    """Join word tokens: no space before `.`/`,`/closing brackets, none after an elision.

    French `?`, `!`, `:` and `;` keep the space before them that the corpus writes.
    """
    out = ""
    for token in tokens:
        if out and not (token in _NO_SPACE_BEFORE or out.endswith("'")
                        or out[-1] in _NO_SPACE_AFTER):
            out += " "
        out += token
    return out


def written(outputs):
    """`(batch, time)` output ids -> whether each is a token of the text: before the
    first `[END]`, not padding nor `[START]`: `output_ids` as a graph op."""
    outputs = tf.convert_to_tensor(outputs)
    before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(outputs, END_ID), tf.int32), axis=1), 0)
    return before_end & tf.not_equal(outputs, PAD_ID) & tf.not_equal(outputs, START_ID)


def tf_tokenize(text, level):
    """Normalized `(batch,)` strings -> ragged `(batch, tokens)` strings."""
    if level == "char":
        return tf.strings.unicode_split(text, "UTF-8")
    # Surround every token with spaces, then split on whitespace: the same tokens as
    # `re.findall` with the vocabulary's word pattern.
    return tf.strings.split(tf.strings.regex_replace(text, _TF_WORD, r" \1 "))


def tf_detokenize(tokens, level):
    """Ragged `(batch, tokens)` strings -> `(batch,)` sentences (`detokenize_words`)."""
    if level == "char":
        return tf.strings.reduce_join(tokens, axis=-1)
    text = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
    text = tf.strings.regex_replace(text, f" ({_one_of(_NO_SPACE_BEFORE)})", r"\1")
    return tf.strings.regex_replace(text, f"({_one_of(_NO_SPACE_AFTER | {chr(39)})}) ", r"\1")


def _one_of(characters) -> str:
    """An RE2 character class of `characters`."""
    return "[" + "".join("\\" + c if c in "]\\^-[" else c for c in sorted(characters)) + "]"
