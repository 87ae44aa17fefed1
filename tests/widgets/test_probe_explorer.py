"""The probe panel: each control refits the NumPy probe on the features passed in, and the summary and the
confusion matrix show that fit (torch-free: small synthetic features)."""

import numpy as np
import pytest

from companion.linear_probe import probe_run
from companion.widgets import ProbeExplorer


def _features(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 5)) * 2
    y_pool, y_test = np.repeat(np.arange(3), [12, 10, 11]), np.repeat(np.arange(3), 8)
    return (centres[y_pool] + rng.normal(size=(len(y_pool), 5)), y_pool,
            centres[y_test] + rng.normal(size=(len(y_test), 5)), y_test)


def test_controls_refit_and_the_summary_follows():
    data = _features()
    panel = ProbeExplorer(*data, draw=False)
    _, acc, confusion = probe_run(*data, k=1, steps=50, l2=1e-3)
    assert panel.result[1] == acc and np.array_equal(panel.result[2], confusion)
    assert f"<b class='nnx-accuracy'>{acc:.3f}</b> on 24 images" in panel.summary.value
    assert panel.k.max == 10                                           # the smallest class in the pool
    panel.k.value = 8
    _, acc8, _ = probe_run(*data, k=8, steps=50, l2=1e-3)
    assert panel.result[1] == acc8 and "8 labelled per class (24 in all)" in panel.summary.value
    panel.steps.value = 3
    assert len(panel.result[0].losses) == 3
    panel.l2.value = 1.0
    strong = probe_run(*data, k=8, steps=3, l2=1.0)[0]
    np.testing.assert_allclose(panel.result[0].weight, strong.weight)
    assert "L2 1," in panel.summary.value


def test_redraw_shows_the_confusion_matrix(monkeypatch):
    import companion.viz.training as viz

    drawn = []
    monkeypatch.setattr(viz, "plot_confusion_matrix", lambda matrix, labels=None, ax=None: drawn.append((matrix, labels)))
    panel = ProbeExplorer(*_features(), class_names=["a", "b", "c"])
    assert np.array_equal(drawn[-1][0], panel.result[2]) and drawn[-1][1] == ["a", "b", "c"]
    panel.k.value = 4
    assert len(drawn) == 2 and drawn[-1][0].sum() == 24


@pytest.mark.parametrize("k", [0, 11])
def test_k_out_of_range_is_refused(k):
    with pytest.raises(ValueError, match="k must be between 1 and 10"):
        ProbeExplorer(*_features(), k=k, draw=False)
