"""Reading TensorFlow Datasets translation datasets for training.

`load_tfds_pairs` reads any TFDS translation dataset with supervised keys
(`manythings_anki/fra-eng`, built offline by `data.tfds_builder`;
`ted_hrlr_translate/pt_to_en`, ...) into normalized `(source, target)` string
pairs; `load_tfds_splits` reads the three splits of one for a training `Config` (a
`data.Splits`, as `prepare_data` makes). Importing this module registers the
`manythings_anki` dataset (it imports `data.tfds_builder`).
"""

from __future__ import annotations

import logging
import os

import tensorflow_datasets as tfds

from seq2seq_keras.config import Config
from seq2seq_keras.data import corpus as data_lib
from seq2seq_keras.data.tfds_builder import ManythingsAnki, available_pairs, config_name
from seq2seq_keras.text.normalize import tf_normalize

__all__ = ["load_tfds_pairs", "load_tfds_splits"]


def _drop_unfinished_variant_warning(record: logging.LogRecord) -> bool:
    return "has no dataset_info.json" not in record.getMessage()


def _prepared_builder(name: str, data_dir: str | None, download: bool | None):
    if download is None:
        download = name.split("/")[0].split(":")[0] == ManythingsAnki.name
    # While TFDS looks for a prepared copy it warns about every other variant folder
    # of the dataset that is still being written or was never finished ("has no
    # dataset_info.json"): not this dataset's problem, so that warning is dropped.
    absl_logger = logging.getLogger("absl")
    absl_logger.addFilter(_drop_unfinished_variant_warning)
    try:
        # TFDS reads TFDS_DATA_DIR once, at import; read it at each call instead.
        builder = tfds.builder(name, data_dir=data_dir or os.environ.get("TFDS_DATA_DIR"))
        if not builder.is_prepared():
            if not download:
                raise FileNotFoundError(
                    f"TFDS dataset {name!r} is not prepared in {builder.data_dir}; prepare "
                    "it (tfds.builder(name).download_and_prepare()) or pass download=True")
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    finally:
        absl_logger.removeFilter(_drop_unfinished_variant_warning)
    return builder


def load_tfds_pairs(
    name: str,
    split: str = "train",
    data_dir: str | None = None,
    download: bool | None = None,
) -> list[tuple[str, str]]:
    """Read a TFDS translation dataset into `(source, target)` string pairs.

    Works for any dataset with supervised keys whose two sides are strings, e.g.
    `manythings_anki/fra-eng` or `ted_hrlr_translate/pt_to_en`; the first supervised
    key is the source (Portuguese for `pt_to_en`). Both sides are decoded from UTF-8 and
    passed through `text.normalize`; pairs with an empty side after normalization are
    dropped. Order is the dataset's (files are not shuffled).

    Args:
        name: a TFDS name with its config, e.g. `"manythings_anki/fra-eng"`.
        split: a TFDS split, e.g. `"train"`, `"validation"`, `"test[:10%]"`.
        data_dir: the TFDS data folder (default `TFDS_DATA_DIR` or
            `~/tensorflow_datasets`).
        download: `None` (default) prepares a missing `manythings_anki` dataset
            (built offline from the shipped corpus) and never downloads any other
            dataset; `True` lets TFDS download and prepare any missing dataset;
            `False` only reads a prepared one.

    Returns:
        A list of `(source, target)` string pairs.

    Raises:
        ValueError: the dataset has no supervised keys, or its sides are not strings.
        FileNotFoundError: the dataset is not prepared in `data_dir` and may not be
            downloaded.

    Examples:
        >>> pairs = load_tfds_pairs("manythings_anki/fra-eng", "validation")  # doctest: +SKIP
        >>> pairs[0]  # doctest: +SKIP
        ('Stop!', 'Ça suffit !')
    """
    builder = _prepared_builder(name, data_dir, download)
    if not builder.info.supervised_keys:
        raise ValueError(f"TFDS dataset {name!r} has no supervised keys; "
                         "load_tfds_pairs needs a (source, target) translation dataset")
    dataset = builder.as_dataset(split=split, as_supervised=True, shuffle_files=False)
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2
            and all(s.dtype.name == "string" and s.shape.rank == 0 for s in spec)):
        raise ValueError(f"TFDS dataset {name!r} must give (string, string) supervised pairs, "
                         f"got element_spec={spec}")
    pairs = []
    # Batches, normalized in the pipeline by the same TF ops as every input.
    batches = dataset.batch(4096).map(lambda s, t: (tf_normalize(s), tf_normalize(t)))
    for sources, targets in tfds.as_numpy(batches):
        for source, target in zip(sources, targets, strict=True):
            source, target = source.decode("utf-8"), target.decode("utf-8")
            if source and target:
                pairs.append((source, target))
    return pairs


def load_tfds_splits(
    name: str,
    config: Config | None = None,
    data_dir: str | None = None,
    download: bool | None = None,
) -> data_lib.Splits:
    """The train / validation / test pairs of a TFDS dataset, for a training `Config`.

    The dataset defines the splits. For `manythings_anki` they are the library's:
    the pair of `name`, with `config.num_pairs` and the config's split settings,
    picks the config (see `config_name`), so the result equals
    `split_pairs(load_pairs(path, config.num_pairs), config.validation_fraction,
    config.test_fraction, config.split_seed)`, as in `training.prepare_data`. For any
    other dataset `config.num_pairs` keeps the first pairs of `train` only, and the
    split settings of `config` are not used.

    Args:
        name: a TFDS name with its config, e.g. `"manythings_anki/fra-eng"` or
            `"ted_hrlr_translate/pt_to_en"`.
        config: the run's `Config` (`num_pairs`, `validation_fraction`,
            `test_fraction`, `split_seed`); default `Config()`.
        data_dir: the TFDS data folder (default `TFDS_DATA_DIR` or
            `~/tensorflow_datasets`).
        download: as in `load_tfds_pairs`.

    Returns:
        A `data.Splits` (`test` is empty for a dataset without a `test` split).

    Raises:
        ValueError: an unknown `manythings_anki` config, a `manythings_anki` name whose
            number of pairs or split settings differ from the config's, or no `train`
            or `validation` split.
        FileNotFoundError: as in `load_tfds_pairs`.

    Examples:
        >>> splits = load_tfds_splits("manythings_anki/fra-eng", Config(num_pairs=10_000))
        >>> len(splits.train)  # doctest: +SKIP
        8572
    """
    config = config or Config()
    if config.sample_pairs:
        raise ValueError(f"sample_pairs=True works on corpus files, not on TFDS datasets "
                         f"({name!r}); use data=None or a corpus file")
    num_pairs = config.num_pairs
    dataset, _, subset = name.partition("/")
    if dataset == ManythingsAnki.name:
        named = ManythingsAnki.get_builder_config(subset or "fra-eng")
        if named is None:
            raise ValueError(f"unknown config in {name!r}; use 'manythings_anki/<pair>' "
                             f"with a pair of {available_pairs()}")
        if num_pairs is not None and named.num_pairs not in (None, num_pairs):
            raise ValueError(f"{name!r} holds the first {named.num_pairs} pairs, "
                             f"but num_pairs={num_pairs}; use 'manythings_anki/"
                             f"{named.pair}' or num_pairs=None")
        wanted = (config.validation_fraction, config.test_fraction, config.split_seed)
        named_splitting = (named.validation_fraction, named.test_fraction, named.split_seed)
        default = (Config().validation_fraction, Config().test_fraction,
                   Config().split_seed)
        if named_splitting not in (default, wanted):
            raise ValueError(
                f"{name!r} is split with validation_fraction, test_fraction, split_seed = "
                f"{named_splitting}, but the config asks for {wanted}; name only the pair "
                f"('manythings_anki/{named.pair}') to follow the config")
        name = f"{dataset}/{config_name(named.pair, num_pairs or named.num_pairs, *wanted)}"
        num_pairs = None  # taken by the dataset config
    splits = _prepared_builder(name, data_dir, download).info.splits
    missing = [split for split in ("train", "validation") if split not in splits]
    if missing:
        raise ValueError(f"TFDS dataset {name!r} has no {missing} split(s), only "
                         f"{list(splits)}; training needs 'train' and 'validation'")
    train = "train" if num_pairs is None else f"train[:{num_pairs}]"
    return data_lib.Splits(
        train=load_tfds_pairs(name, train, data_dir, download),
        validation=load_tfds_pairs(name, "validation", data_dir, download),
        test=load_tfds_pairs(name, "test", data_dir, download) if "test" in splits else [],
    )
