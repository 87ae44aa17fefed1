"""Parameter initialisation shared by both backends, so one seed gives the same network in each."""

import numpy as np


def dense_init(in_features, out_features, rng=None, dtype=np.float64):
    """PyTorch's default ``nn.Linear`` initialisation, drawn with NumPy.

    weight, bias ~ U(-k, k) with k = 1/sqrt(in_features). ``rng`` is a ``numpy.random.Generator``;
    None draws from NumPy's global generator, which :func:`companion.seed` seeds.

    Returns (weight (out_features, in_features), bias (out_features,)).
    """
    for name, n in (("in_features", in_features), ("out_features", out_features)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    k = 1.0 / np.sqrt(in_features)
    draw = rng.uniform if rng is not None else np.random.uniform
    weight = draw(-k, k, size=(out_features, in_features)).astype(dtype)
    bias = draw(-k, k, size=(out_features,)).astype(dtype)
    return weight, bias


def conv_init(in_channels, out_channels, kernel_size, rng=None, dtype=np.float64):
    """PyTorch's default ``nn.Conv2d`` initialisation: U(-k, k), k = 1/sqrt(in_channels * kernel_size^2).

    Returns (weight (out_channels, in_channels, kernel_size, kernel_size), bias (out_channels,)).
    """
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels), ("kernel_size", kernel_size)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    k = 1.0 / np.sqrt(in_channels * kernel_size * kernel_size)
    draw = rng.uniform if rng is not None else np.random.uniform
    weight = draw(-k, k, size=(out_channels, in_channels, kernel_size, kernel_size)).astype(dtype)
    return weight, draw(-k, k, size=(out_channels,)).astype(dtype)
