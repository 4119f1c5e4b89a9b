"""The optimizer of a run: `compile_model` and the Transformer's warm-up schedule."""

from __future__ import annotations

import keras
from keras import ops

from seq2seq_keras.config import Config
from seq2seq_keras.models.losses import MaskedAccuracy, MaskedSparseCategoricalCrossentropy

__all__ = ["compile_model", "WarmupSchedule"]


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """`peak * min(step / warmup, sqrt(warmup / step))`: a linear rise to `peak` over
    `warmup` steps, then the inverse square root of the step (Vaswani et al. 2017).
    With `decay` (> `warmup`), after the rise a straight line from `peak` down to 0 at
    step `decay` instead, and 0 after it."""

    def __init__(self, peak: float, warmup: int, decay: int = 0):
        self.peak, self.warmup, self.decay = peak, warmup, decay

    def __call__(self, step):
        step = ops.maximum(ops.cast(step, "float32") + 1.0, 1.0)
        warmup = float(self.warmup)
        after = (ops.maximum(0.0, (self.decay - step) / (self.decay - warmup)) if self.decay
                 else ops.sqrt(warmup / step))
        return self.peak * ops.minimum(step / warmup, after)

    def get_config(self):
        return {"peak": self.peak, "warmup": self.warmup, "decay": self.decay}


def compile_model(model: keras.Model, config: Config) -> keras.Model:
    """Compile with the config's optimizer and the masked loss and accuracy."""
    options = {"learning_rate": WarmupSchedule(config.learning_rate, config.warmup_steps,
                                               config.decay_steps)
               if config.warmup_steps else config.learning_rate}
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    optimizer = keras.optimizers.get({"class_name": config.optimizer, "config": options})
    model.compile(optimizer=optimizer,
                  loss=MaskedSparseCategoricalCrossentropy(config.label_smoothing),
                  metrics=[MaskedAccuracy()])
    return model
