"""Drift figures: the stream draws one point per batch, the threshold and the alerts; histograms share bins."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.monitoring import plot_feature_histograms, plot_psi_stream  # noqa: E402


def test_stream_draws_the_largest_psi_threshold_and_alerts():
    psi = np.array([[0.01, 0.05], [0.02, 0.03], [0.4, 0.1], [0.3, 0.5]])
    ax = plot_psi_stream(psi, threshold=0.2, alerts=[False, False, True, True], shift_at=2)
    line = ax.lines[0]
    assert np.array_equal(line.get_ydata(), [0.05, 0.03, 0.4, 0.5])  # the largest feature per batch
    (dashed,) = [x for x in ax.lines if x.get_linestyle() == "--"]
    assert dashed.get_ydata()[0] == 0.2
    (dotted,) = [x for x in ax.lines if x.get_linestyle() == ":"]
    assert dotted.get_xdata()[0] == 2
    assert np.array_equal(ax.collections[0].get_offsets(), [[2, 0.4], [3, 0.5]])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "threshold 0.2" in legend and "largest PSI over the features" in legend
    assert plot_psi_stream(psi[:, 0]).get_legend().get_texts()[0].get_text() == "PSI"
    plt.close("all")


def test_stream_rejects_bad_shapes():
    with pytest.raises(ValueError, match="psi must be"):
        plot_psi_stream(np.zeros(0))
    with pytest.raises(ValueError, match="one entry per batch"):
        plot_psi_stream(np.zeros(3), alerts=[True])
    plt.close("all")


def test_histograms_share_bins_and_are_densities():
    rng = np.random.default_rng(0)
    ax = plot_feature_histograms(rng.normal(size=500), rng.normal(1, 1, size=80), bins=12)
    reference, current = ax.containers
    assert len(reference) == len(current) == 12
    assert [b.get_x() for b in reference] == pytest.approx([b.get_x() for b in current])
    for bars in (reference, current):
        assert sum(b.get_width() * b.get_height() for b in bars) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot_feature_histograms(np.zeros((3, 2)), np.zeros(3))
    plt.close("all")
