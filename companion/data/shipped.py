"""Real datasets that ship inside scikit-learn, so the book trains on them offline."""

import numpy as np


def load_digits():
    """8x8 images of handwritten digits: X (1797, 64) scaled to [0, 1], y (1797,) in 0..9."""
    from sklearn.datasets import load_digits as sk_load

    data = sk_load()
    return data.data.astype(float) / 16.0, data.target.astype(int)


def load_breast_cancer():
    """Breast-cancer diagnosis: X (569, 30) measurements, y (569,) with 1 = benign, 0 = malignant."""
    from sklearn.datasets import load_breast_cancer as sk_load

    data = sk_load()
    return data.data.astype(float), data.target.astype(int)


def feature_names(name):
    """The column names of a shipped dataset ("breast_cancer")."""
    from sklearn import datasets

    if name != "breast_cancer":
        raise ValueError(f"no feature names for {name!r}; known: 'breast_cancer'")
    return list(np.asarray(datasets.load_breast_cancer().feature_names))


def load_diabetes():
    """Diabetes progression: X (442, 10) standardised measurements, y (442,) disease progression after a year."""
    from sklearn.datasets import load_diabetes as sk_load

    data = sk_load()
    return data.data.astype(float), data.target.astype(float)
