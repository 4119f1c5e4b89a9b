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
import zipfile

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
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ValueError(f"{path} is not valid JSON ({reason}); write the model again "
                         "with `Translator.save` or `seq2seq-keras train`") from None


def load_artefact(path: str) -> Artefact:
    """Read a folder written by `save_artefact` (or `seq2seq-keras train`).

    Everything is checked before it is used: the JSON parts' types, the config's
    bounds (`config.Config`), the vocabularies (no token twice), and the weights' shapes
    against the model the config and vocabularies describe, read from the file's
    headers before any array is.

    Raises:
        FileNotFoundError: if the folder or one of its files is missing.
        ValueError: if a file is damaged, or its parts do not fit together.
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
    _load_weights(model, weights[0], (len(artefact.source_vocab), len(artefact.target_vocab)))
    artefact.model = model
    # Optional: a model saved without one drops the [UNK] it cannot copy.
    lexicon_path = os.path.join(path, LEXICON_FILE)
    artefact.lexicon = _read_json(lexicon_path) if os.path.isfile(lexicon_path) else {}
    if not isinstance(artefact.lexicon, dict):
        raise ValueError(f"{lexicon_path} must hold a JSON object")
    return artefact


def load_meta(path: str) -> Artefact:
    """What `save_meta` wrote in the folder `path`: an `Artefact` without its model
    (`None`) and lexicon (`{}`), each part checked (the JSON types, the config's
    bounds, vocabularies with no token twice).

    Raises:
        FileNotFoundError: if `translator.json` is missing.
        ValueError: if it is damaged or lacks a part.
    """
    meta_path = os.path.join(path, META_FILE)
    if not os.path.isfile(meta_path):
        raise FileNotFoundError(f"{path} holds no {META_FILE}")
    meta = _read_json(meta_path)
    missing = [key for key in ("config", "source_vocab", "target_vocab")
               if not isinstance(meta, dict) or not isinstance(meta.get(key), dict)]
    if missing:
        raise ValueError(f"{meta_path} lacks {missing} (each a JSON object); write the model "
                         "again with `Translator.save` or `seq2seq-keras train`")
    try:
        config = Config.from_dict(meta["config"])
        source_vocab = Vocabulary.from_config(meta["source_vocab"])
        target_vocab = Vocabulary.from_config(meta["target_vocab"])
    except (TypeError, KeyError, ValueError) as error:
        raise ValueError(f"{meta_path}: {error}") from None
    strategy = strategies.get_strategy(meta.get("decoding", _LEGACY_STRATEGY))
    # Optional: a model saved without it keeps its rare names as they are.
    words_path = os.path.join(path, SOURCE_WORDS_FILE)
    words = _read_json(words_path) if os.path.isfile(words_path) else None
    if not (words is None or isinstance(words, list)):
        raise ValueError(f"{words_path} must hold a JSON list")
    return Artefact(None, config, source_vocab, target_vocab, {}, strategy, words)


def _load_weights(model, path: str, vocab_sizes) -> None:
    """Set `model`'s weights from `path`, with a clear `ValueError` for a damaged file or
    weights of another shape (an `.npz` file's shapes are read from its headers first,
    so that a file declaring huge arrays is refused before they are read)."""
    expected = [tuple(w.shape) for w in model.weights]
    try:
        if path.endswith(".npz"):
            shapes = _npz_shapes(path)
            if len(shapes) != len(expected):
                raise ValueError(f"it holds {len(shapes)} arrays; the model that "
                                 f"{META_FILE} describes has {len(expected)} weights")
            for k, (shape, want) in enumerate(zip(shapes, expected, strict=True)):
                if shape != want:
                    raise ValueError(_shape_mismatch(model.weights[k].path, shape, want,
                                                     vocab_sizes))
            with np.load(path) as arrays:
                model.set_weights([arrays[f"arr_{i}"].astype(np.float32)
                                   for i in range(len(expected))])
        else:
            model.load_weights(path)
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} cannot be read ({error}); the file is damaged: copy or "
                         "write the model again") from None
    except ValueError as error:
        raise ValueError(f"{path}: {str(error).splitlines()[0]}") from None


def _npz_shapes(path: str) -> list[tuple]:
    """The shapes of `arr_0`, `arr_1`, ... in an `.npz` file, from their headers."""
    shapes = []
    with zipfile.ZipFile(path) as archive:
        for i in range(len(archive.namelist())):
            with archive.open(f"arr_{i}.npy") as member:
                version = np.lib.format.read_magic(member)
                read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                        else np.lib.format.read_array_header_2_0)
                shapes.append(tuple(read(member)[0]))
    return shapes


def _shape_mismatch(name: str, shape: tuple, want: tuple, vocab_sizes) -> str:
    """Why a saved weight does not fit: the vocabulary's size, where that is the cause."""
    differ = [(saved, needed) for saved, needed in zip(shape, want, strict=False)
              if saved != needed]
    if len(shape) == len(want) and all(needed in vocab_sizes for _, needed in differ):
        saved, needed = differ[0]
        return (f"vocabulary size {needed} ({META_FILE}) does not match the model's "
                f"{saved} ({name}): the vocabulary and the weights come from different models")
    return f"weight {name} is saved as {shape}, the model needs {want}"
