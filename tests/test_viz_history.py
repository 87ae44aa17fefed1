"""The history chapter's figures: the timeline and the XOR panels."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.data.milestones import MILESTONES  # noqa: E402
from companion.viz.history import ERAS, hebb_oja_panels, perceptron_boundaries, timeline, xor_panel  # noqa: E402


def test_timeline_marks_every_milestone_and_shades_the_three_waves():
    ax = timeline()
    texts = [t.get_text() for t in ax.texts]
    for year, label, _ in MILESTONES:
        assert any(t.startswith(f"{year}\n") for t in texts), year
    assert [name for *_, name in ERAS] == ["cybernetics", "connectionism", "deep learning"]
    assert len(ax.patches) >= len(ERAS)  # one shaded span per wave (label boxes add more)


def test_xor_panel_places_and_labels_four_points_and_draws_the_boundary():
    hidden = np.array([[0.7, 0.9], [-1.0, -0.7], [-1.0, 1.0], [-1.0, 1.0]])  # the last two coincide
    ax = xor_panel(hidden, [0, 1, 1, 0], title="stuck", line=(np.array([1.0, -1.0]), 0.2))
    np.testing.assert_allclose(ax.collections[0].get_offsets(), hidden)
    labels = [t for t in ax.texts]
    assert [t.get_text() for t in labels] == ["(0,0)", "(0,1)", "(1,0)", "(1,1)"]
    assert labels[2].get_position() != labels[3].get_position()  # text offsets differ for coinciding points
    assert len(ax.lines) == 1 and ax.get_title() == "stuck"


def test_xor_panel_rejects_points_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"points must be \(4, 2\)"):
        xor_panel(np.zeros((3, 2)), [0, 1, 1])


def test_hebb_oja_panels_plot_both_norms_and_the_arrow():
    path = np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]])
    ax0, ax1 = hebb_oja_panels(path, path / np.linalg.norm(path, axis=1, keepdims=True), np.zeros((5, 2)))
    np.testing.assert_allclose(ax0.lines[0].get_ydata(), [1.0, 2.0, 4.0])
    np.testing.assert_allclose(ax0.lines[1].get_ydata(), [1.0, 1.0, 1.0])
    assert len(ax1.patches) == 1  # Oja's weight vector


def test_perceptron_boundaries_draw_one_line_per_update():
    record = {"boundaries": [(np.zeros(2), 0.0), (np.array([1.0, 1.0]), 0.0), (np.array([1.0, 2.0]), -1.0)],
              "updates": 2, "errors": [2, 0]}
    ax = perceptron_boundaries(np.array([[1.0, 1.0], [-1.0, -1.0]]), [1, 0], record)
    assert len(ax.lines) == 2 and ax.lines[-1].get_color() == "black"
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), [(1 + 4) / 2, (1 - 4) / 2])  # y = (1 - x) / 2
