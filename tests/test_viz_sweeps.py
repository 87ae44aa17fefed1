"""Sweep figures: the heat map writes every mean and frames the best cell; the curve marks the best setting."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.sweeps import sweep_curve, sweep_heatmap  # noqa: E402


def framed_cell(ax):
    (frame,) = [p for p in ax.patches if isinstance(p, plt.Rectangle) and not p.get_fill()]
    x, y = frame.get_xy()
    return int(round(y + 0.5)), int(round(x + 0.5))  # (row, column)


@pytest.mark.parametrize("best, cell", [("min", (1, 0)), ("max", (0, 2))])
def test_heatmap_averages_repeats_and_frames_the_best(best, cell):
    scores = np.array([[[0.3, 0.5], [0.2, 0.2], [0.9, 0.9]], [[0.1, 0.1], [0.5, 0.7], [0.4, 0.2]]])  # (2, 3, 2)
    ax = sweep_heatmap(scores, (4, 16), (1, 2, 3), row_label="width", col_label="depth", best=best)
    assert [t.get_text() for t in ax.texts] == ["0.400", "0.200", "0.900", "0.100", "0.600", "0.300"]
    assert framed_cell(ax) == cell
    assert [t.get_text() for t in ax.get_yticklabels()] == ["4", "16"]
    plt.close("all")


def test_heatmap_writes_light_text_on_dark_cells():
    ax = sweep_heatmap(np.array([[0.0, 1.0]]), (1,), (1, 2), row_label="r", col_label="c", best="min")
    colours = [t.get_color() for t in ax.texts]
    assert colours == ["black", "white"]  # viridis_r: the worst (largest) value is the dark end
    plt.close("all")


def test_curve_marks_the_best_mean():
    ax = sweep_curve([1e-3, 1e-2, 1e-1], [[0.5, 0.7], [0.1, 0.3], [0.2, 0.2]], xlabel="lr", ylabel="loss")
    star = [line for line in ax.lines if line.get_marker() == "*"][0]
    assert star.get_xdata()[0] == pytest.approx(1e-2) and star.get_ydata()[0] == pytest.approx(0.2)
    assert ax.get_xscale() == "log"
    assert "best: 0.01" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"scores must have shape \(2, 3\)"):
        sweep_heatmap(np.zeros((3, 2)), (1, 2), (1, 2, 3), row_label="r", col_label="c")
    with pytest.raises(ValueError, match=r"scores must have shape \(3,\)"):
        sweep_curve([1, 2, 3], np.zeros(2), xlabel="x", ylabel="y")
