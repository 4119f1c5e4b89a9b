"""tf.data pipelines: integer ids, teacher-forcing shift, length-sorted batches.

The classic example builds three dense one-hot float arrays of shape
`(pairs, longest sentence, vocabulary)`: ~0.5 GB for 10k pairs, and every batch is
padded to the longest sentence of the whole corpus. Here the data stays as small
integer arrays; each batch is cut to its own longest sentence, and pairs of similar
length are batched together, so little arithmetic is spent on padding. One-hot
vectors, where the lesson wants them, are made inside the graph (`models.OneHot`).
"""

from __future__ import annotations

import math

import tensorflow as tf

from seq2seq_keras.data import corpus as data_lib
from seq2seq_keras.text.vocabulary import pad_ids

__all__ = ["load_splits", "encode_pairs", "make_dataset", "num_batches"]


def load_splits(config, skip_malformed: bool = False):
    """The train / validation / test pairs named by a `Config`, as a `data.Splits`.

    `config.data` is a corpus file (default: the shipped `data/fra-eng`), read with
    `data.load_pairs` (the first `num_pairs`, or a sample of them: `sample_pairs`)
    and split by English sentence with `data.split_pairs`; or
    `"tfds:<name>/<config>"`, a TensorFlow Datasets translation dataset, whose own
    splits are used (`manythings_anki`, the shipped corpora as a TFDS dataset, has
    exactly the library's splits; see `data.tfds_builder`).

    Raises:
        data.CorpusError: a missing, empty or malformed corpus file.
        ModuleNotFoundError: a `tfds:` source without TensorFlow Datasets installed.
    """
    if config.data and config.data.startswith("tfds:"):
        try:
            from seq2seq_keras.data import tfds_reader
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                f"data={config.data!r} needs TensorFlow Datasets: "
                "pip install 'seq2seq-keras[tfds]'") from error
        return tfds_reader.load_tfds_splits(config.data[len("tfds:"):], config)
    pairs = data_lib.load_pairs(config.data or data_lib.default_corpus_path(),
                                num_pairs=None if config.sample_pairs else config.num_pairs,
                                skip_malformed=skip_malformed)
    if config.sample_pairs:
        pairs = data_lib.sample_pairs(pairs, config.num_pairs, seed=config.split_seed)
    return data_lib.split_pairs(pairs, config.validation_fraction, config.test_fraction,
                                seed=config.split_seed)


def encode_pairs(pairs, source_vocab, target_vocab, max_source_length=None,
                 max_target_length=None):
    """Encode sentence pairs as right-padded integer arrays.

    The target side is wrapped in `[START]` ... `[END]`: the decoder reads
    `target[:, :-1]` and learns to predict `target[:, 1:]` (teacher forcing).

    Args:
        pairs: `(source, target)` string pairs.
        source_vocab: `Vocabulary` of the source side.
        target_vocab: `Vocabulary` of the target side.
        max_source_length: drop pairs whose source has more tokens (`None`: keep all).
        max_target_length: drop pairs whose target has more tokens (`None`: keep all).

    Returns:
        `(source_ids, target_ids)`: int32 arrays of shape `(pairs, longest source)`
        and `(pairs, longest target + 2)`, padded with 0.
    """
    sources, targets = [], []
    for source, target in pairs:
        s = source_vocab.encode(source)
        t = target_vocab.encode(target, add_start_end=True)
        if max_source_length is not None and len(s) > max_source_length:
            continue
        if max_target_length is not None and len(t) - 2 > max_target_length:
            continue
        if s and len(t) > 2:
            sources.append(s)
            targets.append(t)
    return pad_ids(sources), pad_ids(targets)


def num_batches(num_examples: int, batch_size: int) -> int:
    """Batches per epoch (the last one may be short)."""
    return math.ceil(num_examples / batch_size)


def _trim(array):
    # Cut the columns that are padding in every row of this batch.
    length = tf.reduce_max(tf.math.count_nonzero(array, axis=1, dtype=tf.int32))
    return array[:, :length]


def _teacher_forcing(source, target):
    source, target = _trim(source), _trim(target)
    inputs = {"encoder_inputs": source, "decoder_inputs": target[:, :-1]}
    return inputs, target[:, 1:]


def _sort_by_length(source, target):
    order = tf.argsort(tf.math.count_nonzero(target, axis=1), stable=True)
    return tf.gather(source, order), tf.gather(target, order)


def make_dataset(source_ids, target_ids, batch_size, shuffle=False, seed=0, sort_window=1):
    """A `tf.data.Dataset` of teacher-forcing batches for `model.fit`.

    Each element is `({"encoder_inputs": (batch, source_time), "decoder_inputs":
    (batch, target_time)}, targets (batch, target_time))`, where `targets` is
    `decoder_inputs` shifted one step left. Padding is 0 and sits on the right (as
    cuDNN requires); losses and metrics ignore it (see
    `models.MaskedSparseCategoricalCrossentropy`).

    Args:
        source_ids: int array `(pairs, source_time)` from `encode_pairs`.
        target_ids: int array `(pairs, target_time + 2)` from `encode_pairs`.
        batch_size: pairs per batch.
        shuffle: reshuffle every epoch (seeded, so runs are reproducible).
        seed: shuffle seed.
        sort_window: if > 1, take `sort_window * batch_size` shuffled pairs at a
            time, sort them by target length, cut them into batches and shuffle the
            batches: each batch holds sentences of similar length, so it is padded
            little, while the order of batches stays random.

    Returns:
        The dataset, with its number of batches known (for progress bars).
    """
    count = len(source_ids)
    if count == 0:
        raise ValueError("no sentence pairs to batch: the split is empty")
    dataset = tf.data.Dataset.from_tensor_slices((source_ids, target_ids))
    if shuffle:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    batches = num_batches(count, batch_size)
    if sort_window > 1:
        window = sort_window * batch_size
        dataset = dataset.batch(window).map(_sort_by_length).unbatch()
        # Every full window gives sort_window batches; the last one its own share.
        full, rest = divmod(count, window)
        batches = full * sort_window + num_batches(rest, batch_size)
    dataset = dataset.batch(batch_size)
    if shuffle and sort_window > 1:
        dataset = dataset.shuffle(sort_window, seed=seed + 1, reshuffle_each_iteration=True)
    dataset = dataset.map(_teacher_forcing, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return dataset.prefetch(tf.data.AUTOTUNE)
