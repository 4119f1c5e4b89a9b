"""`Translator`: a trained model with its vocabularies, English in, French out.

Glue over the input rules (`text.inputs`), the searches (`searcher`), `[UNK]` repair
(`repair`) and the saved folder (`training.saving`).
"""

from __future__ import annotations

import os

import tensorflow as tf

from seq2seq_keras.config import Config, quoted
from seq2seq_keras.decoding import strategies
from seq2seq_keras.models.seq2seq import Seq2Seq
from seq2seq_keras.pretrained import NAMES, model_path
from seq2seq_keras.text.inputs import SourceText
from seq2seq_keras.text.normalize import normalize
from seq2seq_keras.text.vocabulary import END_ID, START_ID, Vocabulary, output_ids
from seq2seq_keras.training.saving import Artefact, load_artefact, save_artefact
from seq2seq_keras.translation.repair import Repair, output_texts, rerank
from seq2seq_keras.translation.searcher import Searcher

__all__ = ["Translator", "load_translator"]


class Translator:
    """A trained encoder-decoder with its vocabularies: English in, French out.

    Args:
        model: the trained training model (`models.build_training_model`).
        config: its `Config`, `max_source_length` and `max_target_length` set.
        source_vocab, target_vocab: its `Vocabulary`s.
        lexicon: `{source word: target word}` that replaces `[UNK]` (`translation.repair`;
            `training.lexicon.learn_lexicon` learns it, `train` stores it).
        strategy: the default decoding strategy (a `decoding.strategies.Strategy`, a name or
            a config; `None`: greedy). `train` and the shipped models store
            `BeamSearch()`, so `translate`, the CLI, the REPL and the export agree.
        source_words: the training sources' words, lower-cased (`text.placeholders.corpus_words`,
            which `train` stores), for the rare-name rule; `None`: names kept as they are.

    `translate` and `sample` follow the input rules of `text.inputs`.
    """

    engine = "keras"  # what runs the model (`CTranslate2Translator`: "ctranslate2")

    def __init__(self, model, config: Config, source_vocab: Vocabulary,
                 target_vocab: Vocabulary, lexicon: dict | None = None, strategy=None,
                 source_words=None):
        config.require_lengths()
        self.model, self.config, self.lexicon = model, config, dict(lexicon or {})
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.strategy = strategies.get_strategy(strategy or "greedy")
        self.seq2seq = Seq2Seq(model)  # encode / decode_step, and the blog's two models
        self.encoder_model, self.decoder_model = (self.seq2seq.encoder_model,
                                                  self.seq2seq.decoder_model)
        self.searcher = Searcher(self.seq2seq, config.max_source_length,
                                 config.max_target_length)
        self.output_limit = self.searcher.output_limit
        self.source_words = None if source_words is None else list(source_words)
        self.source = SourceText(source_vocab, config.max_source_length, self.source_words)
        # The input rules' own methods, under their usual names.
        self.encode_source, self.split, self.fits = (
            self.source.encode, self.source.split, self.source.fits)
        # The [UNK] rules over the lexicon, as graph ops (`translation.repair.Repair`), for a
        # word-level model with attention: the only kind that writes [UNK] and aligns.
        self.repair = (Repair(self.lexicon, source_vocab) if config.level == "word"
                       and config.attention is not None else None)

    def __repr__(self):
        c, sizes = self.config, f"{len(self.source_vocab)} -> {len(self.target_vocab)}"
        return (f"Translator({c.name}: {c.level} level, {c.network_summary()}, {sizes} tokens, "
                f"{self.strategy.describe()})")

    @property
    def has_attention(self) -> bool:
        """Whether `attention` draws a heat map: an LSTM with attention, a Transformer."""
        return self.config.architecture == "transformer" or self.config.attention is not None

    def resolve_strategy(self, strategy=None, beam_width: int | None = None, **options):
        """The strategy of `translate(strategy, beam_width)`
        (`decoding.strategies.resolve_strategy`)."""
        return strategies.resolve_strategy(self.strategy, strategy, beam_width, **options)

    def compiled_search(self, strategy=None, jit_compile: bool = False, best_only: bool = True):
        """The cached `tf.function` of a strategy's search (`searcher.Searcher.compiled`): by
        default the one `translate` runs, which may stop once each best is certain."""
        return self.searcher.compiled(self.resolve_strategy(strategy), jit_compile, best_only)

    @property
    def replaces_unknown(self) -> bool:
        """Whether `[UNK]` can be replaced: a word-level model with attention."""
        return self.repair is not None

    def translate_reference(self, sentence: str) -> str:
        """Translate one sentence with the blog's loop (one `predict` per token)."""
        ids = self.encode_source(sentence)
        return self.target_vocab.decode(self.searcher.reference(ids)) if ids else ""

    def translate_ids(self, batch_ids, strategy=None, batch_size: int = 64,
                      jit_compile: bool = False, beam_width: int | None = None):
        """The strategy's best output ids per list of source ids (`None` if empty)."""
        return self.searcher.best_ids(batch_ids, self.resolve_strategy(strategy, beam_width),
                                      batch_size, jit_compile)

    def translate(self, sentences, strategy=None, *, beam_width: int | None = None,
                  batch_size: int = 64, replace_unknown: bool = True,
                  jit_compile: bool = False, split_sentences: bool = True):
        """Translate a string or a list of strings (compiled, batched search).

        Args:
            sentences: a string, or a list of strings (each may hold several
                sentences: see `text.inputs`).
            strategy, beam_width: the decoding strategy (`None`: `self.strategy`) or
                a width for short (1: greedy); see `decoding.strategies.resolve_strategy`.
            batch_size: sentences decoded together.
            replace_unknown: replace or drop the `[UNK]` words of a word-level
                attention model (`seq2seq_keras.unknown`); with beam search, the
                best of `translate_n_best`. `False` shows the model's own output.
            jit_compile: compile the search with XLA (same results; see `bench`).
            split_sentences: `False`: each string is one sentence.

        Returns a string for a string, a list for a list; `TypeError` for other input,
        `SentenceTooLongError` for a sentence over `MAX_SENTENCE_CHARACTERS`."""
        strategy = self.resolve_strategy(strategy, beam_width)
        inputs = self.source.inputs(sentences, split_sentences)
        repair = self._repair(replace_unknown)
        if isinstance(strategy, strategies.BeamSearch) and repair is not None:
            n_best = self._n_best(inputs, strategy, batch_size, True, jit_compile)
            return inputs.join(best[0][0] for best in n_best)
        outputs = self.searcher.best_ids(inputs.ids, strategy, batch_size, jit_compile,
                                         aligned=repair is not None)
        return inputs.join(output_texts(inputs.sentences, outputs, self.source_vocab,
                                        self.target_vocab, repair, batch_size)[0])

    def translate_n_best(self, sentences, strategy=None, *, beam_width: int | None = None,
                         batch_size: int = 64, replace_unknown: bool = True):
        """The best translations of beam search, as `(text, score)` pairs, best first.

        Each string is one sentence (no splitting). Scores: length-normalized
        log-probabilities less `drop_penalty` per `[UNK]` dropped (`translation.repair`).
        `strategy` or `beam_width`: see `decoding.strategies.resolve_beam`. `[("", 0.0)]`
        for an empty sentence; a list for a list."""
        strategy = strategies.resolve_beam(self.strategy, strategy, beam_width)
        inputs = self.source.inputs(sentences, split=False)
        results = self._n_best(inputs, strategy, batch_size, replace_unknown)
        texts = iter(inputs.restore([text for best in results for text, _ in best],
                                    [k for k, best in enumerate(results) for _ in best]))
        results = [[(next(texts), score) for _, score in best] for best in results]
        return results[0] if inputs.single else results

    def _n_best(self, inputs, strategy, batch_size, replace_unknown, jit_compile=False):
        repair = self._repair(replace_unknown)
        found = self.searcher.hypotheses(inputs.ids, strategy, batch_size, jit_compile,
                                         aligned=repair is not None)
        return rerank(found, inputs.sentences, self.source_vocab, self.target_vocab, repair,
                      strategy.drop_penalty, batch_size)

    def _repair(self, replace: bool) -> Repair | None:
        """`repair` where `[UNK]` are to be replaced (the search then keeps alignments)."""
        return self.repair if replace else None

    def attention(self, sentence: str, translation: str | None = None):
        """Where each output token looked: `(source_tokens, target_tokens, weights)`,
        `weights[i, j]` the weight of source token `j` when the decoder produced target
        token `i` (the last is `[END]`), for `translation` (default: this model's).
        `ValueError` for a model without attention."""
        ids = self.encode_source(sentence)
        if translation is None:  # the decoded ids themselves, not their text encoded again
            target = [START_ID, *output_ids(self.translate_ids([ids])[0]), END_ID]
        else:
            target = self.target_vocab.encode(normalize(translation), add_start_end=True)
        weights = self.seq2seq.attention(
            [tf.constant([ids or [0]], tf.int32), tf.constant([target[:-1]], tf.int32)])
        return ([self.source_vocab.tokens[i] for i in ids],
                [self.target_vocab.tokens[i] for i in target[1:]],
                weights[0].numpy()[:, : len(ids)])

    def sample(self, sentences, temperature: float = 1.0, top_k: int = 0, seed: int = 0,
               batch_size: int = 64, replace_unknown: bool = True):
        """`translate` with `decoding.strategies.Sampling(temperature, top_k, seed)`: varied
        outputs, the same for the same seed, sentences and `batch_size`."""
        return self.translate(sentences, strategies.Sampling(temperature, top_k, seed),
                              batch_size=batch_size, replace_unknown=replace_unknown)

    def save(self, path: str, half_precision: bool = False) -> None:
        """Write the weights, config, vocabularies, lexicon and default strategy to the
        folder `path` (see `training.saving.save_artefact`, which documents `half_precision`)."""
        save_artefact(path, Artefact(self.model, self.config, self.source_vocab,
                                     self.target_vocab, self.lexicon, self.strategy,
                                     self.source_words),
                      half_precision=half_precision)

    @classmethod
    def load(cls, path: str) -> Translator:
        """Load a folder written by `save` or `train` (`FileNotFoundError` if it or a
        file is missing, `ValueError` if its `translator.json` is damaged)."""
        return cls(**vars(load_artefact(path)))


def load_translator(path: str | None = None) -> Translator:
    """Load a saved `Translator` (`Translator.load`) from a folder or a shipped
    model's name (`pretrained.model_path`); `None`: the shipped default model."""
    folder = model_path(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no model folder {quoted(folder, 300)}: give a folder written by "
                                f"`train`, or a shipped model's name: {', '.join(NAMES)}")
    return Translator.load(folder)
