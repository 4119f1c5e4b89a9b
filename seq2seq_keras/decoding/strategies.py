"""Decoding strategies: a search of `decoding` with its options, as a small object.

In the spirit of keras-hub's samplers and OpenNMT-tf's decoding strategies:
`Greedy()`, `BeamSearch(beam_width=4, alpha=1.6, drop_penalty=1.0)`,
`Sampling(temperature=1.0, top_k=0, seed=0)`. Each has `search(step, state,
max_length, limits)` and `get_config()`; a saved model stores its default strategy,
which `Translator.translate` uses unless given another (`get_strategy`,
`resolve_strategy`).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import tensorflow as tf

from seq2seq_keras.config import DEFAULT_ALPHA, DROP_PENALTY
from seq2seq_keras.decoding.beam import beam_search
from seq2seq_keras.decoding.loop import greedy_search, sample

__all__ = ["Strategy", "Greedy", "BeamSearch", "Sampling", "get_strategy",
           "resolve_strategy", "beam_of", "resolve_beam"]


class Strategy:
    """A decoding strategy: a search over a step function, with its options.

    Subclasses are frozen dataclasses (hashable: a translator compiles one search per
    strategy and caches it) with a `name` and `translation.searcher`.
    """

    name: ClassVar[str] = ""

    @property
    def n_best(self) -> int:
        """How many hypotheses `translation.searcher` returns per sentence."""
        return 1

    def search(self, step, state, max_length, limits=None, best_only=False, compact=False,
               aligned=False):
        """Decode a batch (call inside a `tf.function`).

        Args:
            step, state, max_length, limits: as for `greedy_search`.
            best_only: only the first hypothesis of each sentence is wanted (beam
                search may then stop sooner: see `beam_search`).
            compact: finished sentences leave the batch as the search goes (greedy
                and beam search; not under XLA). Sampling keeps its batch: a draw
                depends on the row it is drawn in.
            aligned: the step returns a third value per row, kept per output token
                (`decoding`: the alignment history of `[UNK]` repair).

        Returns:
            `(ids, scores)`: int32 `(batch, n_best, max_length)`, best first, and
            float32 `(batch, n_best)` scores (0 where the strategy keeps none); with
            `aligned`, `(ids, scores, alignments)`, the last shaped as the ids.
        """
        raise NotImplementedError

    def get_config(self) -> dict:
        """`{"name": ..., **options}`, JSON-ready; `get_strategy` reads it back."""
        return {"name": self.name, **dataclasses.asdict(self)}

    def describe(self) -> str:
        """A short human description, e.g. `"beam search (width 4, alpha 1.6, ...)"`."""
        options = ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(self).items())
        return f"{self.name.replace('_', ' ')}" + (f" ({options})" if options else "")


def _one_best(found, aligned):
    """A search's `(batch, time)` ids (and alignments) as one best per sentence."""
    ids, *alignments = found if aligned else (found,)
    return (ids[:, None, :], tf.zeros([tf.shape(ids)[0], 1]),
            *(a[:, None, :] for a in alignments))


@dataclasses.dataclass(frozen=True)
class Greedy(Strategy):
    """Greedy search: the most likely token at every step (what the blog's loop does)."""

    name: ClassVar[str] = "greedy"

    def search(self, step, state, max_length, limits=None, best_only=False, compact=False,
               aligned=False):
        return _one_best(greedy_search(step, state, max_length, limits, compact, aligned),
                         aligned)


@dataclasses.dataclass(frozen=True)
class BeamSearch(Strategy):
    """Beam search with length normalization (see `beam_search`).

    Args:
        beam_width: hypotheses kept per sentence, and returned (`n_best`).
        alpha: length normalization (default `DEFAULT_ALPHA`, chosen on the
            validation split of the shipped model).
        drop_penalty: for a word-level attention model that replaces `[UNK]`: taken
            off a hypothesis' score per `[UNK]` the replacement leaves out, before the
            hypotheses are ranked again (default `config.DROP_PENALTY`).
    """

    beam_width: int = 4
    alpha: float = DEFAULT_ALPHA
    drop_penalty: float = DROP_PENALTY
    name: ClassVar[str] = "beam_search"

    def __post_init__(self):
        if isinstance(self.beam_width, bool) or not isinstance(self.beam_width, int) \
                or self.beam_width < 1:
            raise ValueError(f"beam_width must be an integer >= 1, got "
                             f"beam_width={self.beam_width!r}")
        if not self.alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got alpha={self.alpha}")
        if not self.drop_penalty >= 0:
            raise ValueError(f"drop_penalty must be >= 0, got drop_penalty={self.drop_penalty}")

    @property
    def n_best(self) -> int:
        return self.beam_width

    def search(self, step, state, max_length, limits=None, best_only=False, compact=False,
               aligned=False):
        return beam_search(step, state, max_length, self.beam_width, self.alpha, limits,
                           best_only, compact, aligned)


@dataclasses.dataclass(frozen=True)
class Sampling(Strategy):
    """Random sampling of each token, reproducible for a seed (see `sample`).

    Args:
        temperature: > 0; lower is closer to greedy, higher more varied.
        top_k: sample among the `top_k` most likely tokens only (0: all).
        seed: the same seed, sentences and batch give the same outputs.
    """

    temperature: float = 1.0
    top_k: int = 0
    seed: int = 0
    name: ClassVar[str] = "sampling"

    def __post_init__(self):
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got temperature={self.temperature}")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be an integer >= 0, got top_k={self.top_k!r}")
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got seed={self.seed!r}")

    def search(self, step, state, max_length, limits=None, best_only=False, compact=False,
               aligned=False):
        return _one_best(sample(step, state, max_length, self.temperature, self.top_k,
                                self.seed, limits, aligned), aligned)


_STRATEGIES = {cls.name: cls for cls in (Greedy, BeamSearch, Sampling)}
_ALIASES = {"beam": "beam_search", "sample": "sampling"}


def get_strategy(spec) -> Strategy:
    """A `Strategy` from a strategy, a name or a `get_config()` dict.

    Args:
        spec: a `Strategy` (returned as is); `"greedy"`, `"beam_search"` (or
            `"beam"`) or `"sampling"` (or `"sample"`), with default options; or
            `{"name": ..., **options}`.

    Raises:
        ValueError: for an unknown name or option, naming it.
    """
    if isinstance(spec, Strategy):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"a decoding strategy is a Strategy, a name or a config dict with "
                         f"'name', got {spec!r}")
    options = dict(spec)
    name = options.pop("name")
    name = _ALIASES.get(name, name)
    if name not in _STRATEGIES:
        raise ValueError(f"unknown decoding strategy {name!r}; choose one of "
                         f"{sorted(_STRATEGIES)}")
    cls = _STRATEGIES[name]
    unknown = set(options) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"unknown options for {name}: {sorted(unknown)}")
    return cls(**options)


def beam_of(default: Strategy) -> BeamSearch:
    """`default` if it is a beam search, else `BeamSearch()`: the beam search of a
    model whose default strategy is `default`."""
    return default if isinstance(default, BeamSearch) else BeamSearch()


def resolve_strategy(default: Strategy, strategy=None, beam_width: int | None = None,
                     **options) -> Strategy:
    """The strategy that `translate(strategy=..., beam_width=...)` uses.

    Args:
        default: the model's default strategy.
        strategy: a `Strategy`, a name or a config (see `get_strategy`); `None`:
            `default`.
        beam_width: a shorthand: 1 is `Greedy()`, N > 1 is beam search of width N
            with the options of the model's beam search (`beam_of(default)`).
        **options: options of the strategy to change (e.g. `alpha=2.0` for a beam
            search), as the command line's `--alpha` does.

    Raises:
        ValueError: for both `strategy` and `beam_width`, an option the strategy does
            not have, or a bad value.
    """
    if beam_width is None:
        found = default if strategy is None else get_strategy(strategy)
    elif strategy is not None:
        raise ValueError("give strategy or beam_width, not both")
    elif isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be an integer >= 1, got beam_width={beam_width!r}")
    else:
        found = (Greedy() if beam_width == 1 else
                 dataclasses.replace(beam_of(default), beam_width=beam_width))
    unknown = set(options) - {f.name for f in dataclasses.fields(found)}
    if unknown:
        raise ValueError(f"{found.describe()} has no option {sorted(unknown)}")
    return dataclasses.replace(found, **options) if options else found


def resolve_beam(default: Strategy, strategy=None, beam_width: int | None = None) -> BeamSearch:
    """The beam search that `translate_n_best(strategy=..., beam_width=...)` uses:
    `strategy`, or the model's beam search (`beam_of(default)`), of `beam_width`.

    Raises:
        ValueError: for both arguments, or a strategy that is not a beam search.
    """
    if beam_width is not None and strategy is not None:
        raise ValueError("give strategy or beam_width, not both")
    found = beam_of(default) if strategy is None else get_strategy(strategy)
    if not isinstance(found, BeamSearch):
        raise ValueError(f"translate_n_best needs a beam search, got {found.describe()}")
    return found if beam_width is None else dataclasses.replace(found, beam_width=beam_width)
