"""Translation: a trained model as strings in, strings out.

`Translator` reads the input rules (`text`), runs the searches (`searcher`) and
repairs `[UNK]` (`repair`); `export` writes the same as a SavedModel; `ctranslate2`
converts a Transformer for the CTranslate2 engine and translates with it under the
same input rules; `evaluation` scores translations with BLEU and chrF. Imports every
lower layer.
"""

from seq2seq_keras.translation.ctranslate2 import CTranslate2Translator, export_ctranslate2
from seq2seq_keras.translation.evaluation import evaluate_translations, evaluate_translator
from seq2seq_keras.translation.export import export_translator
from seq2seq_keras.translation.translator import Translator, load_translator

__all__ = [
    "evaluate_translations",
    "evaluate_translator",
    "export_translator",
    "Translator",
    "load_translator",
    "CTranslate2Translator",
    "export_ctranslate2",
]
