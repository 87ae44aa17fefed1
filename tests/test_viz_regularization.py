"""The chapter-06 figures: the width sweep draws its curves and boundaries; image rows show the pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion.viz.regularization import plot_image_row, plot_width_sweep  # noqa: E402


def test_width_sweep_plots_both_losses_and_one_boundary_per_shown_width():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, size=10)
    nets = {w: cnp.build_mlp([2, w, 1], ["relu", "sigmoid"], rng=rng) for w in (1, 4)}
    fig = plot_width_sweep([1, 4], [0.6, 0.2], [0.7, 0.9], nets, X, y, show=(1, 4))
    curves, *boundaries = fig.axes
    np.testing.assert_array_equal(curves.lines[0].get_ydata(), [0.6, 0.2])
    np.testing.assert_array_equal(curves.lines[1].get_ydata(), [0.7, 0.9])
    assert curves.get_xscale() == "log"
    assert [ax.get_title() for ax in boundaries] == ["1 neuron per layer", "4 neurons per layer"]
    assert all(len(ax.images) == 1 for ax in boundaries)
    plt.close("all")


def test_image_row_shows_each_image_reshaped_with_its_title():
    flat = np.arange(2 * 16, dtype=float).reshape(2, 16)
    axes = plot_image_row(flat, titles=["a", "b"])
    assert len(axes) == 2 and [ax.get_title() for ax in axes] == ["a", "b"]
    np.testing.assert_array_equal(axes[1].images[0].get_array(), flat[1].reshape(4, 4))
    axes = plot_image_row(np.ones((1, 6)), image_shape=(2, 3))
    assert axes[0].images[0].get_array().shape == (2, 3)
    plt.close("all")
