"""The forward-pass panel, driven as a reader drives it: set slider values, read what it shows.

Runs under the pinned ipywidgets 8 and, in its own environment, under ipywidgets 7.7.1 (Colab's).
Needs no torch: the panel computes with the NumPy reference.
"""

import re

import ipywidgets
import matplotlib
import pytest

matplotlib.use("Agg")

from companion.data import worked_example  # noqa: E402
from companion.widgets import ForwardExplorer  # noqa: E402


def shown(panel, name):
    """The number the panel's table shows for ``name``."""
    match = re.search(rf"class='nnx-{name}'[^>]*>([-0-9.]+)<", panel.table.value)
    assert match, f"{name} not in the table"
    return float(match.group(1))


@pytest.fixture
def panel():
    return ForwardExplorer(draw=False)


def test_starts_at_the_worked_example(panel):
    assert set(panel.sliders) == set(worked_example.DEFAULTS)
    assert shown(panel, "z1") == 0.78 and shown(panel, "z2") == 0.37
    assert shown(panel, "output") == round(worked_example.forward_steps()["output"], 4) == 0.6859
    assert "0.6859" in panel.table.value


@pytest.mark.parametrize("name, value", [("w5", 0.2), ("w1", -1.0), ("x2", 0.1), ("b3", 1.25), ("w6", -1.5)])
def test_moving_a_slider_recomputes_every_value(panel, name, value):
    panel.sliders[name].value = value
    expected = worked_example.forward_steps(**{name: value})
    assert panel.values == pytest.approx(expected)
    for key in ("z1", "z2", "h1", "h2", "z_out", "output"):
        assert shown(panel, key) == pytest.approx(expected[key], abs=5e-5)


def test_relu_clips_a_negative_hidden_sum(panel):
    panel.sliders["b2"].value = -1.0  # z2 = -0.15 + 0.72 - 1.0 < 0
    assert shown(panel, "z2") == pytest.approx(-0.43) and shown(panel, "h2") == 0.0


def test_several_changes_accumulate(panel):
    panel.sliders["w5"].value = -0.4
    panel.sliders["w6"].value = 1.0
    assert panel.values == pytest.approx(worked_example.forward_steps(w5=-0.4, w6=1.0))


def test_slider_ranges_are_clamped_by_the_widget(panel):
    panel.sliders["w1"].value = 99  # a FloatSlider clamps to its max
    assert panel.sliders["w1"].value == panel.sliders["w1"].max == 1.5
    assert panel.values["z1"] == pytest.approx(worked_example.forward_steps(w1=1.5)["z1"])


def test_diagram_is_redrawn_with_the_new_weights(monkeypatch):
    drawn = []
    import companion.widgets.forward_explorer as module

    def spy(sizes, weights, **kwargs):
        drawn.append([w.copy() for w in weights])

    monkeypatch.setattr(module, "draw_network", spy)
    panel = ForwardExplorer(draw=True)
    panel.sliders["w5"].value = -0.9
    assert len(drawn) == 2
    assert drawn[0][1][0, 0] == 0.7 and drawn[1][1][0, 0] == -0.9


def test_is_a_widget_of_this_ipywidgets():
    panel = ForwardExplorer(draw=False)
    assert isinstance(panel, ipywidgets.VBox)
    assert ipywidgets.__version__.split(".")[0] in {"7", "8"}
