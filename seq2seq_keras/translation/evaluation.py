"""BLEU and chrF with sacrebleu: corpus level, every reference of each sentence."""

from __future__ import annotations

import dataclasses
import random
import re

import sacrebleu

from seq2seq_keras.data.datasets import load_splits

__all__ = ["Evaluation", "evaluate_translations", "evaluate_translator", "split_references",
           "INPUT_STYLES", "NEW_NAMES", "with_new_names", "numbers_kept"]

# How people type: the same source sentences, written as a chat box gets them
# (lower case, no final . ! or ?) or in capitals. The references stay as they are, so
# a style's score says how much of the clean score survives the way it was typed.
INPUT_STYLES = {
    "clean": lambda sentence: sentence,
    "typed": lambda sentence: re.sub(r"[.!?]+$", "", sentence.lower()).rstrip(),
    "capitals": str.upper,
}

# Names that no sentence of the shipped corpus holds, for the "names" input style
# (`with_new_names`): how a model does on a name it never saw. A man's name takes
# Tom's place, a woman's Mary's, so that the references' French agrees with it.
NEW_NAMES = {
    "Tom": ("Kowalski", "Bartholomew", "Dmitri", "Oluwaseun", "Rasmus", "Tadeusz", "Yusuf",
            "Evander", "Ignatius", "Radoslav", "Kwame", "Bjorn", "Thaddeus", "Leopold",
            "Casimir", "Obadiah", "Ezekiel", "Nikita", "Mehmet", "Ilya"),
    "Mary": ("Zelda", "Svetlana", "Priyanka", "Xiomara", "Leocadia", "Ngozi", "Siobhan",
             "Thandiwe", "Anneliese", "Ingrid", "Beatriz", "Marisol", "Ludmila",
             "Wilhelmina", "Parveen", "Oksana", "Imelda", "Griselda", "Yolanda", "Hortense"),
}


def with_new_names(references: dict, names=None, seed: int = 0) -> dict:
    """The pairs of `references` whose source holds `Tom` (or `Mary`) once, not as its
    first word, and whose every reference holds that name, with one of its `names`
    (`{"Tom": [...], "Mary": [...]}`, default `NEW_NAMES`; drawn by a seeded
    generator, the same for the source and its references) in its place: what the
    `"names"` input style of `evaluate_translator` scores."""
    rng, renamed = random.Random(seed), {}
    for source, refs in references.items():
        for old, new in (NEW_NAMES if names is None else names).items():
            word = rf"\b{old}\b"
            if (new and len(re.findall(word, source)) == 1 and not source.startswith(old)
                    and all(re.search(word, r) for r in refs)):
                name = rng.choice(new)
                renamed[re.sub(word, name, source)] = [re.sub(word, name, r) for r in refs]
    return renamed


@dataclasses.dataclass
class Evaluation:
    """Scores of a set of translations.

    Attributes:
        bleu: corpus BLEU (sacrebleu defaults: 13a tokenization, 0-100).
        chrf: corpus chrF (0-100).
        exact_match: fraction of hypotheses equal to one of their references.
        sentences: number of source sentences scored.
        by_length: `{"1-5": {"sentences": n, "bleu": b, "chrf": c}, ...}` by source
            words.
        hypotheses: the translations, in the order of `sources`.
        names_kept: with the `"names"` input style, how many translations hold the
            new name of their source; else None.
        numbers_kept: `(kept, of)`: of the sources that hold a number of two digits
            or more standing alone (`"65"`, `"1814"`; not `"11:45"`, `"12,000"`),
            how many have a translation that holds each of their numbers.
    """

    bleu: float
    chrf: float
    exact_match: float
    sentences: int
    by_length: dict
    hypotheses: list
    names_kept: int | None = None
    numbers_kept: tuple | None = None

    def summary(self) -> dict:
        kept = {} if self.names_kept is None else {"names_kept": self.names_kept}
        if self.numbers_kept is not None:
            kept["numbers_kept"] = list(self.numbers_kept)
        return {"bleu": round(self.bleu, 2), "chrf": round(self.chrf, 2),
                "exact_match": round(self.exact_match, 4), "sentences": self.sentences,
                **kept, "by_length": self.by_length}


# A number that stands alone, as `text.placeholders.KINDS` carries them: two digits or more, not
# part of a time, a decimal or a grouped number.
_NUMBER = re.compile(r"(?<![\d:.,])\d{2,}(?!\d|[:.,]\d)")


def numbers_kept(sources, hypotheses) -> tuple[int, int]:
    """`(kept, of)`: of the `sources` holding a number that stands alone (two digits
    or more), how many have a hypothesis holding each of their numbers."""
    found = [(set(_NUMBER.findall(s)), h) for s, h in zip(sources, hypotheses, strict=True)]
    found = [(numbers, h) for numbers, h in found if numbers]
    return sum(numbers <= set(re.findall(r"\d+", h)) for numbers, h in found), len(found)


def _corpus_scores(hypotheses, references):
    # sacrebleu wants references as streams: stream k holds the k-th reference of
    # every sentence, None where a sentence has fewer.
    width = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
    return (sacrebleu.corpus_bleu(hypotheses, streams).score,
            sacrebleu.corpus_chrf(hypotheses, streams).score)


def evaluate_translations(sources, hypotheses, references,
                          buckets=((1, 5), (6, 10), (11, 15), (16, 1000))) -> Evaluation:
    """Score hypotheses against all their references.

    Args:
        sources: source sentences (for the breakdown by length).
        hypotheses: one translation per source.
        references: one list of reference translations per source.
        buckets: source-length ranges (in whitespace-separated words) for `by_length`.

    Returns:
        An `Evaluation`.

    Raises:
        ValueError: if the three lists differ in length or are empty.
    """
    if not (len(sources) == len(hypotheses) == len(references)) or not sources:
        raise ValueError(
            "sources, hypotheses and references must be non-empty and of equal length, got "
            f"{len(sources)}, {len(hypotheses)}, {len(references)}")
    bleu, chrf = _corpus_scores(hypotheses, references)
    exact = sum(h in r for h, r in zip(hypotheses, references, strict=True)) / len(sources)
    by_length = {}
    for low, high in buckets:
        rows = [i for i, s in enumerate(sources) if low <= len(s.split()) <= high]
        if rows:
            b, c = _corpus_scores([hypotheses[i] for i in rows], [references[i] for i in rows])
            label = f"{low}-{high}" if high < 1000 else f"{low}+"
            by_length[label] = {"sentences": len(rows), "bleu": round(b, 2), "chrf": round(c, 2)}
    return Evaluation(bleu, chrf, exact, len(sources), by_length, list(hypotheses))


def evaluate_translator(translator, references: dict, batch_size: int = 64,
                        buckets=None, input_style: str = "clean",
                        **translate_options) -> Evaluation:
    """Translate every source of `references` and score it.

    Args:
        translator: a `Translator`.
        references: `{source: [references]}`, e.g. `Splits.references("test")`.
            Sources longer than the model's `max_source_length` are skipped (their
            count is `len(references) - evaluation.sentences`).
        batch_size: sentences decoded together.
        buckets: source-length ranges for `by_length` (see `evaluate_translations`).
        input_style: `"clean"` (the sources as they are), `"typed"` (lower case, no
            final `.!?`) or `"capitals"`: the sources are rewritten so before they
            are translated (see `INPUT_STYLES`); the references are not. `"names"`:
            only the pairs that `with_new_names` keeps, with a name the model's
            training sources lack (`NEW_NAMES`, less those in its `source_words`) in
            Tom's or Mary's place on both sides; the result counts the names kept.
        **translate_options: passed to `translator.translate` (e.g. `strategy`).
    """
    if input_style not in (*INPUT_STYLES, "names"):
        raise ValueError(f"input_style must be one of {sorted(INPUT_STYLES) + ['names']}, "
                         f"got {input_style!r}")
    if input_style == "names":
        known = set(translator.source_words or ())
        names = {old: [n for n in new if n.lower() not in known]
                 for old, new in NEW_NAMES.items()}
        references = with_new_names(references, names)
        if not references:
            raise ValueError("the 'names' input style found no pair whose source holds "
                             "Tom or Mary once (not first) and whose references all hold "
                             "the name, or the model knows every name of NEW_NAMES")
        names = {n for new in names.values() for n in new}
    rewrite = INPUT_STYLES.get(input_style, INPUT_STYLES["clean"])
    sources = [s for s in references if translator.fits(s)]
    hypotheses = translator.translate([rewrite(s) for s in sources],
                                      batch_size=batch_size, **translate_options)
    result = evaluate_translations(sources, hypotheses, [references[s] for s in sources],
                                   **({"buckets": buckets} if buckets else {}))
    result.numbers_kept = numbers_kept(sources, hypotheses)
    if input_style == "names":
        result.names_kept = sum(bool(set(re.findall(r"\w+", s)) & names & set(
            re.findall(r"\w+", h))) for s, h in zip(sources, hypotheses, strict=True))
    return result


def split_references(config, split: str = "test", skip_malformed: bool = False) -> dict:
    """`{source: [references]}` of one split of the corpus a model was trained on.

    Re-reads the corpus named by `config` (`data`, `num_pairs`, `split_seed` and the
    fractions), so the split is exactly the one of training.
    """
    if split not in ("train", "validation", "test"):
        raise ValueError(f"split must be 'train', 'validation' or 'test', got {split!r}")
    return load_splits(config, skip_malformed=skip_malformed).references(split)
