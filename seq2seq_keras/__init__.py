"""seq2seq_keras: LSTM encoder-decoder translation, English to French, with Keras 3.

    import seq2seq_keras as s2s
    translator = s2s.load_translator()      # the shipped default model
    translator.translate("I am cold.")

Layers, lowest first (a module imports only from those before it):
data, text, subwords, sentences, config, presets -> names -> inputs, datasets, unknown -> cells,
attention, decoding -> beam, transformer -> losses -> models -> strategies, search ->
saving -> translator -> evaluation, interactive, export, training, benchmark -> cli.

The names below are imported on first use (PEP 562), so `import seq2seq_keras`
and the command line's `--help` and `--version` do not start TensorFlow; the
command line silences TensorFlow's start-up logs before anything imports it
(see `tf_logs`).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "BahdanauAttention": "attention",
    "LuongAttention": "attention",
    "CoupledLSTMCell": "cells",
    "PeepholeLSTMCell": "cells",
    "Config": "config",
    "DataConfig": "config",
    "ModelConfig": "config",
    "TrainingConfig": "config",
    "check_counts": "config",
    "default_model_path": "config",
    "PRESETS": "presets",
    "get_preset": "presets",
    "CorpusError": "data",
    "Splits": "data",
    "load_pairs": "data",
    "normalize": "data",
    "split_pairs": "data",
    "encode_pairs": "datasets",
    "make_dataset": "datasets",
    "evaluate_translations": "evaluation",
    "evaluate_translator": "evaluation",
    "build_inference_models": "models",
    "build_training_model": "models",
    "Seq2Seq": "models",
    "compile_model": "models",
    "BeamSearch": "strategies",
    "Greedy": "strategies",
    "Sampling": "strategies",
    "get_strategy": "strategies",
    "split_sentences": "sentences",
    "Vocabulary": "text",
    "PreparedData": "training",
    "prepare_data": "training",
    "train": "training",
    "LongSentenceWarning": "inputs",
    "SentenceTooLongError": "inputs",
    "Translator": "translator",
    "load_translator": "translator",
    "attention_alignments": "unknown",
    "build_lexicon": "unknown",
    "replace_unknown": "unknown",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str):
    """Import a public name, or a submodule (`s2s.decoding`), on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif not name.startswith("__"):
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
