"""seq2seq_keras: LSTM encoder-decoder translation, English to French, with Keras 3.

    import seq2seq_keras as s2s
    translator = s2s.load_translator(s2s.default_model_path())
    translator.translate("I am cold.")

Layers, lowest first (a module imports only from those before it):
data, text, config -> datasets, unknown -> cells, attention -> models -> decoding ->
evaluation, translator -> training, benchmark -> cli.
"""

__version__ = "0.1.0"

from .attention import BahdanauAttention, LuongAttention
from .cells import CoupledLSTMCell, PeepholeLSTMCell
from .config import PRESETS, Config, get_preset
from .data import CorpusError, Splits, load_pairs, normalize, split_pairs
from .datasets import encode_pairs, make_dataset
from .evaluation import evaluate_translations, evaluate_translator
from .models import build_inference_models, build_training_model, compile_model
from .text import Vocabulary
from .training import PreparedData, prepare_data, train
from .translator import SentenceTooLongError, Translator, default_model_path, load_translator
from .unknown import attention_alignments, build_lexicon, replace_unknown

__all__ = [
    "__version__",
    "BahdanauAttention",
    "CoupledLSTMCell",
    "LuongAttention",
    "PeepholeLSTMCell",
    "evaluate_translations",
    "evaluate_translator",
    "Config",
    "CorpusError",
    "PRESETS",
    "PreparedData",
    "SentenceTooLongError",
    "Splits",
    "Translator",
    "Vocabulary",
    "attention_alignments",
    "build_inference_models",
    "build_lexicon",
    "build_training_model",
    "compile_model",
    "default_model_path",
    "encode_pairs",
    "get_preset",
    "load_pairs",
    "load_translator",
    "make_dataset",
    "normalize",
    "prepare_data",
    "replace_unknown",
    "split_pairs",
    "train",
]
