"""The roadmap pages' figures: what they draw, and clear errors on inputs that do not fit."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz import roadmap  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_curves_draws_one_line_per_model_in_each_panel():
    curves = {"CNN": {"loss": [2.0, 1.0, 0.5], "accuracy": [0.4, 0.7, 0.8]},
              "MLP": {"loss": [2.1, 1.8, 1.7], "accuracy": [0.2, 0.25, 0.3]}}
    loss_ax, acc_ax = roadmap.plot_curves(curves)
    assert [line.get_label() for line in loss_ax.lines] == ["CNN", "MLP"]
    assert np.array_equal(acc_ax.lines[0].get_xdata(), [1, 2, 3])
    assert np.array_equal(acc_ax.lines[1].get_ydata(), [0.2, 0.25, 0.3])


@pytest.mark.parametrize("curves, match", [
    ({}, "names no model"),
    ({"m": {"loss": [1.0, 0.5], "accuracy": [0.5]}}, "must be 1-D of equal length"),
])
def test_plot_curves_rejects_what_it_cannot_draw(curves, match):
    with pytest.raises(ValueError, match=match):
        roadmap.plot_curves(curves)


def test_plot_misclassified_shows_only_the_wrong_ones_titled_true_then_predicted():
    images = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4)
    labels, predictions = np.array([0, 1, 2, 3, 4, 5]), np.array([0, 2, 2, 1, 4, 0])
    axes = roadmap.plot_misclassified(images, labels, predictions, class_names="abcdef", n=8)
    assert [ax.get_title() for ax in axes] == ["b\n→ c", "d\n→ b", "f\n→ a"]
    assert np.array_equal(axes[1].images[0].get_array(), images[3])
    assert roadmap.plot_misclassified(images, labels, labels) == []          # nothing wrong, nothing drawn
    assert len(roadmap.plot_misclassified(images, labels, predictions, n=2)) == 2


def test_plot_images_takes_colour_images_and_needs_a_title_each():
    colour = np.zeros((2, 5, 5, 3), dtype=np.uint8)
    axes = roadmap.plot_images(colour, ["x", "y"])
    assert [ax.get_title() for ax in axes] == ["x", "y"] and axes[0].images[0].get_array().shape == (5, 5, 3)
    with pytest.raises(ValueError, match="one title per image"):
        roadmap.plot_images(colour, ["x"])
    with pytest.raises(ValueError, match="differ in length"):
        roadmap.plot_misclassified(colour, [0, 1, 2], [0, 1])
