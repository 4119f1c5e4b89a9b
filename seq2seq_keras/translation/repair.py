"""Replacing `[UNK]` in word-level translations: attention points, a lexicon translates.

A word-level model writes `[UNK]` for a French word outside its vocabulary. The
search keeps, for each output token, the source position its attention weighed most
(Luong et al. 2015); the source word there is then

1. **translated** by the lexicon (`training.lexicon`), if it has an entry;
2. else **copied**, if it looks like a name or a number ("I met Zelda." -> "J'ai
   rencontré Zelda.");
3. else **dropped**, with a comma it would strand: a missing word costs less than a
   wrong one.

A dropped word still leaves a hole, so beam search ranks its hypotheses again after
repair, `DROP_PENALTY` off per dropped word, and one left without any word last
(`rerank`). The rules exist once, as TensorFlow ops (`Repair`), which
`Translator.translate` and the export both run.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from seq2seq_keras.text.normalize import normalize
from seq2seq_keras.text.sentences import known_words
from seq2seq_keras.text.vocabulary import UNK, Vocabulary, pad_ids, written

__all__ = ["Repair", "replace_unknown", "output_texts", "rerank", "penalized_ranking",
           "wordless"]

# Punctuation that ends a clause: a comma just before one (or at either end of the
# sentence) is stranded.
_CLAUSE_END = {",", ".", "!", "?", ";", ":", "…"}


# Private-use characters that no token holds: between tokens, and for a dropped one.
_SEP, _DROP = "\ue010", "\ue011"
# A text that holds a word: a letter or a digit.
_HAS_WORD = r"(?s).*[\pL\pN].*"
_END = "(?:" + _SEP + "|$)"
_COMMA_BEFORE_DROPS = ("(^|" + _SEP + ")," + _SEP + "(?:" + _DROP + _SEP + ")+("
                       + "[" + "".join(sorted(_CLAUSE_END)) + "]" + _END + ")")


class Repair(tf.Module):
    """The rules of the module's docstring as TensorFlow ops, over a lexicon and a
    source vocabulary held as lookup tables: `Translator.translate` and the exported
    SavedModel repair `[UNK]` with the same graph.

    Args:
        lexicon: `{source word: target word}` (see `build_lexicon`).
        source_vocab: the source `Vocabulary` (to tell names from known words).
    """

    def __init__(self, lexicon: dict, source_vocab: Vocabulary):
        super().__init__()
        keys = sorted(lexicon) or [_DROP]  # a key no token is
        self.lexicon = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant(keys), tf.constant([lexicon.get(k, "") for k in keys])), "")
        self.known = known_words(source_vocab.tokens)

    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.string),
                                  tf.RaggedTensorSpec([None, None], tf.string),
                                  tf.RaggedTensorSpec([None, None], tf.int32)])
    def __call__(self, source_tokens, output_tokens, aligned):
        """`(tokens, drops)`: each row of `output_tokens` with its `[UNK]` replaced
        (lexicon, copy) or dropped, and how many it dropped.

        Args:
            source_tokens: `(batch, source)` the source sentences' tokens.
            output_tokens: `(batch, output)` the translations' tokens.
            aligned: `(batch, output)` for each output token, the position of the
                source token of highest attention weight.
        """
        # One more token, empty, so that a row without source tokens still has one.
        source_tokens = tf.concat([source_tokens, tf.fill([source_tokens.nrows(), 1], "")],
                                  axis=1)
        word = tf.gather(source_tokens, aligned, batch_dims=1).flat_values
        position = aligned.flat_values
        replaced = self.lexicon.lookup(word)
        # A name or a number: "Zelda" (not a known word first in the sentence), "1999".
        copy = (tf.strings.regex_full_match(word, _HAS_WORD)
                & tf.logical_not(tf.strings.regex_full_match(word, ".*'"))
                & (tf.strings.regex_full_match(word, r".*\p{Nd}.*")
                   | (tf.strings.regex_full_match(word, r"\p{Lu}.*")
                      & ((position > 0) | tf.equal(self.known.lookup(word), 0)))))
        unknown = tf.equal(output_tokens.flat_values, UNK)
        dropped = unknown & tf.equal(replaced, "") & tf.logical_not(copy)
        tokens = tf.where(unknown, tf.where(copy & tf.equal(replaced, ""), word, replaced),
                          output_tokens.flat_values)
        tokens = output_tokens.with_flat_values(tf.where(dropped, _DROP, tokens))
        drops = tf.reduce_sum(tf.cast(output_tokens.with_flat_values(dropped), tf.int32),
                              axis=1)
        # The commas a dropped word strands: before it and a clause end ("x , [UNK] ."),
        # after it at the start ("[UNK] , y"), before it at the end ("x , [UNK]").
        text = tf.strings.reduce_join(tokens, axis=1, separator=_SEP)
        text = tf.while_loop(  # "x , [UNK] , [UNK] ." loses both commas
            lambda old, new: tf.reduce_any(tf.not_equal(old, new)),
            lambda old, new: (new, tf.strings.regex_replace(new, _COMMA_BEFORE_DROPS,
                                                            r"\1\2")),
            (text, tf.strings.regex_replace(text, _COMMA_BEFORE_DROPS, r"\1\2")))[1]
        text = tf.strings.regex_replace(text, f"^{_DROP}{_END}(?:(?:,|{_DROP}){_END})*", "")
        text = tf.strings.regex_replace(text, f"(^|{_SEP}),(?:{_SEP}{_DROP})+$", "")
        tokens = tf.strings.split(text, _SEP)
        return tf.ragged.boolean_mask(tokens, tf.not_equal(tokens, _DROP)
                                      & tf.not_equal(tokens, "")), drops

    def tokens(self, source_tokens, output_tokens, aligned):
        """`__call__` on Python lists: `(tokens, drops)` lists per row."""
        tokens, drops = self(*(tf.ragged.constant(rows, dtype=dtype, ragged_rank=1) for rows,
                               dtype in ((source_tokens, tf.string), (output_tokens, tf.string),
                                         (aligned, tf.int32))))
        return [[t.decode() for t in row] for row in tokens.to_list()], drops.numpy().tolist()


def replace_unknown(source_tokens, output_tokens, weights, lexicon: dict,
                    source_vocab: Vocabulary, with_drops: bool = False):
    """Output tokens with each `[UNK]` replaced (lexicon, copy) or dropped: `Repair`
    for one sentence.

    Args:
        source_tokens: the source sentence's tokens (`source_vocab.tokenize`).
        output_tokens: the translation's tokens.
        weights: attention weights `(len(output_tokens) or more, len(source_tokens)
            or more)`: row `i` is where output token `i` looked (extra rows and
            columns, e.g. padding, are ignored).
        lexicon: `{source word: target word}` (see `build_lexicon`).
        source_vocab: the source `Vocabulary` (to tell names from known words).
        with_drops: also return how many `[UNK]` were dropped.

    Returns:
        The new tokens (the rules are in the module's docstring); with
        `with_drops`, `(tokens, number dropped)`.
    """
    tokens, drops = Repair(lexicon, source_vocab).tokens(
        [list(source_tokens)], [list(output_tokens)],
        [_aligned(weights, len(output_tokens), len(source_tokens))])
    return (tokens[0], drops[0]) if with_drops else tokens[0]


def _aligned(weights, outputs: int, sources: int) -> list[int]:
    """Per output token, the source position of highest weight (the first of equals)."""
    weights = np.asarray(weights)
    return [int(i) for i in np.argmax(weights[:outputs, :sources], axis=1)] if sources \
        else [0] * outputs


def output_texts(sentences, outputs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                 repair: Repair | None = None, batch_size: int = 64):
    """The text of each decoded output, its `[UNK]` replaced or dropped.

    Args:
        sentences: the source sentences; `outputs[k]` translates `sentences[k]`.
        outputs: per sentence its output ids (`None` for an empty source); with
            `repair`, `(ids, alignment)` pairs, the alignment the search's history
            (`translation.searcher.Searcher.best_ids` with `aligned=True`): for each output id, the
            source position its attention weighed most.
        source_vocab, target_vocab: the model's.
        repair: the model's `Repair` (its lexicon); `None` keeps `[UNK]`.
        batch_size: outputs repaired together.

    Returns:
        `(texts, drops)`: `""` for `None`; how many `[UNK]` each left out.
    """
    if repair is not None:
        alignments = [None if found is None else found[1] for found in outputs]
        outputs = [None if found is None else found[0] for found in outputs]
    tokens = [[] if ids is None else target_vocab.decode_tokens(ids) for ids in outputs]
    drops = [0] * len(tokens)
    rows = [k for k, t in enumerate(tokens) if UNK in t] if repair else []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        # The alignment of each token of the text (the ids `decode_tokens` keeps).
        aligned = tf.ragged.boolean_mask(pad_ids([alignments[k] for k in chunk]),
                                         written(pad_ids([outputs[k] for k in chunk])))
        words = [source_vocab.tokenize(normalize(sentences[k])) for k in chunk]
        new, dropped = repair.tokens(words, [tokens[k] for k in chunk], aligned.to_list())
        for k, row, count in zip(chunk, new, dropped, strict=True):
            tokens[k], drops[k] = row, count
    return [target_vocab.join(t) for t in tokens], drops


def rerank(found, sentences, source_vocab: Vocabulary, target_vocab: Vocabulary,
           repair: Repair | None, drop_penalty: float, batch_size: int = 64):
    """Beam search's n best per sentence as `(text, score)`, best first, after each
    hypothesis' `[UNK]` were replaced and it lost `drop_penalty` per one it dropped;
    one left without a word comes after those that kept one.

    Args:
        found: per sentence, its hypotheses `[(ids, score), ...]`, with `repair`
            `[(ids, score, alignment), ...]` (`translation.searcher.Searcher.hypotheses`; `None`:
            an empty sentence).
        sentences: the sources, as for `output_texts`.
        source_vocab, target_vocab, repair, batch_size: as for `output_texts`
            (`repair=None` keeps `[UNK]`, drops nothing).
        drop_penalty: see `DROP_PENALTY`.

    Returns:
        A list per sentence (`[("", 0.0)]` for an empty one), sorted stably: without
        drops, the model's order.
    """
    # One flat list of hypotheses, so that [UNK] replacement runs in batches.
    flat = [(k, hypothesis) for k, best in enumerate(found) if best is not None
            for hypothesis in best]
    texts, drops = output_texts([sentences[k] for k, _ in flat],
                                [(h[0], h[2]) if repair else h[0] for _, h in flat],
                                source_vocab, target_vocab, repair, batch_size)
    ranked = iter([])
    if flat:  # every sentence has the search's n hypotheses
        n = len(next(best for best in found if best is not None))
        penalized, order = penalized_ranking(
            np.reshape([h[1] for _, h in flat], (-1, n)), np.reshape(drops, (-1, n)),
            drop_penalty, tf.reshape(wordless(texts), (-1, n)))
        penalized = penalized.numpy()
        ranked = iter([[(texts[row * n + i], float(penalized[row, i])) for i in indices]
                       for row, indices in enumerate(order.numpy())])
    return [[("", 0.0)] if best is None else next(ranked) for best in found]


def wordless(texts):
    """Per text (a string tensor): `True` where it holds no letter and no digit, e.g. a
    hypothesis whose every word was dropped ("[UNK] !" -> "!")."""
    return tf.logical_not(tf.strings.regex_full_match(texts, _HAS_WORD))


def penalized_ranking(scores, drops, drop_penalty: float, empty):
    """`(batch, n)` hypothesis scores, less `drop_penalty` per `[UNK]` dropped (float64,
    as Python computes), and each row's hypotheses best first: with a penalty, a
    hypothesis that its drops left without a word (`empty`, alike: see `wordless`;
    and a drop) after every other; equals in their order (`drop_penalty=0`: the
    model's own order). The ranking of `rerank` and of the export's graph."""
    penalized = tf.cast(scores, tf.float64) - drop_penalty * tf.cast(drops, tf.float64)
    order = tf.argsort(penalized, axis=-1, direction="DESCENDING", stable=True)
    if not drop_penalty:
        return penalized, order
    emptied = tf.logical_and(empty, tf.greater(drops, 0))
    last = tf.argsort(tf.cast(tf.gather(emptied, order, batch_dims=1), tf.int32), axis=-1,
                      stable=True)
    return penalized, tf.gather(order, last, batch_dims=1)


