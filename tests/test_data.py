import warnings

import pytest
from conftest import write_corpus

import seq2seq_keras as s2s


def test_normalize_spaces_invisibles_apostrophes():
    assert s2s.text.normalize("Vraiment\u202f?") == "Vraiment ?"
    assert s2s.text.normalize("Quoi\u00a0!\u2009Non") == "Quoi ! Non"
    assert s2s.text.normalize("co\u00adop\u200bé") == "coopé"
    assert s2s.text.normalize("J\u2019ai  faim. ") == "J'ai faim."
    # NFC: a decomposed "é" becomes the single code point.
    assert s2s.text.normalize("e\u0301t\u00e9") == "\u00e9t\u00e9"
    assert s2s.text.normalize(" \t ") == ""


def test_shipped_corpus_starts_like_the_blog():
    pairs = s2s.load_pairs(num_pairs=10)
    assert pairs[0] == ("Go.", "Va !")
    assert len(pairs) == 10
    assert all(isinstance(s, str) and isinstance(t, str) and s and t for s, t in pairs)


def test_plain_and_gzip_two_and_three_columns(tmp_path, shipped_lines):
    lines = shipped_lines[:50]
    three = write_corpus(tmp_path / "a.txt.gz", lines, compress=True)
    two = write_corpus(tmp_path / "b.txt", ["\t".join(x.split("\t")[:2]) for x in lines])
    assert s2s.load_pairs(three) == s2s.load_pairs(two)
    assert len(s2s.load_pairs(two)) == len({tuple(x.split("\t")[:2]) for x in lines})


def test_duplicates_dropped_after_normalization(tmp_path):
    path = write_corpus(tmp_path / "c.txt", ["Hi.\tSalut\u202f!", "Hi.\tSalut !", "Hi.\tSalut."])
    assert s2s.load_pairs(path) == [("Hi.", "Salut !"), ("Hi.", "Salut.")]
    assert len(s2s.load_pairs(path, deduplicate=False)) == 3


@pytest.mark.parametrize("bad, problem", [
    ("only one column", "expected 2 or 3 tab-separated columns, found 1"),
    ("a\tb\tc\td", "found 4"),
    (b"Hi.\tSalut \xff!", "invalid UTF-8"),
    ("\tSalut !", "empty source or target"),
])
def test_malformed_line_names_file_and_line(tmp_path, bad, problem):
    path = write_corpus(tmp_path / "bad.txt", ["Go.\tVa !", "Run!\tCours !", bad])
    with pytest.raises(s2s.CorpusError) as error:
        s2s.load_pairs(path)
    message = str(error.value)
    assert path in message and "line 3" in message and problem in message


def test_skip_malformed_reports_the_count(tmp_path):
    path = write_corpus(tmp_path / "bad.txt", ["Go.\tVa !", "oops", b"\xff\tx", "Run!\tCours !"])
    with pytest.warns(UserWarning, match=r"skipped 2 malformed line\(s\), first: line 2"):
        pairs = s2s.load_pairs(path, skip_malformed=True)
    assert pairs == [("Go.", "Va !"), ("Run!", "Cours !")]


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(s2s.CorpusError, match="not found"):
        s2s.load_pairs(str(tmp_path / "nope.txt"))
    empty = write_corpus(tmp_path / "empty.txt", [])
    with pytest.raises(s2s.CorpusError, match="no sentence pairs"):
        s2s.load_pairs(empty)
    blank = write_corpus(tmp_path / "blank.txt", ["", "   "])
    with pytest.raises(s2s.CorpusError, match="no sentence pairs"):
        s2s.load_pairs(blank)


def test_truncated_gzip_is_a_corpus_error(tmp_path, shipped_lines):
    path = write_corpus(tmp_path / "t.txt.gz", shipped_lines, compress=True)
    with open(path, "rb") as handle:
        head = handle.read()[:2000]
    with open(path, "wb") as handle:
        handle.write(head)
    with pytest.raises(s2s.CorpusError, match="cannot read"):
        s2s.load_pairs(path)


def test_clean_file_gives_no_warning(tmp_path, shipped_lines):
    path = write_corpus(tmp_path / "ok.txt", shipped_lines[:20])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2s.load_pairs(path)


def test_split_is_by_source_sentence_and_deterministic():
    pairs = s2s.load_pairs(num_pairs=3000)
    splits = s2s.split_pairs(pairs, 0.15, 0.1, seed=7)
    sources = [{s for s, _ in getattr(splits, name)} for name in ("train", "validation", "test")]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert len(splits.train) + len(splits.validation) + len(splits.test) == len(pairs)
    # Every translation of a test sentence stays with it as a reference.
    references = splits.references("test")
    for source, targets in references.items():
        assert targets == [t for s, t in pairs if s == source]
    assert any(len(targets) > 1 for targets in references.values())
    again = s2s.split_pairs(pairs, 0.15, 0.1, seed=7)
    assert again.test == splits.test and again.validation == splits.validation
    other = s2s.split_pairs(pairs, 0.15, 0.1, seed=8)
    assert other.test != splits.test
    assert 0.05 < len(sources[2]) / len({s for s, _ in pairs}) < 0.15


def test_split_of_a_sentence_does_not_depend_on_the_subset():
    small = s2s.split_pairs(s2s.load_pairs(num_pairs=500), seed=1)
    large = s2s.split_pairs(s2s.load_pairs(num_pairs=3000), seed=1)
    assert set(small.test) <= set(large.test)
    assert set(small.train) <= set(large.train)


def test_bad_fractions_are_rejected():
    with pytest.raises(ValueError, match="add up to less than 1"):
        s2s.split_pairs([("a", "b")], 0.6, 0.5)
