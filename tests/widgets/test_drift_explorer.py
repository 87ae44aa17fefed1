"""The drift panel: each control draws a batch, the monitor checks it, and the summary and drawing show that
check (torch-free; small synthetic arrays)."""

import numpy as np
import pytest

from companion.deploy.monitoring import DriftMonitor, shift_inputs
from companion.widgets import DriftExplorer
from companion.widgets.drift_explorer import SUBSET, draw_batch


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=600)
    x = np.clip(rng.normal(0.3 + 0.04 * labels[:, None], 0.1, size=(600, 3)), 0, 1)  # features follow the class
    return x[:300], x[300:], labels[300:]


def test_draw_batch_shifts_as_asked(data):
    _, pool, labels = data
    fresh = draw_batch(pool, 40, seed=3)
    rows = np.random.default_rng(3).choice(len(pool), 40, replace=False)
    np.testing.assert_array_equal(fresh, pool[rows])
    np.testing.assert_allclose(draw_batch(pool, 40, "brightness", 0.2, seed=3), np.clip(pool[rows] * 1.2, 0, 1))
    subset = draw_batch(pool, 40, SUBSET, labels=labels, seed=3)
    allowed = {tuple(r) for r in pool[labels < 5]}
    assert all(tuple(r) in allowed for r in subset)
    with pytest.raises(ValueError, match="needs the pool's labels"):
        draw_batch(pool, 40, SUBSET)
    with pytest.raises(ValueError, match="kind must be one of"):
        draw_batch(pool, 40, "rotation")
    with pytest.raises(ValueError, match="batch_size must be in"):
        draw_batch(pool, 0)


def test_controls_redraw_and_recheck(data):
    reference, pool, labels = data
    panel = DriftExplorer(reference, pool, labels, draw=False, kind="none", batch_size=100)
    expected = DriftMonitor(reference).check(draw_batch(pool, 100, seed=0))
    np.testing.assert_allclose(panel.report.psi, expected.psi)
    np.testing.assert_allclose(panel.report.ks_pvalue, expected.ks_pvalue)
    assert not panel.report.alert and "no alert" in panel.summary.value
    assert f"{expected.psi.max():.3f}" in panel.summary.value
    panel.kind.value = "brightness"
    panel.amount.value = 0.5                                       # a far brighter batch: every feature moves
    assert panel.report.alert and "ALERT" in panel.summary.value
    np.testing.assert_allclose(panel.batch, draw_batch(pool, 100, "brightness", 0.5, seed=0))
    panel.seed.value = 7
    np.testing.assert_allclose(panel.batch, draw_batch(pool, 100, "brightness", 0.5, seed=7))
    panel.kind.value = SUBSET
    assert panel.report.alert                                      # the class mix moves these features
    assert tuple(panel.kind.options)[-1] == SUBSET


def test_without_labels_there_is_no_class_mix_shift(data):
    reference, pool, _ = data
    panel = DriftExplorer(reference, pool, draw=False)
    assert SUBSET not in panel.kind.options and panel.batch_size.max == 300


def test_redraw_shows_the_worst_feature(data, monkeypatch):
    import companion.viz.monitoring as viz

    reference, pool, labels = data
    drawn = []
    monkeypatch.setattr(viz, "plot_feature_histograms", lambda ref, cur, **kw: drawn.append((ref, cur, kw)))
    panel = DriftExplorer(reference, pool, labels, kind="noise", amount=0.2)
    worst = int(np.argmax(panel.report.psi))
    np.testing.assert_array_equal(drawn[-1][0], reference[:, worst])
    np.testing.assert_array_equal(drawn[-1][1], panel.batch[:, worst])
    panel.batch_size.value = 60
    assert len(drawn) == 2 and drawn[-1][1].shape == (60,)


def test_summary_states_the_threshold_of_the_correction_in_use(data):
    reference, pool, _ = data
    assert f"0.05/3 = {0.05 / 3:.2g}" in DriftExplorer(reference, pool, draw=False).summary.value
    assert "Holm" in DriftExplorer(reference, pool, draw=False, correction="holm").summary.value
    plain = DriftExplorer(reference, pool, draw=False, correction="none").summary.value
    assert "below 0.05)" in plain and "/3" not in plain
