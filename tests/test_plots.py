"""The notebooks' figures, drawn on tiny inputs."""

import matplotlib
import matplotlib.collections

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from seq2seq_keras import plots  # noqa: E402


def test_attention_heatmap_labels_rows_and_columns():
    fig, ax = plt.subplots()
    weights = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]])
    image = plots.attention_heatmap(ax, ["I", "am", "."], ["Je", "[END]"], weights, "x")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["I", "am", "."]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Je", "[END]"]
    np.testing.assert_array_equal(image.get_array(), weights)
    assert image.get_clim() == (0.0, 1.0) and ax.get_title() == "x"
    listed = plots.attention_heatmap(ax, ["I", "am", "."], ["Je", "[END]"], weights.tolist())
    np.testing.assert_array_equal(listed.get_array(), weights)  # a JSON record's lists
    with pytest.raises(ValueError, match="2 target and 2 source tokens"):
        plots.attention_heatmap(ax, ["I", "am"], ["Je", "[END]"], weights)
    plt.close(fig)


def test_training_curves_by_epoch_and_by_wall_clock():
    fig, (left, right) = plt.subplots(1, 2)
    plots.training_curves(left, right, {
        "a": {"val_loss": [3.0, 2.0, 1.5], "seconds": [60, 120, 120]},
        "b": {"val_loss": [2.5, 2.2], "seconds": [30, 30]}})
    a, b = right.get_lines()
    np.testing.assert_allclose(a.get_xdata(), [1, 3, 5])  # minutes, accumulated
    np.testing.assert_allclose(b.get_xdata(), [0.5, 1.0])
    np.testing.assert_allclose(left.get_lines()[0].get_xdata(), [1, 2, 3])
    assert right.get_xlabel() == "minutes of training" and left.get_ylabel() == "val_loss"
    plt.close(fig)


def test_bleu_by_length_groups_bars_per_bucket():
    fig, ax = plt.subplots()
    plots.bleu_by_length(ax, {
        "luong": {"1-5": {"bleu": 50.0, "sentences": 10}, "6-10": {"bleu": 40.0, "sentences": 5}},
        "none": {"1-5": {"bleu": 45.0, "sentences": 10}, "6-10": {"bleu": 30.0, "sentences": 5}}})
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [50.0, 40.0, 45.0, 30.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1-5\n(10)", "6-10\n(5)"]
    plt.close(fig)


def test_scores_by_seed_draws_points_and_mean_with_spread():
    fig, ax = plt.subplots()
    spread = plots.scores_by_seed(ax, {"lstm": [10.0, 12.0, 14.0], "gru": [8.0]})
    assert spread == {"lstm": (12.0, 2.0), "gru": (8.0, 0.0)}  # sample standard deviation
    points = [c.get_offsets() for c in ax.collections
              if isinstance(c, matplotlib.collections.PathCollection)]  # the dots
    np.testing.assert_allclose(sorted(points[0][:, 1]), [10.0, 12.0, 14.0])
    np.testing.assert_allclose(points[0][:, 0].mean(), 0.0)  # centred on its column
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lstm", "gru"]
    assert ax.get_ylabel() == "BLEU"
    with pytest.raises(ValueError, match="no scores for 'x'"):
        plots.scores_by_seed(ax, {"x": []})
    plt.close(fig)


def test_markdown_table():
    assert plots.markdown_table(["a", "b"], [[1, 2.5], ["x", None]]) == (
        "| a | b |\n|---|---|\n| 1 | 2.5 |\n| x | None |")
    with pytest.raises(ValueError, match="a row of 1 values for 2 columns"):
        plots.markdown_table(["a", "b"], [[1]])
