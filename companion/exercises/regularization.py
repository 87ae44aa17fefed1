"""Exercises of the chapter *Overfitting and regularization*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.normalization import batchnorm_forward
from companion.np.regularization import dropout_forward, soft_threshold


def _dropout_cases(rng):
    for _ in range(25):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 6)))
        p = float(rng.choice([0.1, 0.25, 0.5, 0.8]))
        yield rng.normal(size=shape), (rng.random(shape) >= p).astype(float), p


register(Exercise(
    id="regularization.dropout",
    prompt="Write dropout(x, mask, p): inverted dropout in training mode, with mask (0/1, x's shape) saying "
           "which entries survive and p the drop probability.",
    reference=lambda x, mask, p: dropout_forward(x, p, mask=mask.astype(bool))[0],
    cases=_dropout_cases, arg_names=("x", "mask", "p"),
))


def _bn_cases(rng):
    for _ in range(25):
        n, d = int(rng.integers(2, 8)), int(rng.integers(1, 5))
        yield rng.normal(3, 2, size=(n, d)), rng.normal(size=d), rng.normal(size=d)


register(Exercise(
    id="regularization.batchnorm",
    prompt="Write batchnorm(x, gamma, beta) for a batch x (N, D) in training mode: normalize each column with "
           "the batch mean and (biased) variance, eps = 1e-5, then scale by gamma and shift by beta.",
    reference=lambda x, g, b: batchnorm_forward(x, g, b, np.zeros(len(g)), np.ones(len(g)))[0],
    cases=_bn_cases, arg_names=("x", "gamma", "beta"),
))


def _stopping_reference(val_losses, patience):
    best, waited = np.inf, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, waited = loss, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch
    return len(val_losses)


def _stopping_cases(rng):
    yield [1.0, 0.9, 0.8, 0.85, 0.86, 0.87, 0.7], 3  # stops before the late improvement
    for _ in range(24):
        n = int(rng.integers(1, 30))
        yield list(np.round(np.abs(rng.normal(1, 0.3, size=n)), 2)), int(rng.integers(1, 6))


register(Exercise(
    id="regularization.stopping_epoch",
    prompt="Write stopping_epoch(val_losses, patience): the (1-based) epoch after which early stopping ends "
           "training, when the validation loss has not improved on its best for `patience` epochs in a row; "
           "len(val_losses) if that never happens.",
    reference=_stopping_reference, cases=_stopping_cases, arg_names=("val_losses", "patience"),
))


def _soft_threshold_cases(rng):
    yield np.array([-1.2, -0.3, 0.0, 0.05, 0.4, 2.0]), 0.5  # both sides, inside and outside the threshold
    yield np.array([[0.5, -0.5], [0.2, 3.0]]), 0.0  # threshold 0: nothing changes
    for _ in range(23):
        yield rng.normal(size=(int(rng.integers(1, 5)), int(rng.integers(1, 6)))), float(rng.uniform(0.05, 1.5))


register(Exercise(
    id="regularization.soft_threshold",
    prompt="Write soft_threshold(w, t): the proximal operator of t * ||w||_1, sign(w) * max(|w| - t, 0) "
           "elementwise, so that every entry within t of zero becomes exactly 0 and the others move t "
           "toward zero.",
    reference=soft_threshold, cases=_soft_threshold_cases, arg_names=("w", "t"),
))
