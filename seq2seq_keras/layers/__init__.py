"""Layers: the recurrent cells, attention and embeddings that models are built from.

Keras layers only, each usable on its own (`keras.layers.RNN(PeepholeLSTMCell(8))`).
Imports nothing of the package but `config`.
"""

from seq2seq_keras.layers.attention import BahdanauAttention, LuongAttention
from seq2seq_keras.layers.cells import CoupledLSTMCell, PeepholeLSTMCell
from seq2seq_keras.layers.embeddings import (
    OneHot,
    SinePositionEmbedding,
    TiedOutput,
    sine_positions,
)

__all__ = [
    "BahdanauAttention",
    "LuongAttention",
    "CoupledLSTMCell",
    "PeepholeLSTMCell",
    "OneHot",
    "SinePositionEmbedding",
    "TiedOutput",
    "sine_positions",
]
