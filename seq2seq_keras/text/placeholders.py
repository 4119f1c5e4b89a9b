"""Rare names and numbers carried through placeholders, as TF ops.

A capitalized word that no training source holds (`Svetlana`), or a number of two
digits or more, is replaced before translation by a placeholder the model translates
reliably (`Tom`, `2013`, ...) and put back in the translation afterwards
(`tf_mask_names`, `tf_restore_names`). The rules and their measurements:
docs/input_rules.md and docs/results.md.
"""

from __future__ import annotations

import tensorflow as tf

from seq2seq_keras.text.sentences import letter_runs

__all__ = ["KINDS", "PLACEHOLDERS", "corpus_words", "tf_mask_names", "tf_restore_names"]

# What is carried through a placeholder: `(pattern, placeholders, only_rare)`. A run
# of the text that `pattern` matches whole is replaced by the first placeholder of its
# kind that the sentence does not hold; with `only_rare`, only where no training
# source holds its lower case. Names: ones the corpus holds thousands of times, on
# both sides, which the models copy; numbers: see the module's docstring.
KINDS = ((r"\p{Lu}\pL*", ("Tom", "Mary", "John", "Alice"), True),
         (r"\p{Nd}{4}", ("2013",), False),
         (r"\p{Nd}{2,3}|\p{Nd}{5,}", ("100",), False))
PLACEHOLDERS = tuple(p for _, placeholders, _ in KINDS for p in placeholders)
# The runs the kinds are looked for in: letters, and numbers with their inner `:.,`
# (so that `11:45`, `12,000` and `3.5` are one run, which no kind matches).
_RUNS = r"\p{Nd}+(?:[:.,]\p{Nd}+)*|\pL+"


def corpus_words(sentences, batch_size: int = 10000) -> list[str]:
    """The lower-cased runs of letters of `text.sentences` (normalized), sorted: what
    `tf_mask_names` looks a word up in (the same ops cut the words)."""
    words = set()
    for start in range(0, len(sentences), batch_size):
        runs = letter_runs(tf.constant(sentences[start:start + batch_size], tf.string))
        values = runs.flat_values
        letters = tf.boolean_mask(values, tf.strings.regex_full_match(values, r"\pL+"))
        words.update(w.decode() for w in tf.strings.lower(letters, encoding="utf-8").numpy())
    return sorted(words)


def _within_row(flags, runs):
    """For each flat value of the ragged `runs`, how many of its row's values up to it
    (itself included) have `flags` set."""
    counts = tf.cumsum(tf.cast(flags, tf.int32))
    before = counts - tf.cast(flags, tf.int32)
    return counts - tf.gather(tf.gather(before, runs.row_starts()), runs.value_rowids())


def tf_mask_names(sentences, known):
    """`(batch,)` sentences -> `(sentences, names)`: each rare name and each number
    (`KINDS`) replaced by a placeholder, and `names (batch, len(PLACEHOLDERS))`, what
    that placeholder stands for in that sentence (`""`: not used).

    Args:
        sentences: a string tensor, normalized sentences.
        known: `text.sentences.known_words(corpus_words(...))`.
    """
    runs = letter_runs(sentences, _RUNS)
    values, rows = runs.flat_values, runs.value_rowids()
    found = []
    for pattern, placeholders, only_rare in KINDS:
        rare = tf.strings.regex_full_match(values, pattern)
        if only_rare:
            rare &= tf.equal(known.lookup(tf.strings.lower(values, encoding="utf-8")), 0)
        values, names = _mask_kind(values, rows, runs, rare, tf.constant(placeholders))
        found.append(names)
    return (tf.strings.reduce_join(runs.with_flat_values(values), axis=-1),
            tf.concat(found, axis=1))


def _mask_kind(values, rows, runs, rare, placeholders):
    """`tf_mask_names` for one kind: `values` with its `rare` ones replaced by the
    `placeholders` their sentence does not hold, and what each one stands for."""
    count, batch = placeholders.shape[0], runs.nrows()
    # The placeholders a sentence does not hold, in order, come first in `free`.
    holds = tf.math.unsorted_segment_max(
        tf.cast(tf.equal(values[:, None], placeholders[None, :]), tf.int32), rows, batch) > 0
    free = tf.argsort(tf.cast(holds, tf.int32), axis=1, stable=True)
    spare = count - tf.reduce_sum(tf.cast(holds, tf.int32), axis=1)
    rank = _within_row(rare, runs) - 1  # the how-manieth rare one of its sentence
    takes = rare & (rank < tf.gather(spare, rows))
    slot = tf.gather(tf.gather(free, rows), tf.clip_by_value(rank, 0, count - 1), batch_dims=1)
    masked = tf.where(takes, tf.gather(placeholders, slot), values)
    where = tf.stack([rows, tf.cast(slot, tf.int64)], axis=1)
    names = tf.tensor_scatter_nd_update(
        tf.fill(tf.stack([batch, count]), ""), tf.boolean_mask(where, takes),
        tf.boolean_mask(values, takes))
    return masked, names


def tf_restore_names(texts, names):
    """`(batch,)` translations, with each placeholder that stood for a name or a number
    in their sentence (`text.placeholders`, from `tf_mask_names`) replaced by it."""
    placeholders = tf.constant(PLACEHOLDERS)
    runs = letter_runs(texts, _RUNS)
    values, rows = runs.flat_values, runs.value_rowids()
    row_names = tf.gather(names, rows)
    match = (tf.equal(values[:, None], placeholders[None, :])
             & tf.not_equal(row_names, ""))
    slot = tf.argmax(tf.cast(match, tf.int32), axis=1, output_type=tf.int32)
    restored = tf.where(tf.reduce_any(match, axis=1),
                        tf.gather(row_names, slot, batch_dims=1), values)
    return tf.strings.reduce_join(runs.with_flat_values(restored), axis=-1)
