"""Transfer figures: one line per method at the given k (log axis), the seeds' spread shaded; one image per
first-layer kernel on a grey scale symmetric about zero."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from companion.viz.transfer import plot_filters, plot_transfer_curve  # noqa: E402


def _curve():
    per_seed = {"probe": np.array([[0.5, 0.8], [0.7, 0.9]]), "scratch": np.array([[0.4, 0.9], [0.6, 0.95]])}
    return {"k": np.array([1, 10]), "accuracy": {m: a.mean(0) for m, a in per_seed.items()}, "per_seed": per_seed}


def test_curve_draws_each_method_with_its_spread():
    ax = plot_transfer_curve(_curve())
    assert [line.get_label() for line in ax.lines] == ["linear probe (frozen features)", "from scratch"]
    assert np.allclose(ax.lines[0].get_ydata(), [0.6, 0.85]) and np.array_equal(ax.lines[0].get_xdata(), [1, 10])
    assert ax.get_xscale() == "log" and len(ax.collections) == 2
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.5) and band[:, 1].max() == pytest.approx(0.9)
    assert len(plot_transfer_curve(_curve(), spread=False).collections) == 0
    plt.close("all")


def test_curve_rejects_mismatched_shapes():
    curve = _curve()
    curve["accuracy"]["probe"] = np.array([0.5])
    with pytest.raises(ValueError, match="accuracy of 'probe' has shape"):
        plot_transfer_curve(curve)
    with pytest.raises(ValueError, match="no method"):
        plot_transfer_curve({"k": [1], "accuracy": {}})
    plt.close("all")


def test_filters_one_image_per_kernel_symmetric_grey():
    w = torch.arange(5 * 9, dtype=torch.float32).reshape(5, 1, 3, 3) - 20
    fig = plot_filters(w, ncols=3)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5 and len(fig.axes) == 6
    assert np.array_equal(images[1].get_array(), w[1, 0].numpy())
    lo, hi = images[0].get_clim()
    assert lo == -hi == -20  # kernel 0 spans -20..-12: the scale is symmetric about zero
    with pytest.raises(ValueError, match="filters, 1, height, width"):
        plot_filters(np.zeros((4, 3, 3, 3)))
    plt.close("all")
