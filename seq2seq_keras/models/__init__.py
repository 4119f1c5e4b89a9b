"""Models: the encoder-decoders, their inference graphs, and the loss they train on.

`rnn` wires the LSTM (or GRU, variant cells, attention) training graph and the
blog's two inference graphs from one set of named layers; `models.transformer` does the
same with attention alone; `Seq2Seq` is a trained model as a search sees it
(`encode`, `log_probs`). Imports `layers`, `text` and `config`, never `decoding`:
a search receives a step function.
"""

from seq2seq_keras.models.limits import output_limits
from seq2seq_keras.models.losses import MaskedAccuracy, MaskedSparseCategoricalCrossentropy
from seq2seq_keras.models.rnn import (
    build_attention_model,
    build_inference_graphs,
    build_inference_models,
    build_training_model,
)
from seq2seq_keras.models.seq2seq import Seq2Seq, encode, make_step
from seq2seq_keras.models.transformer import TransformerModel

__all__ = [
    "output_limits",
    "MaskedAccuracy",
    "MaskedSparseCategoricalCrossentropy",
    "build_attention_model",
    "build_inference_graphs",
    "build_inference_models",
    "build_training_model",
    "Seq2Seq",
    "encode",
    "make_step",
    "TransformerModel",
]
