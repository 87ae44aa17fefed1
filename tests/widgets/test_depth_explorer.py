"""The depth panel (NumPy only: it runs in the torch-free ipywidgets 7 environment too): its norms are those of
the network it names, and the controls change them as they should."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.data import shipped  # noqa: E402
from companion.np.losses import softmax_cross_entropy_grad  # noqa: E402
from companion.widgets import DepthExplorer  # noqa: E402
from companion.widgets.depth_explorer import RESIDUAL, depth_norms  # noqa: E402


@pytest.fixture
def panel():
    return DepthExplorer(draw=False, blocks=4)


def shown_ratio(panel):
    return float(panel.summary.value.split("nnx-ratio'>")[1].split("<")[0])


def test_norms_are_those_of_the_named_network():
    from companion.np.resnet import build_deep_cnn

    X, y = shipped.load_digits()
    net = build_deep_cnn(1, 10, width=8, blocks=2, residual=True, batch_norm=False, rng=np.random.default_rng(0),
                         dtype=np.float32)
    net.backward(softmax_cross_entropy_grad(net.forward(X[:128].reshape(-1, 1, 8, 8).astype(np.float32)), y[:128]))
    expected = [float(np.linalg.norm(g)) for g in net.gradients().values() if g.ndim >= 2]
    got = depth_norms(blocks=2, residual=True, batch_norm=False)
    assert len(got) == 2 * 2 + 2
    np.testing.assert_allclose(list(got.values()), expected, rtol=1e-5)


def test_panel_reports_its_run_and_depth(panel):
    assert len(panel.norms) == 2 * 4 + 2
    values = list(panel.norms.values())
    assert shown_ratio(panel) == pytest.approx(values[0] / values[-1], rel=1e-2)
    assert "10 layers" in panel.summary.value
    panel.blocks.value = 7
    assert len(panel.norms) == 16 and "16 layers" in panel.summary.value


def test_plain_gradients_vanish_with_depth_and_residual_or_batch_norm_keep_them(panel):
    panel.blocks.value = 8
    plain = panel.ratio
    assert plain < 1e-4  # the first layer gets almost nothing
    panel.blocks.value = 2
    assert panel.ratio > 100 * plain  # shallower: less vanishing
    panel.blocks.value = 8
    panel.kind.value = RESIDUAL
    assert panel.ratio > 1e-2
    panel.kind.value = "plain"
    panel.batch_norm.value = True
    assert panel.ratio > 1e-2 and "batch norm" in panel.summary.value


def test_drawing_closes_its_figures():
    import matplotlib.pyplot as plt

    plt.close("all")
    drawn = DepthExplorer(draw=True, blocks=2)
    drawn.batch_norm.value = True
    assert plt.get_fignums() == []  # each redraw's figure handed to the output and closed


def test_fixed_axis_holds_the_deepest_plain_network():
    import matplotlib.pyplot as plt

    drawn = DepthExplorer(draw=True, blocks=1)
    captured = {}
    real_subplots = plt.subplots

    def keep(*args, **kwargs):  # the panel closes its figure; keep a handle on the axes to read the limits
        fig, ax = real_subplots(*args, **kwargs)
        captured["ax"] = ax
        return fig, ax

    plt.subplots, original = keep, plt.subplots
    try:
        drawn.blocks.value = drawn.blocks.max   # the deepest plain network: the smallest first-layer gradient
    finally:
        plt.subplots = original
    low, high = captured["ax"].get_ylim()
    assert low <= min(drawn.norms.values()) and max(drawn.norms.values()) <= high
