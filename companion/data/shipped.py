"""Real datasets that ship inside scikit-learn, so the book trains on them offline."""

import importlib.util
import os

import numpy as np


def _sklearn_data_file(name):
    """The path of one of scikit-learn's bundled data files, found without importing scikit-learn
    (which takes about 2 s, a large share of a chapter's budget), or None where it is not there."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "datasets", "data", name)
        if os.path.isfile(path):
            return path
    return None


def load_digits():
    """8x8 images of handwritten digits: X (1797, 64) scaled to [0, 1], y (1797,) in 0..9.

    Read from scikit-learn's copy of the data (digits.csv.gz: 64 pixel columns in 0..16, then the
    label), the file that ``sklearn.datasets.load_digits`` reads, without importing scikit-learn.
    """
    path = _sklearn_data_file("digits.csv.gz")
    if path is None:  # a scikit-learn that keeps its data elsewhere: ask it
        from sklearn.datasets import load_digits as sk_load

        data = sk_load()
        return data.data.astype(float) / 16.0, data.target.astype(int)
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1] / 16.0, table[:, -1].astype(int)


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
