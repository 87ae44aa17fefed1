"""Anomaly figures: both groups share the histogram's bins, the threshold is drawn, images are tiled."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.anomaly import plot_reconstructions, plot_score_histogram  # noqa: E402


def test_histogram_two_groups_on_shared_bins_and_a_threshold():
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(1, 0.2, 200), rng.normal(2, 0.2, 20)]
    is_anomaly = np.r_[np.zeros(200, int), np.ones(20, int)]
    ax = plot_score_histogram(scores, is_anomaly, threshold=1.5, bins=10)
    normal, anomalous = ax.containers
    assert len(normal) == len(anomalous) == 10
    assert [b.get_x() for b in normal] == pytest.approx([b.get_x() for b in anomalous])
    widths = np.array([b.get_width() for b in anomalous])
    assert np.sum(widths * [b.get_height() for b in anomalous]) == pytest.approx(1.0)  # a density
    (line,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert line.get_xdata()[0] == 1.5
    assert "threshold 1.5" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close("all")


def test_histogram_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="1-D of one length"):
        plot_score_histogram(np.zeros(5), np.zeros(4))


def test_reconstructions_tile_inputs_over_outputs():
    originals, outputs = np.arange(12.0).reshape(3, 4), -np.arange(12.0).reshape(3, 4)
    ax = plot_reconstructions(originals, outputs, (2, 2))
    strip = ax.images[0].get_array()
    assert strip.shape == (4, 6)
    assert np.array_equal(strip[:2, 2:4], originals[1].reshape(2, 2))
    assert np.array_equal(strip[2:, 4:], outputs[2].reshape(2, 2))
    with pytest.raises(ValueError, match="differ in shape"):
        plot_reconstructions(originals, outputs[:2], (2, 2))
    plt.close("all")
