"""Training: `train(config)`, and what a run needs and writes.

`prepare_data` reads, splits and encodes a corpus for a `Config`; `compile_model`
sets the optimizer, loss and schedule; `train` strings them together with the
callbacks a long run needs and writes the artefact (`training.saving`) with its lexicon
(`lexicon`) beside it. Imports every lower layer, never `translation`.
"""

from seq2seq_keras.training.callbacks import EpochTimer, LastCheckpoints, checkpoint_paths
from seq2seq_keras.training.distribution import get_distribution
from seq2seq_keras.training.lexicon import build_lexicon, learn_lexicon
from seq2seq_keras.training.optimizer import WarmupSchedule, compile_model
from seq2seq_keras.training.saving import Artefact, load_artefact, save_artefact
from seq2seq_keras.training.train import (
    PreparedData,
    TrainingResult,
    average_checkpoints,
    prepare_data,
    train,
)

__all__ = [
    "EpochTimer",
    "LastCheckpoints",
    "checkpoint_paths",
    "get_distribution",
    "build_lexicon",
    "learn_lexicon",
    "WarmupSchedule",
    "compile_model",
    "Artefact",
    "load_artefact",
    "save_artefact",
    "PreparedData",
    "TrainingResult",
    "average_checkpoints",
    "prepare_data",
    "train",
]
