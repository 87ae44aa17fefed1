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

register(Exercise(
    id="history.xor_plateau_loss",
    prompt="A stuck 2-2-1 XOR network outputs 0.5 for two of the four inputs and almost exactly the right "
           "answer (0 or 1) for the other two. What mean binary cross-entropy over the four inputs does it "
           "approach as its right answers become exact? (A number.)",
    reference=lambda: float(np.log(2) / 2),  # two of four terms are -log 0.5, the others tend to 0
    rtol=1e-4,
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
