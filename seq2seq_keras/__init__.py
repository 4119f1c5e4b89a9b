"""seq2seq_keras: LSTM encoder-decoder translation, English to French, with Keras 3.

    import seq2seq_keras as s2s
    translator = s2s.load_translator()      # the shipped default model
    translator.translate("I am cold.")

The subpackages are the layers, lowest first; a layer imports only those below it
(tests/test_layers.py checks it): `text`, `data`, `layers`, `models`, `decoding`,
`training`, `translation`, `apps`. `config`, `presets` and `pretrained` sit below
them all; `plots` draws the notebooks' figures. The names below are imported on
first use, so that `import seq2seq_keras` and `seq2seq-keras --help` do not start
TensorFlow.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "Config": "config",
    "check_counts": "config",
    "PRESETS": "presets",
    "get_preset": "presets",
    "Vocabulary": "text.vocabulary",
    "SentenceTooLongError": "text.inputs",
    "LongSentenceWarning": "text.inputs",
    "CorpusError": "data.corpus",
    "load_pairs": "data.corpus",
    "split_pairs": "data.corpus",
    "encode_pairs": "data.datasets",
    "make_dataset": "data.datasets",
    "build_training_model": "models.rnn",
    "build_inference_models": "models.rnn",
    "Seq2Seq": "models.seq2seq",
    "Greedy": "decoding.strategies",
    "BeamSearch": "decoding.strategies",
    "Sampling": "decoding.strategies",
    "compile_model": "training.optimizer",
    "prepare_data": "training.train",
    "train": "training.train",
    "Translator": "translation.translator",
    "load_translator": "translation.translator",
    "evaluate_translations": "translation.evaluation",
    "evaluate_translator": "translation.evaluation",
    "CTranslate2Translator": "translation.ctranslate2",
}

# The subpackages and modules reached as `s2s.NAME`.
_MODULES = ("apps", "config", "data", "decoding", "layers", "models", "plots", "presets",
            "pretrained", "text", "training", "translation")

__all__ = ["__version__", *sorted(_EXPORTS), *_MODULES]


def __getattr__(name: str):
    """Import a public name, or a subpackage (`s2s.decoding`), on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
