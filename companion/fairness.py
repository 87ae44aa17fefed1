"""Per-group metrics of a binary classifier, the gaps between groups, and two mitigations.

NumPy only (floor 2: uses ``companion.np``). The referee is fairlearn 0.15 (``MetricFrame`` and
``fairlearn.metrics``); ``groups`` plays the part of fairlearn's ``sensitive_features``.

For each group g (and for all rows together, "overall"), with optional sample weights w:

    accuracy            = sum w [y = y_hat] / sum w
    selection_rate      = sum w [y_hat = 1] / sum w
    true_positive_rate  = sum w [y = 1, y_hat = 1] / sum w [y = 1]     (0 when the group has no positives)
    false_negative_rate = sum w [y = 1, y_hat = 0] / sum w [y = 1]     (0 when the group has no positives)
    false_positive_rate = sum w [y = 0, y_hat = 1] / sum w [y = 0]     (0 when the group has no negatives)
    count               = number of rows (unweighted, as fairlearn's ``count``)

The 0 for an empty denominator is what fairlearn returns: it reads the rates off
``sklearn.metrics.confusion_matrix(normalize="true")``, which turns 0/0 into 0.

Gaps, as ``MetricFrame.difference()`` / ``.ratio()``: method "between_groups" gives max - min and
min / max over the groups (0/0 is NaN); "to_overall" gives max |group - overall| and the smallest
group/overall ratio, each ratio taken as r or 1/r, whichever is at most 1.
"""

from dataclasses import dataclass

import numpy as np

from companion._validate import check_choice
from companion.np.activations import sigmoid
from companion.np.optim import adam

METRICS = ("count", "accuracy", "selection_rate", "true_positive_rate", "false_positive_rate",
           "false_negative_rate")
METHODS = ("between_groups", "to_overall")
_SHORT = {"count": "count", "accuracy": "accuracy", "selection_rate": "selection", "true_positive_rate": "TPR",
          "false_positive_rate": "FPR", "false_negative_rate": "FNR"}


def _binary(a, name):
    a = np.asarray(a)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    values = set(np.unique(a).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"{name} must hold binary labels 0/1, got values {sorted(values, key=str)[:5]}")
    return a.astype(np.int64)


def _check_inputs(y_true, y_pred, groups, sample_weight=None):
    """Validated (y_true, y_pred, groups, w): 1-D, equal lengths, labels 0/1, two or more groups."""
    y_true, y_pred = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise ValueError(f"groups must be 1-D (one group label per row), got shape {groups.shape}")
    lengths = {"y_true": len(y_true), "y_pred": len(y_pred), "groups": len(groups)}
    w = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if sample_weight is not None:
        lengths["sample_weight"] = len(w) if w.ndim == 1 else -1
    if len(set(lengths.values())) != 1:
        raise ValueError(f"lengths differ (sample_weight must be 1-D): {lengths}")
    if len(y_true) == 0:
        raise ValueError("no rows: y_true is empty")
    if len(np.unique(groups)) < 2:
        raise ValueError(f"need at least two groups to compare, got only {np.unique(groups).tolist()}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    return y_true, y_pred, groups, w


def binary_rates(y_true, y_pred, w):
    """The metrics of one set of rows: a dict name -> float (see the module docstring).

    y_true, y_pred: (N,) in {0, 1}; w: (N,) non-negative weights with a positive sum.
    """
    total = w.sum()
    if total <= 0:
        raise ValueError("the sample weights of a group sum to 0: its rates are undefined")
    pos, neg = w[y_true == 1].sum(), w[y_true == 0].sum()
    tp = w[(y_true == 1) & (y_pred == 1)].sum()
    fp = w[(y_true == 0) & (y_pred == 1)].sum()
    tpr = tp / pos if pos > 0 else 0.0  # fairlearn (via confusion_matrix) returns 0 for 0/0
    return {"count": len(y_true), "accuracy": w[y_true == y_pred].sum() / total,
            "selection_rate": w[y_pred == 1].sum() / total, "true_positive_rate": tpr,
            "false_positive_rate": fp / neg if neg > 0 else 0.0,
            "false_negative_rate": (pos - tp) / pos if pos > 0 else 0.0}


def _ratio_at_most_one(r):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 1, 1 / r, r)


@dataclass
class GroupTable:
    """Per-group metrics: ``groups`` (G,) sorted; ``by_group[name]`` (G,); ``overall[name]`` float."""

    groups: np.ndarray
    by_group: dict
    overall: dict

    def difference(self, method="between_groups"):
        """name -> the gap, as ``MetricFrame.difference(method=...)``."""
        check_choice(method, "method", METHODS)
        if method == "between_groups":
            return {k: float(v.max() - v.min()) for k, v in self.by_group.items()}
        return {k: float(np.abs(v - self.overall[k]).max()) for k, v in self.by_group.items()}

    def ratio(self, method="between_groups"):
        """name -> the smallest ratio, as ``MetricFrame.ratio(method=...)`` (NaN for 0/0)."""
        check_choice(method, "method", METHODS)
        out = {}
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, v in self.by_group.items():
                if method == "between_groups":
                    out[k] = float(np.float64(v.min()) / v.max())
                else:
                    r = _ratio_at_most_one(v / np.float64(self.overall[k]))
                    out[k] = float(np.nanmin(r)) if np.any(~np.isnan(r)) else float("nan")
        return out

    def rows(self):
        """A list of (group, {name: value}) with "overall" last, for printing or a DataFrame."""
        rows = [(g, {k: v[i] for k, v in self.by_group.items()}) for i, g in enumerate(self.groups.tolist())]
        return rows + [("overall", dict(self.overall))]

    def to_frame(self):
        """A pandas DataFrame, one row per group and "overall" last (pandas imported only here)."""
        import pandas as pd

        groups, values = zip(*self.rows())
        return pd.DataFrame(list(values), index=pd.Index([str(g) for g in groups], name="group"))

    def __str__(self):
        head = f"{'group':>10} " + " ".join(f"{_SHORT[k]:>10}" for k in METRICS)
        lines = [head] + [f"{str(g):>10} {r['count']:>10d} " + " ".join(f"{r[k]:10.3f}" for k in METRICS[1:])
                          for g, r in self.rows()]
        return "\n".join(lines)


def group_metrics(y_true, y_pred, groups, sample_weight=None):
    """Per-group and overall metrics of binary predictions: a :class:`GroupTable`.

    y_true, y_pred: (N,) labels in {0, 1}; groups: (N,) any hashable labels (two or more distinct);
    sample_weight: (N,) non-negative or None. Equals fairlearn's ``MetricFrame`` with the metrics in
    :data:`METRICS` (``count``, ``accuracy_score``, ``selection_rate``, ``true_positive_rate``, …).
    """
    y_true, y_pred, groups, w = _check_inputs(y_true, y_pred, groups, sample_weight)
    names = np.unique(groups)
    per = [binary_rates(y_true[groups == g], y_pred[groups == g], w[groups == g]) for g in names]
    by_group = {k: np.array([p[k] for p in per]) for k in METRICS}
    return GroupTable(names, by_group, binary_rates(y_true, y_pred, w))


def demographic_parity_difference(y_true, y_pred, groups, sample_weight=None, method="between_groups"):
    """The selection-rate gap between groups, as ``fairlearn.metrics.demographic_parity_difference``."""
    return group_metrics(y_true, y_pred, groups, sample_weight).difference(method)["selection_rate"]


def demographic_parity_ratio(y_true, y_pred, groups, sample_weight=None, method="between_groups"):
    """The selection-rate ratio, as ``fairlearn.metrics.demographic_parity_ratio``."""
    return group_metrics(y_true, y_pred, groups, sample_weight).ratio(method)["selection_rate"]


def _odds(gaps, agg, worst):
    check_choice(agg, "agg", ("worst_case", "mean"))
    pair = [gaps["true_positive_rate"], gaps["false_positive_rate"]]
    return float(worst(pair)) if agg == "worst_case" else float(np.mean(pair))


def equalized_odds_difference(y_true, y_pred, groups, sample_weight=None, method="between_groups",
                              agg="worst_case"):
    """The larger (agg="worst_case") or the mean (agg="mean") of the TPR and FPR differences, as
    ``fairlearn.metrics.equalized_odds_difference`` (equalized odds: Hardt et al. 2016)."""
    return _odds(group_metrics(y_true, y_pred, groups, sample_weight).difference(method), agg, max)


def equalized_odds_ratio(y_true, y_pred, groups, sample_weight=None, method="between_groups",
                         agg="worst_case"):
    """The smaller (worst case) or the mean of the TPR and FPR ratios, as fairlearn's."""
    return _odds(group_metrics(y_true, y_pred, groups, sample_weight).ratio(method), agg, min)


# Mitigations -------------------------------------------------------------------------------------

def reweighing_weights(groups, y):
    """Kamiran & Calders's reweighing: w_i = P(g_i) P(y_i) / P(g_i, y_i), from the sample's frequencies.

    groups, y: (N,). Returns (N,) float64 weights, summing to N. Under them group and label are
    independent: the weighted P(g, y) equals P(g) P(y). A (group, label) cell must not be empty for
    the rows it weighs, which it never is (every row is in its own cell).
    """
    y = _binary(y, "y")
    groups = np.asarray(groups)
    if groups.shape != y.shape:
        raise ValueError(f"lengths differ: groups {groups.shape}, y {y.shape}")
    _, g_idx = np.unique(groups, return_inverse=True)
    if g_idx.max(initial=0) < 1:
        raise ValueError("need at least two groups to reweigh")
    n = len(y)
    n_g = np.bincount(g_idx)[g_idx]
    n_y = np.bincount(y)[y]
    n_gy = np.bincount(g_idx * 2 + y)[g_idx * 2 + y]
    return n_g * n_y / (n * n_gy)


def fit_logistic(X, y, sample_weight=None, epochs=300, lr=0.05):
    """Logistic regression p = sigmoid(X w^T + b) by full-batch Adam on the (weighted) mean BCE.

    X: (N, D); y: (N,) in {0, 1}; sample_weight: (N,) or None. Returns params {"weight": (1, D),
    "bias": (1,)} (PyTorch's Linear layout), starting from zeros, so the result is deterministic.
    """
    X, y = np.asarray(X, dtype=float), _binary(y, "y").astype(float)[:, None]
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[:, None]
    params = {"weight": np.zeros((1, X.shape[1])), "bias": np.zeros(1)}
    states = {"weight": None, "bias": None}
    for _ in range(epochs):
        p = sigmoid(X @ params["weight"].T + params["bias"])  # (N, 1)
        # d(mean of w * BCE)/dz = w (p - y) / N: BCE's 1/(p(1-p)) cancels sigmoid's p(1-p), and the
        # cancelled form stays finite when p saturates at 0 or 1
        dz = (p - y) * (1.0 if w is None else w) / len(y)
        grads = {"weight": dz.T @ X, "bias": dz.sum(axis=0)}
        for k in params:
            params[k], states[k] = adam(params[k], grads[k], states[k], lr=lr)
    return params


def predict_proba(params, X):
    """P(y = 1 | x) under :func:`fit_logistic`'s params: (N,)."""
    return sigmoid(np.asarray(X, dtype=float) @ params["weight"].T + params["bias"])[:, 0]


def group_thresholds(scores, groups, y_true=None, target="selection_rate", rate=None):
    """One threshold per group so that each group reaches the same rate: a dict group -> threshold.

    target "selection_rate": about ``rate`` of each group's rows get score >= threshold (demographic
    parity); "true_positive_rate": about ``rate`` of each group's positives do (equal opportunity,
    needs y_true). rate defaults to the overall rate at the single threshold 0.5. Each group selects
    its round(rate * n) highest scores (ties at the threshold are all selected).
    """
    check_choice(target, "target", ("selection_rate", "true_positive_rate"))
    scores, groups = np.asarray(scores, dtype=float), np.asarray(groups)
    if target == "true_positive_rate":
        if y_true is None:
            raise ValueError('target "true_positive_rate" needs y_true')
        y_true = _binary(y_true, "y_true")
    _check_inputs(np.zeros(len(scores), int) if y_true is None else y_true, (scores >= 0.5).astype(int), groups)
    mask = y_true == 1 if target == "true_positive_rate" else np.ones(len(scores), bool)
    if rate is None:
        rate = float(np.mean(scores[mask] >= 0.5))
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must lie in [0, 1], got {rate!r}")
    out = {}
    for g in np.unique(groups).tolist():
        ranked = np.sort(scores[(groups == g) & mask])[::-1]
        k = int(round(rate * len(ranked)))
        out[g] = ranked[k - 1] if k > 0 else np.inf
    return out


def apply_thresholds(scores, groups, thresholds):
    """y_hat_i = [score_i >= thresholds[group_i]]: (N,) int64."""
    scores, groups = np.asarray(scores, dtype=float), np.asarray(groups)
    missing = set(np.unique(groups).tolist()) - set(thresholds)
    if missing:
        raise ValueError(f"no threshold for group(s) {sorted(missing, key=str)}")
    cut = np.array([thresholds[g] for g in groups.tolist()])
    return (scores >= cut).astype(np.int64)


@dataclass
class MitigationReport:
    """Per-group tables before and after a mitigation, and what it cost in overall accuracy."""

    before: GroupTable
    after: GroupTable

    @property
    def accuracy_cost(self):
        """Overall accuracy before minus after (positive: the mitigation lost accuracy)."""
        return float(self.before.overall["accuracy"] - self.after.overall["accuracy"])

    def gaps(self):
        """{"before"|"after": {"demographic_parity": dp difference, "equalized_odds": eo difference}}."""
        out = {}
        for name, table in [("before", self.before), ("after", self.after)]:
            gap = table.difference()
            out[name] = {"demographic_parity": gap["selection_rate"],
                         "equalized_odds": max(gap["true_positive_rate"], gap["false_positive_rate"])}
        return out


def mitigate(train, test, method="reweighing", epochs=300, lr=0.05):
    """Train a logistic regression with and without a mitigation and compare on the test set.

    train, test: (X, y, groups) tuples. method: "reweighing" (train on :func:`reweighing_weights`) or
    "thresholds" (the same model, per-group thresholds equalizing selection rates, chosen on the
    training set). Returns a :class:`MitigationReport` on the test set.
    """
    check_choice(method, "method", ("reweighing", "thresholds"))
    (X, y, g), (X_test, y_test, g_test) = train, test
    params = fit_logistic(X, y, epochs=epochs, lr=lr)
    before = group_metrics(y_test, (predict_proba(params, X_test) >= 0.5).astype(int), g_test)
    if method == "reweighing":
        fair = fit_logistic(X, y, sample_weight=reweighing_weights(g, y), epochs=epochs, lr=lr)
        y_hat = (predict_proba(fair, X_test) >= 0.5).astype(int)
    else:
        thresholds = group_thresholds(predict_proba(params, X), g)
        y_hat = apply_thresholds(predict_proba(params, X_test), g_test, thresholds)
    return MitigationReport(before, group_metrics(y_test, y_hat, g_test))
