"""The gradient-flow panel: its norms are hidden_gradient_norms' for the chosen settings (NumPy only; this
module runs in the torch-free ipywidgets 7.7.1 environment too)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.np.bptt import hidden_gradient_norms  # noqa: E402
from companion.widgets import GradientFlowExplorer  # noqa: E402


@pytest.fixture
def panel():
    return GradientFlowExplorer(draw=False)


def test_starting_state_is_a_vanishing_plain_rnn(panel):
    assert panel.norms.shape == (50,) and panel.keep_bias.disabled
    np.testing.assert_allclose(panel.norms, hidden_gradient_norms("rnn", 50, 32, rng=np.random.default_rng(0)))
    assert "vanishes" in panel.summary.value and f"{panel.norms[0]:.2e}" in panel.summary.value


def test_every_control_reaches_the_computation(panel):
    panel.cell.value = "LSTM"
    assert not panel.keep_bias.disabled
    panel.length.value, panel.hidden.value, panel.scale.value, panel.keep_bias.value = 30, 8, 1.5, 3.0
    want = hidden_gradient_norms("lstm", 30, 8, recurrent_scale=1.5, keep_bias=3.0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(panel.norms, want)


def test_large_recurrent_weights_explode_and_an_open_gate_keeps_the_gradient(panel):
    panel.scale.value = 4.0
    assert "explodes" in panel.summary.value and panel.norms[0] > 1e3
    panel.scale.value = 1.0
    panel.cell.value = "GRU"
    panel.keep_bias.value = 5.0
    assert "survives" in panel.summary.value


def test_the_bias_is_ignored_for_the_rnn(panel):
    panel.cell.value = "LSTM"
    panel.keep_bias.value = 2.0
    panel.cell.value = "RNN (tanh)"                 # the slider keeps its value but cannot apply
    np.testing.assert_allclose(panel.norms, hidden_gradient_norms("rnn", 50, 32, rng=np.random.default_rng(0)))


def test_drawing_runs_for_every_cell_including_a_zero_norm():
    import matplotlib.pyplot as plt

    panel = GradientFlowExplorer(draw=True)
    for cell in ("LSTM", "GRU"):
        panel.cell.value = cell
    panel.length.value = 200                         # norms down to about 1e-60: the frame widens
    assert plt.get_fignums() == []                   # each figure is closed once shown
