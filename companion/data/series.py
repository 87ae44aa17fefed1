"""Time series for the forecasting page: the yearly sunspot numbers, a simulated price path, lag windows.

Nothing is downloaded: the sunspots ship with statsmodels, and the prices are simulated from a seed.
"""

import numpy as np


def sunspots():
    """(years, values): the yearly mean sunspot numbers 1700–2008, two arrays of shape (309,).

    statsmodels ships them as NOAA's National Geophysical Data Center distributed them; the series is
    the international sunspot number of SILSO, Royal Observatory of Belgium (version 1, before the 2015
    recalibration).
    """
    from statsmodels.datasets import sunspots as dataset  # not statsmodels.api: that import costs seconds

    frame = dataset.load_pandas().data
    return frame["YEAR"].to_numpy(dtype=int), frame["SUNACTIVITY"].to_numpy(dtype=np.float64)


def random_walk_prices(n, start=100.0, drift=0.0, volatility=0.01, rng=None):
    """A geometric random walk of n prices: p_t = p_{t-1} * exp(drift + volatility * e_t), e_t ~ N(0, 1).

    Each day's log return is independent of the past, so no function of the past predicts it: the best
    forecast of tomorrow's log price is today's (plus the drift), whatever the model.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if volatility < 0:
        raise ValueError(f"volatility must be non-negative, got {volatility}")
    rng = np.random.default_rng(rng)  # a Generator, a seed, or None
    steps = drift + volatility * rng.standard_normal(n - 1)
    return start * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))


def standardize(train, *others):
    """Each array as (x - mean) / std with the mean and std of ``train`` only; returns (arrays, (mean, std)).

    Statistics from the test part would leak the future into the past.
    """
    train = np.asarray(train, dtype=np.float64)
    mean, std = train.mean(), train.std()
    if std == 0:
        raise ValueError("the training part is constant: its standard deviation is 0")
    scaled = [(np.asarray(a, dtype=np.float64) - mean) / std for a in (train, *others)]
    return scaled, (mean, std)


def lag_features(series, lags):
    """(X, y) for predicting x_t from its ``lags`` predecessors: X[i] = x[i : i+lags], y[i] = x[i+lags].

    Shapes: series (T,) -> X (T - lags, lags), oldest lag first; y (T - lags,).
    """
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    if not 1 <= lags < len(series):
        raise ValueError(f"lags must be between 1 and len(series) - 1 = {len(series) - 1}, got {lags}")
    X = np.lib.stride_tricks.sliding_window_view(series, lags)[:-1]
    return X.copy(), series[lags:].copy()


def split_in_time(series, test_size):
    """(train, test): the first len - test_size values and the last test_size; never shuffled."""
    if not 0 < test_size < len(series):
        raise ValueError(f"test_size must be between 1 and len(series) - 1 = {len(series) - 1}, got {test_size}")
    return series[:-test_size], series[-test_size:]


def fit_linear_lags(X, y):
    """Least-squares weights w (lags + 1,) of y ≈ X @ w[:-1] + w[-1], the autoregressive baseline."""
    design = np.column_stack([X, np.ones(len(X))])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def predict_linear_lags(w, X):
    """X (N, lags) @ w[:-1] + w[-1] -> (N,)."""
    return np.asarray(X) @ w[:-1] + w[-1]


def iterated_forecast(predict, windows, steps):
    """(N, steps) forecasts from each window of ``windows`` (N, lags), each fed back as the newest lag.

    ``predict`` maps windows (N, lags) to next values (N,). Step k's input holds k - 1 of the model's
    own outputs, so its errors compound instead of being corrected by observed values.
    """
    windows = np.array(windows, dtype=np.float64, ndmin=2)
    out = np.empty((len(windows), steps))
    for k in range(steps):
        out[:, k] = np.reshape(predict(windows), len(windows))
        windows = np.concatenate([windows[:, 1:], out[:, k:k + 1]], axis=1)  # drop the oldest, add the forecast
    return out


def forecast_at_horizon(predict, values, lags, start, k):
    """Forecasts of values[start:], each made k steps ahead: (len(values) - start,).

    The forecast of values[t] reads the observed window values[t-k+1-lags : t-k+1] and feeds its own
    outputs back for k steps (k = 1: one step ahead, from observed values only).
    """
    values = np.asarray(values, dtype=np.float64)
    origins = np.arange(start, len(values)) - k + 1    # where each forecast's first step lands
    if k < 1 or origins[0] - lags < 0:
        raise ValueError(f"horizon {k} needs {lags + k - 1} observed values before index {start}")
    windows = np.stack([values[o - lags:o] for o in origins])
    return iterated_forecast(predict, windows, k)[:, -1]


def mse_by_horizon(predict, values, lags, start, horizons):
    """Test MSE of forecasts made k steps ahead, for each k in ``horizons``: an array (len(horizons),).

    Every k is scored on the same targets values[start:] (see :func:`forecast_at_horizon`); k = 1 is
    the one-step-ahead error.
    """
    values = np.asarray(values, dtype=np.float64)
    return np.array([np.mean((forecast_at_horizon(predict, values, lags, start, k) - values[start:]) ** 2)
                     for k in horizons])


def repeat_last(X):
    """The naive forecast: each window's last value. X (N, lags) -> (N,)."""
    return np.asarray(X)[:, -1]
