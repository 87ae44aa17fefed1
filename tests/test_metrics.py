"""Every metric equals scikit-learn's on random and edge-case inputs."""

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import metrics

pytestmark = pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_classification_metrics_match_sklearn(data):
    n = data.draw(st.integers(1, 40))
    k = data.draw(st.integers(2, 4))
    y_true = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    y_pred = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred, labels=np.unique(np.r_[y_true, y_pred])))
    for ours, theirs in ((metrics.precision, skm.precision_score), (metrics.recall, skm.recall_score),
                         (metrics.f1, skm.f1_score)):
        assert ours(y_true, y_pred, average="macro") == pytest.approx(
            theirs(y_true, y_pred, average="macro", zero_division=0))
        yt, yp = (y_true == 1).astype(int), (y_pred == 1).astype(int)
        assert ours(yt, yp) == pytest.approx(theirs(yt, yp, zero_division=0))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_roc_and_auc_match_sklearn_including_ties(data):
    n = data.draw(st.integers(2, 40))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if len(np.unique(y)) < 2:
        y[0], y[1] = 0, 1
    # scores drawn from a few values, so ties are common
    scores = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.2, 0.5, 0.5, 0.7, 0.9]), min_size=n, max_size=n)))
    fpr, tpr, thresholds = metrics.roc_curve(y, scores)
    s_fpr, s_tpr, s_thr = skm.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, s_fpr)
    np.testing.assert_allclose(tpr, s_tpr)
    np.testing.assert_allclose(thresholds[1:], s_thr[1:])
    assert metrics.roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores))
    assert metrics.auc(fpr, tpr) == pytest.approx(skm.auc(s_fpr, s_tpr))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(2, 30))
def test_regression_metrics_match_sklearn(seed, n):
    rng = np.random.default_rng(seed)
    y, y_hat = rng.normal(size=n), rng.normal(size=n)
    assert metrics.mean_squared_error(y, y_hat) == pytest.approx(skm.mean_squared_error(y, y_hat))
    assert metrics.mean_absolute_error(y, y_hat) == pytest.approx(skm.mean_absolute_error(y, y_hat))
    assert metrics.r2(y, y_hat) == pytest.approx(skm.r2_score(y, y_hat))


def test_edge_cases_agree_with_sklearn():
    ones = np.ones(5, dtype=int)
    assert metrics.precision(ones, ones) == skm.precision_score(ones, ones) == 1.0
    zeros = np.zeros(5, dtype=int)
    assert metrics.precision(zeros, zeros) == skm.precision_score(zeros, zeros, zero_division=0) == 0.0
    assert metrics.recall(zeros, zeros) == skm.recall_score(zeros, zeros, zero_division=0)
    assert metrics.r2(np.ones(4), np.ones(4)) == skm.r2_score(np.ones(4), np.ones(4)) == 1.0
    assert metrics.r2(np.ones(4), np.zeros(4)) == skm.r2_score(np.ones(4), np.zeros(4)) == 0.0
    assert metrics.confusion_matrix([2, 2], [2, 2]).tolist() == skm.confusion_matrix([2, 2], [2, 2]).tolist()


def test_clear_errors():
    with pytest.raises(ValueError, match="only one is present"):
        metrics.roc_curve(np.ones(4), np.arange(4.0))
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same shape, got \(3,\) and \(2,\)"):
        metrics.accuracy([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="no samples"):
        metrics.accuracy([], [])
    with pytest.raises(ValueError, match="unknown average 'micro'"):
        metrics.f1([1], [1], average="micro")
    with pytest.raises(ValueError, match="x must be monotonic"):
        metrics.auc([0, 1, 0.5], [0, 1, 1])


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_threshold_for_recall_is_the_highest_that_reaches_the_target(data):
    n = data.draw(st.integers(2, 40))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    y[0] = 1
    scores = np.array(data.draw(st.lists(st.sampled_from([0.05, 0.2, 0.5, 0.5, 0.7, 0.9, 0.95]), min_size=n,
                                         max_size=n)))  # few values, so ties are common
    target = data.draw(st.sampled_from([0.1, 0.5, 0.8, 0.9, 0.95, 1.0]))
    t = metrics.threshold_for_recall(y, scores, target)
    assert skm.recall_score(y, scores >= t) >= target  # reaches the target ...
    for higher in scores[scores > t]:  # ... and no higher candidate does
        assert skm.recall_score(y, scores >= higher) < target
    # Referee: the largest of scikit-learn's precision-recall thresholds whose recall reaches the target.
    _, recall, thresholds = skm.precision_recall_curve(y, scores)
    assert t == thresholds[recall[:-1] >= target].max()


def test_threshold_for_recall_edge_cases_and_errors():
    y, scores = np.array([0, 1, 1, 0, 1]), np.array([0.9, 0.8, 0.4, 0.3, 0.1])
    assert metrics.threshold_for_recall(y, scores, 1.0) == 0.1  # every positive: down to the lowest one
    assert metrics.threshold_for_recall(y, scores, 0.6) == 0.4  # two of three
    assert metrics.threshold_for_recall(y, scores, 1 / 3) == 0.8  # one of three, despite 1/3 in floats
    assert metrics.threshold_for_recall(1 - y, 1 - scores, 0.5, positive=1) == 0.7
    assert metrics.threshold_for_recall(y + 1, scores, 0.6, positive=2) == 0.4
    with pytest.raises(ValueError, match=r"target recall must lie in \(0, 1\], got 0"):
        metrics.threshold_for_recall(y, scores, 0)
    with pytest.raises(ValueError, match=r"target recall must lie in \(0, 1\], got 1.5"):
        metrics.threshold_for_recall(y, scores, 1.5)
    with pytest.raises(ValueError, match="no positive samples"):
        metrics.threshold_for_recall(np.zeros(3, int), np.ones(3), 0.9)
    with pytest.raises(ValueError, match="same shape"):
        metrics.threshold_for_recall(y, scores[:3], 0.9)
