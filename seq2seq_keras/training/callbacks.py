"""The callbacks of a long run: timing, the last checkpoints, and `run_callbacks`,
the list that `train` passes to `model.fit`."""

from __future__ import annotations

import os
import time

import keras

from seq2seq_keras.config import Config

__all__ = ["EpochTimer", "LastCheckpoints", "checkpoint_paths", "run_callbacks"]


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of each epoch (validation included)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if logs is not None:
            logs["seconds"] = self.seconds[-1]


class LastCheckpoints(keras.callbacks.Callback):
    """Keeps the weights of the last `keep` epochs in `folder` (`epoch_NNN.weights.h5`),
    for averaging them afterwards (see `average_checkpoints`)."""

    def __init__(self, folder: str, keep: int = 5):
        super().__init__()
        self.folder, self.keep = folder, keep

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.folder, exist_ok=True)
        self.model.save_weights(os.path.join(self.folder, f"epoch_{epoch + 1:03d}.weights.h5"))
        for old in checkpoint_paths(self.folder)[:-self.keep]:
            os.remove(old)


def checkpoint_paths(folder: str) -> list[str]:
    """The `LastCheckpoints` weight files in `folder`, oldest first."""
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if name.startswith("epoch_") and name.endswith(".weights.h5")]


def run_callbacks(config: Config, output_dir: str, earlier_val_loss=None) -> list:
    """The callbacks of `train`: the best weights by validation loss checkpointed
    every epoch (`best.weights.h5`, better than `earlier_val_loss`, an interrupted
    run's best), `BackupAndRestore` (running the same call again resumes after the
    last finished epoch), a CSV log, TensorBoard logs, `TerminateOnNaN`, the last
    checkpoints, the learning-rate decay of `config.lr_decay` and early stopping after
    `config.patience` epochs without improvement. The first is an `EpochTimer`."""
    callbacks = [
        EpochTimer(),
        keras.callbacks.ModelCheckpoint(
            os.path.join(output_dir, "best.weights.h5"), monitor="val_loss",
            save_best_only=True, save_weights_only=True,
            initial_value_threshold=earlier_val_loss),
        keras.callbacks.BackupAndRestore(os.path.join(output_dir, "backup")),
        keras.callbacks.CSVLogger(os.path.join(output_dir, "training_log.csv"), append=True),
        # Per-epoch curves for `tensorboard --logdir DIR/tensorboard` (no graph, no
        # profiling: they would cost time on every run).
        keras.callbacks.TensorBoard(os.path.join(output_dir, "tensorboard"),
                                    write_graph=False, profile_batch=0),
        keras.callbacks.TerminateOnNaN(),
        LastCheckpoints(os.path.join(output_dir, "checkpoints")),
    ]
    if config.lr_decay != 1.0:
        # A function of the epoch alone, so a resumed run picks up the right rate;
        # before the CSV log, which then records it.
        callbacks.insert(1, keras.callbacks.LearningRateScheduler(
            lambda epoch: config.learning_rate * config.lr_decay ** max(
                0, epoch - config.lr_decay_start)))
    if config.patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss",
                                                       patience=config.patience))
    return callbacks
