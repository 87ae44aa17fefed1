"""Splitting data into training, validation and test sets; k-fold cross-validation; standardization;
mini-batches."""

import warnings
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


def epoch_order(n, shuffle=True, rng=None):
    """The order in which one epoch visits n samples: ``rng.permutation(n)``, or 0, 1, …, n-1.

    ``rng`` (a numpy Generator) sets the shuffle; None uses NumPy's global generator. Each call draws
    a fresh permutation, so a generator kept across epochs gives every epoch its own order.
    """
    if not shuffle:
        return np.arange(n)
    return rng.permutation(n) if rng is not None else np.random.permutation(n)


def batches(X, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """Yield (X_batch, y_batch) covering the data once (one epoch), in :func:`epoch_order`.

    The last batch is smaller when batch_size does not divide the number of samples, unless
    ``drop_last``. ``rng`` (a numpy Generator) sets the shuffle; None uses NumPy's global generator.
    """
    X, y = _check_xy(X, y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = epoch_order(len(y), shuffle, rng)
    stop = len(y) - len(y) % batch_size if drop_last else len(y)
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        yield X[index], y[index]


def _check_folds(y, k):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"k must be an integer of at least 2, got {k!r}")
    if k > len(y):
        raise ValueError(f"k={k} folds need at least {k} samples, got {len(y)}")
    return y


def _stratified_folds(y, k, rng):
    """Fold number per sample, each class dealt out separately (scikit-learn's StratifiedKFold scheme)."""
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    encoded = np.argsort(np.argsort(first))[inverse]  # classes numbered in order of first appearance
    counts = np.bincount(encoded)
    if np.all(counts < k):
        raise ValueError(f"k={k} cannot be greater than the number of members in each class "
                         f"(class sizes {counts.tolist()})")
    if counts.min() < k:
        warnings.warn(f"the least populated class has only {counts.min()} members, fewer than k={k}: "
                      "some folds will hold none of it", UserWarning, stacklevel=3)
    # Deal the sorted labels round robin: fold i gets allocation[i, c] samples of class c.
    ordered = np.sort(encoded)
    allocation = np.array([np.bincount(ordered[i::k], minlength=len(counts)) for i in range(k)])  # (k, C)
    fold = np.empty(len(y), dtype=int)
    for c in range(len(counts)):
        folds = np.repeat(np.arange(k), allocation[:, c])  # blocks in data order ...
        fold[encoded == c] = folds if rng is None else rng.permutation(folds)  # ... unless shuffled
    return fold


def kfold(y, k=5, stratify=False, shuffle=True, seed=0):
    """The k (train_index, val_index) pairs of k-fold cross-validation over the samples labelled y.

    Every sample lands in exactly one validation fold. Without ``stratify`` the folds are contiguous
    blocks of :func:`epoch_order` (the data order when ``shuffle=False``), the first n % k of them one
    sample larger, as scikit-learn's ``KFold``. With ``stratify`` each class is dealt out to the folds
    separately, so every fold keeps the class proportions (scikit-learn's ``StratifiedKFold``: fold i
    receives as many samples of each class as the i-th round-robin share of the sorted labels).
    ``seed`` sets the shuffle. Both index arrays of a pair are sorted.
    """
    y = _check_folds(y, k)
    rng = np.random.default_rng(seed) if shuffle else None
    if stratify:
        fold = _stratified_folds(y, k, rng)
    else:
        sizes = np.full(k, len(y) // k)
        sizes[:len(y) % k] += 1
        fold = np.empty(len(y), dtype=int)
        fold[epoch_order(len(y), shuffle, rng)] = np.repeat(np.arange(k), sizes)
    return [(np.flatnonzero(fold != i), np.flatnonzero(fold == i)) for i in range(k)]


def cross_validate(train_and_score, X, y, k=5, stratify=False, shuffle=True, seed=0):
    """One score per fold: ``train_and_score(X_train, y_train, X_val, y_val)`` on each :func:`kfold` split.

    ``train_and_score`` fits a fresh model (and anything fitted to data, such as a
    :class:`Standardizer`) on the training part only and returns its score on the held-out fold.
    Returns a NumPy array of k scores; their mean and standard deviation are the usual summary.
    """
    X, y = _check_xy(X, y)
    return np.array([train_and_score(X[tr], y[tr], X[va], y[va])
                     for tr, va in kfold(y, k, stratify, shuffle, seed)], dtype=float)
