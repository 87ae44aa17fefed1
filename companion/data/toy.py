"""Two-dimensional toy datasets, as in TensorFlow Playground, generated from a seed.

Classification sets give labels 0/1; regression sets give a real target. Inputs lie roughly in
[-3, 3]^2. ``noise`` is the standard deviation of Gaussian noise added to the inputs (classification)
or to the target (regression).
"""

import numpy as np

from companion._validate import check_choice


def _circle(rng, n, noise):
    radius = np.r_[rng.uniform(0, 1.2, n // 2), rng.uniform(1.8, 3.0, n - n // 2)]
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return X + rng.normal(scale=noise, size=X.shape), (radius < 1.5).astype(int)


def _xor(rng, n, noise):
    X = rng.uniform(-3, 3, size=(n, 2))
    X += np.sign(X) * 0.2  # a small gap around the axes keeps the four quadrants apart
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + rng.normal(scale=noise, size=X.shape), y


def _gaussians(rng, n, noise):
    y = (np.arange(n) < n // 2).astype(int)
    centres = np.where(y[:, None] == 1, 1.5, -1.5)
    return centres + rng.normal(scale=0.6 + noise, size=(n, 2)), y


def _spiral(rng, n, noise):
    y = (np.arange(n) < n // 2).astype(int)
    t = rng.uniform(0.25, 1, n) * 3 * np.pi  # angle along the arm
    r = t / (3 * np.pi) * 3
    angle = t + np.pi * y  # the second arm is the first turned by half a turn
    X = np.c_[r * np.cos(angle), r * np.sin(angle)]
    return X + rng.normal(scale=noise, size=X.shape), y


def _plane(rng, n, noise):
    X = rng.uniform(-3, 3, size=(n, 2))
    return X, (X[:, 0] + 0.5 * X[:, 1]) / 3 + rng.normal(scale=noise, size=n)


def _gaussian_bumps(rng, n, noise):
    X = rng.uniform(-3, 3, size=(n, 2))
    bump = lambda c, s: s * np.exp(-np.sum((X - c) ** 2, axis=1) / 1.5)  # noqa: E731
    y = bump(np.array([1.5, 1.5]), 1) + bump(np.array([-1.5, -1.5]), -1)
    return X, y + rng.normal(scale=noise, size=n)


CLASSIFICATION = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral}
REGRESSION = {"plane": _plane, "gaussian": _gaussian_bumps}


def make_dataset(name, n=200, noise=0.0, seed=0):
    """(X (n, 2), y (n,)) of the toy set ``name``; the same seed gives the same points."""
    generators = {**CLASSIFICATION, **REGRESSION}
    check_choice(name, "dataset", generators)
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    return generators[name](np.random.default_rng(seed), int(n), float(noise))
