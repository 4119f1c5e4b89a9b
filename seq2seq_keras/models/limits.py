"""How long a translation may grow: the output limit of each source length."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["output_limits"]


def output_limits(source_lengths, max_source_length: int, max_target_length: int):
    """The most tokens decoded for sources of `source_lengths` tokens (an int tensor
    of any shape): `max_target_length`, or proportionally more past
    `max_source_length`, `max(max_target_length, ceil(max_target_length * n /
    max_source_length))`. The one rule for `translate`'s searches, the export and the
    sizes of a Transformer's caches.

    Examples:
        >>> output_limits([3, 60], max_source_length=30, max_target_length=40).numpy()
        array([40, 80], dtype=int32)
    """
    grown = tf.math.ceil(tf.cast(source_lengths, tf.float64) * max_target_length
                         / max_source_length)
    return tf.maximum(max_target_length, tf.cast(grown, tf.int32))
