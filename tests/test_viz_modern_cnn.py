"""The figures of "Modern convolutional networks" draw the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.train import History  # noqa: E402
from companion.viz.modern_cnn import plot_augmented, plot_depth_experiment, smooth  # noqa: E402


def test_smooth_is_a_trailing_running_mean():
    np.testing.assert_allclose(smooth([1, 3, 5, 7], 2), [1, 2, 4, 6])
    np.testing.assert_allclose(smooth([4, 2], 5), [4, 3])
    with pytest.raises(ValueError, match="window must be a positive integer"):
        smooth([1.0], 0)


def test_depth_experiment_draws_norms_per_layer_and_smoothed_losses_in_matching_colours():
    norms = {"plain": {"0.weight": 1e-6, "3.weight": 1e-2}, "residual": {"0.weight": 0.1, "3.weight": 0.2}}
    histories = {"plain": History(step_loss=[2.3, 2.3, 2.3]), "residual": History(step_loss=[2.3, 1.5, 0.7])}
    fig = plot_depth_experiment(norms, histories, window=1)
    left, right = fig.axes
    assert left.get_yscale() == "log"
    np.testing.assert_allclose(left.lines[0].get_ydata(), [1e-6, 1e-2])
    np.testing.assert_allclose(right.lines[1].get_ydata(), [2.3, 1.5, 0.7])
    np.testing.assert_allclose(right.lines[1].get_xdata(), [1, 2, 3])
    assert [line.get_color() for line in left.lines] == [line.get_color() for line in right.lines]
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["plain", "residual"]
    with pytest.raises(ValueError, match="must name the same networks"):
        plot_depth_experiment(norms, {"plain": histories["plain"]})
    plt.close("all")


def test_augmented_grid_has_a_row_per_version_with_the_images_reshaped():
    original = np.arange(2 * 64, dtype=float).reshape(2, 64)
    fig = plot_augmented(original, {"shifted": original[:, ::-1], "turned": original + 1})
    assert len(fig.axes) == 6
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), original[0, ::-1].reshape(8, 8))
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == ["original", "shifted", "turned"]
    with pytest.raises(ValueError, match="every row needs 2 images"):
        plot_augmented(original, {"short": original[:1]})
    plt.close("all")
