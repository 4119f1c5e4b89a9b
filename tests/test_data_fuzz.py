"""Property-based (hypothesis) tests of `data.load_pairs` on hostile corpus files.

The contract: for any file content, `load_pairs` returns `(source, target)` pairs of
non-empty normalized strings, or raises `CorpusError` naming the file (and the line,
for a bad line); never another exception type (`zlib.error`, `UnicodeDecodeError`,
`IndexError`, ...). A UTF-8 BOM and CRLF line ends read as if they were not there.
"""

import gzip
import os
import re
import tempfile
import unicodedata
import warnings

import pytest
from conftest import write_corpus
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from seq2seq_keras.data import CorpusError, load_pairs
from seq2seq_keras.text import normalize

# Modest runs: the whole file takes seconds. No example database: the counterexamples
# found are pinned with `@example` instead (hypothesis still caches Unicode tables in
# `.hypothesis/`, which git ignores).
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

BOM = b"\xef\xbb\xbf"
# Pieces that break naive corpus readers, mixed with random text.
_PIECES = ["\t", "\t\t", "\t\t\t\t", "\r", "\r\n", "\n", "\n\n", "\ufeff", "\x00", " ",
           "\u202f", "\u00a0", "\u0301", "\u200b", "\u00ad", "\u2019", "e", "Go.", "Va !",
           "CC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)"]
corpus_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)),
                       max_size=40).map("".join)
# A well-formed column: printable (no tab, newline, other control or format
# character, no separator but the space) and not empty once normalized.
column = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"))
    | st.sampled_from(" \u2019"),
    min_size=1, max_size=12,
).filter(normalize)


def _write(folder: str, data: bytes, container: str) -> str:
    """Write `data` as `corpus.txt` ("plain"), gzipped ("gzip") or raw as `.txt.gz`."""
    path = os.path.join(folder, "corpus.txt" if container == "plain" else "corpus.txt.gz")
    with open(path, "wb") as handle:
        handle.write(gzip.compress(data, mtime=0) if container == "gzip" else data)
    return path


def _load(path: str, **kwargs):
    """`load_pairs(path, **kwargs)`, checking the contract on whatever comes back.

    Returns:
        `(pairs, message, warnings)`: the pairs or `None`; the `CorpusError` message
        or `None`; the warning messages.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pairs = load_pairs(path, **kwargs)
        except CorpusError as error:  # any other exception fails the test
            message = str(error)
            assert path in message, message
            return None, message, [str(w.message) for w in caught]
    assert isinstance(pairs, list) and pairs
    for pair in pairs:
        assert type(pair) is tuple and len(pair) == 2, pair
        for side in pair:
            assert isinstance(side, str) and side, pair
            assert "\t" not in side and "\n" not in side and "\ufeff" not in side, pair
            assert normalize(side) == side, pair  # normalized, and stays so
    return pairs, None, [str(w.message) for w in caught]


def _line_number(message: str) -> int | None:
    match = re.search(r", line (\d+): ", message)
    return int(match.group(1)) if match else None


def _check_strict_against_lenient(path: str, data: bytes) -> None:
    """Strict and `skip_malformed=True` loads of a readable file agree."""
    pairs, message, _ = _load(path)
    lenient, lenient_message, caught = _load(path, skip_malformed=True)
    if lenient_message is not None:
        # Lenient: the only error left is "no pairs at all".
        assert "holds no sentence pairs" in lenient_message, lenient_message
        assert pairs is None
    if pairs is not None:
        assert lenient == pairs and not caught
        return
    number = _line_number(message)
    if number is None:
        assert "holds no sentence pairs" in message, message
        assert lenient_message is not None
        return
    assert 1 <= number <= data.count(b"\n") + 1, message
    if lenient is not None:
        # The strict error's line is the first one the lenient load skipped.
        assert len(caught) == 1 and f"first: line {number}:" in caught[0], caught


@FUZZ
@given(data=st.binary(max_size=400), container=st.sampled_from(["plain", "gzip"]))
@example(data=BOM + b"\r\nGo.\tVa !\r\n", container="plain")
@example(data=b"Go.\tVa !\r\n\xff\xfe\r\n", container="gzip")
@example(data=b"\x00\t\x00\n\r\t\r\n", container="plain")
def test_random_bytes(data, container):
    with tempfile.TemporaryDirectory() as folder:
        _check_strict_against_lenient(_write(folder, data, container), data)


@FUZZ
@given(text=corpus_text, bom=st.booleans(), crlf=st.booleans(),
       container=st.sampled_from(["plain", "gzip"]))
@example(text="\nGo.\tVa !\n", bom=True, crlf=True, container="plain")
@example(text="e\u200b\u0301\tVa !\n", bom=False, crlf=False, container="plain")
def test_random_unicode_text(text, bom, crlf, container):
    data = text.replace("\r\n", "\n").replace("\n", "\r\n") if crlf else text
    data = (BOM if bom else b"") + data.encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        _check_strict_against_lenient(_write(folder, data, container), data)


@st.composite
def corrupt_gzip(draw):
    """`(original pairs, bytes)`: a gzipped well-formed corpus, then damaged."""
    lines = draw(st.lists(st.tuples(column, column), min_size=1, max_size=20))
    good = gzip.compress("".join(f"{s}\t{t}\n" for s, t in lines).encode(), mtime=0)
    kind = draw(st.sampled_from(["truncate", "flip", "garbage", "not gzip"]))
    if kind == "truncate":
        bad = good[:draw(st.integers(0, len(good) - 1))]
    elif kind == "flip":
        at = draw(st.integers(0, len(good) - 1))
        bad = good[:at] + bytes([good[at] ^ draw(st.integers(1, 255))]) + good[at + 1:]
    elif kind == "garbage":  # a gzip header followed by anything
        bad = good[:draw(st.integers(0, 12))] + draw(st.binary(min_size=1, max_size=200))
    else:
        bad = draw(st.binary(max_size=200))
    expected = list(dict.fromkeys((normalize(s), normalize(t)) for s, t in lines))
    return expected, bad


@FUZZ
@given(case=corrupt_gzip(), skip_malformed=st.booleans())
@example(case=([("Go.", "Va !")], b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff"),
         skip_malformed=False)  # a header and a bad deflate block: zlib.error
def test_damaged_gzip(case, skip_malformed):
    expected, bad = case
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, bad, "not gzip")
        pairs, message, _ = _load(path, skip_malformed=skip_malformed)
    if pairs is not None:  # damage the gzip reader cannot see (the mtime field...)
        assert pairs == expected
    else:
        # Garbage decompressed before the CRC check may also fail as a bad line.
        assert ("cannot read the file" in message or "holds no sentence pairs" in message
                or (_line_number(message) and not skip_malformed)), message


@FUZZ
@given(lines=st.lists(st.tuples(column, column, st.none() | column), min_size=1,
                      max_size=30),
       repeats=st.lists(st.integers(0, 29), max_size=10),
       end=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), compress=st.booleans(),
       blank_lines=st.integers(0, 2))
def test_well_formed_lines_give_the_normalized_pairs(lines, repeats, end, bom, compress,
                                                    blank_lines):
    lines = lines + [lines[i % len(lines)] for i in repeats]  # some exact duplicates
    text = "".join("\t".join(x for x in line if x is not None) + end for line in lines)
    data = (BOM if bom else b"") + (text + end * blank_lines).encode("utf-8")
    every = [(normalize(s), normalize(t)) for s, t, _ in lines]
    expected = list(dict.fromkeys(every))
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, data, "gzip" if compress else "plain")
        assert _load(path) == (expected, None, [])
        assert load_pairs(path, deduplicate=False) == every
        k = max(1, len(expected) // 2)
        assert load_pairs(path, num_pairs=k) == expected[:k]


@FUZZ
@given(text=st.text(" ea\t\u0301\u0323\u200b\u00ad\ufeff\u202f\u2019") | st.text())
@example(text="e\u200b\u0301")  # an invisible between a letter and its accent
@example(text="e\ufeff\u0301")
def test_normalize_is_idempotent_and_nfc(text):
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("columns", [2, 3])
def test_bom_and_crlf_read_like_plain_lines(tmp_path, shipped_lines, compress, columns):
    # The shipped corpus has 2 columns; newer manythings releases add an attribution.
    attribution = "\tCC-BY 2.0 (France) Attribution: tatoeba.org #{} (CM)"
    lines = [x + (attribution.format(i) if columns == 3 else "")
             for i, x in enumerate(shipped_lines[:300])]
    assert all(len(x.split("\t")) == columns for x in lines)
    name = "corpus.txt.gz" if compress else "corpus.txt"
    plain = load_pairs(write_corpus(tmp_path / f"plain-{name}", lines, compress))
    with_bom = ["\ufeff" + lines[0]] + lines[1:]
    crlf = [x + "\r" for x in lines]  # write_corpus adds the "\n"
    both = ["\ufeff" + crlf[0]] + crlf[1:]
    for i, variant in enumerate([with_bom, crlf, both]):
        path = write_corpus(tmp_path / f"{i}-{name}", variant, compress)
        if not compress:  # the test really wrote a BOM where it means to
            with open(path, "rb") as handle:
                assert (handle.read(3) == BOM) == (variant is not crlf)
        assert load_pairs(path) == plain, variant[0]
    # So the first source of each variant is "Go.", not "\ufeffGo.".
    assert plain[0] == ("Go.", "Va !")


def test_bom_on_a_blank_first_line(tmp_path):
    path = write_corpus(tmp_path / "c.txt", ["\ufeff\r", "Go.\tVa !\r", "\r"])
    assert load_pairs(path) == [("Go.", "Va !")]


def test_crlf_error_names_the_right_line(tmp_path):
    lines = ["\ufeffGo.\tVa !\tCC-BY 2.0\r", "\r", "Run!\tCours !\tCC-BY 2.0\r",
             "Hi.\tSalut !\tCC-BY 2.0\textra\r"]
    path = write_corpus(tmp_path / "c.txt", lines)
    with pytest.raises(CorpusError, match=r"c\.txt, line 4: .* found 4"):
        load_pairs(path)
    with pytest.warns(UserWarning, match="skipped 1 malformed line"):
        pairs = load_pairs(path, skip_malformed=True)
    assert pairs == [("Go.", "Va !"), ("Run!", "Cours !")]
