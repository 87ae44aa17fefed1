"""companion.fairness against fairlearn 0.15 (MetricFrame and fairlearn.metrics) and scikit-learn."""

import numpy as np
import pytest
from fairlearn import metrics as flm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score

from companion import fairness as fair
from companion.data.biased import make_biased

FAIRLEARN = {"count": flm.count, "accuracy": accuracy_score, "selection_rate": flm.selection_rate,
             "true_positive_rate": flm.true_positive_rate, "false_positive_rate": flm.false_positive_rate,
             "false_negative_rate": flm.false_negative_rate}


def random_case(seed, n_groups, weighted):
    """Labels, predictions and groups drawn at random; group sizes and base rates differ by group."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(40, 300))
    names = np.array([f"g{i}" for i in range(n_groups)])
    groups = names[rng.choice(n_groups, size=n, p=rng.dirichlet(np.ones(n_groups) * 3))]
    groups[:n_groups] = names  # every group present
    rate = rng.uniform(0.1, 0.9, n_groups)[np.searchsorted(names, groups)]
    y_true = (rng.random(n) < rate).astype(int)
    y_pred = np.where(rng.random(n) < 0.7, y_true, 1 - y_true)
    weights = rng.uniform(0.1, 3.0, n) if weighted else None
    return y_true, y_pred, groups, weights


def metric_frame(y_true, y_pred, groups, weights):
    params = {} if weights is None else {k: {"sample_weight": weights} for k in FAIRLEARN if k != "count"}
    return flm.MetricFrame(metrics=FAIRLEARN, y_true=y_true, y_pred=y_pred, sensitive_features=groups,
                           sample_params=params)


def assert_table_matches(table, frame):
    assert [str(g) for g in table.groups] == [str(g) for g in frame.by_group.index]
    for name in fair.METRICS:
        np.testing.assert_allclose(table.by_group[name], frame.by_group[name].to_numpy(dtype=float), rtol=1e-12)
        np.testing.assert_allclose(table.overall[name], float(frame.overall[name]), rtol=1e-12)
    for method in fair.METHODS:
        for ours, theirs in [(table.difference(method), frame.difference(method=method)),
                             (table.ratio(method), frame.ratio(method=method))]:
            for name in fair.METRICS:
                np.testing.assert_allclose(ours[name], float(theirs[name]), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_groups", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_group_metrics_equal_metric_frame(seed, n_groups, weighted):
    y_true, y_pred, groups, w = random_case(seed, n_groups, weighted)
    assert_table_matches(fair.group_metrics(y_true, y_pred, groups, w), metric_frame(y_true, y_pred, groups, w))


def test_edge_cases_as_fairlearn():
    """Group a has no positives (TPR = FNR = 0 in fairlearn), group b no negatives (FPR = 0), and
    nobody is selected in either group at first (the selection-rate ratio is 0/0: NaN)."""
    y_true = np.array([0, 0, 0, 1, 1, 1])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    for y_pred in [np.zeros(6, int), np.array([1, 0, 0, 1, 0, 1])]:
        table = fair.group_metrics(y_true, y_pred, groups)
        assert_table_matches(table, metric_frame(y_true, y_pred, groups, None))
        assert table.by_group["false_negative_rate"][0] == 0 and table.by_group["false_positive_rate"][1] == 0
    assert np.isnan(fair.group_metrics(y_true, np.zeros(6, int), groups).ratio()["selection_rate"])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", fair.METHODS)
@pytest.mark.parametrize("weighted", [False, True])
def test_parity_and_odds_equal_fairlearn(seed, method, weighted):
    y_true, y_pred, groups, w = random_case(100 + seed, 2 + seed % 3, weighted)
    kw = {"sample_weight": w, "method": method}
    for ours, theirs in [(fair.demographic_parity_difference, flm.demographic_parity_difference),
                         (fair.demographic_parity_ratio, flm.demographic_parity_ratio)]:
        np.testing.assert_allclose(ours(y_true, y_pred, groups, **kw),
                                   theirs(y_true, y_pred, sensitive_features=groups, **kw), rtol=1e-12)
    for agg in ["worst_case", "mean"]:
        for ours, theirs in [(fair.equalized_odds_difference, flm.equalized_odds_difference),
                             (fair.equalized_odds_ratio, flm.equalized_odds_ratio)]:
            np.testing.assert_allclose(ours(y_true, y_pred, groups, agg=agg, **kw),
                                       theirs(y_true, y_pred, sensitive_features=groups, agg=agg, **kw),
                                       rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_reweighing_weights_formula_and_independence(seed):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["x", "y", "z"], size=500, p=[0.5, 0.3, 0.2])
    y = (rng.random(500) < np.where(groups == "x", 0.7, 0.2)).astype(int)
    w = fair.reweighing_weights(groups, y)
    for i in rng.choice(500, 20):  # the formula, from probabilities counted row by row
        p_g, p_y = np.mean(groups == groups[i]), np.mean(y == y[i])
        assert w[i] == pytest.approx(p_g * p_y / np.mean((groups == groups[i]) & (y == y[i])), rel=1e-12)
    np.testing.assert_allclose(w.sum(), 500)
    total = w.sum()
    for g in "xyz":  # weighted joint = product of weighted marginals (and the marginals are unchanged)
        for label in (0, 1):
            joint = w[(groups == g) & (y == label)].sum() / total
            assert joint == pytest.approx(np.mean(groups == g) * np.mean(y == label), rel=1e-12)
    assert abs(np.mean(y[groups == "x"]) - np.mean(y[groups == "z"])) > 0.3  # unweighted: dependent


def test_fit_logistic_equals_sklearn_unpenalized():
    X, y, g = make_biased(n=1000, seed=0, include_group=True)
    for w in [None, fair.reweighing_weights(g, y)]:
        params = fair.fit_logistic(X, y, sample_weight=w)
        ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(params["weight"], ref.coef_, atol=1e-4)
        np.testing.assert_allclose(params["bias"], ref.intercept_, atol=1e-4)
        np.testing.assert_allclose(fair.predict_proba(params, X), ref.predict_proba(X)[:, 1], atol=1e-4)


def test_group_thresholds_equalize_rates():
    rng = np.random.default_rng(0)
    groups = rng.choice([0, 1, 2], size=900)
    y = (rng.random(900) < 0.4).astype(int)
    scores = 0.3 * y + 0.2 * groups + rng.normal(0.2, 0.15, 900)  # continuous: no ties
    for target, mask in [("selection_rate", np.ones(900, bool)), ("true_positive_rate", y == 1)]:
        y_hat = fair.apply_thresholds(scores, groups, fair.group_thresholds(scores, groups, y, target, rate=0.3))
        rates = [y_hat[(groups == g) & mask].mean() for g in range(3)]
        sizes = [((groups == g) & mask).sum() for g in range(3)]
        for r, n in zip(rates, sizes):
            assert abs(r - 0.3) <= 1 / n  # round(rate * n) rows selected, no ties in continuous scores
        before = [np.mean(scores[(groups == g) & mask] >= 0.5) for g in range(3)]
        assert max(before) - min(before) > 0.3  # one threshold for all was far from equal


@pytest.mark.parametrize("method", ["reweighing", "thresholds"])
@pytest.mark.parametrize("seed", range(5))
def test_mitigation_reduces_parity_gap(method, seed):
    X, y, g = make_biased(n=4000, seed=seed, include_group=True)
    report = fair.mitigate((X[:2000], y[:2000], g[:2000]), (X[2000:], y[2000:], g[2000:]), method=method)
    gaps = report.gaps()
    assert gaps["after"]["demographic_parity"] < gaps["before"]["demographic_parity"] - 0.1
    assert -0.02 < report.accuracy_cost < 0.06  # the measured cost: about 0 to 0.04 over these seeds
    assert report.before.overall["accuracy"] == pytest.approx(report.before.by_group["accuracy"] @
                                                              report.before.by_group["count"] / 2000)


def test_bad_input_raises_named_errors():
    y, p, g = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="lengths differ"):
        fair.group_metrics(y, p[:3], g)
    with pytest.raises(ValueError, match="lengths differ"):
        fair.group_metrics(y, p, g, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        fair.group_metrics(np.array([0, 2, 1, 0]), p, g)
    with pytest.raises(ValueError, match="y_pred must hold binary labels"):
        fair.group_metrics(y, np.array([0.2, 1, 0, 0]), g)
    with pytest.raises(ValueError, match="at least two groups"):
        fair.group_metrics(y, p, np.zeros(4))
    with pytest.raises(ValueError, match="at least two groups"):
        fair.reweighing_weights(np.zeros(4), y)
    with pytest.raises(ValueError, match="non-negative"):
        fair.group_metrics(y, p, g, sample_weight=np.array([1, -1, 1, 1.0]))
    with pytest.raises(ValueError, match="sum to 0"):
        fair.group_metrics(y, p, g, sample_weight=np.array([0, 0, 1, 1.0]))
    with pytest.raises(ValueError, match="no rows"):
        fair.group_metrics([], [], [])
    with pytest.raises(ValueError, match="unknown method"):
        fair.group_metrics(y, p, g).difference("pairwise")
    with pytest.raises(ValueError, match="unknown agg"):
        fair.equalized_odds_difference(y, p, g, agg="best")
    with pytest.raises(ValueError, match="needs y_true"):
        fair.group_thresholds(np.array([0.1, 0.9, 0.4, 0.6]), g, target="true_positive_rate")
    with pytest.raises(ValueError, match="rate must lie"):
        fair.group_thresholds(np.array([0.1, 0.9, 0.4, 0.6]), g, rate=1.5)
    with pytest.raises(ValueError, match="no threshold for group"):
        fair.apply_thresholds(np.array([0.1, 0.9, 0.4, 0.6]), g, {0: 0.5})
    with pytest.raises(ValueError, match="unknown method"):
        fair.mitigate((None, None, None), (None, None, None), method="massaging")


def test_table_prints_every_group_and_overall():
    y_true, y_pred, groups, _ = random_case(0, 3, False)
    text = str(fair.group_metrics(y_true, y_pred, groups))
    assert [line.split()[0] for line in text.splitlines()[1:]] == ["g0", "g1", "g2", "overall"]
    frame = fair.group_metrics(y_true, y_pred, groups).to_frame()
    reference = metric_frame(y_true, y_pred, groups, None)
    assert list(frame.index) == ["g0", "g1", "g2", "overall"] and list(frame.columns) == list(fair.METRICS)
    np.testing.assert_allclose(frame.iloc[:3].to_numpy(float), reference.by_group[list(fair.METRICS)].to_numpy(float))


# The generated data ------------------------------------------------------------------------------

def test_make_biased_builds_in_what_it_says():
    X, y, g = make_biased(n=20000, seed=1, label_flip=0.0)
    assert X.shape == (20000, 4) and y.dtype == g.dtype == np.int64
    assert np.mean(g) == pytest.approx(0.3, abs=0.02)
    assert np.mean(y[g == 0]) == pytest.approx(0.5, abs=0.02) and np.mean(y[g == 1]) == pytest.approx(0.3, abs=0.02)
    assert X[g == 1, 0].mean() - X[g == 0, 0].mean() == pytest.approx(1.0, abs=0.06)  # the proxy
    assert X[y == 1, 0].mean() - X[(y == 0), 0].mean() < 0  # the proxy says nothing else (only via group)
    assert X[y == 1, 1].mean() - X[y == 0, 1].mean() == pytest.approx(1.0, abs=0.06)  # the signal
    _, y_flipped, _ = make_biased(n=20000, seed=1, label_flip=0.5)
    assert np.all(y_flipped <= y)  # flips only ever turn a 1 into a 0
    lost = (y == 1) & (y_flipped == 0)
    assert np.all(g[lost] == 1) and lost.sum() / (y[g == 1] == 1).sum() == pytest.approx(0.5, abs=0.05)
    X2, y2, g2 = make_biased(n=20000, seed=1, label_flip=0.0, include_group=True)
    np.testing.assert_array_equal(X2[:, -1], g) and np.testing.assert_array_equal(X2[:, :-1], X)
    assert not np.array_equal(make_biased(n=50, seed=2)[0], make_biased(n=50, seed=3)[0])
    *same, qualified = make_biased(n=20000, seed=1, label_flip=0.5, return_qualified=True)
    np.testing.assert_array_equal(qualified, y)  # the truth is the labels before any flip
    np.testing.assert_array_equal(same[1], y_flipped)


def test_make_biased_rejects_bad_arguments():
    with pytest.raises(ValueError, match="minority_share"):
        make_biased(minority_share=1.5)
    with pytest.raises(ValueError, match=r"base_rates\[1\]"):
        make_biased(base_rates=(0.5, -0.1))
    with pytest.raises(ValueError, match="n_features"):
        make_biased(n_features=1)
    with pytest.raises(ValueError, match="n must be"):
        make_biased(n=1)


@pytest.mark.parametrize("seed", range(3))
def test_group_thresholds_as_good_as_fairlearn_threshold_optimizer(seed):
    """fairlearn's ThresholdOptimizer (Hardt et al.'s post-processing, randomized at the thresholds)
    under demographic parity, on the same logistic regression: our deterministic per-group thresholds
    reach about the same selection-rate gap and the same accuracy on held-out data."""
    from fairlearn.postprocessing import ThresholdOptimizer

    X, y, g = make_biased(n=4000, seed=seed, include_group=True)
    train, test = (X[:2000], y[:2000], g[:2000]), (X[2000:], y[2000:], g[2000:])
    model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(*train[:2])
    optimizer = ThresholdOptimizer(estimator=model, constraints="demographic_parity", objective="accuracy_score",
                                   prefit=True, predict_method="predict_proba")
    optimizer.fit(*train[:2], sensitive_features=train[2])
    y_hat = optimizer.predict(test[0], sensitive_features=test[2], random_state=0)
    theirs = fair.group_metrics(test[1], y_hat, test[2])
    ours = fair.mitigate(train, test, method="thresholds").after
    assert ours.difference()["selection_rate"] < theirs.difference()["selection_rate"] + 0.03
    assert abs(ours.overall["accuracy"] - theirs.overall["accuracy"]) < 0.02


def test_imports_numpy_only():
    """Floor 2: importing the module pulls in neither torch nor pandas, scikit-learn or fairlearn."""
    import subprocess
    import sys

    code = ("import sys, companion.fairness, companion.data.biased; "
            "print([m for m in ('torch', 'pandas', 'sklearn', 'fairlearn', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
