"""k-fold cross-validation: the folds' properties, and scikit-learn's KFold / StratifiedKFold as referee."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold, StratifiedKFold

from companion.data.splits import cross_validate, epoch_order, kfold


def labels(data, n_min=2):
    """Labels 7, 2 (and 5) in a drawn order, each class with at least n_min members."""
    classes = data.draw(st.sampled_from([[7, 2], [7, 2, 5]]))
    y = np.repeat(classes, [data.draw(st.integers(n_min, 20)) for _ in classes])
    return y[data.draw(st.permutations(range(len(y))))]


def assert_partition(folds, n, k):
    """Disjoint, covering validation folds; each training part is exactly the rest; indices sorted."""
    assert len(folds) == k
    held_out = np.concatenate([val for _, val in folds])
    assert sorted(held_out.tolist()) == list(range(n))  # every sample held out exactly once
    for train, val in folds:
        assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == n
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_plain_folds_are_sklearns_kfold(data):
    y = labels(data, n_min=1)
    k = data.draw(st.integers(2, min(8, len(y))))
    ours = kfold(y, k, shuffle=False)
    assert_partition(ours, len(y), k)
    for (train, val), (s_train, s_val) in zip(ours, KFold(k).split(np.zeros(len(y)))):
        np.testing.assert_array_equal(train, s_train)
        np.testing.assert_array_equal(val, s_val)
    shuffled = kfold(y, k, seed=data.draw(st.integers(0, 99)))
    assert_partition(shuffled, len(y), k)
    assert [len(v) for _, v in shuffled] == [len(v) for _, v in ours]  # the same sizes, n // k or one more


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_stratified_folds_are_sklearns_stratified_kfold(data):
    y = labels(data)
    counts = np.unique(y, return_counts=True)[1]
    k = data.draw(st.integers(2, int(min(6, counts.min()))))
    splitter = StratifiedKFold(k)
    ours = kfold(y, k, stratify=True, shuffle=False)
    assert_partition(ours, len(y), k)
    for (train, val), (s_train, s_val) in zip(ours, splitter.split(np.zeros(len(y)), y)):
        np.testing.assert_array_equal(val, s_val)
        np.testing.assert_array_equal(train, s_train)
    # Shuffled: other members, but every fold still holds sklearn's count of every class.
    shuffled = kfold(y, k, stratify=True, seed=data.draw(st.integers(0, 99)))
    assert_partition(shuffled, len(y), k)
    for (_, val), (_, s_val) in zip(shuffled, splitter.split(np.zeros(len(y)), y)):
        for c in np.unique(y):
            assert np.sum(y[val] == c) == np.sum(y[s_val] == c)


def test_stratification_keeps_the_proportions_and_the_seed_repeats():
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    folds = kfold(y, 5, stratify=True, seed=3)
    assert [int(y[val].sum()) for _, val in folds] == [2] * 5
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, kfold(y, 5, stratify=True, seed=3)))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, kfold(y, 5, stratify=True, seed=4)))


def test_a_class_smaller_than_k_warns_as_sklearn_does():
    y = np.r_[np.zeros(10, int), np.ones(2, int)]
    with pytest.warns(UserWarning, match="least populated class has only 2 members, fewer than k=3"):
        folds = kfold(y, 3, stratify=True)
    assert_partition(folds, 12, 3)
    with pytest.raises(ValueError, match="k=5 cannot be greater than the number of members in each class"):
        kfold(np.r_[np.zeros(4, int), np.ones(3, int)], 5, stratify=True)


def test_cross_validate_scores_each_held_out_fold_once():
    X = np.arange(20.0)[:, None]
    y = np.arange(20) % 2
    seen = []

    def train_and_score(X_train, y_train, X_val, y_val):
        assert np.intersect1d(X_train[:, 0], X_val[:, 0]).size == 0  # nothing held out is trained on
        seen.append(X_val[:, 0])
        return float(y_val.mean())

    scores = cross_validate(train_and_score, X, y, k=5, stratify=True, seed=1)
    assert scores.shape == (5,) and np.allclose(scores, 0.5)  # stratified: half of each fold is class 1
    assert sorted(np.concatenate(seen).tolist()) == list(range(20))


def test_epoch_order():
    assert epoch_order(4, shuffle=False).tolist() == [0, 1, 2, 3]
    rng, again = np.random.default_rng(5), np.random.default_rng(5)
    first, second = epoch_order(9, rng=rng), epoch_order(9, rng=rng)
    assert sorted(first.tolist()) == list(range(9)) and not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again.permutation(9))


def test_bad_arguments():
    with pytest.raises(ValueError, match="k must be an integer of at least 2, got 1"):
        kfold(np.zeros(5), 1)
    with pytest.raises(ValueError, match="k must be an integer of at least 2, got True"):
        kfold(np.zeros(5), True)
    with pytest.raises(ValueError, match="k=6 folds need at least 6 samples, got 5"):
        kfold(np.zeros(5), 6)
    with pytest.raises(ValueError, match=r"y must be 1-D \(one label per sample\), got shape \(5, 1\)"):
        kfold(np.zeros((5, 1)), 2)
    with pytest.raises(ValueError, match="X has 3 samples but y has 4"):
        cross_validate(lambda *a: 0.0, np.zeros((3, 1)), np.zeros(4), k=2)
