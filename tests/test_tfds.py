"""The `manythings_anki` TFDS builder: its splits are exactly the library's."""

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from conftest import write_corpus  # noqa: E402

import seq2seq_keras as s2s  # noqa: E402
from seq2seq_keras.data import tfds_builder, tfds_reader  # noqa: E402

SPLITS = ("train", "validation", "test")


def library_splits(path=None, num_pairs=None):
    """The splits `prepare_data` makes with `Config()`'s split defaults."""
    config = s2s.Config()
    pairs = s2s.load_pairs(path or s2s.data.default_corpus_path("fra-eng"), num_pairs=num_pairs)
    return s2s.split_pairs(pairs, config.validation_fraction, config.test_fraction,
                           seed=config.split_seed)


def read_supervised(dataset):
    """`(source, target)` str pairs of an `as_supervised` dataset, in order."""
    return [(s.decode("utf-8"), t.decode("utf-8"))
            for sources, targets in tfds.as_numpy(dataset.batch(4096))
            for s, t in zip(sources, targets, strict=True)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A TFDS data folder with the full `fra-eng` corpus built (about 4 s)."""
    folder = str(tmp_path_factory.mktemp("tfds"))
    builder = tfds_builder.build_tfds("fra-eng", data_dir=folder)
    assert builder.is_prepared()
    return folder


@pytest.fixture(scope="module")
def expected():
    """The library's splits of the full shipped `fra-eng` corpus."""
    return library_splits()


def test_configs_follow_data_folder():
    assert "fra-eng" in tfds_builder.available_pairs()
    names = tfds_builder.ManythingsAnki.builder_configs
    assert {"fra-eng", "fra-eng-10k"} <= set(names)
    assert names["fra-eng-10k"].num_pairs == 10_000
    config = tfds_builder.ManythingsAnki.get_builder_config("fra-eng-2k")
    assert (config.pair, config.num_pairs) == ("fra-eng", 2000)
    assert tfds_builder.ManythingsAnki.get_builder_config("fra-eng-2k") is config
    assert tfds_builder.ManythingsAnki.get_builder_config("xxx-eng-2k") is None
    name = tfds_builder.config_name("fra-eng", 10_000, 0.15, 0.05, 7)
    assert name == "fra-eng-10k-v0.15-t0.05-s7"
    config = tfds_builder.ManythingsAnki.get_builder_config(name)
    assert (config.num_pairs, config.validation_fraction, config.split_seed) == (10_000, 0.15, 7)
    assert tfds_builder.config_name("fra-eng", 1234) == "fra-eng-1234"
    assert tfds_builder.config_name("fra-eng") == "fra-eng"
    assert tfds.builder_cls("manythings_anki") is tfds_builder.ManythingsAnki


def test_full_corpus_splits_equal_library(data_dir, expected):
    for split in SPLITS:
        dataset = tfds.load("manythings_anki/fra-eng", split=split, as_supervised=True,
                            data_dir=data_dir, download=False)
        assert dataset.element_spec[0].dtype.name == "string"
        assert read_supervised(dataset) == getattr(expected, split), split


def test_load_tfds_pairs_round_trips(data_dir, expected):
    # The whole train split is compared above through tfds.load; a slice suffices here.
    for split, pairs in [("validation", expected.validation), ("test", expected.test),
                         ("train[:5000]", expected.train[:5000])]:
        got = tfds_reader.load_tfds_pairs("manythings_anki/fra-eng", split, data_dir=data_dir)
        assert got == pairs, split


def test_load_tfds_splits_for_a_config(data_dir):
    splits = tfds_reader.load_tfds_splits("manythings_anki/fra-eng-10k", data_dir=data_dir)
    assert splits == library_splits(num_pairs=10_000)
    # The config's num_pairs and split settings pick the dataset config, so the splits
    # are prepare_data's, e.g. for the quick preset (validation 0.15).
    config = s2s.get_preset("quick")
    splits = tfds_reader.load_tfds_splits("manythings_anki/fra-eng", config, data_dir=data_dir)
    pairs = s2s.load_pairs(s2s.data.default_corpus_path("fra-eng"), num_pairs=config.num_pairs)
    assert splits == s2s.split_pairs(pairs, config.validation_fraction, config.test_fraction,
                                     seed=config.split_seed)
    with pytest.raises(ValueError, match="num_pairs=500"):
        tfds_reader.load_tfds_splits("manythings_anki/fra-eng-10k", config, data_dir=data_dir)
    with pytest.raises(ValueError, match="split_seed"):
        tfds_reader.load_tfds_splits("manythings_anki/fra-eng-v0.2-t0.1-s7", config,
                                      data_dir=data_dir)
    with pytest.raises(ValueError, match="unknown config"):
        tfds_reader.load_tfds_splits("manythings_anki/xxx-eng", data_dir=data_dir)
    with pytest.raises(ValueError, match="sample_pairs=True works on corpus files"):
        tfds_reader.load_tfds_splits("manythings_anki/fra-eng",
                                      s2s.Config(num_pairs=100, sample_pairs=True),
                                      data_dir=data_dir)


def test_examples_keyed_by_language(data_dir, expected):
    builder = tfds_builder.ManythingsAnki(config="fra-eng", data_dir=data_dir)
    assert builder.info.supervised_keys == ("eng", "fra")
    example = next(iter(tfds.as_numpy(builder.as_dataset(split="train"))))
    assert (example["eng"].decode(), example["fra"].decode()) == expected.train[0]


def test_subset_built_from_class_and_by_name(tmp_path):
    builder = tfds_builder.ManythingsAnki(config="fra-eng-10k", data_dir=str(tmp_path))
    builder.download_and_prepare()
    expected = library_splits(num_pairs=10_000)
    for split in SPLITS:
        dataset = builder.as_dataset(split=split, as_supervised=True)
        assert read_supervised(dataset) == getattr(expected, split), split
    # A name made on demand, prepared by `tfds.load` itself once the module is imported.
    dataset = tfds.load("manythings_anki/fra-eng-500", split="validation", as_supervised=True,
                        data_dir=str(tmp_path))
    assert read_supervised(dataset) == library_splits(num_pairs=500).validation


def test_custom_config_reuses_load_pairs(tmp_path):
    # Normalization (U+202F before "!", a curly apostrophe) and deduplication are
    # load_pairs' own: the dataset holds what it returns.
    lines = ["Go.\tVa\u202f!\tCC-BY", "Go.\tVa !", "It\u2019s me.\tC'est moi.",
             "Hi.\tSalut.", "Run!\tCours !", "Who?\tQui ?", "Wow!\tÇa alors !"] * 3
    path = write_corpus(tmp_path / "tiny.txt.gz", lines, compress=True)
    config = tfds_builder.ManythingsAnkiConfig(name="tiny", pair="fra-eng", path=path,
                                               validation_fraction=0.3, test_fraction=0.3)
    builder = tfds_builder.ManythingsAnki(config=config, data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare()
    pairs = s2s.load_pairs(path)
    assert len(pairs) == 6
    expected = s2s.split_pairs(pairs, 0.3, 0.3, seed=1337)
    for split in SPLITS:
        got = read_supervised(builder.as_dataset(split=split, as_supervised=True))
        assert got == getattr(expected, split), split


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="pair='xxx-eng'"):
        tfds_builder.build_tfds("xxx-eng", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="num_pairs"):
        tfds_builder.build_tfds("fra-eng", data_dir=str(tmp_path), num_pairs=0)
    with pytest.raises(ValueError, match="pair must look like"):
        tfds_builder.ManythingsAnkiConfig(name="bad", pair="french")
    with pytest.raises(ValueError, match="validation_fraction"):
        tfds_builder.ManythingsAnki.get_builder_config("fra-eng-v0.6-t0.5-s1")
    # Another dataset is never downloaded unless asked.
    with pytest.raises(FileNotFoundError, match="download=True"):
        tfds_reader.load_tfds_pairs("ted_hrlr_translate/pt_to_en", data_dir=str(tmp_path))


def test_training_reads_the_tfds_dataset_like_the_corpus_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    config = s2s.get_preset("quick")
    from_file = s2s.prepare_data(config)
    from_tfds = s2s.prepare_data(config.replace(data="tfds:manythings_anki/fra-eng"))
    assert from_tfds.splits.train == from_file.splits.train
    assert from_tfds.source_vocab == from_file.source_vocab
    np.testing.assert_array_equal(from_tfds.train[1], from_file.train[1])
