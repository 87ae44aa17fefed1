"""Exercises of the chapter *A short history, told by running it*."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.perceptron import perceptron_update


def _perceptron_cases(rng):
    for _ in range(25):
        d = int(rng.integers(1, 5))
        yield (rng.normal(size=d), float(rng.normal()), rng.normal(size=d), int(rng.integers(0, 2)),
               float(rng.choice([1.0, 0.5, 0.1])))


register(Exercise(
    id="history.perceptron_update",
    prompt="Write perceptron_update(w, b, x, t, lr): one step of Rosenblatt's rule on one example. The "
           "prediction is y = 1 if w · x + b > 0 else 0; return the new (w, b) = (w + lr (t - y) x, "
           "b + lr (t - y)), which are the old ones when the prediction is right.",
    reference=lambda w, b, x, t, lr: tuple(perceptron_update(w, b, x, t, lr)),
    cases=_perceptron_cases,
    arg_names=("w", "b", "x", "t", "lr"),
))


def plateau_loss(targets, n):
    """Lowest mean binary cross-entropy over n inputs when the inputs labelled ``targets`` share one output
    p (they land on one point of hidden space) and the other n - len(targets) are answered exactly.

    The best shared output is p = mean(targets); 0 log 0 counts as 0.
    """
    t = np.asarray(targets, dtype=float)
    p = t.mean()
    if p in (0.0, 1.0):  # all alike: one output can be exactly right for all of them
        return 0.0
    return float(-(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / n)


def _plateau_cases(rng):
    yield np.array([1, 0]), 4  # seed 2 of the chapter: (1, 0) and (1, 1) collide
    yield np.array([1, 1, 0]), 4  # three inputs collide
    for _ in range(23):
        k = int(rng.integers(2, 6))
        yield rng.integers(0, 2, size=k), k + int(rng.integers(0, 5))


register(Exercise(
    id="history.plateau_loss",
    prompt="Write plateau_loss(targets, n): the lowest mean binary cross-entropy over n inputs when the inputs "
           "whose labels are in targets (an array of 0s and 1s) must all get one shared output p, and the other "
           "n - len(targets) inputs are answered exactly (they cost nothing). The best shared p is the fraction "
           "of ones in targets; count 0 log 0 as 0.",
    reference=plateau_loss,
    cases=_plateau_cases,
    arg_names=("targets", "n"),
))


def top_principal_axis(X):
    """The unit eigenvector of C = X^T X / N with the largest eigenvalue, signed so its first entry is
    positive: where Oja's rule, run on the rows of X, points w."""
    eigenvalues, eigenvectors = np.linalg.eigh(X.T @ X / len(X))
    axis = eigenvectors[:, -1]
    return axis if axis[0] > 0 else -axis


def _oja_cases(rng):
    for _ in range(25):
        d = int(rng.integers(2, 5))
        rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
        spread = np.sort(rng.uniform(0.3, 3.0, size=d))[::-1]
        spread[0] += 1.0  # a clear largest spread, so the answer is one well-defined axis
        X = rng.normal(size=(200, d)) * spread @ rotation.T
        X -= X.mean(axis=0)  # centred: X^T X / N is then the covariance matrix (np.cov up to scale)
        if abs(top_principal_axis(X)[0]) > 0.05:  # a sign that the reader can fix reliably
            yield (X,)


register(Exercise(
    id="history.oja_direction",
    prompt="Write oja_direction(X): the unit vector that Oja's rule converges to on the rows of a centred "
           "data matrix X (N, d), which is the eigenvector of the covariance matrix X^T X / N with the "
           "largest eigenvalue. Eigenvectors have no sign of their own: return the one whose first entry "
           "is positive.",
    reference=top_principal_axis,
    cases=_oja_cases,
    arg_names=("X",),
    rtol=1e-6,
    atol=1e-8,
))
