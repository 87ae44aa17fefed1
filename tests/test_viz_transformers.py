"""The transformer page's figures draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.transformers import draw_transformer, plot_loss_vs_time, plot_patches  # noqa: E402


def test_transformer_diagram_has_every_block_of_the_paper():
    ax = draw_transformer()
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("Add & Norm") == 5                      # two in the encoder, three in the decoder
    assert labels.count("Multi-head attention") == 2            # encoder self-attention, decoder cross-attention
    assert "Masked multi-head attention" in labels and labels.count("Feed forward") == 2
    assert {"Linear", "Softmax", "N ×", "× N"} <= set(labels)
    plt.close("all")


def test_patch_grid_numbers_tokens_row_by_row():
    ax = plot_patches(np.arange(64.0).reshape(8, 8), 4)
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2", "3"]
    assert ax.texts[1].get_position() == (5.5, 1.5)           # token 1: top right patch
    with pytest.raises(ValueError, match="patch=3"):
        plot_patches(np.zeros((8, 8)), 3)
    plt.close("all")


def test_loss_vs_time_draws_each_curve():
    ax = plot_loss_vs_time({"a": ([1.0, 2.0], [3.0, 2.5]), "b": ([0.5, 1.5, 3.0], [3.1, 2.0, 1.8])})
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [3.1, 2.0, 1.8])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ValueError, match="'a' has 1 times for 2 losses"):
        plot_loss_vs_time({"a": ([1.0], [3.0, 2.5])})
    plt.close("all")


def test_gradient_vs_depth_is_log_log():
    from companion.viz.transformers import plot_gradient_vs_depth

    ax = plot_gradient_vs_depth([2, 4, 8], {"post": [0.2, 0.2, 0.2], "pre": [0.2, 0.15, 0.1]})
    assert ax.get_xscale() == ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.2, 0.15, 0.1])
    ax.figure.canvas.draw()                          # values within one decade still get labelled y ticks
    labels = [t.get_text() for t in ax.get_yticklabels() if ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]
    assert "0.1" in labels and "0.2" in labels
    with pytest.raises(ValueError, match="'pre' has 2 values for 3 depths"):
        plot_gradient_vs_depth([2, 4, 8], {"pre": [0.2, 0.1]})
    plt.close("all")
