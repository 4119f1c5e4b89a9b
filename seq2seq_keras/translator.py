"""`Translator`: a trained model with its vocabularies; load, save, translate."""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf

from . import decoding
from .config import Config
from .data import normalize
from .models import build_inference_models, build_training_model
from .text import END_ID, Vocabulary

__all__ = ["Translator", "SentenceTooLongError", "load_translator", "default_model_path"]

# Weights and JSON, not a whole `.keras` model: the config rebuilds the layers (so an
# artefact never carries optimizer slots, which would triple its size), and the JSON
# is readable.
_WEIGHTS_FILE = "model.weights.h5"
_META_FILE = "translator.json"


class SentenceTooLongError(ValueError):
    """A sentence has more source tokens than the model's `max_source_length`."""


class Translator:
    """A trained encoder-decoder with its vocabularies: English in, French out.

    Args:
        model: the training model (`models.build_training_model`), trained.
        config: its `Config`; `max_source_length` and `max_target_length` set.
        source_vocab: the source `Vocabulary`.
        target_vocab: the target `Vocabulary`.

    Input rules, for `translate` and `translate_reference`:
      * the sentence is normalized as the corpus was (`data.normalize`);
      * an empty or whitespace-only sentence translates to `""`;
      * unknown characters or words become `[UNK]` (never a `KeyError`);
      * a sentence of more than `config.max_source_length` tokens raises
        `SentenceTooLongError`: the model has never seen one so long, and silently
        cutting it would drop words;
      * output stops at `[END]` or after `config.max_target_length` tokens.
    """

    def __init__(self, model, config: Config, source_vocab: Vocabulary,
                 target_vocab: Vocabulary):
        self.model = model
        self.config = config
        self.source_vocab = source_vocab
        self.target_vocab = target_vocab
        self.encoder_model, self.decoder_model = build_inference_models(model)
        self._greedy = None

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

    # -- decoding ----------------------------------------------------------------

    def translate_reference(self, sentence: str) -> str:
        """Translate one sentence with the blog's loop (one `predict` per token)."""
        ids = self.encode_source(sentence)
        if not ids:
            return ""
        output = decoding.decode_sequence(
            self.encoder_model, self.decoder_model, ids, self.config.max_target_length)
        return self.target_vocab.decode(output)

    def _greedy_function(self):
        if self._greedy is None:
            step = decoding.make_step(self.decoder_model)

            # One trace for every batch size and length: the shapes are left open.
            @tf.function(input_signature=[
                tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
            def greedy(source_ids, max_length):
                state = self.encoder_model(source_ids, training=False)
                return decoding.greedy_search(step, tuple(state), max_length)

            self._greedy = greedy
        return self._greedy

    def translate_ids(self, batch_ids: list[list[int]], batch_size: int = 64) -> list[list[int]]:
        """Greedy-decode lists of source ids in batches; returns output id lists."""
        greedy = self._greedy_function()
        results: list[list[int]] = [[] for _ in batch_ids]
        # Sort by length so that each batch is padded little; restore order after.
        order = sorted((i for i, ids in enumerate(batch_ids) if ids),
                       key=lambda i: len(batch_ids[i]))
        max_length = tf.constant(self.config.max_target_length, tf.int32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            width = max(len(batch_ids[i]) for i in chunk)
            array = np.zeros((len(chunk), width), dtype=np.int32)
            for row, i in enumerate(chunk):
                array[row, : len(batch_ids[i])] = batch_ids[i]
            outputs = greedy(tf.constant(array), max_length).numpy()
            for row, i in enumerate(chunk):
                ids = outputs[row].tolist()
                results[i] = ids[: ids.index(END_ID)] if END_ID in ids else ids
        return results

    def translate(self, sentences, batch_size: int = 64):
        """Translate a sentence or a list of sentences (compiled, batched greedy search).

        Args:
            sentences: a string, or a list of strings.
            batch_size: sentences decoded together.

        Returns:
            A string for a string, a list of strings for a list.

        Raises:
            SentenceTooLongError: a sentence is longer than `max_source_length`.

        Example:

        >>> translator = load_translator("runs/blog_char")  # doctest: +SKIP
        >>> translator.translate("Go.")  # doctest: +SKIP
        'Va !'
        """
        single = isinstance(sentences, str)
        batch = [sentences] if single else list(sentences)
        ids = [self.encode_source(s) for s in batch]
        outputs = [self.target_vocab.decode(o) for o in self.translate_ids(ids, batch_size)]
        return outputs[0] if single else outputs

    # -- persistence -------------------------------------------------------------

    def save(self, path: str) -> None:
        """Write the weights, config and vocabularies to the folder `path`."""
        os.makedirs(path, exist_ok=True)
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

    @classmethod
    def load(cls, path: str) -> Translator:
        """Load a folder written by `save` (or by `seq2seq-keras train`).

        Raises:
            FileNotFoundError: if the folder or one of its files is missing.
        """
        for name in (_WEIGHTS_FILE, _META_FILE):
            if not os.path.isfile(os.path.join(path, name)):
                raise FileNotFoundError(
                    f"{path} is not a saved translator: {name} is missing (train one with "
                    "`seq2seq-keras train --output DIR`)")
        with open(os.path.join(path, _META_FILE), encoding="utf-8") as handle:
            meta = json.load(handle)
        config = Config.from_dict(meta["config"])
        source_vocab = Vocabulary.from_config(meta["source_vocab"])
        target_vocab = Vocabulary.from_config(meta["target_vocab"])
        model = build_training_model(config, len(source_vocab), len(target_vocab))
        model.load_weights(os.path.join(path, _WEIGHTS_FILE))
        return cls(model, config, source_vocab, target_vocab)


def load_translator(path: str) -> Translator:
    """Load a saved `Translator` from a folder (see `Translator.load`)."""
    return Translator.load(path)


def default_model_path() -> str:
    """Folder of the model shipped with the package (`seq2seq_keras/pretrained/default`)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained", "default")
