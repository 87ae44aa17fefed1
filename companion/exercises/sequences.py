"""Exercises of the page *Forecasting and sequence to sequence*."""

import numpy as np

from companion.data.dates import shift_right
from companion.data.series import lag_features
from companion.exercises.core import Exercise, register


def _lag_cases(rng):
    yield np.arange(1.0, 7.0), 2  # the page's small example
    yield np.array([3.0, -1.0]), 1  # the shortest series there is
    for _ in range(18):
        length = int(rng.integers(3, 30))
        yield rng.normal(size=length), int(rng.integers(1, length))


register(Exercise(
    id="sequences.lag_features",
    prompt="Write lag_features(series, lags) for a 1-D array: (X, y) with X of shape (len(series) - lags, lags) "
           "whose row i is series[i], ..., series[i + lags - 1] (oldest first), and y[i] = series[i + lags].",
    reference=lag_features, cases=_lag_cases, arg_names=("series", "lags"),
))


def _repeat_last_mse(train, test):
    previous = np.concatenate([train[-1:], test[:-1]])  # what was observed just before each test value
    return float(np.mean((test - previous) ** 2))


def _split_cases(rng):
    yield np.array([1.0, 2.0, 4.0]), np.array([5.0, 5.0, 3.0])
    for _ in range(18):
        series = np.cumsum(rng.normal(size=int(rng.integers(4, 40))))
        cut = int(rng.integers(1, len(series)))
        yield series[:cut], series[cut:]


register(Exercise(
    id="sequences.repeat_last_mse",
    prompt="Write repeat_last_mse(train, test): the mean squared error on test of the forecast 'tomorrow equals "
           "today', where each test value is predicted by the value observed just before it (the first test "
           "value by the last training value).",
    reference=_repeat_last_mse, cases=_split_cases, arg_names=("train", "test"),
))


def _target_cases(rng):
    yield np.array([[5, 6, 7, 2]]), 1
    for _ in range(18):
        yield rng.integers(3, 20, size=(int(rng.integers(1, 5)), int(rng.integers(1, 12)))), int(rng.integers(0, 3))


register(Exercise(
    id="sequences.decoder_inputs",
    prompt="Write decoder_inputs(targets, bos) for an integer array targets of shape (N, T): the decoder's inputs "
           "under teacher forcing, of the same shape: column 0 is bos, and column t is the true target t - 1.",
    reference=shift_right, cases=_target_cases, arg_names=("targets", "bos"),
))


def _rnn_shapes(seq_len, batch, input_size, hidden_size, num_layers, bidirectional):
    """Read off a real torch.nn.GRU, so the reference does not share the reader's reasoning."""
    import torch  # here, not at the top: every page imports the exercises

    gru = torch.nn.GRU(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional)
    output, h_n = gru(torch.zeros(seq_len, batch, input_size))
    return tuple(output.shape), tuple(h_n.shape)


def _shape_cases(rng):
    yield 20, 8, 1, 32, 1, False
    yield 20, 8, 1, 32, 2, True
    for _ in range(10):
        yield (int(rng.integers(1, 9)), int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 9)),
               int(rng.integers(1, 4)), bool(rng.integers(0, 2)))


register(Exercise(
    id="sequences.rnn_shapes",
    prompt="Write rnn_shapes(seq_len, batch, input_size, hidden_size, num_layers, bidirectional): the shapes, as "
           "two tuples (output_shape, h_n_shape), of what torch.nn.GRU(input_size, hidden_size, num_layers, "
           "bidirectional=bidirectional) returns for an input of shape (seq_len, batch, input_size).",
    reference=_rnn_shapes, cases=_shape_cases,
    arg_names=("seq_len", "batch", "input_size", "hidden_size", "num_layers", "bidirectional"),
))
