"""The forecasting figures draw the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.sequences import plot_drift, plot_forecasts, plot_loss_curve, plot_mse_by_horizon  # noqa: E402


def test_forecasts_draw_history_actual_and_each_forecast():
    t = np.arange(5)
    ax = plot_forecasts(t, t * 2.0, {"a": t + 1.0, "b": t - 1.0}, history=([-2, -1], [0.5, 0.7]), title="x")
    ys = [line.get_ydata() for line in ax.lines]
    np.testing.assert_array_equal(ys[0], [0.5, 0.7])
    np.testing.assert_array_equal(ys[1], t * 2.0)
    np.testing.assert_array_equal(ys[3], t - 1.0)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["before (training)", "actual", "a", "b"]
    with pytest.raises(ValueError, match="'a' has 4 values for 5 time points"):
        plot_forecasts(t, t, {"a": t[:4]})
    plt.close("all")


def test_drift_horizon_and_loss_plots():
    t = np.arange(4)
    ax = plot_drift(t, t * 1.0, t + 0.5, t * 0.0, start=1.5)
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), [0, 0, 0, 0])
    assert ax.lines[2].get_linestyle() == "--"
    assert ax.lines[3].get_xdata()[0] == 1.5  # the vertical line where feeding back starts
    ax = plot_mse_by_horizon([1, 2, 3], {"m": [0.1, 0.4, 0.9]})
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.1, 0.4, 0.9])
    with pytest.raises(ValueError, match="'m' has 2 values"):
        plot_mse_by_horizon([1, 2, 3], {"m": [0.1, 0.4]})
    ax = plot_loss_curve([3.0, 2.0, 1.5])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    plt.close("all")
