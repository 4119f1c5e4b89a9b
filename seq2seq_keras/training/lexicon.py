"""Learning the lexicon that replaces `[UNK]` (`translation.repair`) from training pairs.

The candidates for a source word `e` are the out-of-vocabulary target words `f` seen
with it in a training pair, with a Dice coefficient `2 c(e, f) / (c(e) + c(f))` of at
least 0.1. Co-occurrence cannot tell which word of a pair goes with which, so the
trained model's own attention chooses (`attention_alignments`): at each `[UNK]` of a
teacher-forced pass, the source word it weighed most is aligned with the French word
really there. `train` learns the lexicon and saves it beside the model.
"""

from __future__ import annotations

import collections

import numpy as np

from seq2seq_keras.text.vocabulary import START_ID, Vocabulary, pad_ids

__all__ = ["attention_alignments", "build_lexicon", "learn_lexicon"]


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


def learn_lexicon(pairs, source_vocab: Vocabulary, target_vocab: Vocabulary,
                  attention, batch_size: int = 64) -> dict[str, str]:
    """`build_lexicon` of the training pairs, aligned by the model's attention
    (`attention_alignments`): one teacher-forced pass over the pairs that hold an
    out-of-vocabulary French word (about 20 s on the full corpus on 2 CPU cores)."""
    pairs = list(pairs)
    alignments = attention_alignments(pairs, source_vocab, target_vocab, attention,
                                      batch_size)
    return build_lexicon(pairs, source_vocab, target_vocab, alignments=alignments)
