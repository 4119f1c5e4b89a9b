"""Rare names and numbers, translated through ones the model knows, as TF ops.

A model trained on the corpus knows its names (Tom, Mary, Paris) and no other: the
shipped Transformer spells a new one piece by piece and loses it ("Svetlana is a
doctor." gave "L'esclavage est médecin.", "I met Zelda." gave "J'ai rencontré à
Kaaada."), and a word-level model writes `[UNK]`. So before a sentence is translated,
each *rare name* in it is replaced by a placeholder name the model has seen thousands
of times, and the placeholder is put back in the translation:

    "Why is Rasmus here?" -> "Why is Tom here?" -> "Pourquoi Tom est-il là ?"
                                               -> "Pourquoi Rasmus est-il là ?"

A rare name is a run of letters that starts with a capital (`\\p{Lu}`) and whose lower
case no training source holds (`corpus_words`, stored with the model as
`source_words.json`; a model without it keeps its rare names as they are). The first
word of a sentence counts too ("Svetlana is a doctor."). The placeholders are
`PLACEHOLDERS`, in order, less those the sentence already holds; a sentence with more
rare names than placeholders keeps the rest. A name the translation leaves out stays
out, and a placeholder the translation writes twice gives the name twice. The French
agrees with the placeholder (`Tom` is a man: "Je pense que Svetlana est vieux."). A
woman's placeholder for names that end in `a` was tried and not kept: the Transformer
hardly agrees with Mary either ("Mary est fatigué.", docs/results.md).

Words in lower case are not names here: of the 91 words of the validation split that
no training source holds, 79 are in lower case and are words (`historian`,
`fingertip`). Only in a line typed without a capital or in capitals, where case says
nothing, does `sentences.tidy_typing` capitalize the words no training source holds,
so that they come here as names ("i met svetlana"); in a line with capitals, a new
name typed in lower case ("I met svetlana.") is lost.

Numbers go the same way. The models learned few of them (782 of the corpus' 115,329
English sentences hold a digit) and garble the others: on the validation split the
shipped Transformer turned "in 1814" into "en 184", "when he was 65" into "quand il
avait dix-cinq ans" and "in 2003" into "en 19330 en 1930". So a number of two digits
or more that stands alone (not part of `11:45`, `12,000` or `3.5`) is carried through
one the corpus holds often and its French copies: a year-like four-digit number
through `2013` (in 27 pairs of the corpus, copied in the French of 26), any other
through `100` (30, copied in 27). Every such number, not only those no training source holds:
the model garbles numbers it saw a few times too (`65`, 5 sentences). One number of
each kind per sentence; a second keeps its digits. A single digit stays (the models
write `6 p.m.` as "six heures", as the references do).

`tf_mask_names` and `tf_restore_names` are the one definition, run by
`Translator.translate` (`inputs.SourceText`) and inside the export alike.
"""

from __future__ import annotations

import tensorflow as tf

from .sentences import letter_runs

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
    """The lower-cased runs of letters of `sentences` (normalized), sorted: what
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
        known: `sentences.known_words(corpus_words(...))`.
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
    in their sentence (`names`, from `tf_mask_names`) replaced by it."""
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
