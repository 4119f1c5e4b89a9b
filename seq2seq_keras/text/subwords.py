"""Subword vocabularies: a SentencePiece model trained on the training split.

A word model knows only its 10,000 or 12,000 most frequent words; everything else
is `[UNK]`. A subword model splits rare words into pieces it knows (`▁polite`
`s` `t` for "politest"), down to single bytes for a character it never saw
(SentencePiece's byte fallback), so no input is unknown and no output is `[UNK]`.

The SentencePiece model is trained here with the `sentencepiece` package (unigram
language model, seeded), with the ids of this package's special tokens (0 padding,
1 `[UNK]`, 2 `[START]`, 3 `[END]`), so that its ids are the model's ids with no
table in between, in Python and in a TensorFlow graph alike
(`tensorflow_text.SentencepieceTokenizer` reads the same serialized model). Its
normalization is the identity: text comes to it already normalized by
`text.normalize`, and the French it writes back keeps the corpus' characters.
"""

from __future__ import annotations

import io
import re

__all__ = ["train_sentencepiece", "SentencePiece"]

# SentencePiece's names for the four special ids; `Vocabulary` shows them as
# `text.PAD`, `UNK`, `START`, `END`.
_SPECIAL_PIECES = ("[PAD]", "[UNK]", "[START]", "[END]")
# The 256 byte pieces of the byte fallback come right after the special ids.
_BYTE_PIECES = 256


def train_sentencepiece(texts, vocab_size: int, seed: int = 1337,
                        model_type: str = "unigram") -> bytes:
    """Train a SentencePiece model on sentences; return it serialized.

    Args:
        texts: an iterable of normalized sentences (the training split's side).
        vocab_size: number of ids, the 4 special ids and 256 byte pieces included.
        seed: seed of SentencePiece's random generator.
        model_type: `"unigram"` or `"bpe"`.

    Raises:
        ValueError: no sentence to train on, a vocabulary size the data cannot fill
            or too small for the byte pieces, or a sentence the trainer refuses
            (named).
    """
    import sentencepiece as spm

    minimum = len(_SPECIAL_PIECES) + _BYTE_PIECES + 1
    if not isinstance(vocab_size, int) or vocab_size < minimum:
        raise ValueError(f"a subword vocabulary needs at least {minimum} ids (4 special "
                         f"tokens, 256 bytes, one piece), got vocab_size={vocab_size!r}")
    if model_type not in ("unigram", "bpe"):
        raise ValueError(f"model_type must be 'unigram' or 'bpe', got {model_type!r}")
    sentences = []
    for number, text in enumerate(texts, 1):
        if "\0" in text:
            raise ValueError(f"training sentence {number} holds a NUL character, which "
                             f"SentencePiece cannot take: {text!r}")
        if text:
            sentences.append(text)
    if not sentences:
        raise ValueError("no training sentences for the SentencePiece model (empty "
                         "training split)")
    spm.set_random_generator_seed(seed)
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences), model_writer=model, vocab_size=vocab_size,
            model_type=model_type, pad_id=0, unk_id=1, bos_id=2, eos_id=3,
            pad_piece=_SPECIAL_PIECES[0], unk_piece=_SPECIAL_PIECES[1],
            bos_piece=_SPECIAL_PIECES[2], eos_piece=_SPECIAL_PIECES[3],
            byte_fallback=True, character_coverage=1.0,
            normalization_rule_name="identity", num_threads=1, minloglevel=2,
            # Keep every sentence (the default samples 1M) and every length.
            input_sentence_size=0, max_sentence_length=1 << 16)
    except RuntimeError as error:
        if "Vocabulary size too high" in str(error):
            raise ValueError(f"vocab_size={vocab_size} is larger than these "
                             f"{len(sentences)} training sentences allow ({error})") from None
        if "smaller than required_chars" in str(error):
            characters = len(set().union(*map(set, sentences)))
            raise ValueError(f"vocab_size={vocab_size} is too small: these training "
                             f"sentences hold {characters} distinct characters, and "
                             "every one needs a piece besides the 4 special ids") from None
        raise ValueError(f"SentencePiece training failed (vocab_size={vocab_size}): "
                         f"{error}") from None
    return model.getvalue()


class SentencePiece:
    """A loaded SentencePiece model: pieces, ids and the text they join to."""

    def __init__(self, model: bytes):
        try:
            import sentencepiece as spm
        except ImportError:
            raise ValueError("a subword model needs the sentencepiece package, which is not "
                             "installed: pip install sentencepiece") from None

        self.model = bytes(model)
        self._processor = spm.SentencePieceProcessor(model_proto=self.model)
        pieces = [self._processor.id_to_piece(i)
                  for i in range(self._processor.get_piece_size())]
        if tuple(pieces[:4]) != _SPECIAL_PIECES:
            raise ValueError("this SentencePiece model was not trained with the package's "
                             f"special ids (0-3 must be {list(_SPECIAL_PIECES)}, got "
                             f"{pieces[:4]})")
        # The regular pieces (bytes included), as `Vocabulary` lists its tokens.
        self.pieces = pieces[4:]

    def encode(self, text: str) -> list[int]:
        return self._processor.encode(text)

    def tokenize(self, text: str) -> list[str]:
        return self._processor.encode(text, out_type=str)

    def join(self, pieces) -> str:
        """SentencePiece's text of `pieces`, with one space between words: a lone `▁`
        piece (which a model may write before a word) adds no second space (the
        export's `Serving.decode` does the same in the graph)."""
        text = self._processor.decode_pieces(list(pieces))
        return re.sub(" {2,}", " ", text).strip(" ")
