"""A trained model on disk: one folder of weights and readable JSON.

    model.weights.h5        the weights (or model.weights.f16.npz: float16, half the size)
    translator.json         {"config", "source_vocab", "target_vocab", "decoding"}
    lexicon.json            {English word: French word} for [UNK] (word level, attention)
    source_words.json       the training sources' words, lower-cased, for the rare-name
                            rule (`text.placeholders`; word and subword level)

Weights and JSON, not a whole `.keras` model: the config rebuilds the layers (so an
artefact never carries optimizer slots, which would triple its size), and the JSON
is readable. `decoding` is the model's default decoding strategy
(`decoding.strategies.Strategy.get_config()`); a folder written before it was stored loads with
beam search of width 4, what the command line used for such a model.

This module knows models, vocabularies and strategies, never `Translator`, which
calls it.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from seq2seq_keras.config import Config
from seq2seq_keras.decoding import strategies
from seq2seq_keras.models.rnn import build_training_model
from seq2seq_keras.text.vocabulary import Vocabulary

__all__ = ["Artefact", "save_artefact", "load_artefact", "save_meta", "load_meta",
           "save_lexicon", "save_source_words"]

WEIGHTS_FILE = "model.weights.h5"
HALF_WEIGHTS_FILE = "model.weights.f16.npz"
META_FILE = "translator.json"
LEXICON_FILE = "lexicon.json"
SOURCE_WORDS_FILE = "source_words.json"
# What the command line decoded with before strategies were stored.
_LEGACY_STRATEGY = "beam_search"


@dataclasses.dataclass
class Artefact:
    """The parts of a saved model, as `Translator(**vars(artefact))` takes them."""

    model: object
    config: Config
    source_vocab: Vocabulary
    target_vocab: Vocabulary
    lexicon: dict
    strategy: strategies.Strategy
    source_words: list | None = None


def save_artefact(path: str, artefact: Artefact, half_precision: bool = False) -> None:
    """Write an artefact to the folder `path` (created if needed).

    Args:
        path: the folder.
        artefact: what to write.
        half_precision: store the weights as float16 (`model.weights.f16.npz`, half
            the size; they are computed in float32 again after loading, and
            translations may differ in a rare near-tie). The shipped model uses this
            to stay small; its published scores are measured after loading.
    """
    os.makedirs(path, exist_ok=True)
    for name in (WEIGHTS_FILE, HALF_WEIGHTS_FILE):
        if os.path.exists(os.path.join(path, name)):
            os.remove(os.path.join(path, name))
    model, config = artefact.model, artefact.config
    if half_precision:
        # In the order of model.get_weights(), which the config's layers fix.
        np.savez_compressed(os.path.join(path, HALF_WEIGHTS_FILE), *[
            w.astype(np.float16) for w in model.get_weights()])
    else:
        if getattr(model, "optimizer", None) is not None:
            # Keras writes a compiled model's optimizer slots with its weights; a fresh
            # copy of the layers holds the weights alone.
            fresh = build_training_model(config, len(artefact.source_vocab),
                                         len(artefact.target_vocab))
            fresh.set_weights(model.get_weights())
            model = fresh
        model.save_weights(os.path.join(path, WEIGHTS_FILE))
    save_meta(path, artefact)
    save_lexicon(path, artefact.lexicon)


def save_meta(path: str, artefact: Artefact) -> None:
    """Write everything of an artefact but its weights and lexicon into the folder
    `path`: `translator.json` and `source_words.json` (what `load_meta` reads; a
    converted model of another engine keeps them beside its own weights)."""
    meta = {
        "config": artefact.config.to_dict(),
        "source_vocab": artefact.source_vocab.get_config(),
        "target_vocab": artefact.target_vocab.get_config(),
        "decoding": artefact.strategy.get_config(),
    }
    with open(os.path.join(path, META_FILE), "w", encoding="utf-8") as handle:
        json.dump(meta, handle, ensure_ascii=False, indent=1)
    save_source_words(path, artefact.source_words)


def save_source_words(path: str, words) -> None:
    """Write `source_words.json` into the model folder `path` (remove it if `None`)."""
    words_path = os.path.join(path, SOURCE_WORDS_FILE)
    if words:
        with open(words_path, "w", encoding="utf-8") as handle:
            json.dump(sorted(words), handle, ensure_ascii=False, indent=0)
    elif os.path.exists(words_path):
        os.remove(words_path)


def save_lexicon(path: str, lexicon: dict) -> None:
    """Write `lexicon.json` into the model folder `path` (remove it if empty)."""
    lexicon_path = os.path.join(path, LEXICON_FILE)
    if lexicon:
        with open(lexicon_path, "w", encoding="utf-8") as handle:
            json.dump(lexicon, handle, ensure_ascii=False, indent=0, sort_keys=True)
    elif os.path.exists(lexicon_path):
        os.remove(lexicon_path)


def _read_json(path: str):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({error}); write the model again "
                         "with `Translator.save` or `seq2seq-keras train`") from error


def load_artefact(path: str) -> Artefact:
    """Read a folder written by `save_artefact` (or `seq2seq-keras train`).

    Raises:
        FileNotFoundError: if the folder or one of its files is missing.
        ValueError: if `translator.json` is not valid JSON or lacks a part.
    """
    weights = [os.path.join(path, name) for name in (WEIGHTS_FILE, HALF_WEIGHTS_FILE)
               if os.path.isfile(os.path.join(path, name))]
    if not weights or not os.path.isfile(os.path.join(path, META_FILE)):
        missing = META_FILE if weights else WEIGHTS_FILE
        raise FileNotFoundError(
            f"{path} is not a saved translator: {missing} is missing (train one with "
            "`seq2seq-keras train --output DIR`)")
    artefact = load_meta(path)
    model = build_training_model(artefact.config, len(artefact.source_vocab),
                                 len(artefact.target_vocab))
    if weights[0].endswith(".npz"):
        with np.load(weights[0]) as arrays:
            model.set_weights([arrays[f"arr_{i}"].astype(np.float32)
                               for i in range(len(arrays.files))])
    else:
        model.load_weights(weights[0])
    artefact.model = model
    # Optional: a model saved without one drops the [UNK] it cannot copy.
    lexicon_path = os.path.join(path, LEXICON_FILE)
    artefact.lexicon = _read_json(lexicon_path) if os.path.isfile(lexicon_path) else {}
    return artefact


def load_meta(path: str) -> Artefact:
    """What `save_meta` wrote in the folder `path`: an `Artefact` without its model
    (`None`) and lexicon (`{}`).

    Raises:
        FileNotFoundError: if `translator.json` is missing.
        ValueError: if it is not valid JSON or lacks a part.
    """
    meta_path = os.path.join(path, META_FILE)
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(f"{path} holds no {META_FILE}")
    meta = _read_json(meta_path)
    missing = [key for key in ("config", "source_vocab", "target_vocab")
               if not isinstance(meta, dict) or key not in meta]
    if missing:
        raise ValueError(f"{meta_path} lacks {missing}; write the model "
                         "again with `Translator.save` or `seq2seq-keras train`")
    strategy = strategies.get_strategy(meta.get("decoding", _LEGACY_STRATEGY))
    # Optional: a model saved without it keeps its rare names as they are.
    words_path = os.path.join(path, SOURCE_WORDS_FILE)
    words = _read_json(words_path) if os.path.isfile(words_path) else None
    return Artefact(None, Config.from_dict(meta["config"]),
                    Vocabulary.from_config(meta["source_vocab"]),
                    Vocabulary.from_config(meta["target_vocab"]), {}, strategy, words)
