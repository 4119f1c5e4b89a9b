"""Data: the corpus read and split by source sentence, and the `tf.data` pipelines.

`corpus` reads the manythings / Tatoeba files (normalized by `text`), `datasets`
encodes pairs with vocabularies and batches them for teacher forcing, and
`data.tfds_builder` / `tfds_reader` offer the same corpus as a TensorFlow Datasets
dataset. Imports `text` and `config` only.
"""

from seq2seq_keras.data.corpus import (
    CorpusError,
    Splits,
    default_corpus_path,
    load_pairs,
    sample_pairs,
    split_pairs,
)
from seq2seq_keras.data.datasets import encode_pairs, load_splits, make_dataset

__all__ = [
    "CorpusError",
    "Splits",
    "default_corpus_path",
    "load_pairs",
    "sample_pairs",
    "split_pairs",
    "encode_pairs",
    "load_splits",
    "make_dataset",
]
