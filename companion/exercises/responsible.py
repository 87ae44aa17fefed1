"""Exercises of the page *Responsible models: bias and explanations*: the selection-rate gap between groups,
Kamiran & Calders's reweighing weights, the completeness gap of an attribution, and occlusion on a linear model.

The references are written here from the formulas (exercises use floors 1-2 only); tests/test_fairness.py and
tests/test_explain.py hold companion.fairness and companion.explain to fairlearn and captum."""

import numpy as np

from companion.exercises.core import Exercise, register


def selection_rate_difference_reference(y_pred, groups):
    """max_g - min_g of the fraction of group g's rows predicted 1: y_pred (N,) in {0, 1}, groups (N,)."""
    rates = [np.mean(y_pred[groups == g]) for g in np.unique(groups)]
    return float(max(rates) - min(rates))


def _decision_cases(rng):
    yield np.array([1, 0, 1, 1, 0, 0]), np.array([0, 0, 0, 1, 1, 1])
    yield np.array([1, 1, 0, 0, 0, 1, 0]), np.array([0, 1, 1, 1, 1, 1, 1])      # groups of unequal size
    for _ in range(20):
        n, k = int(rng.integers(6, 40)), int(rng.integers(2, 5))
        groups = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])       # every group present
        rng.shuffle(groups)
        yield (rng.random(n) < rng.uniform(0.2, 0.8, k)[groups]).astype(int), groups


register(Exercise(
    id="responsible.selection_rate_difference",
    prompt="Write selection_rate_difference(y_pred, groups): y_pred (N,) holds a classifier's decisions in {0, 1} "
           "and groups (N,) each row's group label (two or more groups, of any sizes). A group's selection rate is "
           "the fraction of ITS rows with y_pred = 1. Return the largest selection rate minus the smallest, over "
           "the groups, as a float (fairlearn's demographic_parity_difference).",
    reference=selection_rate_difference_reference, cases=_decision_cases, arg_names=("y_pred", "groups"),
))


def reweighing_weights_reference(groups, y):
    """w_i = P(g_i) P(y_i) / P(g_i, y_i), the probabilities the sample's frequencies: (N,)."""
    p_g = np.array([np.mean(groups == g) for g in groups])
    p_y = np.array([np.mean(y == v) for v in y])
    p_gy = np.array([np.mean((groups == g) & (y == v)) for g, v in zip(groups, y)])
    return p_g * p_y / p_gy


def _reweighing_cases(rng):
    for y_pred, groups in _decision_cases(rng):
        yield groups, y_pred


register(Exercise(
    id="responsible.reweighing_weights",
    prompt="Write reweighing_weights(groups, y): groups (N,) and labels y (N,) in {0, 1}. Return the (N,) weights "
           "of Kamiran & Calders's reweighing, w_i = P(g_i) P(y_i) / P(g_i, y_i), where each probability is a "
           "frequency in the sample: P(g) the fraction of rows in group g, P(y) the fraction with label y, "
           "P(g, y) the fraction with both. A (group, label) cell that is rarer than independence would make it "
           "gets a weight above 1.",
    reference=reweighing_weights_reference, cases=_reweighing_cases, arg_names=("groups", "y"),
))


def completeness_gap_reference(attributions, f_x, f_baseline):
    """sum_i a_i - (f(x) - f(x')) per example: attributions (N, F), f_x (N,), f_baseline (N,) -> (N,)."""
    return attributions.sum(axis=1) - (f_x - f_baseline)


def _completeness_cases(rng):
    yield np.array([[0.5, 0.25, -0.25]]), np.array([1.0]), np.array([0.5])
    for _ in range(20):
        n, f = int(rng.integers(1, 6)), int(rng.integers(1, 10))
        yield rng.normal(size=(n, f)), rng.normal(size=n), rng.normal(size=n)


register(Exercise(
    id="responsible.completeness_gap",
    prompt="Write completeness_gap(attributions, f_x, f_baseline): attributions (N, F) are one attribution per "
           "feature for each of N examples, f_x (N,) the model's score at each example and f_baseline (N,) its "
           "score at that example's baseline. Completeness says the attributions of an example add up to "
           "f(x) - f(baseline). Return, per example, (sum of its attributions) - (f(x) - f(baseline)): (N,), "
           "zero where completeness holds (captum's 'convergence delta').",
    reference=completeness_gap_reference, cases=_completeness_cases, arg_names=("attributions", "f_x", "f_baseline"),
))


def occlusion_drop_reference(w, b, x, start, width, baseline):
    """f(x) - f(x with x[start:start + width] set to ``baseline``) for f(x) = w . x + b: a float."""
    occluded = x.copy()
    occluded[start:start + width] = baseline
    return float(w @ x + b - (w @ occluded + b))


def _occlusion_cases(rng):
    yield np.array([1.0, -2.0, 0.5]), 0.3, np.array([2.0, 1.0, 4.0]), 1, 2, 0.0
    yield np.array([1.0, -2.0, 0.5]), 0.3, np.array([2.0, 1.0, 4.0]), 0, 2, 1.0     # a baseline that is not 0
    for _ in range(20):
        f = int(rng.integers(2, 12))
        width = int(rng.integers(1, f + 1))
        yield (rng.normal(size=f), float(rng.normal()), rng.normal(size=f), int(rng.integers(0, f - width + 1)),
               width, float(rng.normal()))


register(Exercise(
    id="responsible.occlusion_drop",
    prompt="Write occlusion_drop(w, b, x, start, width, baseline) for the linear model f(x) = w . x + b (w and x "
           "(F,), b a number): occlusion sets the window x[start:start + width] to the value baseline (a number, "
           "not always 0) and records how much the score drops. Return f(x) - f(x occluded) as a float.",
    reference=occlusion_drop_reference, cases=_occlusion_cases,
    arg_names=("w", "b", "x", "start", "width", "baseline"),
))
