"""The attention figures draw the numbers they are given, and refuse shapes that do not fit."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.attention import (plot_attention_grid, plot_attention_map, plot_kernel_regression,  # noqa: E402
                                     plot_positions, plot_score_scaling)


def test_attention_map_draws_the_weights_with_labels_on_a_fixed_scale():
    w = np.array([[0.2, 0.8, 0.0], [0.5, 0.25, 0.25]])
    ax = plot_attention_map(w, keys=list("abc"), queries=["x", "y"], title="t")
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array(), w)
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"] and ax.get_title() == "t"
    with pytest.raises(ValueError, match="2 key labels for 3 key"):
        plot_attention_map(w, keys=["a", "b"])
    with pytest.raises(ValueError, match="must be 2-D"):
        plot_attention_map(w[0])
    plt.close("all")


def test_grid_lays_out_rows_and_columns_and_per_map_labels():
    maps = np.random.default_rng(0).random((2, 3, 4, 4))
    fig = plot_attention_grid(maps, titles=[f"m{k}" for k in range(6)])
    assert len(fig.axes) == 6
    np.testing.assert_array_equal(fig.axes[4].images[0].get_array(), maps[1, 1])
    assert fig.axes[5].get_title() == "m5"
    fig = plot_attention_grid(maps[0], keys=[list("abcd"), list("efgh"), list("ijkl")], ncols=2)
    assert len(fig.axes) == 4 and not fig.axes[3].axison                    # three maps, a blank fourth
    assert tuple(plot_attention_grid(maps[0], figsize=(5, 4)).get_size_inches()) == (5, 4)
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == list("efgh")
    with pytest.raises(ValueError, match="2 titles for 3 maps"):
        plot_attention_grid(maps[0], titles=["a", "b"])
    with pytest.raises(ValueError, match="2 label lists for 3 maps"):
        plot_attention_grid(maps[0], keys=[list("abcd"), list("efgh")])
    with pytest.raises(ValueError, match="3-D"):
        plot_attention_grid(maps[0, 0])
    plt.close("all")


def test_kernel_regression_sorts_observations_for_the_weight_matrix():
    x, y, q = np.array([2.0, 0.0, 1.0]), np.array([4.0, 0.0, 1.0]), np.array([0.0, 1.0])
    weights = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]])
    fig = plot_kernel_regression(x, y, q, {"fit": [0.5, 1.5]}, truth=[0.0, 1.0], weights=weights)
    fit_ax, map_ax = fig.axes[:2]
    np.testing.assert_array_equal(fit_ax.lines[1].get_ydata(), [0.5, 1.5])
    np.testing.assert_array_equal(map_ax.images[0].get_array(), weights[:, [1, 2, 0]])
    assert len(plot_kernel_regression(x, y, q, {"fit": [0.5, 1.5]}).axes) == 1
    with pytest.raises(ValueError, match="fit 'fit' has 1 values for 2 queries"):
        plot_kernel_regression(x, y, q, {"fit": [0.5]})
    with pytest.raises(ValueError, match="weights must be"):
        plot_kernel_regression(x, y, q, {"fit": [0.5, 1.5]}, weights=weights.T)
    plt.close("all")


def test_score_scaling_and_positions():
    fig = plot_score_scaling([4, 16], {"unscaled": [2.0, 4.0]}, {"unscaled": [0.5, 0.9]})
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [2.0, 4.0])
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), [0.5, 0.9])
    with pytest.raises(ValueError, match="'s' has 1 values for 2 dimensions"):
        plot_score_scaling([4, 16], {"s": [1.0]}, {})
    table = np.random.default_rng(0).uniform(-1, 1, (10, 8))
    fig = plot_positions(table, columns=(0, 3))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), table)
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), table[:, 3])
    with pytest.raises(ValueError, match=r"columns \[9\] outside 0 .. 7"):
        plot_positions(table, columns=(9,))
    plt.close("all")
