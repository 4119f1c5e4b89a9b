"""The named presets (the blog's model, the word and subword LSTMs with attention, the
Transformer, a tiny one for smoke runs) and the named models shipped in `pretrained/`."""

from __future__ import annotations

from .config import Config

__all__ = ["PRESETS", "get_preset"]

PRESETS: dict[str, Config] = {
    # The classic Keras example (keras-io examples/nlp/lstm_seq2seq.py): character
    # level, one-hot inputs, LSTM 256, rmsprop, batch 64, the first 10,000 pairs.
    # Validation 15% + test 5% of the English sentences leaves ~8,000 training pairs,
    # as in the blog's 80/20 split. The blog trains 100 epochs; early stopping ends
    # the run once validation loss has not improved for `patience` epochs.
    "blog_char": Config(
        name="blog_char", level="char", num_pairs=10_000, validation_fraction=0.15,
        test_fraction=0.05, units=256, batch_size=64, epochs=100, optimizer="rmsprop",
        learning_rate=1e-3, patience=5,
    ),
    # The shipped word model: words, a bidirectional encoder, Luong attention, trained
    # on the whole corpus (pairs up to 30 source / 35 target tokens). Adam at 1e-3 for
    # 14 epochs, then the rate times 0.6 every epoch for 8 more (6e-4 down to 1.7e-5):
    # a constant rate stopped improving earlier (docs/results.md). 1 h 43 on 2 cores.
    "word_attention": Config(
        name="word_attention", level="word", num_pairs=None, validation_fraction=0.02,
        test_fraction=0.05, max_source_length=30, max_target_length=35,
        max_source_tokens=10_000, max_target_tokens=12_000, embedding_dim=128, units=256,
        bidirectional=True, attention="luong", attention_dim=256, dropout=0.2,
        batch_size=128, epochs=22, optimizer="adam", learning_rate=1e-3, clipnorm=5.0,
        lr_decay=0.6, lr_decay_start=13, patience=2, sort_window=50,
    ),
    # The word model's architecture on SentencePiece subwords (separate English and
    # French unigram models of 8,000 ids each, trained on the training split): an
    # open vocabulary, so no [UNK] in and none out. Lengths are in pieces (the
    # word preset's 30 / 35 words are about 40 / 50 pieces). Label smoothing 0.1.
    "subword_attention": Config(
        name="subword_attention", level="subword", num_pairs=None,
        validation_fraction=0.02, test_fraction=0.05, max_source_length=40,
        max_target_length=50, max_source_tokens=8_000, max_target_tokens=8_000,
        embedding_dim=128, units=256, bidirectional=True, attention="luong",
        attention_dim=256, dropout=0.2, label_smoothing=0.1, batch_size=128, epochs=14,
        optimizer="adam", learning_rate=1e-3, clipnorm=5.0, lr_decay=0.6,
        lr_decay_start=8, patience=2, sort_window=50,
    ),
    # The Transformer bridge (issue #18), on the same subword vocabularies: width 256,
    # 4 heads, 3 blocks per side, feed-forward 512, the output layer tied to the
    # target embedding (8.1M parameters: 15 MB in float16), the rate warmed up over
    # 2,000 steps then falling as 1 / sqrt(step); 10 epochs fit in 2 hours here.
    "transformer": Config(
        name="transformer", level="subword", architecture="transformer", num_pairs=None,
        validation_fraction=0.02, test_fraction=0.05, max_source_length=40,
        max_target_length=50, max_source_tokens=8_000, max_target_tokens=8_000,
        units=256, num_heads=4, ff_dim=512, tie_embeddings=True, num_layers=3,
        dropout=0.1, label_smoothing=0.1, batch_size=128, epochs=10, optimizer="adam",
        learning_rate=7e-4, warmup_steps=2000, patience=3, sort_window=50,
    ),
    # A tiny model for smoke runs and tests: seconds, not minutes.
    "quick": Config(
        name="quick", level="char", num_pairs=500, validation_fraction=0.15,
        test_fraction=0.05, units=32, batch_size=32, epochs=2, optimizer="adam",
        learning_rate=1e-2, patience=0,
    ),
}


def get_preset(name: str) -> Config:
    """The preset `Config` called `name`.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name].replace()  # a copy
