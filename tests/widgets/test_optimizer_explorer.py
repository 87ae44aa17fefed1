"""The optimizer panel: changing a control recomputes the path shown."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from companion.data.surfaces import get_surface  # noqa: E402
from companion.np.optim import trajectory  # noqa: E402
from companion.widgets import OptimizerExplorer  # noqa: E402


def test_changing_the_optimizer_and_rate_recomputes_the_path():
    panel = OptimizerExplorer(draw=False)
    panel.optimizer.value = "adam"
    panel.lr.value = 0.1
    s = get_surface("ravine")
    expected = trajectory("adam", s.grad, s.start, panel.steps.value, lr=panel.lr.value)
    np.testing.assert_allclose(panel.paths["adam"], expected)
    assert "adam: after 60 steps" in panel.status.value


def test_more_steps_get_closer():
    panel = OptimizerExplorer(draw=False)
    panel.steps.value = 10
    far = float(panel.status.value.split("nnx-distance'>")[1].split("<")[0])
    panel.steps.value = 200
    near = float(panel.status.value.split("nnx-distance'>")[1].split("<")[0])
    assert near < far


def test_a_huge_rate_reports_divergence_and_the_panel_stays_usable():
    panel = OptimizerExplorer(draw=False)
    panel.optimizer.value = "sgd"
    panel.lr.value = 3.0
    assert "diverged" in panel.status.value
    panel.lr.value = 0.1
    assert "diverged" not in panel.status.value


def test_surface_switch():
    panel = OptimizerExplorer(draw=False)
    panel.surface.value = "rosenbrock"
    assert panel.paths[panel.optimizer.value][0].tolist() == list(get_surface("rosenbrock").start)


def test_the_slider_reaches_rates_either_side_of_sgds_limit_on_the_ravine():
    """The chapter sends readers to the two slider positions around 2 / (largest curvature)."""
    from companion.data.surfaces import hessian

    panel = OptimizerExplorer(draw=False)
    values = panel.slider_values()
    np.testing.assert_allclose(values[[0, -1]], [10.0 ** panel.lr.min, 10.0 ** panel.lr.max])
    limit = 2 / np.linalg.eigvalsh(hessian("ravine", get_surface("ravine").start)).max()
    below, above = values[values < limit].max(), values[values > limit].min()
    assert above / below < 1.05  # the slider is fine enough to bracket the limit closely
    panel.optimizer.value, panel.steps.value = "sgd", 300
    panel.lr.value = below
    assert "diverged" not in panel.status.value
    panel.lr.value = above
    assert "diverged" in panel.status.value and "the loss grew" in panel.status.value
