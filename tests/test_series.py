"""Time series helpers: the sunspots, the simulated prices, lag windows, and the forecasting baselines."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from companion.data import series


def test_sunspots_are_the_309_yearly_values_from_1700_to_2008():
    years, values = series.sunspots()
    assert years.shape == values.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008 and np.all(np.diff(years) == 1)
    assert values[0] == 5.0 and values[-1] == 2.9  # SILSO's version 1 numbers for those years
    assert values.min() >= 0


def test_random_walk_prices_have_independent_log_returns_of_the_given_size():
    prices = series.random_walk_prices(20001, start=50.0, volatility=0.02, rng=0)
    returns = np.diff(np.log(prices))
    assert prices[0] == 50.0 and prices.shape == (20001,) and np.all(prices > 0)
    assert abs(returns.std() - 0.02) < 0.001
    assert abs(np.corrcoef(returns[:-1], returns[1:])[0, 1]) < 0.03  # no memory from one day to the next
    np.testing.assert_array_equal(prices, series.random_walk_prices(20001, start=50.0, volatility=0.02, rng=0))
    drifting = series.random_walk_prices(1001, drift=0.01, volatility=0.0)
    np.testing.assert_allclose(np.diff(np.log(drifting)), 0.01)
    with pytest.raises(ValueError, match="n must be at least 1"):
        series.random_walk_prices(0)
    with pytest.raises(ValueError, match="volatility must be non-negative"):
        series.random_walk_prices(5, volatility=-1.0)


def test_standardize_uses_the_training_statistics_for_every_part():
    train, test = np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 12.0])
    (train_s, test_s), (mean, std) = series.standardize(train, test)
    assert mean == 2.5 and std == np.std(train)
    assert abs(train_s.mean()) < 1e-12 and abs(train_s.std() - 1) < 1e-12
    np.testing.assert_allclose(test_s, (test - 2.5) / np.std(train))  # not the test part's own statistics
    with pytest.raises(ValueError, match="constant"):
        series.standardize(np.ones(3), test)


def test_lag_features_against_a_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(size=17)
    for lags in (1, 3, 16):
        X, y = series.lag_features(x, lags)
        np.testing.assert_array_equal(X, np.array([x[i:i + lags] for i in range(len(x) - lags)]))
        np.testing.assert_array_equal(y, x[lags:])
    X, _ = series.lag_features(x, 2)
    X[0, 0] = 99.0  # a copy, not a view into the series
    assert x[0] != 99.0
    with pytest.raises(ValueError, match="lags must be between 1 and"):
        series.lag_features(x, 17)
    with pytest.raises(ValueError, match="1-D"):
        series.lag_features(x.reshape(1, -1), 2)


def test_split_in_time_keeps_the_order():
    train, test = series.split_in_time(np.arange(10), 3)
    np.testing.assert_array_equal(train, np.arange(7))
    np.testing.assert_array_equal(test, [7, 8, 9])
    with pytest.raises(ValueError, match="test_size"):
        series.split_in_time(np.arange(10), 10)


def test_linear_lags_match_scikit_learn_and_recover_an_exact_recurrence():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    w = series.fit_linear_lags(X, y)
    reference = LinearRegression().fit(X, y)
    np.testing.assert_allclose(w[:-1], reference.coef_, atol=1e-10)
    np.testing.assert_allclose(w[-1], reference.intercept_, atol=1e-10)
    np.testing.assert_allclose(series.predict_linear_lags(w, X), reference.predict(X), atol=1e-10)
    # x_t = 1.6 x_{t-1} - 0.9 x_{t-2} + 0.3: an oscillation the two-lag model must find exactly
    x = [1.0, 0.5]
    for _ in range(60):
        x.append(1.6 * x[-1] - 0.9 * x[-2] + 0.3)
    w = series.fit_linear_lags(*series.lag_features(np.array(x), 2))
    np.testing.assert_allclose(w, [-0.9, 1.6, 0.3], atol=1e-8)


def test_iterated_forecast_feeds_its_outputs_back():
    calls = []

    def predict(windows):
        calls.append(windows.copy())
        return windows.sum(axis=1)

    out = series.iterated_forecast(predict, [1.0, 2.0], 3)
    np.testing.assert_array_equal(out, [[3.0, 5.0, 8.0]])  # Fibonacci: each sum becomes the newest lag
    np.testing.assert_array_equal(calls[2], [[3.0, 5.0]])
    batched = series.iterated_forecast(lambda w: w[:, -1] + 1, np.array([[0.0, 1.0], [5.0, 7.0]]), 2)
    np.testing.assert_array_equal(batched, [[2.0, 3.0], [8.0, 9.0]])


def test_mse_by_horizon_is_the_one_step_error_at_k_1_and_zero_for_an_exact_model():
    rng = np.random.default_rng(2)
    values = rng.normal(size=40)
    errors = series.mse_by_horizon(series.repeat_last, values, 3, 30, [1, 2, 5])
    X, y = series.lag_features(values, 3)
    np.testing.assert_allclose(errors[0], np.mean((series.repeat_last(X[27:]) - y[27:]) ** 2))
    # repeat-last from k steps back predicts values[t - k]
    np.testing.assert_allclose(errors[2], np.mean((values[25:35] - values[30:40]) ** 2))
    ramp = np.arange(30.0)
    exact = series.mse_by_horizon(lambda w: 2 * w[:, -1] - w[:, -2], ramp, 2, 20, range(1, 8))
    np.testing.assert_allclose(exact, 0.0, atol=1e-20)
    with pytest.raises(ValueError, match="horizon 29 needs 31 observed values"):
        series.mse_by_horizon(series.repeat_last, values, 3, 30, [28, 29])
