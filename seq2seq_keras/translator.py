"""`Translator`: a trained model with its vocabularies; load, save, translate."""

from __future__ import annotations

import dataclasses
import math
import warnings

import tensorflow as tf

from . import decoding
from .config import Config, default_model_path
from .data import normalize
from .models import build_attention_model, build_inference_models
from .saving import Artefact, load_artefact, save_artefact, save_lexicon
from .sentences import end_sentence, join_sentences, split_sentences, tidy_typing
from .text import END_ID, PAD_ID, START_ID, UNK, Vocabulary, pad_ids
from .unknown import attention_alignments, build_lexicon, replace_unknown

__all__ = ["Translator", "SentenceTooLongError", "LongSentenceWarning", "load_translator",
           "default_model_path", "MAX_SENTENCE_CHARACTERS"]

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


def _check_length(sentence: str) -> None:
    """Raise `SentenceTooLongError` for a sentence over `MAX_SENTENCE_CHARACTERS`."""
    if len(sentence) > MAX_SENTENCE_CHARACTERS:
        raise SentenceTooLongError(
            f"a sentence of {len(sentence):,} characters is over the limit of "
            f"{MAX_SENTENCE_CHARACTERS:,} (translator.MAX_SENTENCE_CHARACTERS) that "
            "protects memory; end its sentences with . ! or ?")


def _as_texts(sentences):
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


class Translator:
    """A trained encoder-decoder with its vocabularies: English in, French out.

    Args:
        model: the training model (`models.build_training_model`), trained.
        config: its `Config`; `max_source_length` and `max_target_length` set.
        source_vocab: the source `Vocabulary`.
        target_vocab: the target `Vocabulary`.
        lexicon: `{source word: target word}` for the target words outside the
            vocabulary (`unknown.build_lexicon`; `None`: empty), used to replace
            `[UNK]` in translations.
        strategy: the default decoding strategy of `translate` (`decoding.Greedy()`,
            `BeamSearch(...)`, `Sampling(...)`, a name or a config; `None`:
            greedy search). `save` stores it; `train` and the shipped models use
            `BeamSearch()`, so `translate`, the CLI and the REPL agree.

    Input rules, for `translate` and `sample` (a string, or a list of strings;
    anything else is a `TypeError`):
      * the way people type is undone first (`sentences.tidy_typing`): a line in
        capitals is lower-cased, `i` becomes `I`, sentences start with a capital, an
        unknown word whose capitalized form the model knows is capitalized, and a
        sentence without a final mark gets `?` (after a question word) or `.`;
      * each string is split into sentences (`sentences.split_sentences`: `.`, `!`,
        `?` or `…` before a capital letter or the end; `Mr.`, `e.g.` and initials
        kept), translated in one batch, and the translations joined with spaces:
        one string out per string in;
      * each sentence is normalized as the corpus was (`data.normalize`);
      * an empty or whitespace-only string translates to `""`;
      * unknown characters or words become `[UNK]` (never a `KeyError`);
      * a word-level attention model replaces the `[UNK]` it writes (a French word
        outside its vocabulary) through its attention and lexicon, or leaves it out
        (`replace_unknown`; see `seq2seq_keras.unknown`);
      * a sentence of more than `config.max_source_length` tokens, longer than any
        the model has seen, is still translated (the encoder is recurrent and takes
        any length), with a `LongSentenceWarning`; its output limit grows in
        proportion (`max_target_length * tokens / max_source_length`). Quality
        falls with length past that point;
      * a sentence of more than `MAX_SENTENCE_CHARACTERS` characters raises
        `SentenceTooLongError`;
      * output stops at `[END]` or at the output limit.

    `translate_n_best`, `attention` and `translate_reference` take one sentence as
    it is (no tidying, no splitting), as does `translate(..., split_sentences=False)`.
    """

    def __init__(self, model, config: Config, source_vocab: Vocabulary,
                 target_vocab: Vocabulary, lexicon: dict | None = None, strategy=None):
        self.model = model
        self.strategy = decoding.get_strategy(strategy or "greedy")
        self.config = config
        self.source_vocab = source_vocab
        self.target_vocab = target_vocab
        self.lexicon = dict(lexicon or {})
        for field in ("max_source_length", "max_target_length"):
            if getattr(config, field) is None:
                raise ValueError(
                    f"config.{field} is None: pass the config that `prepare_data` (or "
                    "`train`) returns, whose length limits come from the training data")
        self.encoder_model, self.decoder_model = build_inference_models(model)
        self._functions = {}
        self._attention_model = None

    def __repr__(self):
        c = self.config
        return (f"Translator({c.name}: {c.level} level, cell={c.cell}, units={c.units}, "
                f"attention={c.attention}, {len(self.source_vocab)} -> "
                f"{len(self.target_vocab)} tokens, {self.strategy.describe()})")

    # -- input -------------------------------------------------------------------

    def encode_source(self, sentence: str) -> list[int]:
        """Ids of one source sentence, after the input rules above (no splitting).

        Raises:
            TypeError: if `sentence` is not a string.
            SentenceTooLongError: if it is over `MAX_SENTENCE_CHARACTERS`.
        """
        if not isinstance(sentence, str):
            raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
        _check_length(sentence)
        return self.source_vocab.encode(normalize(sentence))

    def split(self, text: str) -> list[str]:
        """The sentences of `text` that `translate(text)` translates: normalized, typing
        tidied (`sentences.tidy_typing`, with this model's source vocabulary at word
        level), split, each with a final mark (`sentences.end_sentence`).

        Raises:
            TypeError: if `text` is not a string.
            SentenceTooLongError: if a sentence is over `MAX_SENTENCE_CHARACTERS`
                (as `translate(text)` would).
        """
        _as_texts([text])
        known = None if self.source_vocab.level == "char" else self.source_vocab.knows_word
        sentences = split_sentences(tidy_typing(normalize(text), known))
        for sentence in sentences:
            _check_length(sentence)  # as typed, before its final mark is added
        return [end_sentence(sentence) for sentence in sentences]

    def fits(self, sentence: str) -> bool:
        """Whether `sentence` has at most `max_source_length` tokens, as the training
        sentences had: the lengths the model translates best (longer ones are still
        translated; `evaluate` and `bench` keep to these)."""
        try:
            return len(self.encode_source(sentence)) <= self.config.max_source_length
        except SentenceTooLongError:
            return False

    def _split(self, sentences, split=True):
        """The sentences of the input strings, encoded.

        Returns:
            `(single, counts, pieces, ids)`: whether one string was given; how many
            sentences each string holds; all the sentences, in order; their ids.
        """
        single, texts = _as_texts(sentences)
        counts, pieces, ids = [], [], []
        for k, text in enumerate(texts):
            parts = self.split(text) if split else [text]
            counts.append(len(parts))
            for part in parts:
                # `split` checked the length (`_check_length`) of a sentence as typed.
                part_ids = self.source_vocab.encode(normalize(part)) if split \
                    else self.encode_source(part)
                if len(part_ids) > self.config.max_source_length:
                    unit = "characters" if self.source_vocab.level == "char" else "tokens"
                    warnings.warn(LongSentenceWarning(
                        f"a sentence of {len(part_ids)} {unit} is longer than any this model "
                        f"was trained on (max_source_length={self.config.max_source_length}); "
                        f"translated anyway, its quality may suffer: {part[:40]!r}...", k),
                        stacklevel=3)
                pieces.append(part)
                ids.append(part_ids)
        return single, counts, pieces, ids

    @staticmethod
    def _join(single, counts, translations):
        """The translations of `_split`'s sentences joined back, one per input string."""
        translations = iter(translations)
        texts = [join_sentences([next(translations) for _ in range(n)]) for n in counts]
        return texts[0] if single else texts

    # -- decoding ----------------------------------------------------------------

    def translate_reference(self, sentence: str) -> str:
        """Translate one sentence with the blog's loop (one `predict` per token)."""
        ids = self.encode_source(sentence)
        if not ids:
            return ""
        output = decoding.decode_sequence(
            self.encoder_model, self.decoder_model, ids, self.output_limit(len(ids)))
        return self.target_vocab.decode(output)

    def resolve_strategy(self, strategy=None, beam_width: int | None = None, **options):
        """The strategy that `translate(strategy=..., beam_width=...)` uses.

        Args:
            strategy: a `decoding.Strategy`, a name or a config (see
                `decoding.get_strategy`); `None`: `self.strategy`.
            beam_width: a shorthand: 1 is `Greedy()`, N > 1 is beam search of width N
                with the options of this translator's beam search (or the defaults).
            **options: options of the strategy to change (e.g. `alpha=2.0` for a
                beam search), as the command line's `--alpha` does.

        Raises:
            ValueError: for both `strategy` and `beam_width`, an option the strategy
                does not have, or a bad value.
        """
        if beam_width is None:
            found = self.strategy if strategy is None else decoding.get_strategy(strategy)
        elif strategy is not None:
            raise ValueError("give strategy or beam_width, not both")
        elif isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
            raise ValueError(f"beam_width must be an integer >= 1, got beam_width={beam_width!r}")
        else:
            found = (decoding.Greedy() if beam_width == 1 else
                     dataclasses.replace(self._beam(), beam_width=beam_width))
        unknown = set(options) - {f.name for f in dataclasses.fields(found)}
        if unknown:
            raise ValueError(f"{found.describe()} has no option {sorted(unknown)}")
        return dataclasses.replace(found, **options) if options else found

    def _beam(self):
        """This translator's beam search, or the default one."""
        if isinstance(self.strategy, decoding.BeamSearch):
            return self.strategy
        return decoding.BeamSearch()

    def compiled_search(self, strategy=None, jit_compile: bool = False):
        """The cached `tf.function` of a strategy's search, for inspection.

        `search(source_ids (batch, time), max_length, limits (batch,)) -> (ids (batch,
        n_best, max_length), scores (batch, n_best))`: `max_length` is the output
        width, `limits` each sentence's own limit (`output_limit`). Traced once per
        strategy for all batch sizes, sentence lengths and limits (under XLA, which
        needs the output shape at compile time, each new `max_length` compiles once;
        within the training lengths it is always `max_target_length`).

        Args:
            strategy: see `resolve_strategy` (a name such as `"greedy"` works).
            jit_compile: compile with XLA.
        """
        strategy = self.resolve_strategy(strategy)
        key = (strategy, jit_compile)
        if key not in self._functions:
            step = decoding.make_step(self.decoder_model)
            encoder = self.encoder_model

            def search(source_ids, max_length, limits):
                return strategy.search(step, decoding.encode(encoder, source_ids),
                                       max_length, limits)

            self._functions[key] = tf.function(search, jit_compile=jit_compile, input_signature=[
                tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32),
                tf.TensorSpec([None], tf.int32)])
        return self._functions[key]

    def output_limit(self, source_length: int) -> int:
        """The most tokens decoded for a source of `source_length` tokens:
        `max_target_length`, or proportionally more past `max_source_length`."""
        c = self.config
        return max(c.max_target_length,
                   math.ceil(c.max_target_length * source_length / c.max_source_length))

    def _run_batched(self, batch_ids, batch_size, run):
        """Call `run(padded (rows, width) int32, max_length, limits (rows,)) -> per-row
        results` in batches (`limits`: each row's `output_limit`, `max_length` theirs).

        Sentences are sorted by length so that each batch is padded little. A batch
        holds at most `batch_size` sentences and, so that memory stays bounded for
        long ones, `batch_size * max_source_length` padded tokens. Results come back
        in input order, `None` for empty sentences.
        """
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got batch_size={batch_size}")
        results = [None] * len(batch_ids)
        order = sorted((i for i, ids in enumerate(batch_ids) if ids),
                       key=lambda i: len(batch_ids[i]))
        budget = batch_size * self.config.max_source_length
        chunks, chunk = [], []
        for i in order:
            # Sorted by length, so the newcomer is the longest: it sets the padding.
            if chunk and (len(chunk) == batch_size
                          or (len(chunk) + 1) * len(batch_ids[i]) > budget):
                chunks.append(chunk)
                chunk = []
            chunk.append(i)
        if chunk:
            chunks.append(chunk)
        for chunk in chunks:
            array = _padded([batch_ids[i] for i in chunk])
            limits = [self.output_limit(len(batch_ids[i])) for i in chunk]
            for row, result in zip(chunk, run(array, tf.constant(max(limits)),
                                              tf.constant(limits, tf.int32)), strict=True):
                results[row] = result
        return results

    @property
    def replaces_unknown(self) -> bool:
        """Whether `[UNK]` can be replaced: a word-level model with attention."""
        return self.config.level == "word" and self.config.attention is not None

    def _texts(self, sentences, source_ids, outputs, replace=True, batch_size=64):
        """Text of each output ids (`""` for `None`), `[UNK]` replaced if `replace`,
        and how many `[UNK]` each dropped (see `unknown.replace_unknown`).

        `sentences[k]`, encoded as `source_ids[k]`, is the source of `outputs[k]`.
        """
        tokens = [[] if ids is None else self.target_vocab.decode_tokens(ids)
                  for ids in outputs]
        drops = [0] * len(tokens)
        rows = [k for k, t in enumerate(tokens) if UNK in t]
        if replace and rows and self.replaces_unknown:
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                # Teacher-forced attention of the translations themselves: row i of
                # the weights is where the decoder looked when it wrote output token i.
                weights = self.attention_model([
                    _padded([source_ids[k] for k in chunk]),
                    _padded([[START_ID, *self.target_vocab.token_ids(tokens[k])] for k in chunk])])
                for k, w in zip(chunk, weights.numpy(), strict=True):
                    words = self.source_vocab.tokenize(normalize(sentences[k]))
                    tokens[k], drops[k] = replace_unknown(
                        words, tokens[k], w, self.lexicon, self.source_vocab, with_drops=True)
        return [self.target_vocab.join(t) for t in tokens], drops

    def translate_ids(self, batch_ids, strategy=None, batch_size: int = 64,
                      jit_compile: bool = False, beam_width: int | None = None):
        """Decode lists of source ids in batches; returns arrays of output ids.

        The best hypothesis of the strategy (`resolve_strategy`), `[UNK]` kept. Output
        ids end at `[END]` or padding (see `Vocabulary.decode`); `None` for an empty
        input.
        """
        search = self.compiled_search(self.resolve_strategy(strategy, beam_width), jit_compile)
        return self._run_batched(batch_ids, batch_size,
                                 lambda *args: search(*args)[0][:, 0].numpy())

    def translate(self, sentences, strategy=None, *, beam_width: int | None = None,
                  batch_size: int = 64, replace_unknown: bool = True,
                  jit_compile: bool = False, split_sentences: bool = True):
        """Translate a string or a list of strings (compiled, batched search).

        Each string may hold several sentences: see the input rules in the class
        docstring.

        Args:
            sentences: a string, or a list of strings.
            strategy: the decoding strategy (`decoding.Greedy()`, `BeamSearch(...)`,
                `Sampling(...)`, or a name); `None`: this translator's default,
                `self.strategy`.
            beam_width: a shorthand for `strategy` (see `resolve_strategy`): 1 for
                greedy search, more for beam search.
            batch_size: sentences decoded together.
            replace_unknown: replace or drop the `[UNK]` words of a word-level
                attention model (see `seq2seq_keras.unknown`); with beam search, the
                best of `translate_n_best`, where a hypothesis that drops a word loses
                the strategy's `drop_penalty`. `False` shows the model's own output.
            jit_compile: compile the search with XLA (same results; see `bench`).
            split_sentences: split each string into sentences (`False`: translate
                it as one sentence, as `translate_reference` does).

        Returns:
            A string for a string, a list of strings for a list.

        Raises:
            TypeError: if `sentences` is not a string or a list of strings.
            SentenceTooLongError: a sentence is over `MAX_SENTENCE_CHARACTERS`.

        Example:

        >>> translator = load_translator()  # doctest: +SKIP
        >>> translator.translate("Go.")  # doctest: +SKIP
        'Va !'
        >>> translator.translate("Go.", strategy="greedy")  # doctest: +SKIP
        'Va !'
        """
        strategy = self.resolve_strategy(strategy, beam_width)
        single, counts, pieces, ids = self._split(sentences, split_sentences)
        if isinstance(strategy, decoding.BeamSearch) and replace_unknown \
                and self.replaces_unknown:
            n_best = self._n_best(pieces, ids, strategy, batch_size, True, jit_compile)
            return self._join(single, counts, [best[0][0] for best in n_best])
        outputs, _ = self._texts(pieces, ids, self.translate_ids(
            ids, strategy, batch_size, jit_compile), replace_unknown, batch_size)
        return self._join(single, counts, outputs)

    def translate_n_best(self, sentences, strategy=None, *, beam_width: int | None = None,
                         batch_size: int = 64, replace_unknown: bool = True):
        """The best translations of beam search, as `(text, score)` pairs, best first.

        Each string is taken as one sentence (no splitting; `interactive` shows the
        n best of each sentence of a paragraph). Scores are length-normalized
        log-probabilities (higher is better). Where `[UNK]` is replaced, a hypothesis
        loses the strategy's `drop_penalty` for each one it drops (a hole the model's
        score does not see), and the list is sorted again.

        Args:
            sentences: a string, or a list of strings (decoded in batches).
            strategy: a `decoding.BeamSearch` (or its name or config); `None`: this
                translator's beam search, or `BeamSearch()` if its default is not one.
            beam_width: a shorthand: this translator's beam search with that width
                (1 included: one hypothesis).
            batch_size: sentences decoded together.
            replace_unknown: as for `translate`; `False` keeps the model's own
                hypotheses, order and scores.

        Returns:
            A list of `beam_width` pairs for a string; a list of such lists for a list.
            An empty sentence gives `[("", 0.0)]`.
        """
        if beam_width is not None:
            if strategy is not None:
                raise ValueError("give strategy or beam_width, not both")
            strategy = dataclasses.replace(self._beam(), beam_width=beam_width)
        strategy = self._beam() if strategy is None else decoding.get_strategy(strategy)
        if not isinstance(strategy, decoding.BeamSearch):
            raise ValueError(f"translate_n_best needs a beam search, got {strategy.describe()}")
        single, _, pieces, ids = self._split(sentences, split=False)
        results = self._n_best(pieces, ids, strategy, batch_size, replace_unknown)
        return results[0] if single else results

    def _n_best(self, sentences, ids, strategy, batch_size, replace_unknown, jit_compile=False):
        """`translate_n_best` of sentences already encoded as `ids`: a list of lists."""
        search = self.compiled_search(strategy, jit_compile)

        def run(*args):
            sequences, scores = search(*args)
            return [list(zip(seqs, row, strict=True))
                    for seqs, row in zip(sequences.numpy(), scores.numpy(), strict=True)]

        found = self._run_batched(ids, batch_size, run)
        # One flat list of hypotheses, so that [UNK] replacement runs in batches.
        flat = [(k, seq, float(score)) for k, best in enumerate(found) if best is not None
                for seq, score in best]
        texts, drops = self._texts([sentences[k] for k, _, _ in flat],
                                   [ids[k] for k, _, _ in flat], [seq for _, seq, _ in flat],
                                   replace_unknown, batch_size)
        scored = iter(zip(texts, (score - strategy.drop_penalty * d for (_, _, score), d
                                  in zip(flat, drops, strict=True)), strict=True))
        # A stable sort: without drops, the model's order.
        return [[("", 0.0)] if best is None else
                sorted((next(scored) for _ in best), key=lambda pair: -pair[1])
                for best in found]

    @property
    def attention_model(self):
        """`models.build_attention_model` of this model, built once."""
        if self._attention_model is None:
            self._attention_model = build_attention_model(self.model)
        return self._attention_model

    def attention(self, sentence: str, translation: str | None = None):
        """Where each output token looked: the attention weights of one translation.

        Args:
            sentence: the source sentence.
            translation: the translation to explain (default: `translate(sentence)`).

        Returns:
            `(source_tokens, target_tokens, weights)`: `weights[i, j]` is the weight of
            source token `j` when the decoder produced target token `i` (the last
            target token is `[END]`).

        Raises:
            ValueError: if the model has no attention.
        """
        ids = self.encode_source(sentence)
        if translation is None:
            # The decoded ids themselves, not their text encoded again.
            output = self.translate_ids([ids])[0]
            output = [] if output is None else [int(i) for i in output]
            output = output[: output.index(END_ID)] if END_ID in output else output
            target = [START_ID, *[i for i in output if i != PAD_ID], END_ID]
        else:
            target = self.target_vocab.encode(normalize(translation), add_start_end=True)
        weights = self.attention_model(
            [tf.constant([ids or [0]], tf.int32), tf.constant([target[:-1]], tf.int32)])
        source_tokens = [self.source_vocab.tokens[i] for i in ids]
        target_tokens = [self.target_vocab.tokens[i] for i in target[1:]]
        return source_tokens, target_tokens, weights[0].numpy()[:, : len(ids)]

    def sample(self, sentences, temperature: float = 1.0, top_k: int = 0, seed: int = 0,
               batch_size: int = 64, replace_unknown: bool = True):
        """Translate by sampling each token (varied outputs), reproducibly for a seed:
        `translate(sentences, strategy=decoding.Sampling(temperature, top_k, seed))`.

        Args:
            sentences: a string or a list of strings.
            temperature: > 0; lower is closer to greedy, higher more varied.
            top_k: sample among the `top_k` most likely tokens only (0: all).
            seed: the same seed, sentences and `batch_size` give the same outputs.
            batch_size: sentences decoded together.
            replace_unknown: as for `translate`.
        """
        return self.translate(sentences, decoding.Sampling(temperature, top_k, seed),
                              batch_size=batch_size, replace_unknown=replace_unknown)

    # -- persistence (see `saving`) ----------------------------------------------

    def save(self, path: str, half_precision: bool = False) -> None:
        """Write the weights, config, vocabularies, lexicon and default strategy to the
        folder `path` (see `saving.save_artefact`, which documents `half_precision`)."""
        save_artefact(path, Artefact(self.model, self.config, self.source_vocab,
                                     self.target_vocab, self.lexicon, self.strategy),
                      half_precision=half_precision)

    def save_lexicon(self, path: str) -> None:
        """Write `lexicon.json` into the model folder `path` (remove it if empty)."""
        save_lexicon(path, self.lexicon)

    def learn_lexicon(self, pairs, batch_size: int = 64) -> dict:
        """Learn `self.lexicon` from the training pairs, aligned by this model's attention.

        See `unknown.build_lexicon` and `unknown.attention_alignments`: one
        teacher-forced pass over the pairs that hold an out-of-vocabulary French word
        (about 20 s on the full corpus on 2 CPU cores).

        Args:
            pairs: the training `(source, target)` pairs, normalized.
            batch_size: pairs per forward pass.

        Returns:
            The lexicon (also set as `self.lexicon`).

        Raises:
            ValueError: for a model that cannot replace `[UNK]` (`replaces_unknown`).
        """
        if not self.replaces_unknown:
            raise ValueError("a lexicon is for word-level models with attention")
        pairs = list(pairs)
        alignments = attention_alignments(pairs, self.source_vocab, self.target_vocab,
                                          self.attention_model, batch_size)
        self.lexicon = build_lexicon(pairs, self.source_vocab, self.target_vocab,
                                     alignments=alignments)
        return self.lexicon

    @classmethod
    def load(cls, path: str) -> Translator:
        """Load a folder written by `save` (or by `seq2seq-keras train`).

        Raises:
            FileNotFoundError: if the folder or one of its files is missing.
            ValueError: if its `translator.json` is damaged.
        """
        return cls(**vars(load_artefact(path)))


def _padded(rows) -> tf.Tensor:
    """Lists of ids as one zero-padded int32 batch (a tensor: see `text.pad_ids`)."""
    return tf.constant(pad_ids(rows))


def load_translator(path: str | None = None) -> Translator:
    """Load a saved `Translator` from a folder (see `Translator.load`).

    Args:
        path: a folder written by `Translator.save` or `seq2seq-keras train`;
            `None` (the default) loads the shipped default model
            (`default_model_path()`).
    """
    return Translator.load(default_model_path() if path is None else path)
