"""The chapter-06 figures: the width sweep draws its curves and boundaries; image rows show the pixels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion.viz.regularization import plot_image_row, plot_polynomial_fits, plot_width_sweep  # noqa: E402


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


def test_size_sweep_and_weight_histograms_plot_what_they_are_given():
    from companion.viz.regularization import plot_size_sweep, plot_weight_histograms

    ax = plot_size_sweep([10, 100], [1.0, 0.9], [0.7, 0.85])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.7, 0.85])
    assert ax.get_xscale() == "log"
    weights = {"a": np.array([0.0, 0.0, 1.0]), "b": np.array([-1.0])}
    axes = plot_weight_histograms(weights, {"a": 0.25, "b": 0.5})
    assert [ax.get_title() for ax in axes] == ["a: validation loss 0.250", "b: validation loss 0.500"]
    assert sum(p.get_height() for p in axes[0].patches) == 3  # every weight is counted once
    plt.close("all")


def test_early_stopping_marks_best_and_last_epoch():
    from companion.train import History
    from companion.viz.regularization import plot_early_stopping

    full = History(epoch=[1, 2, 3, 4], train_loss=[4, 3, 2, 1], val_loss=[3, 2, 2.5, 3])
    stopped = History(epoch=[1, 2, 3], best_epoch=2)
    ax = plot_early_stopping(full, stopped)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["training loss", "validation loss", "best epoch (2)", "stopped (3)"]
    assert ax.lines[2].get_xdata()[0] == 2 and ax.lines[3].get_xdata()[0] == 3
    plt.close("all")


def test_polynomial_fits_draw_points_fit_and_truth_in_each_panel():
    x = np.linspace(0, 1, 5)
    fig = plot_polynomial_fits(x, 2 * x, (1, 3), truth=lambda g: 2 * g)
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["degree 1", "degree 3"]
    points, fit, truth = fig.axes[0].lines
    np.testing.assert_allclose(fit.get_ydata(), truth.get_ydata(), atol=1e-9)  # a line fits a line exactly
    plt.close(fig)
