"""Reading the manythings / Tatoeba corpora: load, normalize, split by source sentence.

The corpus format is one pair per line, `English<TAB>Translation`, with an optional
third column (attribution) in newer releases, UTF-8 (a leading BOM is ignored), LF or
CRLF line ends, plain or gzip-compressed.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import random
import warnings
import zlib

from seq2seq_keras.text.normalize import normalize_all

__all__ = [
    "CorpusError",
    "Splits",
    "default_corpus_path",
    "load_pairs",
    "sample_pairs",
    "split_pairs",
]

# The repository's data/ folder (beside the package, not the package's data/ layer).
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "data")


class CorpusError(ValueError):
    """A corpus file is missing, empty, or has a malformed line (file and line named)."""


def default_corpus_path(pair: str = "fra-eng") -> str:
    """Path of a corpus shipped in the repository's `data/` folder.

    Args:
        pair: folder name under `data/`, default `"fra-eng"`.

    Returns:
        The path of the `.txt.gz` file in that folder.

    Raises:
        CorpusError: if the folder holds no corpus file.
    """
    folder = os.path.join(DATA_DIR, pair)
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.endswith((".txt", ".txt.gz")) and not name.startswith("_"):
                return os.path.join(folder, name)
    raise CorpusError(
        f"no corpus found for pair={pair!r} in {folder}; pass the path of a manythings "
        "`.txt` or `.txt.gz` file instead"
    )


def _open_lines(path: str):
    if not os.path.exists(path):
        raise CorpusError(f"corpus file not found: {path}")
    opener = gzip.open if path.endswith(".gz") else open
    # A truncated or corrupt .gz file raises EOFError (cut short), OSError (bad header
    # or CRC) or zlib.error (bad deflate data, which is not an OSError).
    try:
        with opener(path, "rb") as handle:
            yield from handle
    except (OSError, EOFError, zlib.error) as error:
        raise CorpusError(f"{path}: cannot read the file: {error}") from error


def _columns(lines, chunk_size: int = 10_000):
    """Chunks of `(line number, (source, target), problem)` of the lines that are not
    blank, as read (not yet normalized); `problem` is `None`, or what is wrong with a
    malformed line (then the columns are `("", "")`)."""
    chunk = []
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as error:
            chunk.append((number, ("", ""),
                          f"invalid UTF-8 ({error.reason} at byte {error.start})"))
            continue
        if number == 1:
            # A UTF-8 BOM (Windows editors write one) is not part of the first line,
            # which may then be blank.
            line = line.removeprefix("\ufeff")
        if not line.strip():
            continue  # blank lines (e.g. a trailing newline) are not pairs
        columns = line.split("\t")
        if len(columns) not in (2, 3):
            chunk.append((number, ("", ""),
                          f"expected 2 or 3 tab-separated columns, found {len(columns)}"))
        else:
            chunk.append((number, (columns[0], columns[1]), None))
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    yield chunk


def load_pairs(
    path: str | None = None,
    num_pairs: int | None = None,
    skip_malformed: bool = False,
    deduplicate: bool = True,
) -> list[tuple[str, str]]:
    """Read `(source, target)` sentence pairs from a manythings corpus file.

    Lines have 2 or 3 tab-separated columns (the third, attribution, is ignored).
    Both sides are passed through `text.normalize`. Exact duplicate pairs (after
    normalization) are dropped, keeping the first.

    Args:
        path: a `.txt` or `.txt.gz` file; default: the shipped `data/fra-eng` corpus.
        num_pairs: keep only the first `num_pairs` valid pairs (the blog takes the
            first 10,000); `None` keeps all.
        skip_malformed: if `False` (default), a malformed line raises `CorpusError`
            naming the file and line number. If `True`, such lines are skipped and a
            warning reports how many.
        deduplicate: drop exact duplicate pairs (default `True`).

    Returns:
        A list of `(source, target)` string pairs in file order.

    Raises:
        CorpusError: missing or empty file, or a malformed line (invalid UTF-8, fewer
            than 2 or more than 3 columns, an empty side) unless `skip_malformed`.

    Examples:
        >>> pairs = load_pairs(num_pairs=3)
        >>> pairs[0]
        ('Go.', 'Va !')
    """
    path = path or default_corpus_path()
    if num_pairs is not None and num_pairs <= 0:
        raise ValueError(f"num_pairs must be positive or None, got num_pairs={num_pairs}")
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    skipped: list[str] = []

    def problem_found(number, problem):
        if not skip_malformed:
            raise CorpusError(
                f"{path}, line {number}: {problem}; fix the line or pass "
                "skip_malformed=True (CLI: --skip-malformed) to skip such lines"
            )
        skipped.append(f"line {number}: {problem}")

    # Lines are read and split one by one, and normalized in chunks (`normalize_all`,
    # the TF ops that `translate` runs too).
    for chunk in _columns(_open_lines(path)):
        texts = normalize_all(text for _, columns, _ in chunk for text in columns)
        for k, (number, _, problem) in enumerate(chunk):
            pair = (texts[2 * k], texts[2 * k + 1])
            if problem:
                problem_found(number, problem)
                continue
            if not pair[0] or not pair[1]:
                problem_found(number, "empty source or target sentence")
                continue
            if deduplicate:
                if pair in seen:
                    continue
                seen.add(pair)
            pairs.append(pair)
            if num_pairs is not None and len(pairs) >= num_pairs:
                break
        if num_pairs is not None and len(pairs) >= num_pairs:
            break
    if not pairs:
        raise CorpusError(f"{path}: the file holds no sentence pairs")
    if skipped:
        warnings.warn(
            f"{path}: skipped {len(skipped)} malformed line(s), first: {skipped[0]}",
            stacklevel=2,
        )
    return pairs


def sample_pairs(pairs: list[tuple[str, str]], num_pairs: int,
                 seed: int = 1337) -> list[tuple[str, str]]:
    """`num_pairs` of `pairs` drawn at random without replacement, in their order.

    The shipped corpus is sorted by length, so its first N pairs are its N shortest;
    a seeded sample spreads over every length. All pairs when `num_pairs` is larger.
    """
    if num_pairs <= 0:
        raise ValueError(f"num_pairs must be positive, got num_pairs={num_pairs}")
    if num_pairs >= len(pairs):
        return list(pairs)
    chosen = random.Random(seed).sample(range(len(pairs)), num_pairs)
    return [pairs[i] for i in sorted(chosen)]


@dataclasses.dataclass
class Splits:
    """Train / validation / test pairs, split by source sentence.

    Attributes:
        train: `(source, target)` pairs for training.
        validation: pairs for validation loss and early stopping.
        test: pairs held out for evaluation.
    """

    train: list[tuple[str, str]]
    validation: list[tuple[str, str]]
    test: list[tuple[str, str]]

    def references(self, split: str = "test") -> dict[str, list[str]]:
        """Every target of each source sentence of a split, in corpus order.

        The corpus has up to 32 translations of one English sentence: all of them are
        references for BLEU.
        """
        grouped: dict[str, list[str]] = {}
        for source, target in getattr(self, split):
            grouped.setdefault(source, []).append(target)
        return grouped


def _bucket(source: str, seed: int) -> float:
    # A seeded hash, stable across processes and machines (Python's hash() is not):
    # the split of a sentence never depends on which other pairs were loaded, so the
    # test sentences of a 10k-pair run are also test sentences of a full-corpus run.
    digest = hashlib.blake2b(f"{seed}\x00{source}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def split_pairs(
    pairs: list[tuple[str, str]],
    validation_fraction: float = 0.1,
    test_fraction: float = 0.05,
    seed: int = 1337,
) -> Splits:
    """Split pairs into train / validation / test **by source sentence**.

    All translations of one English sentence land in the same split, so no test
    sentence is ever seen in training, and the test split keeps every translation
    as a reference. The split of a sentence depends only on the sentence and the
    seed, so it is the same whatever subset of the corpus is loaded.

    Args:
        pairs: `(source, target)` pairs, e.g. from `load_pairs`.
        validation_fraction: expected fraction of source sentences for validation.
        test_fraction: expected fraction of source sentences for test.
        seed: the split seed.

    Returns:
        A `Splits`; pairs keep their corpus order within each split.

    Raises:
        ValueError: if the fractions are negative or add up to 1 or more.
    """
    if validation_fraction < 0 or test_fraction < 0 or validation_fraction + test_fraction >= 1:
        raise ValueError(
            "validation_fraction and test_fraction must be >= 0 and add up to less than 1, "
            f"got validation_fraction={validation_fraction}, test_fraction={test_fraction}"
        )
    splits = Splits([], [], [])
    for pair in pairs:
        u = _bucket(pair[0], seed)
        if u < test_fraction:
            splits.test.append(pair)
        elif u < test_fraction + validation_fraction:
            splits.validation.append(pair)
        else:
            splits.train.append(pair)
    return splits
