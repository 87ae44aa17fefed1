"""Splitting data into training, validation and test sets; standardisation; mini-batches."""

from dataclasses import dataclass

import numpy as np


@dataclass
class Split:
    """Three (X, y) pairs. The test pair is meant to be used once, at the very end."""

    train: tuple
    val: tuple
    test: tuple


def _check_xy(X, y):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    return X, y


def train_val_test_split(X, y, val=0.15, test=0.15, stratify=False, seed=0):
    """Shuffle and split into train/validation/test with the given fractions.

    With ``stratify`` each class is split separately, so every part keeps the class proportions.
    """
    X, y = _check_xy(X, y)
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"val and test must be fractions with val + test < 1, got {val} and {test}")
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts = ([], [], [])
    for index in groups:
        index = rng.permutation(index)
        n_test, n_val = round(test * len(index)), round(val * len(index))
        parts[2].append(index[:n_test])
        parts[1].append(index[n_test:n_test + n_val])
        parts[0].append(index[n_test + n_val:])
    train, val_idx, test_idx = (rng.permutation(np.concatenate(p)) for p in parts)
    if len(train) == 0:
        raise ValueError(f"no samples left for training out of {len(y)}")
    return Split((X[train], y[train]), (X[val_idx], y[val_idx]), (X[test_idx], y[test_idx]))


class Standardizer:
    """x -> (x - mean) / std per feature, with mean and std fitted on the training data only.

    A feature that is constant in the training data keeps std 1, so it maps to 0 instead of NaN.
    """

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X):
        if not hasattr(self, "mean"):
            raise RuntimeError("call fit (on the training data) before transform")
        return (np.asarray(X, dtype=float) - self.mean) / self.std

    def fit_transform(self, X):
        return self.fit(X).transform(X)


def batches(X, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """Yield (X_batch, y_batch) covering the data once (one epoch).

    The last batch is smaller when batch_size does not divide the number of samples, unless
    ``drop_last``. ``rng`` (a numpy Generator) sets the shuffle; None uses NumPy's global generator.
    """
    X, y = _check_xy(X, y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = (rng.permutation(len(y)) if rng is not None else np.random.permutation(len(y))) if shuffle \
        else np.arange(len(y))
    stop = len(y) - len(y) % batch_size if drop_last else len(y)
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield X[index], y[index]
