"""`Translator`: a trained model with its vocabularies; load, save, translate."""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf

from . import decoding
from .config import Config
from .data import normalize
from .models import build_attention_model, build_inference_models, build_training_model
from .text import END_ID, PAD_ID, START_ID, UNK, Vocabulary, pad_ids
from .unknown import DROP_PENALTY, attention_alignments, build_lexicon, replace_unknown

__all__ = ["Translator", "SentenceTooLongError", "load_translator", "default_model_path"]

# Weights and JSON, not a whole `.keras` model: the config rebuilds the layers (so an
# artefact never carries optimizer slots, which would triple its size), and the JSON
# is readable.
_WEIGHTS_FILE = "model.weights.h5"
_HALF_WEIGHTS_FILE = "model.weights.f16.npz"
_META_FILE = "translator.json"
_LEXICON_FILE = "lexicon.json"
# The shipped model that `translate` uses when no model is given.
DEFAULT_MODEL = "en_fr"


class SentenceTooLongError(ValueError):
    """A sentence has more source tokens than the model's `max_source_length`."""


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

    Input rules, for `translate` and `translate_reference`:
      * the sentence is normalized as the corpus was (`data.normalize`);
      * an empty or whitespace-only sentence translates to `""`;
      * unknown characters or words become `[UNK]` (never a `KeyError`);
      * a word-level attention model replaces the `[UNK]` it writes (a French word
        outside its vocabulary) through its attention and lexicon, or leaves it out
        (`replace_unknown`; see `seq2seq_keras.unknown`);
      * a sentence of more than `config.max_source_length` tokens raises
        `SentenceTooLongError`: the model has never seen one so long, and silently
        cutting it would drop words;
      * output stops at `[END]` or after `config.max_target_length` tokens.
    """

    def __init__(self, model, config: Config, source_vocab: Vocabulary,
                 target_vocab: Vocabulary, lexicon: dict | None = None):
        self.model = model
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
                f"{len(self.target_vocab)} tokens)")

    # -- input -------------------------------------------------------------------

    def encode_source(self, sentence: str) -> list[int]:
        """Ids of one source sentence, after the input rules above."""
        if not isinstance(sentence, str):
            raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
        ids = self.source_vocab.encode(normalize(sentence))
        limit = self.config.max_source_length
        if limit is not None and len(ids) > limit:
            unit = "characters" if self.source_vocab.level == "char" else "tokens"
            raise SentenceTooLongError(
                f"the sentence has {len(ids)} {unit}; this model was trained on at most "
                f"{limit} (max_source_length). Split it into shorter sentences.")
        return ids

    def fits(self, sentence: str) -> bool:
        """Whether `sentence` is within `max_source_length` (so `translate` accepts it)."""
        try:
            self.encode_source(sentence)
        except SentenceTooLongError:
            return False
        return True

    # -- decoding ----------------------------------------------------------------

    def translate_reference(self, sentence: str) -> str:
        """Translate one sentence with the blog's loop (one `predict` per token)."""
        ids = self.encode_source(sentence)
        if not ids:
            return ""
        output = decoding.decode_sequence(
            self.encoder_model, self.decoder_model, ids, self.config.max_target_length)
        return self.target_vocab.decode(output)

    def compiled_search(self, kind: str, jit_compile: bool = False):
        """The cached `tf.function` of a search, for inspection (tracing counts).

        Traced once for all batch sizes, sentence lengths and option values, which
        are tensors, not Python values. The output limit `max_target_length` is fixed
        per model, so it is a Python constant (XLA needs the output shape at compile
        time).

        Args:
            kind: `"greedy"` `(source_ids)`, `"beam"` `(source_ids, beam_width,
                alpha)` or `"sample"` `(source_ids, temperature, top_k, seed)`.
            jit_compile: compile with XLA.
        """
        key = (kind, jit_compile)
        if key not in self._functions:
            step = decoding.make_step(self.decoder_model)
            encoder = self.encoder_model
            max_length = self.config.max_target_length
            ids = tf.TensorSpec([None, None], tf.int32)
            integer, real = tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)

            if kind == "greedy":
                def search(source_ids):
                    state = decoding.encode(encoder, source_ids)
                    return decoding.greedy_search(step, state, max_length)
                signature = [ids]
            elif kind == "beam":
                def search(source_ids, beam_width, alpha):
                    state = decoding.encode(encoder, source_ids)
                    return decoding.beam_search(step, state, max_length, beam_width, alpha)
                signature = [ids, integer, real]
            elif kind == "sample":
                def search(source_ids, temperature, top_k, seed):
                    state = decoding.encode(encoder, source_ids)
                    return decoding.sample(step, state, max_length, temperature, top_k, seed)
                signature = [ids, real, integer, integer]
            else:
                raise ValueError(f"unknown search {kind!r}")
            self._functions[key] = tf.function(search, input_signature=signature,
                                               jit_compile=jit_compile)
        return self._functions[key]

    def _run_batched(self, batch_ids, batch_size, run):
        """Call `run(padded (rows, width) int32) -> per-row numpy results` in batches.

        Sentences are sorted by length so that each batch is padded little; results
        come back in input order, `None` for empty sentences.
        """
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got batch_size={batch_size}")
        results = [None] * len(batch_ids)
        order = sorted((i for i, ids in enumerate(batch_ids) if ids),
                       key=lambda i: len(batch_ids[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            array = _padded([batch_ids[i] for i in chunk])
            for row, result in zip(chunk, run(array), strict=True):
                results[row] = result
        return results

    def _encode_batch(self, sentences):
        """`(whether one string was given, the sentences as a list, their source ids)`."""
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        return single, sentences, [self.encode_source(s) for s in sentences]

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

    def translate_ids(self, batch_ids, batch_size=64, beam_width=1, alpha=decoding.DEFAULT_ALPHA,
                      jit_compile=False):
        """Decode lists of source ids in batches; returns arrays of output ids.

        Greedy search for `beam_width=1`, else the best beam-search hypothesis. Output
        ids end at `[END]` or padding (see `Vocabulary.decode`); `None` for an empty
        input.
        """
        if beam_width == 1:
            greedy = self.compiled_search("greedy", jit_compile)
            return self._run_batched(batch_ids, batch_size,
                                     lambda a: greedy(a).numpy())
        if beam_width < 1:
            raise ValueError(f"beam_width must be >= 1, got beam_width={beam_width}")
        if jit_compile:
            # Beam search grows its hypotheses step by step: shapes XLA cannot fix.
            raise ValueError("jit_compile is for greedy search (beam_width=1) only")
        beam = self.compiled_search("beam")
        return self._run_batched(batch_ids, batch_size, lambda a: beam(
            a, tf.constant(beam_width), tf.constant(alpha, tf.float32))[0][:, 0]
            .numpy())

    def translate(self, sentences, batch_size: int = 64, beam_width: int = 1,
                  alpha: float = decoding.DEFAULT_ALPHA, jit_compile: bool = False,
                  replace_unknown: bool = True, drop_penalty: float = DROP_PENALTY):
        """Translate a sentence or a list of sentences (compiled, batched search).

        Args:
            sentences: a string, or a list of strings.
            batch_size: sentences decoded together.
            beam_width: 1 for greedy search, more for beam search.
            alpha: beam search's length normalization (see `decoding.beam_search`).
            jit_compile: compile the search with XLA (same results; see `bench`).
            replace_unknown: replace or drop the `[UNK]` words of a word-level
                attention model (see `seq2seq_keras.unknown`); with beam search,
                the best of `translate_n_best`, where a hypothesis that drops a word
                loses `drop_penalty`. `False` shows the model's own output.
            drop_penalty: see `translate_n_best`.

        Returns:
            A string for a string, a list of strings for a list.

        Raises:
            SentenceTooLongError: a sentence is longer than `max_source_length`.

        Example:

        >>> translator = load_translator(default_model_path())  # doctest: +SKIP
        >>> translator.translate("Go.")  # doctest: +SKIP
        'Va !'
        """
        if beam_width > 1 and replace_unknown and self.replaces_unknown and not jit_compile:
            n_best = self.translate_n_best(sentences, beam_width, alpha, batch_size,
                                           drop_penalty=drop_penalty)
            return n_best[0][0] if isinstance(sentences, str) else [b[0][0] for b in n_best]
        single, sentences, ids = self._encode_batch(sentences)
        outputs, _ = self._texts(sentences, ids, self.translate_ids(
            ids, batch_size, beam_width, alpha, jit_compile), replace_unknown, batch_size)
        return outputs[0] if single else outputs

    def translate_n_best(self, sentences, beam_width: int = 4,
                         alpha: float = decoding.DEFAULT_ALPHA, batch_size: int = 64,
                         replace_unknown: bool = True, drop_penalty: float = DROP_PENALTY):
        """The `beam_width` best translations, as `(text, score)` pairs, best first.

        Scores are length-normalized log-probabilities (higher is better). Where
        `[UNK]` is replaced, a hypothesis loses `drop_penalty` for each one it drops
        (a hole the model's score does not see), and the list is sorted again.

        Args:
            sentences: a string, or a list of strings (decoded in batches).
            beam_width: hypotheses kept, and returned, per sentence.
            alpha: length normalization (see `decoding.beam_search`).
            batch_size: sentences decoded together.
            replace_unknown: as for `translate`; `False` keeps the model's own
                hypotheses, order and scores.
            drop_penalty: taken off a hypothesis' score per `[UNK]` it drops
                (default `unknown.DROP_PENALTY`, chosen on the validation split; 0:
                the model's order).

        Returns:
            A list of pairs for a string; a list of such lists for a list. An empty
            sentence gives `[("", 0.0)]`.
        """
        if beam_width < 1:
            raise ValueError(f"beam_width must be >= 1, got beam_width={beam_width}")
        if drop_penalty < 0:
            raise ValueError(f"drop_penalty must be >= 0, got drop_penalty={drop_penalty}")
        single, sentences, ids = self._encode_batch(sentences)
        beam = self.compiled_search("beam")

        def run(array):
            sequences, scores = beam(array, tf.constant(beam_width),
                                     tf.constant(alpha, tf.float32))
            return [list(zip(seqs, row, strict=True))
                    for seqs, row in zip(sequences.numpy(), scores.numpy(), strict=True)]

        found = self._run_batched(ids, batch_size, run)
        # One flat list of hypotheses, so that [UNK] replacement runs in batches.
        flat = [(k, seq, float(score)) for k, best in enumerate(found) if best is not None
                for seq, score in best]
        texts, drops = self._texts([sentences[k] for k, _, _ in flat],
                                   [ids[k] for k, _, _ in flat], [seq for _, seq, _ in flat],
                                   replace_unknown, batch_size)
        scored = iter(zip(texts, (score - drop_penalty * d for (_, _, score), d
                                  in zip(flat, drops, strict=True)), strict=True))
        # A stable sort: without drops, the model's order.
        results = [[("", 0.0)] if best is None else
                   sorted((next(scored) for _ in best), key=lambda pair: -pair[1])
                   for best in found]
        return results[0] if single else results

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
        """Translate by sampling each token (varied outputs), reproducibly for a seed.

        Args:
            sentences: a string or a list of strings.
            temperature: > 0; lower is closer to greedy, higher more varied.
            top_k: sample among the `top_k` most likely tokens only (0: all).
            seed: the same seed, sentences and `batch_size` give the same outputs.
            batch_size: sentences decoded together.
            replace_unknown: as for `translate`.
        """
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got temperature={temperature}")
        single, sentences, ids = self._encode_batch(sentences)
        fn = self.compiled_search("sample")
        outputs = self._run_batched(ids, batch_size, lambda a: fn(
            a, tf.constant(temperature, tf.float32), tf.constant(top_k),
            tf.constant(seed)).numpy())
        texts, _ = self._texts(sentences, ids, outputs, replace_unknown, batch_size)
        return texts[0] if single else texts

    # -- persistence -------------------------------------------------------------

    def save(self, path: str, half_precision: bool = False) -> None:
        """Write the weights, config and vocabularies to the folder `path`.

        Args:
            path: the folder (created if needed).
            half_precision: store the weights as float16 (`model.weights.f16.npz`,
                half the size; they are computed in float32 again after loading, and
                translations may differ in a rare near-tie). The shipped model uses
                this to stay small; its published scores are measured after loading.
        """
        os.makedirs(path, exist_ok=True)
        for name in (_WEIGHTS_FILE, _HALF_WEIGHTS_FILE):
            if os.path.exists(os.path.join(path, name)):
                os.remove(os.path.join(path, name))
        if half_precision:
            # In the order of model.get_weights(), which the config's layers fix.
            np.savez_compressed(os.path.join(path, _HALF_WEIGHTS_FILE), *[
                w.astype(np.float16) for w in self.model.get_weights()])
        else:
            model = self.model
            if getattr(model, "optimizer", None) is not None:
                # Keras writes a compiled model's optimizer slots with its weights; a
                # fresh copy of the layers holds the weights alone.
                model = build_training_model(self.config, len(self.source_vocab),
                                             len(self.target_vocab))
                model.set_weights(self.model.get_weights())
            model.save_weights(os.path.join(path, _WEIGHTS_FILE))
        meta = {
            "config": self.config.to_dict(),
            "source_vocab": self.source_vocab.get_config(),
            "target_vocab": self.target_vocab.get_config(),
        }
        with open(os.path.join(path, _META_FILE), "w", encoding="utf-8") as handle:
            json.dump(meta, handle, ensure_ascii=False, indent=1)
        self.save_lexicon(path)

    def save_lexicon(self, path: str) -> None:
        """Write `lexicon.json` into the model folder `path` (remove it if empty)."""
        lexicon_path = os.path.join(path, _LEXICON_FILE)
        if self.lexicon:
            with open(lexicon_path, "w", encoding="utf-8") as handle:
                json.dump(self.lexicon, handle, ensure_ascii=False, indent=0,
                          sort_keys=True)
        elif os.path.exists(lexicon_path):
            os.remove(lexicon_path)

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
        """
        weights = [os.path.join(path, name) for name in (_WEIGHTS_FILE, _HALF_WEIGHTS_FILE)
                   if os.path.isfile(os.path.join(path, name))]
        if not weights or not os.path.isfile(os.path.join(path, _META_FILE)):
            missing = _META_FILE if weights else _WEIGHTS_FILE
            raise FileNotFoundError(
                f"{path} is not a saved translator: {missing} is missing (train one with "
                "`seq2seq-keras train --output DIR`)")
        with open(os.path.join(path, _META_FILE), encoding="utf-8") as handle:
            meta = json.load(handle)
        config = Config.from_dict(meta["config"])
        source_vocab = Vocabulary.from_config(meta["source_vocab"])
        target_vocab = Vocabulary.from_config(meta["target_vocab"])
        model = build_training_model(config, len(source_vocab), len(target_vocab))
        if weights[0].endswith(".npz"):
            with np.load(weights[0]) as arrays:
                model.set_weights([arrays[f"arr_{i}"].astype(np.float32)
                                   for i in range(len(arrays.files))])
        else:
            model.load_weights(weights[0])
        # Optional: a model saved without one drops the [UNK] it cannot copy.
        lexicon, lexicon_path = None, os.path.join(path, _LEXICON_FILE)
        if os.path.isfile(lexicon_path):
            with open(lexicon_path, encoding="utf-8") as handle:
                lexicon = json.load(handle)
        return cls(model, config, source_vocab, target_vocab, lexicon)


def _padded(rows) -> tf.Tensor:
    """Lists of ids as one zero-padded int32 batch (a tensor: see `text.pad_ids`)."""
    return tf.constant(pad_ids(rows))


def load_translator(path: str) -> Translator:
    """Load a saved `Translator` from a folder (see `Translator.load`)."""
    return Translator.load(path)


def default_model_path() -> str:
    """Folder of the default model shipped inside the package (see `pretrained/`)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained",
                        DEFAULT_MODEL)
