"""A TensorFlow Datasets (TFDS) builder for the shipped corpora, and a TFDS reader.

`ManythingsAnki` turns a corpus of the repository's `data/` folder into a TFDS
dataset, offline: nothing is downloaded, the builder reads the local file with
`data.load_pairs` (normalized, deduplicated) and splits it with `data.split_pairs`,
so its train / validation / test splits are exactly the library's, in corpus order.

    import seq2seq_keras.tfds_builder  # registers "manythings_anki"
    import tensorflow_datasets as tfds

    ds = tfds.load("manythings_anki/fra-eng", split="train", as_supervised=True)

Builder configs, for every pair folder of `data/` (e.g. `fra-eng`):

- `"{pair}"`: the whole corpus;
- `"{pair}-10k"`: its first 10,000 pairs (the blog's subset);
- `"{pair}-{N}"` or `"{pair}-{N}k"` (any `N`): the first `N` (or `N * 1000`) pairs;
- any of these followed by `"-v{validation_fraction}-t{test_fraction}-s{split_seed}"`
  (e.g. `"fra-eng-10k-v0.15-t0.05-s1337"`, the `blog_char` split) for other splits
  than `Config()`'s (validation 0.1, test 0.05, seed 1337).

`tfds_reader` reads this and any other TFDS translation dataset for training.

TensorFlow Datasets is the optional extra `tfds`: `pip install seq2seq-keras[tfds]`.
Importing this module defines, and so registers, the `manythings_anki` dataset.
"""

from __future__ import annotations

import dataclasses
import os
import re

import tensorflow_datasets as tfds

from seq2seq_keras.config import Config
from seq2seq_keras.data import corpus as data_lib

__all__ = [
    "ManythingsAnki",
    "ManythingsAnkiConfig",
    "available_pairs",
    "build_tfds",
    "config_name",
]

# The split defaults of the library: a TFDS split equals a `train(Config())` split.
_DEFAULTS = Config()
# `fra-eng-500`, `spa-eng-20k`, `fra-eng-10k-v0.15-t0.05-s1337`: a pair folder, maybe a
# number of pairs, maybe split settings.
_CONFIG_NAME = re.compile(
    r"^(?P<pair>[a-z]+-[a-z]+)(-(?P<count>[1-9][0-9]*)(?P<k>k?))?"
    r"(-v(?P<validation>[0-9][0-9.e-]*)-t(?P<test>[0-9][0-9.e-]*)-s(?P<seed>[0-9]+))?$")

_CITATION = """\
@misc{manythings_anki,
  title = {Tab-delimited Bilingual Sentence Pairs},
  author = {Kelly, Charles and {Tatoeba Project}},
  howpublished = {\\url{https://www.manythings.org/anki/}},
  note = {Sentences from tatoeba.org, CC-BY 2.0}
}
"""


def available_pairs() -> list[str]:
    """The pair folders of the repository's `data/` folder that hold a corpus.

    Returns:
        Sorted folder names, e.g. `["fra-eng"]`; each one names a builder config.
    """
    # The package's own data folder (the one `data.default_corpus_path` searches).
    root = data_lib.DATA_DIR
    pairs = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        try:
            data_lib.default_corpus_path(name)
        except data_lib.CorpusError:
            continue
        pairs.append(name)
    return pairs


def _languages(pair: str) -> tuple[str, str]:
    # manythings folders are named `target-source` ("fra-eng"), while the files hold
    # `source<TAB>target` (English first).
    target, source = pair.split("-")
    return source, target


@dataclasses.dataclass(eq=False)
class ManythingsAnkiConfig(tfds.core.BuilderConfig):
    """Builder config of `ManythingsAnki`: which corpus, how many pairs, which split.

    The split arguments default to those of `Config()`, so that the TFDS splits are
    the splits `prepare_data` makes.

    Args:
        name: the config name, e.g. `"fra-eng"` or `"fra-eng-10k"`.
        pair: the pair folder under `data/` (default `"fra-eng"`); its languages name
            the features (`"eng"`, `"fra"`).
        num_pairs: keep the first `num_pairs` pairs of the corpus (`None`: all).
        path: a corpus file to read instead of `data.default_corpus_path(pair)`.
        validation_fraction: fraction of English sentences for validation (0.1).
        test_fraction: fraction of English sentences for test (0.05).
        split_seed: seed of the split (1337).

    Examples:
        >>> config = ManythingsAnkiConfig(name="fra-eng-500", pair="fra-eng", num_pairs=500)
        >>> builder = ManythingsAnki(config=config, data_dir="/tmp/tfds")  # doctest: +SKIP
    """

    pair: str = "fra-eng"
    num_pairs: int | None = None
    path: str | None = None
    validation_fraction: float = _DEFAULTS.validation_fraction
    test_fraction: float = _DEFAULTS.test_fraction
    split_seed: int = _DEFAULTS.split_seed

    def __post_init__(self):
        if not re.fullmatch(r"[a-z]+-[a-z]+", self.pair):
            raise ValueError(f"pair must look like 'fra-eng', got pair={self.pair!r}")
        if self.num_pairs is not None and (not isinstance(self.num_pairs, int)
                                           or self.num_pairs <= 0):
            raise ValueError(
                f"num_pairs must be a positive integer or None, got num_pairs={self.num_pairs!r}")
        # The library's own check of the split settings, before any file is read.
        data_lib.split_pairs([], self.validation_fraction, self.test_fraction,
                             seed=self.split_seed)
        if not self.description:
            subset = "all pairs" if self.num_pairs is None else f"first {self.num_pairs:,} pairs"
            self.description = f"manythings.org {self.pair} corpus, {subset}."


def _configs() -> list[ManythingsAnkiConfig]:
    configs = []
    for pair in available_pairs():
        configs.append(ManythingsAnkiConfig(name=pair, pair=pair))
        configs.append(ManythingsAnkiConfig(name=f"{pair}-10k", pair=pair, num_pairs=10_000))
    return configs


class ManythingsAnki(tfds.core.GeneratorBasedBuilder):
    """The manythings.org / Tatoeba sentence pairs shipped in `data/`, as a TFDS dataset.

    Each example is `{source: english, target: translation}` keyed by the pair's
    language codes (`{"eng": ..., "fra": ...}` for `fra-eng`); `as_supervised=True`
    gives `(english, translation)` `tf.string` pairs. The `train`, `validation` and
    `test` splits are `data.split_pairs(data.load_pairs(path, num_pairs),
    validation_fraction, test_fraction, split_seed)`, in corpus order (the dataset
    is ordered: read it with `shuffle_files=False`, the default).

    The dataset is built offline from the local corpus file: `download_and_prepare`
    downloads nothing. The class is not in the TFDS catalog; defining it (importing
    `seq2seq_keras.tfds_builder`) registers the name `manythings_anki`.

    Args:
        config: a config name (`"fra-eng"`, `"fra-eng-10k"`, `"fra-eng-500"`, ...) or
            a `ManythingsAnkiConfig`; default `"fra-eng"` (or the first config
            when `data/` has no `fra-eng` folder).
        data_dir: where TFDS writes and reads the dataset (default `TFDS_DATA_DIR` or
            `~/tensorflow_datasets`).
        **kwargs: other `tfds.core.GeneratorBasedBuilder` arguments (`version`, ...).

    Examples:
        >>> builder = ManythingsAnki(config="fra-eng-10k", data_dir="/tmp/tfds")  # doctest: +SKIP
        >>> builder.download_and_prepare()  # doctest: +SKIP
        >>> ds = builder.as_dataset(split="test", as_supervised=True)  # doctest: +SKIP
    """

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: the corpora shipped in data/."}
    BUILDER_CONFIGS = _configs()
    DEFAULT_BUILDER_CONFIG_NAME = "fra-eng" if "fra-eng" in available_pairs() else None
    _named_configs: dict[str, ManythingsAnkiConfig] = {}

    # TFDS 4.9.10's default `code_path` evaluates `importlib_resources.abc`, a package
    # it only requires on Python < 3.9, so `download_and_prepare` fails with
    # "No module named 'importlib_resources'" (tensorflow/datasets#11212). The answer
    # is this file.
    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        return tfds.core.Path(__file__)

    @classmethod
    def get_builder_config(cls, name, version=None):
        """The config called `name`, made on demand from the names the module docstring lists.

        Args:
            name: a config name, e.g. `"fra-eng-500"` or `"fra-eng-10k-v0.15-t0.05-s1337"`.
            version: the requested version, or `None`.

        Returns:
            A `ManythingsAnkiConfig`, or `None` for an unknown name.

        Raises:
            ValueError: the name's split settings are invalid (e.g. `v0.6-t0.5`).
        """
        config = super().get_builder_config(name, version)
        if config is not None:
            return config
        match = _CONFIG_NAME.match(name)
        if not match or match["pair"] not in available_pairs():
            return None
        # Cached, so that TFDS sees the same object each time it looks the name up.
        if name not in cls._named_configs:
            splitting = {}
            if match["seed"]:
                splitting = dict(validation_fraction=float(match["validation"]),
                                 test_fraction=float(match["test"]),
                                 split_seed=int(match["seed"]))
            count = None
            if match["count"]:
                count = int(match["count"]) * (1000 if match["k"] else 1)
            cls._named_configs[name] = ManythingsAnkiConfig(
                name=name, pair=match["pair"], num_pairs=count, **splitting)
        return cls._named_configs[name]

    def _info(self) -> tfds.core.DatasetInfo:
        languages = _languages(self.builder_config.pair)
        return tfds.core.DatasetInfo(
            builder=self,
            description=(
                "Tab-delimited bilingual sentence pairs from the Tatoeba Project, as "
                "published by manythings.org/anki and shipped with seq2seq_keras; "
                "normalized and deduplicated by seq2seq_keras.data.load_pairs and split "
                "by English sentence by seq2seq_keras.data.split_pairs."),
            features=tfds.features.Translation(languages=languages),
            supervised_keys=languages,
            # The examples keep corpus order (keys are positions, not hashed).
            disable_shuffling=True,
            homepage="https://www.manythings.org/anki/",
            citation=_CITATION,
            license="CC-BY 2.0 (Tatoeba Project, tatoeba.org; manythings.org/anki)",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # Offline: the corpus ships with the package.
        config = self.builder_config
        path = config.path or data_lib.default_corpus_path(config.pair)
        pairs = data_lib.load_pairs(path, num_pairs=config.num_pairs)
        splits = data_lib.split_pairs(pairs, config.validation_fraction,
                                      config.test_fraction, seed=config.split_seed)
        return {
            "train": self._generate_examples(splits.train),
            "validation": self._generate_examples(splits.validation),
            "test": self._generate_examples(splits.test),
        }

    def _generate_examples(self, pairs):
        source, target = _languages(self.builder_config.pair)
        # Integer keys: with `disable_shuffling`, TFDS writes examples sorted by key.
        for index, (source_text, target_text) in enumerate(pairs):
            yield index, {source: source_text, target: target_text}


def config_name(
    pair: str = "fra-eng",
    num_pairs: int | None = None,
    validation_fraction: float = _DEFAULTS.validation_fraction,
    test_fraction: float = _DEFAULTS.test_fraction,
    split_seed: int = _DEFAULTS.split_seed,
) -> str:
    """The `manythings_anki` config name of a corpus subset and split.

    Args:
        pair: the pair folder under `data/`, default `"fra-eng"`.
        num_pairs: the first `num_pairs` pairs (`None`: all).
        validation_fraction: as in `data.split_pairs` (default 0.1).
        test_fraction: as in `data.split_pairs` (default 0.05).
        split_seed: as in `data.split_pairs` (default 1337).

    Returns:
        E.g. `"fra-eng"`, `"fra-eng-500"`, `"fra-eng-10k-v0.15-t0.05-s1337"`; the
        split suffix is left out for `Config()`'s split.

    Examples:
        >>> config_name("fra-eng", 10_000, validation_fraction=0.15)
        'fra-eng-10k-v0.15-t0.05-s1337'
    """
    name = pair
    if num_pairs is not None:
        name += f"-{num_pairs // 1000}k" if num_pairs % 1000 == 0 else f"-{num_pairs}"
    splitting = (validation_fraction, test_fraction, split_seed)
    if splitting != (_DEFAULTS.validation_fraction, _DEFAULTS.test_fraction,
                     _DEFAULTS.split_seed):
        # repr() of a float reads back as the same float: the name is exact.
        name += f"-v{float(validation_fraction)!r}-t{float(test_fraction)!r}-s{split_seed}"
    return name


def build_tfds(
    pair: str = "fra-eng",
    data_dir: str | None = None,
    num_pairs: int | None = None,
) -> ManythingsAnki:
    """Build (once) the `manythings_anki` TFDS dataset of a shipped corpus.

    Args:
        pair: the pair folder under `data/`, default `"fra-eng"`.
        data_dir: the TFDS data folder (default `TFDS_DATA_DIR` or
            `~/tensorflow_datasets`).
        num_pairs: keep the first `num_pairs` pairs of the corpus (`None`: all); the
            config is then `"{pair}-{N}"`, or `"{pair}-{N/1000}k"` for multiples of 1000.

    Returns:
        The prepared `ManythingsAnki` builder (`builder.as_dataset(split=...)`).

    Raises:
        ValueError: `pair` is not a folder of `data/`, or `num_pairs` is not positive.

    Examples:
        >>> builder = build_tfds("fra-eng", data_dir="/tmp/tfds", num_pairs=10_000)
        >>> builder.info.splits["train"].num_examples  # doctest: +SKIP
        8572
    """
    pairs = available_pairs()
    if pair not in pairs:
        raise ValueError(f"no corpus for pair={pair!r} in {data_lib.DATA_DIR}; "
                         f"choose one of {pairs}")
    if num_pairs is not None and (not isinstance(num_pairs, int) or num_pairs <= 0):
        raise ValueError(
            f"num_pairs must be a positive integer or None, got num_pairs={num_pairs!r}")
    builder = ManythingsAnki(config=config_name(pair, num_pairs), data_dir=data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return builder
