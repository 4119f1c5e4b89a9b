"""Replacing `[UNK]` in word-level translations: attention points, a lexicon translates.

A word-level model knows only its target vocabulary (12,000 French words for the
shipped model); a sentence that needs a rarer word gets `[UNK]`. The attention
weights say which source word the decoder looked at when it wrote `[UNK]` (Luong et
al. 2015, "Addressing the Rare Word Problem in Neural Machine Translation"), and a
lexicon learned from the training pairs translates that word:

1. **lexicon**: the source word (letters, no digits) has a translation among the
   French words *outside* the vocabulary (the only ones the model cannot write);
2. **copy**: else, if the source word looks like a name or a number (it holds a
   digit, or is capitalized and either not first or unknown to the source
   vocabulary), it is copied: "I met Zelda." -> "J'ai rencontré Zelda.";
3. **drop**: else the `[UNK]` is left out. A missing word costs less than a wrong
   one: an English word ("scammed", or "ll" of "I'll") is wrong in French. A comma
   that the dropped word leaves stranded goes with it: "aujourd'hui, [UNK]." gives
   "aujourd'hui.", not "aujourd'hui,.".

Where the decoder looked comes from the search itself: with `aligned=True` it keeps,
for each output token, the source position of highest attention weight, reordered
with the hypotheses (`decoding`, `models.Seq2Seq.aligned_log_probs`), so repair needs
no second pass over the outputs.

A dropped word still leaves a hole ("Watch us." -> "[UNK] !" -> "!"), so beam search
prefers another hypothesis where it can: `Translator.translate_n_best` takes
`DROP_PENALTY` off a hypothesis' score for each word it drops, and `translate`
returns the best after that (the penalty was chosen on the validation split: see
`docs/results.md`, which also lists the ideas measured and not kept).

The lexicon's candidates for a source word `e` are the out-of-vocabulary target
words `f` seen with it in at least one training pair, with a Dice coefficient
`2 c(e, f) / (c(e) + c(f))` of at least 0.1 (`c` counts the pairs in which words
occur; the threshold keeps frequent words such as "you" from pairing with a rare
word by chance). Co-occurrence cannot tell which word of a pair goes with which, so
the model's own attention chooses among them (`attention_alignments`): every
training pair whose French holds a word outside the vocabulary is fed through the
trained model, teacher-forced, and at each `[UNK]` the source word of highest
attention weight is aligned with the French word really there. A source word gets
the candidate it is most often aligned with, else the one of highest Dice. `train`
builds the lexicon (about 20 s on the full corpus) and saves it with the model
(`lexicon.json`).

The rules and thresholds were chosen on the validation split, and the test split
measured after (`docs/results.md`). They exist once, as TensorFlow ops (`Repair`, with
the lexicon as a lookup table), which `Translator.translate` and the exported
SavedModel both run.
"""

from __future__ import annotations

import collections

import numpy as np
import tensorflow as tf

from .data import normalize
from .sentences import known_words
from .text import END_ID, PAD_ID, START_ID, UNK, Vocabulary, pad_ids

__all__ = ["attention_alignments", "build_lexicon", "replace_unknown", "Repair",
           "DROP_PENALTY", "written", "output_texts", "rerank", "learn_lexicon"]

# Taken off a beam-search hypothesis' score (a length-normalized log-probability)
# for each [UNK] that `replace_unknown` drops; chosen on the validation split
# (docs/results.md).
DROP_PENALTY = 1.0

# Punctuation that ends a clause: a comma just before one (or at either end of the
# sentence) is stranded.
_CLAUSE_END = {",", ".", "!", "?", ";", ":", "…"}


def _is_word(token: str) -> bool:
    """Letters and no digit: a word a lexicon can translate (a number is copied)."""
    return any(c.isalpha() for c in token) and not any(c.isdigit() for c in token)


def attention_alignments(pairs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                         attention, batch_size: int = 64) -> collections.Counter:
    """Count which source word the model looks at for each out-of-vocabulary word.

    Every training pair whose target holds a word outside `target_vocab` is fed to
    the model, teacher-forced (the target with `[UNK]` in place of those words, as
    the model learned it). The source word of highest attention weight at each
    `[UNK]` position is aligned with the real target word there.

    Args:
        pairs: `(source, target)` sentence pairs, normalized.
        source_vocab: the source `Vocabulary`.
        target_vocab: the target `Vocabulary`.
        attention: `[source ids, target ids] -> weights (batch, target time, source
            time)`: `models.Seq2Seq.attention` (one graph for the hundreds of batches
            of every width), or a model of `models.build_attention_model`.
        batch_size: pairs per forward pass.

    Returns:
        A `Counter` of `(source word, target word)`; only words (letters, no
        digits) on the source side, only out-of-vocabulary words on the target side.
    """
    rows = []
    for source, target in pairs:
        words = target_vocab.tokenize(target)
        if any(w not in target_vocab for w in words):
            source_ids = source_vocab.encode(source)
            if source_ids:
                rows.append((source_vocab.tokenize(source), source_ids, words))
    # Similar lengths together: little padding in each forward pass.
    rows.sort(key=lambda row: (len(row[1]), len(row[2])))
    counts = collections.Counter()
    for start in range(0, len(rows), batch_size):
        chunk = rows[start:start + batch_size]
        sources = pad_ids([ids for _, ids, _ in chunk])
        targets = pad_ids([[START_ID, *target_vocab.token_ids(words)] for _, _, words in chunk])
        weights = attention([sources, targets]).numpy()
        for (tokens, _, words), w in zip(chunk, weights, strict=True):
            for i, word in enumerate(words):
                if word not in target_vocab:
                    aligned = tokens[int(np.argmax(w[i, : len(tokens)]))]
                    if _is_word(aligned):
                        counts[aligned, word] += 1
    return counts


def build_lexicon(pairs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                  min_pairs: int = 1, min_dice: float = 0.1,
                  alignments: collections.Counter | None = None) -> dict[str, str]:
    """`{source word: target word}` for the target words outside `target_vocab`.

    Args:
        pairs: the training `(source, target)` sentence pairs, normalized.
        source_vocab: the source `Vocabulary` (its tokenizer is used; source words
            outside it are paired too, they are the names and rare words).
        target_vocab: the target `Vocabulary`; only the words it lacks are paired.
        min_pairs: a pairing must be seen in at least this many sentence pairs.
            Words outside a 12,000-word vocabulary are mostly seen once or twice,
            so 1 (the default) keeps most of them.
        min_dice: and have a Dice coefficient of at least this (0.1 keeps frequent
            source words such as "you" from pairing with a rare word by chance).
        alignments: `(source word, target word)` counts from the model's own
            attention (`attention_alignments`). Among the target words that pass
            `min_pairs` and `min_dice`, a source word gets the one it is most often
            aligned with; Dice decides between equals, and alone without alignments.

    Returns:
        The lexicon, possibly empty (e.g. when the vocabulary holds every word).
    """
    if source_vocab.level != "word" or target_vocab.level != "word":
        raise ValueError("a lexicon is for word-level vocabularies")
    source_counts, target_counts = collections.Counter(), collections.Counter()
    together = collections.defaultdict(collections.Counter)
    for source, target in pairs:
        rare = {t for t in target_vocab.tokenize(target) if t not in target_vocab}
        # Words only: a number is copied, punctuation has no translation.
        words = {w for w in source_vocab.tokenize(source) if _is_word(w)}
        source_counts.update(words)
        if not rare:
            continue
        target_counts.update(rare)
        for word in words:
            together[word].update(rare)
    aligned = collections.defaultdict(collections.Counter)
    for (word, f), count in (alignments or {}).items():
        aligned[word][f] = count
    lexicon = {}
    for word, candidates in together.items():
        def dice(f, word=word, candidates=candidates):
            return 2 * candidates[f] / (source_counts[word] + target_counts[f])

        allowed = [f for f in candidates if candidates[f] >= min_pairs and dice(f) >= min_dice]
        if allowed:
            # Most alignments, then highest Dice, then most pairs, then the word
            # itself: a deterministic choice.
            lexicon[word] = max(allowed, key=lambda f, word=word, candidates=candidates: (
                aligned[word][f], dice(f), candidates[f], f))
    return lexicon


# Private-use characters that no token holds: between tokens, and for a dropped one.
_SEP, _DROP = "\ue010", "\ue011"
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
        copy = (tf.strings.regex_full_match(word, r".*[\pL\pN].*")
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


def written(outputs):
    """`(batch, time)` output ids -> whether each is a token of the text: before the
    first `[END]`, not padding nor `[START]` (as `Vocabulary.decode_tokens`)."""
    outputs = tf.convert_to_tensor(outputs)
    before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(outputs, END_ID), tf.int32), axis=1), 0)
    return before_end & tf.not_equal(outputs, PAD_ID) & tf.not_equal(outputs, START_ID)


def output_texts(sentences, outputs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                 repair: Repair | None = None, batch_size: int = 64):
    """The text of each decoded output, its `[UNK]` replaced or dropped.

    Args:
        sentences: the source sentences; `outputs[k]` translates `sentences[k]`.
        outputs: per sentence its output ids (`None` for an empty source); with
            `repair`, `(ids, alignment)` pairs, the alignment the search's history
            (`search.Searcher.best_ids` with `aligned=True`): for each output id, the
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
    hypothesis' `[UNK]` were replaced and it lost `drop_penalty` per one it dropped.

    Args:
        found: per sentence, its hypotheses `[(ids, score), ...]`, with `repair`
            `[(ids, score, alignment), ...]` (`search.Searcher.hypotheses`; `None`:
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
    scored = iter([(text, float(h[1]) - drop_penalty * dropped) for (_, h), text, dropped
                   in zip(flat, texts, drops, strict=True)])
    return [[("", 0.0)] if best is None else
            sorted((next(scored) for _ in best), key=lambda pair: -pair[1])
            for best in found]


def learn_lexicon(pairs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                  attention, batch_size: int = 64) -> dict[str, str]:
    """`build_lexicon` of the training pairs, aligned by the model's attention
    (`attention_alignments`): one teacher-forced pass over the pairs that hold an
    out-of-vocabulary French word (about 20 s on the full corpus on 2 CPU cores)."""
    pairs = list(pairs)
    alignments = attention_alignments(pairs, source_vocab, target_vocab, attention,
                                      batch_size)
    return build_lexicon(pairs, source_vocab, target_vocab, alignments=alignments)
