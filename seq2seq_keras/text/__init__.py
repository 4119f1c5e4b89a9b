"""Text: vocabularies (characters, words, SentencePiece pieces) and the input rules.

The rules are TensorFlow string ops, so that `Translator` and the exported SavedModel
run the same graph: normalization, how people type (capitals, a lower-case `i`, a
missing final mark), splitting a paragraph into sentences, and the placeholders that
carry rare names and numbers. Imports nothing else of the package but `config`.
"""

from seq2seq_keras.text.inputs import (
    MAX_SENTENCE_CHARACTERS,
    MAX_SENTENCES,
    MAX_TEXT_CHARACTERS,
    LongSentenceWarning,
    SentenceTooLongError,
    SourceText,
    TextTooLongError,
)
from seq2seq_keras.text.normalize import normalize, tf_normalize
from seq2seq_keras.text.sentences import end_sentence, split_sentences, tidy_typing
from seq2seq_keras.text.subwords import SentencePiece, train_sentencepiece
from seq2seq_keras.text.vocabulary import (
    END,
    END_ID,
    PAD,
    PAD_ID,
    START,
    START_ID,
    UNK,
    UNK_ID,
    Vocabulary,
    pad_ids,
)

__all__ = [
    "MAX_SENTENCE_CHARACTERS",
    "MAX_TEXT_CHARACTERS",
    "MAX_SENTENCES",
    "LongSentenceWarning",
    "SentenceTooLongError",
    "TextTooLongError",
    "SourceText",
    "normalize",
    "tf_normalize",
    "end_sentence",
    "split_sentences",
    "tidy_typing",
    "SentencePiece",
    "train_sentencepiece",
    "Vocabulary",
    "pad_ids",
    "PAD",
    "UNK",
    "START",
    "END",
    "PAD_ID",
    "UNK_ID",
    "START_ID",
    "END_ID",
]
