"""Figures: what the diagram draws, what the activation plot plots, and the static animation."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.np.activations import sigmoid, sigmoid_derivative  # noqa: E402
from companion.viz import draw_network, plot_activations  # noqa: E402
from companion.viz.activations import plot_bias_shift, plot_softmax  # noqa: E402
from companion.viz.animation import worked_example_sweep  # noqa: E402
from companion.viz.diagram import LAYER_COLOURS, NEGATIVE, POSITIVE  # noqa: E402
from companion.viz.optim import paths, plot_path_grid  # noqa: E402


def arrows(ax):
    return [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]


def labels(ax):
    return [t.get_text() for t in ax.texts if getattr(t, "arrow_patch", None) is None]


def test_diagram_draws_every_node_and_weighted_arrow():
    weights = [np.arange(12.0).reshape(4, 3) - 6, np.ones((2, 4))]
    ax = draw_network([3, 4, 2], weights, weight_labels={(0, 0, 0), (1, 1, 3)})
    assert len(ax.patches) == 9  # nodes
    drawn = arrows(ax)
    assert len(drawn) == 3 * 4 + 4 * 2
    colours = {matplotlib.colors.to_hex(a.arrow_patch.get_edgecolor()) for a in drawn}
    assert colours == {POSITIVE, NEGATIVE}
    assert sorted(labels(ax)) == ["-6.00", "1.00"]
    widths = [a.arrow_patch.get_linewidth() for a in drawn]
    assert max(widths) > 2 * min(widths)  # |w| sets the width
    plt.close("all")


def test_diagram_default_colours_are_blue_green_orange():
    ax = draw_network([3, 4, 2])
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert faces[:3] == [LAYER_COLOURS["input"]] * 3
    assert faces[3:7] == [LAYER_COLOURS["hidden"]] * 4
    assert faces[7:] == [LAYER_COLOURS["output"]] * 2
    plt.close("all")


def test_diagram_captions_and_node_labels():
    ax = draw_network([2, 1], captions=["in", "out"], node_labels=[["a", "b"], ["c"]])
    assert {"in", "out", "a", "b", "c"} <= set(labels(ax))
    plt.close("all")


def test_diagram_rejects_weights_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(4, 3\) \(out_features, in_features\), got \(3, 4\)"):
        draw_network([3, 4, 2], [np.ones((3, 4)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="colors needs one entry per layer"):
        draw_network([3, 4, 2], colors=["red"])
    with pytest.raises(ValueError, match="at least two positive layer sizes"):
        draw_network([3])


def test_activation_plot_shows_function_and_derivative():
    fig = plot_activations(["sigmoid"], x=np.linspace(-3, 3, 7))
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), sigmoid(np.linspace(-3, 3, 7)))
    np.testing.assert_allclose(lines[1].get_ydata(), sigmoid_derivative(np.linspace(-3, 3, 7)))
    with pytest.raises(ValueError, match="softmax maps a vector"):
        plot_activations(["softmax"])
    plt.close("all")


def test_bias_shift_plot_crosses_one_half_at_zero_then_at_the_switch():
    x = np.array([-2.0, 0.0, 2.0])
    fig = plot_bias_shift(weights=(0.5, 3.0), switch=2.0, x=x)
    no_bias, with_bias = (ax.get_lines()[:2] for ax in fig.axes)
    for line in no_bias:
        assert line.get_ydata()[1] == 0.5  # x = 0
    for line, w in zip(with_bias, (0.5, 3.0)):
        assert line.get_ydata()[2] == 0.5  # x = 2 = -b / w
        np.testing.assert_allclose(line.get_ydata(), sigmoid(w * x - 2.0 * w))
    plt.close("all")


def test_softmax_plot_draws_scores_and_probabilities():
    scores = np.array([2.0, 1.0, 0.1, -1.0])
    fig = plot_softmax(scores)
    heights = [[bar.get_height() for bar in ax.patches] for ax in fig.axes]
    np.testing.assert_allclose(heights[0], scores)
    np.testing.assert_allclose(heights[1], np.exp(scores) / np.exp(scores).sum())
    with pytest.raises(ValueError, match="one vector of logits"):
        plot_softmax(np.ones((2, 3)))
    plt.close("all")


def test_sweep_animation_is_scrubbable_html():
    html = worked_example_sweep("w5", values=[-1.0, 0.0, 1.0]).to_jshtml()
    assert "<input" in html and "anim" in html  # the frame slider of matplotlib's HTML animation
    with pytest.raises(ValueError, match="unknown worked-example parameter"):
        worked_example_sweep("w9")
    plt.close("all")


def test_path_grid_draws_one_titled_panel_per_path():
    race = paths("ravine", steps=5)
    fig = plot_path_grid([(name, {name: points}) for name, points in race.items()], "ravine", ncols=3)
    shown = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in shown] == list(race) and len(fig.axes) == 6  # 4 panels, 2 left blank
    for ax, points in zip(shown, race.values()):
        np.testing.assert_allclose(ax.get_lines()[-1].get_xydata(), points)
    plt.close("all")
