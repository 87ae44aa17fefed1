"""The forecast panel (NumPy only; runs in the torch-free ipywidgets 7 environment too): its forecasts are the
least-squares lag model's and repeat-last's, k steps ahead, and the sliders change them as they should."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

from companion.widgets import ForecastExplorer  # noqa: E402


def noisy_cycle(n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return t, np.sin(2 * np.pi * t / 11) + 0.3 * rng.normal(size=n)


def standardized(values, test_size):
    train = values[:-test_size]
    return (values - train.mean()) / train.std(), len(train)


def test_one_step_forecasts_are_scikit_learns_least_squares_on_the_lag_windows():
    t, values = noisy_cycle()
    panel = ForecastExplorer(t, values, test_size=40, draw=False)
    panel.lags.value = 5
    z, start = standardized(values, 40)
    windows = np.lib.stride_tricks.sliding_window_view(z, 5)
    reference = LinearRegression().fit(windows[:start - 5], z[5:start])
    np.testing.assert_allclose(panel.forecast, reference.predict(windows[start - 5:-1]), atol=1e-10)
    np.testing.assert_allclose(panel.baseline, z[start - 1:-1])
    assert np.isclose(panel.mse, np.mean((panel.forecast - z[start:]) ** 2))


def test_k_steps_ahead_repeat_last_reads_k_steps_back_and_the_error_grows():
    t, values = noisy_cycle()
    panel = ForecastExplorer(t, values, test_size=40, draw=False)
    one_step = panel.mse
    panel.horizon.value = 4
    z, start = standardized(values, 40)
    np.testing.assert_allclose(panel.baseline, z[start - 4:-4])
    assert panel.baseline_mse > 2 * np.mean((z[start - 1:-1] - z[start:]) ** 2)   # a cycle of 11 moves far in 4
    assert panel.mse != one_step
    assert "4 steps ahead" in panel.summary.value and f"{panel.mse:.3f}" in panel.summary.value


def test_an_exact_recurrence_is_forecast_exactly_at_every_horizon():
    x = [1.0, 0.5]
    for _ in range(120):
        x.append(1.6 * x[-1] - 0.9 * x[-2])
    panel = ForecastExplorer(np.arange(len(x)), np.array(x), test_size=30, draw=False)
    for k in (1, 7, 15):
        panel.horizon.value = k
        assert panel.mse < 1e-12 < panel.baseline_mse


def test_the_figure_shows_the_current_forecasts_and_is_closed(monkeypatch):
    import matplotlib.pyplot as plt

    import companion.viz.sequences as module

    drawn, real = [], module.plot_forecasts

    def spy(t, actual, forecasts, **kwargs):
        drawn.append({name: np.copy(values) for name, values in forecasts.items()})
        return real(t, actual, forecasts, **kwargs)

    monkeypatch.setattr(module, "plot_forecasts", spy)
    plt.close("all")
    t, values = noisy_cycle()
    panel = ForecastExplorer(t, values, test_size=40, draw=True)
    panel.horizon.value = 2
    assert len(drawn) == 2
    np.testing.assert_array_equal(drawn[-1]["linear, 20 lags"], panel.forecast)
    np.testing.assert_array_equal(drawn[-1]["repeat last value"], panel.baseline)
    assert plt.get_fignums() == []


def test_bad_arguments():
    t, values = noisy_cycle()
    with pytest.raises(ValueError, match="t has 3 time points for 200 values"):
        ForecastExplorer(t[:3], values, test_size=40)
    with pytest.raises(ValueError, match="test_size must leave more than"):
        ForecastExplorer(t, values, test_size=180)
