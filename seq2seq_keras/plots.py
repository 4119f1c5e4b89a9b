"""The notebooks' figures and tables: attention heat maps, training curves, BLEU by
length, scores over seeds, Markdown tables. Matplotlib is imported on first use (the `notebooks`
extra); every function draws on the `ax` it is given, so a notebook lays out its
own figure.
"""

from __future__ import annotations

__all__ = ["attention_heatmap", "training_curves", "bleu_by_length", "scores_by_seed",
           "markdown_table", "show_table"]


def attention_heatmap(ax, source_tokens, target_tokens, weights, title: str = ""):
    """Draw attention weights: output tokens down, source tokens across, 0 to 1.

    Args:
        ax: a Matplotlib `Axes`.
        source_tokens, target_tokens: the tick labels (`Translator.attention`).
        weights: `(len(target_tokens), len(source_tokens))`, an array or nested lists
            (a `--json` record's `"attention"`).
        title: the axes' title.

    Raises:
        ValueError: if the shape of `weights` does not match the tokens.
    """
    import numpy as np

    weights = np.asarray(weights, dtype=float)
    shape = (len(target_tokens), len(source_tokens))
    if weights.shape != shape:
        raise ValueError(f"weights of shape {weights.shape} for {shape[0]} target and "
                         f"{shape[1]} source tokens")
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(source_tokens)), source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(target_tokens)), target_tokens)
    ax.set_title(title, fontsize=10)
    return image


def training_curves(ax_epochs, ax_seconds, histories: dict, key: str = "val_loss"):
    """Draw `key` of each run by epoch (`ax_epochs`) and by wall clock (`ax_seconds`,
    minutes since the start, from the per-epoch `seconds` that `train` logs).

    Args:
        ax_epochs, ax_seconds: Matplotlib `Axes` (either may be `None`).
        histories: `{run name: history}` (a `TrainingResult.history` or a Keras
            `History.history`; `seconds` is needed for `ax_seconds`).
        key: the logged value to draw.
    """
    import itertools

    for name, history in histories.items():
        values = list(history[key])
        epochs = range(1, len(values) + 1)
        if ax_epochs is not None:
            ax_epochs.plot(epochs, values, marker=".", label=name)
        if ax_seconds is not None:
            minutes = [s / 60 for s in itertools.accumulate(history["seconds"])]
            ax_seconds.plot(minutes[: len(values)], values, marker=".", label=name)
    for ax, label in ((ax_epochs, "epoch"), (ax_seconds, "minutes of training")):
        if ax is not None:
            ax.set_xlabel(label)
            ax.set_ylabel(key)
            ax.legend()


def bleu_by_length(ax, results: dict, metric: str = "bleu"):
    """Grouped bars of BLEU (or `metric="chrf"`) by source length, one colour per model.

    Args:
        ax: a Matplotlib `Axes`.
        results: `{model name: by_length}`, each `by_length` as in
            `evaluation.Evaluation.summary()["by_length"]`: `{"1-5": {"bleu": ...,
            "chrf": ..., "sentences": ...}, ...}`.
        metric: `"bleu"` or `"chrf"` (`by_length` written before 2026-12-05 has no
            `"chrf"`).
    """
    buckets = list(dict.fromkeys(b for by_length in results.values() for b in by_length))
    width = 0.8 / max(len(results), 1)
    for k, (name, by_length) in enumerate(results.items()):
        ax.bar([i + k * width for i in range(len(buckets))],
               [by_length.get(b, {}).get(metric, 0.0) for b in buckets], width, label=name)
    counts = [max(r.get(b, {}).get("sentences", 0) for r in results.values()) for b in buckets]
    ax.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(buckets))],
                  [f"{b}\n({n})" for b, n in zip(buckets, counts, strict=True)])
    ax.set_xlabel("source words (sentences)")
    ax.set_ylabel({"bleu": "BLEU", "chrf": "chrF"}[metric])
    ax.legend()


def scores_by_seed(ax, scores: dict, ylabel: str = "BLEU"):
    """One column per run name: each seed's score as a dot, the mean as a bar with an
    error bar of one standard deviation (the sample's, `ddof=1`; none for one seed).

    Args:
        ax: a Matplotlib `Axes`.
        scores: `{run name: [score of each seed]}`, in the order to draw.
        ylabel: the axis label.

    Returns:
        `{run name: (mean, standard deviation)}`.

    Raises:
        ValueError: if a run has no scores.
    """
    import numpy as np

    spread = {}
    for k, (name, values) in enumerate(scores.items()):
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            raise ValueError(f"no scores for {name!r}")
        std = float(values.std(ddof=1)) if values.size > 1 else 0.0
        spread[name] = (float(values.mean()), std)
        ax.errorbar(k, values.mean(), yerr=std, fmt="_", markersize=24, capsize=8,
                    color="black", zorder=2)
        jitter = np.linspace(-0.12, 0.12, values.size) if values.size > 1 else [0.0]
        ax.scatter(k + np.asarray(jitter), values, s=18, alpha=0.8, zorder=3)
    ax.set_xticks(range(len(scores)), list(scores), rotation=20, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.6, len(scores) - 0.4)
    return spread


def markdown_table(header, rows) -> str:
    """A Markdown table (for `IPython.display.Markdown`): `header` and `rows` of values."""
    header = list(header)
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} values for {len(header)} columns: {row}")
        lines.append("| " + " | ".join(str(value) for value in row) + " |")
    return "\n".join(lines)


def show_table(header, rows) -> None:
    """Display `markdown_table(header, rows)` in a notebook (IPython's `display`)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown_table(header, rows)))
