"""Evaluation metrics in NumPy (chapter: Training and evaluation). scikit-learn is the referee in the tests.

Classification metrics take integer labels; ``positive`` names the positive class for the binary ones,
and ``average="macro"`` averages the per-class values. Where a ratio has a zero denominator (no
predicted positives for precision, no actual positives for recall) the value is 0, as scikit-learn's
``zero_division=0`` gives.
"""

import numpy as np

from companion._validate import check_choice, check_same_shape


def _labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    check_same_shape(y_true, y_pred, "y_true", "y_pred")
    if y_true.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y_true.shape}")
    if y_true.size == 0:
        raise ValueError("no samples: y_true and y_pred are empty")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Fraction of predictions equal to the truth."""
    y_true, y_pred = _labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, labels=None):
    """C[i, j] = number of samples of class labels[i] predicted as labels[j] (labels sorted by default)."""
    y_true, y_pred = _labels(y_true, y_pred)
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else np.asarray(labels)
    index = {label: i for i, label in enumerate(labels.tolist())}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true.tolist(), y_pred.tolist()):
        if t in index and p in index:
            matrix[index[t], index[p]] += 1
    return matrix


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros(np.shape(num), dtype=float), where=np.asarray(den) != 0)


def _per_class(y_true, y_pred):
    """(true positives, predicted positives, actual positives) per class, classes sorted."""
    matrix = confusion_matrix(y_true, y_pred)
    return np.diag(matrix), matrix.sum(axis=0), matrix.sum(axis=1)


def _binary_counts(y_true, y_pred, positive):
    t, p = y_true == positive, y_pred == positive
    return np.sum(t & p), np.sum(p), np.sum(t)


def _score(kind, y_true, y_pred, average, positive):
    y_true, y_pred = _labels(y_true, y_pred)
    check_choice(average, "average", ("binary", "macro"))
    tp, predicted, actual = (_binary_counts(y_true, y_pred, positive) if average == "binary"
                             else _per_class(y_true, y_pred))
    precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
    value = {"precision": precision, "recall": recall,
             "f1": _ratio(2 * tp, predicted + actual)}[kind]  # F1 = 2PR/(P+R) = 2TP/(pred + actual)
    return float(np.mean(value))


def precision(y_true, y_pred, average="binary", positive=1):
    """TP / (TP + FP): of the samples predicted positive, the fraction that are."""
    return _score("precision", y_true, y_pred, average, positive)


def recall(y_true, y_pred, average="binary", positive=1):
    """TP / (TP + FN): of the positive samples, the fraction found."""
    return _score("recall", y_true, y_pred, average, positive)


def f1(y_true, y_pred, average="binary", positive=1):
    """The harmonic mean of precision and recall, 2 P R / (P + R)."""
    return _score("f1", y_true, y_pred, average, positive)


def roc_curve(y_true, scores, positive=1):
    """False- and true-positive rates as the threshold falls through every distinct score.

    Returns (fpr, tpr, thresholds), the first threshold +inf (nothing predicted positive). Tied scores
    form one step. Needs both classes present in y_true.
    """
    y_true, scores = _labels(y_true, scores)
    is_pos = (y_true == positive).astype(float)
    n_pos, n_neg = is_pos.sum(), (1 - is_pos).sum()
    if n_pos == 0 or n_neg == 0:
        raise ValueError("the ROC curve needs both classes in y_true; only one is present")
    order = np.argsort(-scores, kind="mergesort")
    scores, is_pos = scores[order], is_pos[order]
    last_of_tie = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tps, fps = np.cumsum(is_pos)[last_of_tie], np.cumsum(1 - is_pos)[last_of_tie]
    fpr = np.r_[0.0, fps / n_neg]
    tpr = np.r_[0.0, tps / n_pos]
    return fpr, tpr, np.r_[np.inf, scores[last_of_tie]]


def auc(x, y):
    """Area under a curve through the points (x, y), by the trapezoidal rule; x must be monotonic."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dx = np.diff(x)
    if not (np.all(dx >= 0) or np.all(dx <= 0)):
        raise ValueError("x must be monotonic (increasing or decreasing)")
    return float(abs(np.sum(dx * (y[1:] + y[:-1]) / 2)))


def roc_auc(y_true, scores, positive=1):
    """Area under the ROC curve: the probability that a random positive outscores a random negative."""
    fpr, tpr, _ = roc_curve(y_true, scores, positive)
    return auc(fpr, tpr)


def threshold_for_recall(y_true, scores, target=0.95, positive=1):
    """The highest threshold t whose predictions ``scores >= t`` reach a recall of at least ``target``.

    Raising a threshold can only lose positives, so this is the strictest rule that still finds the
    required share of them: with P positives it is the m-th highest positive score, m the smallest
    count with m / P >= target; any lower threshold flags at least as many negatives. Choose it on
    validation data and apply it unchanged to the test set.
    """
    y_true, scores = _labels(y_true, scores)
    if not 0 < target <= 1:
        raise ValueError(f"target recall must lie in (0, 1], got {target}")
    positive_scores = np.sort(np.asarray(scores, dtype=float)[y_true == positive])[::-1]
    if positive_scores.size == 0:
        raise ValueError(f"y_true holds no positive samples (positive={positive!r}), so recall is undefined")
    reached = np.arange(1, positive_scores.size + 1) / positive_scores.size  # recall with the top m found
    return float(positive_scores[np.argmax(reached >= target)])


def _regression(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    check_same_shape(y_true, y_pred, "y_true", "y_pred")
    if y_true.size == 0:
        raise ValueError("no samples: y_true and y_pred are empty")
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """mean((y - y_hat)^2)."""
    y_true, y_pred = _regression(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mean_absolute_error(y_true, y_pred):
    """mean(|y - y_hat|)."""
    y_true, y_pred = _regression(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def r2(y_true, y_pred):
    """1 - sum((y - y_hat)^2) / sum((y - mean y)^2): the share of the variance explained.

    A constant y_true has no variance to explain: R^2 is then 1 for a perfect prediction, else 0
    (scikit-learn's convention).
    """
    y_true, y_pred = _regression(y_true, y_pred)
    residual = np.sum((y_true - y_pred) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return float(1 - residual / total)
