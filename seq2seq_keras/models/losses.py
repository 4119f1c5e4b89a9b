"""The training objective: the masked loss (from logits, with label smoothing) and the
masked accuracy (`training.optimizer.compile_model` compiles a model with them).

Padding (id 0) is not a prediction: both count real target tokens only.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["MaskedSparseCategoricalCrossentropy", "MaskedAccuracy"]


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Cross-entropy per real target token: padding (id 0) is not a prediction.

    The mask comes from the targets themselves, so it does not depend on Keras
    propagating masks to the model output. The classic example averages over padded
    positions too, which makes its loss look smaller than the per-token loss.

    It takes logits, as the models give them (`p = softmax(logits)`).

    Args:
        label_smoothing: the target distribution puts `1 - label_smoothing` on the
            reference token and spreads `label_smoothing` evenly over all `K` tokens,
            so the loss is `(1 - e) * -log p[ref] + e * mean_k(-log p[k])`.
    """

    def __init__(self, label_smoothing=0.0, name="masked_sparse_categorical_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        loss = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        if self.label_smoothing:
            uniform = -ops.mean(ops.log_softmax(y_pred, axis=-1), axis=-1)
            loss = (1.0 - self.label_smoothing) * loss + self.label_smoothing * uniform
        return loss

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        mask = ops.cast(ops.not_equal(y_true, 0), losses.dtype)
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, losses.dtype)
        return _scale_for_replicas(ops.sum(losses * mask) / ops.maximum(ops.sum(mask), 1.0))

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def _scale_for_replicas(loss):
    # Under a tf.distribute strategy each replica's loss is divided by the replicas'
    # number, so the summed gradients average them, as Keras' own losses do.
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / replicas
    return loss


@keras.saving.register_keras_serializable(package="seq2seq_keras")
class MaskedAccuracy(keras.metrics.Metric):
    """Accuracy over real target tokens, accumulated exactly across batches.

    The classic example reports 0.87 "accuracy" because it counts correctly predicted
    padding; over real characters the same model scores 0.63.
    """

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable((), initializer="zeros", name="correct")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(y_true, 0), self.dtype)
        hits = ops.cast(ops.equal(ops.argmax(y_pred, axis=-1), y_true), self.dtype)
        self.correct.assign_add(ops.sum(hits * mask))
        self.count.assign_add(ops.sum(mask))

    def result(self):
        return ops.divide_no_nan(self.correct, self.count)
