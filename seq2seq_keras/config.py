"""`Config`: every knob of a run, in three parts (data, model, training); the shared
constants and `check_counts`. The named presets are in `presets`."""

from __future__ import annotations

import dataclasses
import json

__all__ = ["Config", "DataConfig", "ModelConfig", "TrainingConfig", "CELLS", "ATTENTIONS",
           "RNN_OPTIONS", "DEFAULT_ALPHA", "DROP_PENALTY", "check_counts"]

# The recurrent cells the model builder offers.
CELLS = ("lstm", "gru", "peephole_lstm", "cifg_lstm")
# The attention scores over the encoder outputs (`layers.attention`); None: the blog, without.
ATTENTIONS = (None, "luong", "scaled_luong", "bahdanau")
# Keras recurrent-layer arguments that `Config.rnn_options` passes through.
RNN_OPTIONS = ("activation", "recurrent_activation", "use_bias", "kernel_initializer",
               "recurrent_initializer", "bias_initializer", "unit_forget_bias",
               "kernel_regularizer", "recurrent_regularizer", "bias_regularizer")

# Beam search's default length normalization, chosen on the validation split of the
# word model (beam 4, docs/results.md): the largest value that keeps the best BLEU
# (chrF, which weighs recall twice as much, rises a little further).
DEFAULT_ALPHA = 1.6

# Taken off a beam-search hypothesis' score for each [UNK] that the repair drops
# (`translation.repair`), chosen on the validation split (docs/results.md).
DROP_PENALTY = 1.0


@dataclasses.dataclass
class DataConfig:
    """What a model reads: the corpus, its split, the text level, lengths and
    vocabularies (`Config.dataset`).

    Attributes:
        level: `"char"` (the blog), `"word"` or `"subword"` (SentencePiece pieces, see
            `text.subwords`; `max_source_tokens`, `max_target_tokens`: the models' sizes).
        data: corpus file; `None` is the shipped `data/fra-eng` corpus; or
            `"tfds:<name>/<config>"`, a TensorFlow Datasets translation dataset
            (e.g. `"tfds:manythings_anki/fra-eng"`, see `data.tfds_builder`).
        num_pairs: use the first `num_pairs` pairs of the corpus (`None`: all).
        sample_pairs: with `num_pairs`, draw the `num_pairs` pairs at random from the
            whole corpus (seeded by `split_seed`, corpus order kept) instead of taking
            the first ones. The shipped corpus is sorted by length, so its first pairs
            are its shortest sentences; a sample holds every length.
        validation_fraction: fraction of English sentences for validation.
        test_fraction: fraction of English sentences held out for test. Keep it equal
            across runs that you want to compare on the same test sentences.
        split_seed: seed of the train / validation / test split (kept apart from
            the training `seed` so that changing it never moves test sentences).
        max_source_length: longest source, in tokens, kept for training; longer
            training pairs are dropped, and `translate` refuses longer input
            (`None`: the longest training source).
        max_target_length: longest target, in tokens, for training and the decoding
            limit (`None`: the longest training target).
        max_source_tokens, max_target_tokens: vocabulary sizes, specials included
            (`None`: all).
        min_count: tokens seen fewer times become `[UNK]`.
        joint_vocabulary: at subword level, one SentencePiece model of `max_source_tokens`
            ids (= `max_target_tokens`) for both sides, trained on both together.
    """

    level: str = "char"
    data: str | None = None
    num_pairs: int | None = None
    sample_pairs: bool = False
    validation_fraction: float = 0.1
    test_fraction: float = 0.05
    split_seed: int = 1337
    max_source_length: int | None = None
    max_target_length: int | None = None
    max_source_tokens: int | None = None
    max_target_tokens: int | None = None
    min_count: int = 1
    joint_vocabulary: bool = False

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise `ValueError` naming the first bad value."""
        _check_types(self)
        if self.level not in ("char", "word", "subword"):
            raise ValueError("level must be 'char', 'word' or 'subword', got "
                             f"level={self.level!r}")
        if self.level == "subword" and None in (self.max_source_tokens,
                                                self.max_target_tokens):
            raise ValueError("level 'subword' needs max_source_tokens and "
                             "max_target_tokens (the SentencePiece vocabulary sizes)")
        _positive(self, "num_pairs", "max_source_length", "max_target_length",
                  "max_source_tokens", "max_target_tokens", optional=True)
        if self.joint_vocabulary and (self.level, self.max_source_tokens) != (
                "subword", self.max_target_tokens):
            raise ValueError(f"joint_vocabulary=True needs level='subword' and one size, got "
                             f"level={self.level!r}, max_source_tokens={self.max_source_tokens}"
                             f", max_target_tokens={self.max_target_tokens}")
        if self.sample_pairs and self.num_pairs is None:
            raise ValueError("sample_pairs=True draws num_pairs pairs; give num_pairs too "
                             "(sample_pairs=True, num_pairs=None)")


@dataclasses.dataclass
class ModelConfig:
    """The network: its family, sizes and layers (`Config.model`). Field names follow
    Keras' argument names.

    Attributes:
        architecture: `"rnn"` (the recurrent encoder-decoder of `models`) or
            `"transformer"` (attention alone, `models.transformer`: `units` is its width,
            `num_layers` its blocks per side, `num_heads` and `ff_dim` below).
        num_heads: attention heads of a Transformer (they must divide `units`).
        ff_dim: width of a Transformer block's feed-forward layer.
        tie_embeddings: a Transformer's output layer reuses the target embedding matrix,
            transposed, plus a bias: one `vocab x units` matrix fewer (Press & Wolf 2017).
        embedding_dim: `None` feeds one-hot vectors (the blog); an integer, a trainable
            `keras.layers.Embedding` of that size.
        units: LSTM units, the size of `h` and `c`.
        cell: `"lstm"` (the blog), `"gru"`, `"peephole_lstm"` or `"cifg_lstm"`
            (see `cells.py`).
        num_layers: stacked recurrent layers in the encoder and in the decoder (1-4);
            decoder layer k starts from the final states of encoder layer k.
        recurrent_dropout: dropout on the recurrent connections (`lstm` and `gru`
            only; any value > 0 turns off the cuDNN path on a GPU).
        rnn_options: other arguments for every recurrent layer or cell, by their
            Keras names (`RNN_OPTIONS`; `unit_forget_bias` not for GRU), JSON values:
            `{"kernel_regularizer": {"class_name": "L2", "config": {"l2": 1e-5}}}`.
        bidirectional: a bidirectional encoder; its forward and backward `[h, c]` are
            concatenated, so the decoder has `2 * units` units.
        attention: `None` (the blog), `"luong"`, `"scaled_luong"` (Luong's score divided
            by `sqrt(query_dim)`) or `"bahdanau"`: attention over the encoder outputs
            (see `attention.py`).
        attention_dim: size of the attentional layer `tanh(W [output; context])`
            that feeds the softmax (and of Bahdanau's score layer).
        dropout: dropout rate on the embeddings and before the softmax (0: none).
    """

    architecture: str = "rnn"
    num_heads: int = 4
    ff_dim: int = 1024
    tie_embeddings: bool = False
    embedding_dim: int | None = None
    units: int = 256
    cell: str = "lstm"
    num_layers: int = 1
    recurrent_dropout: float = 0.0
    rnn_options: dict | None = None
    bidirectional: bool = False
    attention: str | None = None
    attention_dim: int = 256
    dropout: float = 0.0

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise `ValueError` naming the first bad value."""
        _check_types(self)
        _positive(self, "units", "num_heads", "ff_dim", "attention_dim")
        _positive(self, "embedding_dim", optional=True)
        if self.architecture not in ("rnn", "transformer"):
            raise ValueError("architecture must be 'rnn' or 'transformer', got "
                             f"architecture={self.architecture!r}")
        if self.architecture == "transformer":
            if self.units % self.num_heads or self.units % 2:
                raise ValueError(f"a Transformer's width units={self.units} must be even and "
                                 f"divisible by num_heads={self.num_heads}")
        elif self.tie_embeddings:
            raise ValueError("tie_embeddings needs architecture='transformer' (an LSTM "
                             "decoder's output width differs from its embedding's)")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {list(CELLS)}, got cell={self.cell!r}")
        if not isinstance(self.num_layers, int) or not 1 <= self.num_layers <= 4:
            raise ValueError(f"num_layers must be 1 to 4, got num_layers={self.num_layers!r}")
        if not 0 <= self.recurrent_dropout < 1:
            raise ValueError("recurrent_dropout must be in [0, 1), got "
                             f"recurrent_dropout={self.recurrent_dropout}")
        if self.recurrent_dropout and self.cell not in ("lstm", "gru"):
            raise ValueError(f"recurrent_dropout is only for cell 'lstm' or 'gru', got "
                             f"cell={self.cell!r}")
        unknown = set(self.rnn_options or {}) - set(RNN_OPTIONS)
        if self.cell == "gru" and "unit_forget_bias" in (self.rnn_options or {}):
            unknown.add("unit_forget_bias (GRU has no forget gate)")
        if unknown:
            raise ValueError(f"unknown rnn_options {sorted(unknown)}; known: {list(RNN_OPTIONS)}")
        if self.attention not in ATTENTIONS:
            raise ValueError("attention must be 'luong', 'scaled_luong', 'bahdanau' or None, got "
                             f"attention={self.attention!r}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got dropout={self.dropout}")


@dataclasses.dataclass
class TrainingConfig:
    """How `model.fit` runs: loss, optimizer, schedule, batches, stopping and seed
    (`Config.training`).

    Attributes:
        label_smoothing: train towards `(1 - label_smoothing)` on the reference token
            and `label_smoothing` spread evenly over the whole target vocabulary
            (0: plain cross-entropy). A regularizer: the model stops pushing its
            probabilities to 0 and 1.
        batch_size: pairs per batch.
        epochs: maximum number of epochs.
        optimizer: a Keras optimizer name (`"rmsprop"` in the blog).
        learning_rate: the optimizer's learning rate.
        warmup_steps: the learning rate rises linearly over this many steps, then
            falls as `1 / sqrt(step)` (Vaswani et al. 2017; 0: a constant rate) or,
            with `decay_steps` (0: not), linearly to 0 at step `decay_steps`.
        lr_decay: from epoch `lr_decay_start` (0-based) on, the learning rate is
            multiplied by this once per epoch: `learning_rate * lr_decay ** max(0,
            epoch - lr_decay_start)` (1: constant).
        lr_decay_start: the first epoch of the decay.
        clipnorm: clip each gradient to this norm (`None`: no clipping).
        patience: early stopping patience on validation loss, in epochs (0: off).
        sort_window: batches per window of length-sorted pairs (1: no sorting). Pairs
            of similar length share a batch, which cuts padding.
        seed: seed of weight initialization and shuffling.
    """

    label_smoothing: float = 0.0
    batch_size: int = 64
    epochs: int = 100
    optimizer: str = "rmsprop"
    learning_rate: float = 1e-3
    warmup_steps: int = 0
    decay_steps: int = 0
    lr_decay: float = 1.0
    lr_decay_start: int = 0
    clipnorm: float | None = None
    patience: int = 5
    sort_window: int = 20
    seed: int = 1337

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise `ValueError` naming the first bad value."""
        _check_types(self)
        _positive(self, "batch_size", "epochs", "sort_window")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError("label_smoothing must be in [0, 1), got "
                             f"label_smoothing={self.label_smoothing}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        for field in ("warmup_steps", "decay_steps"):
            if not isinstance(getattr(self, field), int) or getattr(self, field) < 0:
                raise ValueError(f"{field} must be an integer >= 0, got "
                                 f"{field}={getattr(self, field)!r}")
        if self.decay_steps and not 0 < self.warmup_steps < self.decay_steps:
            raise ValueError(f"decay_steps={self.decay_steps} needs warmup_steps, below it "
                             f"(got warmup_steps={self.warmup_steps})")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got lr_decay={self.lr_decay}")
        if self.warmup_steps and self.lr_decay != 1.0:
            raise ValueError("give warmup_steps or lr_decay, not both")
        if self.lr_decay_start < 0:
            raise ValueError(f"lr_decay_start must be >= 0, got {self.lr_decay_start}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got patience={self.patience}")


def _positive(part, *fields, optional=False) -> None:
    for field in fields:
        value = getattr(part, field)
        if not (optional and value is None) and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ValueError(f"{field} must be a positive integer{' or None' * optional}, "
                             f"got {field}={quoted(value)}")
        if value is not None and value > MAXIMUM.get(field, value):
            raise ValueError(f"{field} must be at most {MAXIMUM[field]:,} (config.MAXIMUM), "
                             f"got {field}={value:,}")


# Upper bounds that keep a config (typed, or read from a model folder) within what one
# machine can build and decode: a model of these sizes has well under a billion weights.
MAXIMUM = {"units": 4096, "embedding_dim": 4096, "attention_dim": 4096, "ff_dim": 16384,
           "num_heads": 64, "max_source_length": 10_000, "max_target_length": 10_000,
           "max_source_tokens": 1_000_000, "max_target_tokens": 1_000_000,
           "batch_size": 65_536, "num_pairs": 10**9, "epochs": 100_000}
_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
          "dict": (dict,), "None": (type(None),)}


def _check_types(part) -> None:
    """Raise `ValueError` for a field whose value is not of its declared type (a JSON
    string where a number belongs: `--set learning_rate=fast`)."""
    for field in dataclasses.fields(part):
        names = [name.strip() for name in str(field.type).split("|")]
        value = getattr(part, field.name)
        allowed = tuple(kind for name in names for kind in _TYPES[name])
        if not isinstance(value, allowed) or (isinstance(value, bool) and "bool" not in names):
            raise ValueError(f"{field.name} must be {' or '.join(names)}, got "
                             f"{field.name}={quoted(value)}")


def quoted(value, limit: int = 60) -> str:
    """`repr(value)`, cut to `limit` characters: an error quotes the bad value, not
    megabytes of it."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# The parts of a `Config`, by attribute name, and the part that holds each field.
PARTS = {"dataset": DataConfig, "model": ModelConfig, "training": TrainingConfig}
_OWNER = {f.name: part for part, cls in PARTS.items() for f in dataclasses.fields(cls)}


class Config:
    """Everything that defines a model and its training run, in three parts: `dataset`
    (a `DataConfig`), `model` (a `ModelConfig`) and `training` (a `TrainingConfig`).
    How a trained model decodes is the `Strategy` stored beside it (`decoding.strategies`).

    Saved with every trained model, so that loading rebuilds the same layers. Built and
    read by the parts' flat field names: `Config(level="word", units=128)`, `config.units`
    (`config.model.units`), `config.replace(epochs=10)`, `--set epochs=10` in the CLI.

    Args:
        name: preset name, for logs.
        **fields: any field of the three parts (a `ValueError` names an unknown one).
    """

    def __init__(self, name: str = "custom", **fields):
        unknown = set(fields) - set(_OWNER) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown Config fields: {sorted(unknown)}")
        self.name = name
        for part, cls in PARTS.items():
            given = fields.get(part) or {}
            given = dataclasses.asdict(given) if isinstance(given, cls) else given
            if not isinstance(given, dict):
                raise ValueError(f"{part} must be a {cls.__name__} or a dict, got {given!r}")
            unknown = set(given) - {f.name for f in dataclasses.fields(cls)}
            if unknown:
                raise ValueError(f"unknown Config fields in {part!r}: {sorted(unknown)}")
            setattr(self, part, cls(**{**given, **{key: value for key, value in fields.items()
                                                   if _OWNER.get(key) == part}}))

    def __getattr__(self, field):
        # Only for names that are not attributes: the parts' flat field names
        # (`config.units` is `config.model.units`).
        part = _OWNER.get(field)
        if part is None or part not in self.__dict__:
            raise AttributeError(f"Config has no field {field!r}")
        return getattr(self.__dict__[part], field)

    def __setattr__(self, field, value):
        part = _OWNER.get(field)
        if part is None:
            super().__setattr__(field, value)
        else:
            setattr(getattr(self, part), field, value)

    def validate(self) -> None:
        """Check every part again (fields set since): a `ValueError` names the bad one."""
        for part in PARTS:
            getattr(self, part).validate()

    def network_summary(self) -> str:
        """The network in a few words (`Translator`'s repr, notebooks 08 and 09)."""
        m = self.model
        if m.architecture == "transformer":
            return (f"transformer, {m.num_layers}+{m.num_layers} blocks of {m.units}, "
                    f"{m.num_heads} heads, feed-forward {m.ff_dim}")
        return (f"cell={m.cell}, units={m.units}, layers={m.num_layers}, "
                f"bidirectional={m.bidirectional}, attention={m.attention}")

    def require_lengths(self) -> None:
        """Raise `ValueError` unless the length limits are set (a trained model's)."""
        for field in ("max_source_length", "max_target_length"):
            if getattr(self, field) is None:
                raise ValueError(
                    f"config.{field} is None: pass the config that `prepare_data` (or "
                    "`train`) returns, whose length limits come from the training data")

    def fields(self) -> dict:
        """Every field by its flat name, `name` included (what `Config(**...)` takes)."""
        return {"name": self.name, **{key: getattr(self, key) for key in _OWNER}}

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (and validated), by their flat names."""
        return Config(**{**self.fields(), **changes})

    def to_dict(self) -> dict:
        """`{"name": ..., "dataset": {...}, "model": {...}, "training": {...}}`, each
        part's fields in alphabetical order."""
        return {"name": self.name, **{part: dict(sorted(dataclasses.asdict(
            getattr(self, part)).items())) for part in PARTS}}

    @classmethod
    def from_dict(cls, values: dict) -> Config:
        """The inverse of `to_dict`; takes older artefacts' flat form too."""
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def __eq__(self, other) -> bool:
        return isinstance(other, Config) and self.to_dict() == other.to_dict()

    __hash__ = None  # mutable, as the dataclass it was

    def __repr__(self) -> str:
        parts = ", ".join(f"{part}={getattr(self, part)!r}" for part in PARTS)
        return f"Config(name={self.name!r}, {parts})"


def check_counts(**counts) -> None:
    """Raise `ValueError` naming the first of `counts` that is not a whole number >= 1
    (a list: not empty, and each item so; `None` passes: "all" or "the default"). The
    notebooks check their parameters with it.

    >>> check_counts(epochs=3, num_pairs=None, gap_lengths=[5, 20])
    >>> check_counts(epochs=0)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be a whole number >= 1, got epochs=0
    """
    for name, value in counts.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if isinstance(value, (list, tuple)) and not value:
            raise ValueError(f"{name} must not be empty, got {name}={value!r}")
        for item in items:
            if item is not None and (isinstance(item, bool) or not isinstance(item, int)
                                     or item < 1):
                raise ValueError(f"{name} must be a whole number >= 1, got {name}={value!r}")
