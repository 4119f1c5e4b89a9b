"""`tf.distribute` for `train`: distribution strategies by name, and what Keras 3 needs to fit under
`MultiWorkerMirroredStrategy`."""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["get_distribution", "work_around_multi_worker_fit"]


def get_distribution(name=None):
    """A `tf.distribute` strategy by name.

    Args:
        name: `None` or `"default"` (one device), `"mirrored"` (every local GPU, or
            every logical CPU device: synchronous data parallelism on one machine),
            `"multi-worker"` (`MultiWorkerMirroredStrategy`: synchronous data
            parallelism over the machines listed in the `TF_CONFIG` environment
            variable; every worker runs the same command), or a
            `tf.distribute.Strategy`. Make a multi-worker strategy before anything
            else in TensorFlow runs: its collective ops are set up at start.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError("distribution must be 'default', 'mirrored' or 'multi-worker', got "
                     f"distribution={name!r}")


def work_around_multi_worker_fit(model, dataset) -> None:
    """Let Keras 3's `fit` and `evaluate` run `model` under `MultiWorkerMirroredStrategy`.

    Two steps of Keras 3.15's TensorFlow trainer fail across workers:

    - Before the first step, it learns the input shapes by reducing one real batch
      across replicas (`_maybe_symbolic_build`), which the strategy cannot do for a
      dict of batches, nor for batches of different widths on different workers
      (keras-team/keras#20329). The shapes are in the dataset's `element_spec`,
      widths unknown: the model is built from those, and that reduction is off.
    - After each step, it averages each logged metric across workers with
      `strategy.reduce("MEAN", value, axis=0)`, which fails for the scalars every
      step logs. The steps here log vectors of length 1, whose mean over axis 0 is
      the scalar Keras expects.

    Gradients are all-reduced as usual: their shapes are the variables', the same on
    every worker.
    """
    batch = tf.nest.map_structure(
        lambda spec: keras.KerasTensor(tuple(spec.shape), spec.dtype.name),
        dataset.element_spec)
    with model.distribute_strategy.scope():
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None

    def logging_vectors(step):
        return lambda data: {name: tf.reshape(value, [1])
                             for name, value in step(data).items()}

    model.train_step = logging_vectors(model.train_step)
    model.test_step = logging_vectors(model.test_step)
