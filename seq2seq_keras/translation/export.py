"""Export a `Translator` as a TensorFlow SavedModel that maps strings to strings.

The exported graph holds everything: normalization, tokenization and vocabulary
lookup (SentencePiece for a subword model), the encoder, the model's default
decoding strategy (beam search for the shipped models) with each sentence's own
output limit, as `translate` has them, and detokenization. Serving it needs
TensorFlow and tensorflow-text only, not this package:

    import tensorflow_text  # registers the text ops the graph uses (NFC, SentencePiece)
    translate = tf.saved_model.load(path).signatures["serving_default"]
    translate(inputs=tf.constant(["I am cold."]))["outputs"]

The input rules are `Translator.translate`'s, as the same TF ops
(`text.sentences.tf_sentences`): the way people type is undone (capitals, `i`, sentence
starts, names the vocabulary knows, a missing final mark), each string is split into
sentences, their rare names carried through placeholder names (`text.placeholders`), they are
translated as one batch and their translations joined: one string out per string
in. A word-level attention model's `[UNK]` are replaced in the graph as `translate`
replaces them (`translation.repair.Repair`: the same ops, the lexicon a lookup table, the
alignment history the search keeps, beam search's hypotheses ranked again with the
drop penalty). One thing differs, because a serving graph cannot raise for one
sentence of a batch: a sentence over `MAX_SENTENCE_CHARACTERS` translates to `""` (the
other sentences of its string are kept), and a string over `MAX_TEXT_CHARACTERS` or of
more than `MAX_SENTENCES` sentences to `""` before any work, where `translate` raises
`SentenceTooLongError` or `TextTooLongError`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
import tensorflow_text

from seq2seq_keras.models.limits import output_limits
from seq2seq_keras.text.inputs import (
    MAX_SENTENCE_CHARACTERS,
    MAX_SENTENCES,
    MAX_TEXT_CHARACTERS,
    rule_tables,
)
from seq2seq_keras.text.normalize import tf_normalize
from seq2seq_keras.text.placeholders import tf_mask_names, tf_restore_names
from seq2seq_keras.text.sentences import tf_join_sentences, tf_sentences
from seq2seq_keras.text.vocabulary import PAD_ID, UNK, UNK_ID, tf_detokenize, tf_tokenize, written
from seq2seq_keras.translation.repair import penalized_ranking, wordless

__all__ = ["export_translator", "Serving"]


class Serving(tf.Module):
    """What the export runs, as a `tf.Module` over a `Translator`'s vocabularies and
    inference graphs: `translate` (strings -> strings), and its parts `encode`
    (normalized sentences -> source ids) and `decode` (output ids -> sentences)."""

    def __init__(self, translator):
        super().__init__()
        config = translator.config
        self.level = config.level
        self.max_source_length = config.max_source_length
        self.max_target_length = config.max_target_length
        self.strategy = translator.strategy
        if self.level == "subword":
            # The SentencePiece models themselves, as graph ops: the same ids and text.
            # Distinct names: the op's kernel-owned resource is found by its node
            # name, so two unnamed tokenizers share one model once loaded back.
            self.source_pieces = tensorflow_text.SentencepieceTokenizer(
                translator.source_vocab.sentencepiece, out_type=tf.int32,
                name="source_sentencepiece")
            self.target_pieces = tensorflow_text.SentencepieceTokenizer(
                translator.target_vocab.sentencepiece, out_type=tf.int32,
                name="target_sentencepiece")
        source_tokens = translator.source_vocab.tokens
        self.source_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(source_tokens), tf.range(len(source_tokens), dtype=tf.int32)),
            default_value=UNK_ID)
        target_tokens = list(translator.target_vocab.tokens)
        # As `Vocabulary.decode_tokens` writes it (a subword [UNK] is left out below).
        target_tokens[UNK_ID] = UNK if config.level == "word" else "\ufffd"
        self.target_tokens = tf.constant(target_tokens)
        self.known, self.readable = rule_tables(translator.source_vocab)
        self.name_words = translator.source.name_words  # `None`: no rare-name rule
        # The search runs over `Seq2Seq.encode` and `log_probs`. The export tracks the
        # variables its function uses; attaching the step model here as well made
        # SavedModel lose a lookup table of a Transformer's export ("untracked").
        self.encoder_model = translator.seq2seq.encoder_model
        self.seq2seq = translator.seq2seq
        # A word-level attention model replaces [UNK] as `translate` does, in the graph:
        # every hypothesis repaired, beam search's ranked again with the drop penalty.
        self.repair = translator.repair
        self.drop_penalty = getattr(self.strategy, "drop_penalty", 0.0)

    def translate(self, texts):
        # The limits before any work, as `translate` checks them: a text over
        # MAX_TEXT_CHARACTERS, or of more than MAX_SENTENCES sentences, gives "".
        fits = tf.strings.length(texts, unit="UTF8_CHAR") <= MAX_TEXT_CHARACTERS
        typed, sentences = tf_sentences(tf_normalize(tf.where(fits, texts, "")), self.known,
                                        self.readable, self.name_words)
        many = tf.repeat(sentences.row_lengths() > MAX_SENTENCES, sentences.row_lengths())
        typed = typed.with_flat_values(tf.where(many, "", typed.flat_values))
        sentences = sentences.with_flat_values(tf.where(many, "", sentences.flat_values))
        flat = sentences.flat_values
        if self.name_words is not None:
            flat, names = tf_mask_names(flat, self.name_words)
        # One more sentence, empty, so that the batch is never empty (dropped below).
        characters = tf.strings.length(tf.concat([typed.flat_values, [""]], 0),
                                       unit="UTF8_CHAR")
        translations = self.translate_sentences(tf.concat([flat, [""]], 0), characters)[:-1]
        if self.name_words is not None:
            translations = tf_restore_names(translations, names)
        return tf_join_sentences(sentences.with_flat_values(translations))

    def encode(self, text):
        """Normalized `(batch,)` sentences -> ragged `(batch, tokens)` source ids."""
        if self.level == "subword":
            return self.source_pieces.tokenize(text)
        return self.source_table.lookup(tf_tokenize(text, self.level))

    def decode(self, outputs):
        """`(batch, time)` output ids -> `(batch,)` sentences: the tokens before the
        first `[END]`, without padding and `[START]` (as `Vocabulary.decode`)."""
        keep = written(outputs)
        if self.level == "subword":  # as `Vocabulary.decode`: a subword [UNK] is left out
            keep &= tf.not_equal(outputs, UNK_ID)
            text = self.target_pieces.detokenize(tf.ragged.boolean_mask(outputs, keep))
            # one space between words, as `SentencePiece.join` (a lone `▁` piece)
            return tf.strings.regex_replace(tf.strings.regex_replace(text, " {2,}", " "),
                                            "^ | $", "")
        words = tf.ragged.boolean_mask(tf.gather(self.target_tokens, outputs), keep)
        return tf_detokenize(words, self.level)

    def translate_sentences(self, text, characters):
        """`(batch,)` sentences, and their lengths as typed -> their translations."""
        ids = self.encode(text)
        lengths = tf.cast(ids.row_lengths(), tf.int32)
        # Empty sentences and those over MAX_SENTENCE_CHARACTERS are decoded as one
        # padding token and their output replaced by "" below.
        fits = tf.logical_and(lengths > 0, characters <= MAX_SENTENCE_CHARACTERS)
        ids = ids.to_tensor(default_value=PAD_ID)
        ids = tf.where(tf.expand_dims(fits, 1), ids, tf.zeros_like(ids))
        ids = tf.pad(ids, [[0, 0], [0, tf.maximum(1 - tf.shape(ids)[1], 0)]])
        # Each sentence's own output limit, as `translate`'s searches have it.
        limits = output_limits(lengths, self.max_source_length,
                                        self.max_target_length)
        limits = tf.where(fits, limits, 1)
        longest = tf.reduce_max(tf.concat([limits, [1]], 0))
        if self.repair is None:
            outputs, _ = self.strategy.search(
                self.seq2seq.log_probs, self.seq2seq.encode(ids), longest, limits,
                best_only=True, compact=True)
            text = self.decode(outputs[:, 0])
        else:
            # The search keeps where each output token's attention looked.
            outputs, scores, alignments = self.strategy.search(
                self.seq2seq.aligned_log_probs, self.seq2seq.encode(ids), longest,
                limits, best_only=False, compact=True, aligned=True)
            text = self.repaired(tf_tokenize(text, self.level), outputs, scores, alignments)
        return tf.where(fits, text, tf.zeros_like(text))

    def repaired(self, source_tokens, outputs, scores, alignments):
        """`Translator.translate`'s `[UNK]` repair (`repair.rerank`): each of the `n`
        best hypotheses `(batch, n, time)` repaired where its own search's attention
        looked (`alignments`, alike), less `drop_penalty` per word dropped, one left
        without a word last, the best of them detokenized."""
        batch, n = tf.shape(outputs)[0], tf.shape(outputs)[1]
        flat = tf.reshape(outputs, [-1, tf.shape(outputs)[2]])
        keep = written(flat)
        tokens, drops = self.repair(
            tf.gather(source_tokens, tf.repeat(tf.range(batch), n)),
            tf.ragged.boolean_mask(tf.gather(self.target_tokens, flat), keep),
            tf.ragged.boolean_mask(tf.reshape(alignments, tf.shape(flat)), keep))
        empty = tf.reshape(wordless(tf.strings.reduce_join(tokens, axis=-1)), tf.shape(scores))
        _, order = penalized_ranking(scores, tf.reshape(drops, tf.shape(scores)),
                                     self.drop_penalty, empty)
        best = order[:, 0]
        return tf_detokenize(tf.gather(tokens, tf.range(batch) * n + best),
                             self.level)


def export_translator(translator, path: str) -> str:
    """Write `translator` as a SavedModel whose `serving_default` signature maps
    `text.inputs` (a `[None]` batch of `tf.string`) to `outputs` (French strings).

    Args:
        translator: a `Translator` (any architecture of the package).
        path: the folder to write.

    Returns:
        `path`.

    Raises:
        ValueError: if the path exists and is not an empty folder.
    """
    import os

    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise ValueError(f"{path} exists and is not an empty folder; choose a new --output")
    serving = Serving(translator)
    archive = keras.export.ExportArchive()
    # Track the serving module only: it holds the inference graphs, which share the
    # model's variables (tracking the model too would store every weight twice).
    archive.track(serving)
    archive.add_endpoint(
        "serving_default",
        lambda inputs: {"outputs": serving.translate(inputs)},
        input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    archive.write_out(path, verbose=False)
    return path
