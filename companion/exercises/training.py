"""Exercises of the chapter *Training and evaluation*."""

import numpy as np

from companion import metrics
from companion.exercises.core import Exercise, register


def _binary_cases(rng):
    yield np.array([0, 0, 1, 1]), np.array([0, 0, 0, 0])  # nothing predicted positive
    yield np.array([0, 0, 0]), np.array([1, 0, 1])  # no positives at all
    for _ in range(24):
        n = int(rng.integers(1, 20))
        yield rng.integers(0, 2, size=n), rng.integers(0, 2, size=n)


register(Exercise(
    id="training.precision",
    prompt="Write precision(y_true, y_pred) for 0/1 labels: TP / (TP + FP), and 0 when nothing is "
           "predicted positive.",
    reference=metrics.precision, cases=_binary_cases, arg_names=("y_true", "y_pred"),
))

register(Exercise(
    id="training.recall",
    prompt="Write recall(y_true, y_pred) for 0/1 labels: TP / (TP + FN), and 0 when there are no positives.",
    reference=metrics.recall, cases=_binary_cases, arg_names=("y_true", "y_pred"),
))


def _multiclass_cases(rng):
    for _ in range(25):
        n, k = int(rng.integers(1, 30)), int(rng.integers(2, 5))
        yield rng.integers(0, k, size=n), rng.integers(0, k, size=n), k


register(Exercise(
    id="training.confusion_matrix",
    prompt="Write confusion_matrix(y_true, y_pred, n_classes) returning an (n_classes, n_classes) array whose "
           "entry [i, j] counts the samples of class i predicted as class j.",
    reference=lambda t, p, k: metrics.confusion_matrix(t, p, labels=np.arange(k)),
    cases=_multiclass_cases, arg_names=("y_true", "y_pred", "n_classes"),
))


def _threshold_cases(rng):
    yield np.array([0, 1, 1, 0, 1]), np.array([0.9, 0.8, 0.4, 0.3, 0.1]), 1.0  # every positive: the lowest
    yield np.array([1, 1, 0, 1]), np.array([0.5, 0.5, 0.9, 0.2]), 0.5  # a tie among the positives
    for _ in range(24):
        n = int(rng.integers(2, 25))
        y = rng.integers(0, 2, size=n)
        y[rng.integers(n)] = 1  # at least one positive
        yield y, rng.choice([0.1, 0.3, 0.5, 0.7, 0.9], size=n), float(rng.choice([0.5, 0.8, 0.9, 0.95, 1.0]))


register(Exercise(
    id="training.threshold_for_recall",
    prompt="Write threshold_for_recall(y_true, scores, target) for 0/1 labels: the highest threshold t, among "
           "the scores, such that predicting 1 for every score >= t finds at least the fraction target of the "
           "positive samples (a recall >= target).",
    reference=metrics.threshold_for_recall, cases=_threshold_cases, arg_names=("y_true", "scores", "target"),
))
