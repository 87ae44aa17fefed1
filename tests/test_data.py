"""Toy datasets, splits, standardisation and mini-batches."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from companion.data import shipped
from companion.data.splits import Standardizer, batches, train_val_test_split
from companion.data.toy import CLASSIFICATION, REGRESSION, make_dataset


@pytest.mark.parametrize("name", list(CLASSIFICATION) + list(REGRESSION))
def test_toy_sets_are_seeded_and_shaped(name):
    X, y = make_dataset(name, n=101, noise=0.1, seed=3)
    X2, y2 = make_dataset(name, n=101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make_dataset(name, n=101, noise=0.1, seed=4)[0])
    if name in CLASSIFICATION:
        assert set(np.unique(y)) == {0, 1} and 30 < y.sum() < 71
    assert np.abs(X).max() < 5


def test_xor_labels_follow_the_quadrants():
    X, y = make_dataset("xor", n=400, noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))


def test_toy_errors():
    with pytest.raises(ValueError, match="unknown dataset 'moons'"):
        make_dataset("moons")
    with pytest.raises(ValueError, match="noise must be non-negative"):
        make_dataset("xor", noise=-1)


def test_split_sizes_and_disjointness():
    X, y = np.arange(100)[:, None], np.arange(100) % 2
    split = train_val_test_split(X, y, val=0.2, test=0.1, seed=0)
    sizes = [len(part[1]) for part in (split.train, split.val, split.test)]
    assert sizes == [70, 20, 10]
    ids = np.concatenate([split.train[0][:, 0], split.val[0][:, 0], split.test[0][:, 0]])
    assert sorted(ids.tolist()) == list(range(100))


def test_stratified_split_keeps_class_proportions():
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    split = train_val_test_split(np.zeros((100, 1)), y, val=0.2, test=0.2, stratify=True, seed=1)
    assert [int(part[1].sum()) for part in (split.train, split.val, split.test)] == [6, 2, 2]


def test_split_errors():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        train_val_test_split(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="val \\+ test < 1"):
        train_val_test_split(np.zeros((3, 1)), np.zeros(3), val=0.5, test=0.5)


def test_standardizer_matches_sklearn_and_uses_training_statistics():
    rng = np.random.default_rng(0)
    train, test = rng.normal(3, 2, size=(50, 4)), rng.normal(3, 2, size=(10, 4))
    train[:, 2] = 7.0  # a constant column
    ours = Standardizer().fit(train)
    theirs = StandardScaler().fit(train)
    np.testing.assert_allclose(ours.transform(test), theirs.transform(test))
    assert np.all(ours.transform(train)[:, 2] == 0)
    with pytest.raises(RuntimeError, match="call fit"):
        Standardizer().transform(test)


def test_batches_cover_the_epoch_with_a_partial_last_batch():
    X, y = np.arange(10)[:, None], np.arange(10)
    got = list(batches(X, y, 4, rng=np.random.default_rng(0)))
    assert [len(b[1]) for b in got] == [4, 4, 2]
    assert sorted(np.concatenate([b[1] for b in got]).tolist()) == list(range(10))
    assert [len(b[1]) for b in batches(X, y, 4, drop_last=True)] == [4, 4]
    assert np.concatenate([b[1] for b in batches(X, y, 3, shuffle=False)]).tolist() == list(range(10))
    again = list(batches(X, y, 4, rng=np.random.default_rng(0)))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(got, again))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        next(batches(X, y, 0))


def test_shipped_digits_equal_scikit_learns():
    # read from scikit-learn's data file without importing it: the same arrays as its loader gives
    from sklearn.datasets import load_digits

    X, y = shipped.load_digits()
    reference = load_digits()
    np.testing.assert_array_equal(X, reference.data / 16.0)
    np.testing.assert_array_equal(y, reference.target)
    assert X.dtype == np.float64 and np.issubdtype(y.dtype, np.integer)


def test_shipped_sets_load_offline():
    X, y = shipped.load_digits()
    assert X.shape == (1797, 64) and X.max() == 1.0 and set(np.unique(y)) == set(range(10))
    X, y = shipped.load_breast_cancer()
    assert X.shape == (569, 30) and set(np.unique(y)) == {0, 1}
    assert len(shipped.feature_names("breast_cancer")) == 30
