"""Data drift on a service's inputs: the population stability index, the two-sample KS test, a monitor.

A model is trained on one distribution of inputs and served on whatever arrives. These functions compare a
batch of served inputs (``current``, shape (M, F)) with a reference sample of the training inputs
(``reference``, shape (N, F)), one feature (column) at a time; a 1-D array is one feature.

* :func:`population_stability_index` (PSI) measures *how much* a feature moved: an effect size, with the
  industry's rule-of-thumb thresholds (below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major
  one). The thresholds are a rule of thumb from credit scoring, not a test; Yurdakul (2018) studies how
  often PSI crosses them when nothing has shifted. To second order PSI = sum_b (c_b - r_b)^2 / r_b, so with
  no shift N M / (N + M) PSI is roughly chi-squared with B - 1 degrees of freedom (B bins): its typical
  size, about (B - 1)(1/N + 1/M), grows as the batch shrinks, and a small batch crosses a fixed threshold
  by chance alone.
* :func:`ks_test` asks *whether* it moved: the two-sample Kolmogorov-Smirnov test (Kolmogorov 1933,
  Smirnov 1939), with p-values as ``scipy.stats.ks_2samp`` computes them.
* :class:`DriftMonitor` combines both for every feature and corrects for testing many features at once.
"""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

KSResult = namedtuple("KSResult", ["statistic", "pvalue"])
ALTERNATIVES = ("two-sided", "less", "greater")
METHODS = ("auto", "exact", "asymp")
CORRECTIONS = ("bonferroni", "holm", "none")
RULES = ("both", "either", "ks", "psi")
MAX_EXACT_N = 10000  # as scipy: 'auto' computes the exact p-value when both samples are at most this large


def _columns(x, name):
    """``x`` as a float (n, F) array; a 1-D array is one feature. Raises ValueError on bad input."""
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers, (n,) or (n, features): {err}") from None
    if x.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, features), got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: it needs at least one sample")
    x = x.reshape(len(x), -1)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} has {int((~np.isfinite(x)).sum())} non-finite value(s) (NaN or inf)")
    return x


def _pair(reference, current):
    ref, cur = _columns(reference, "reference"), _columns(current, "current")
    if ref.shape[1] != cur.shape[1]:
        raise ValueError(f"reference has {ref.shape[1]} feature(s) but current has {cur.shape[1]}")
    return ref, cur


def _squeeze(values, one_feature):
    return values[0] if one_feature else values


# ---------------------------------------------------------------------------------------------------------
# Population stability index
# ---------------------------------------------------------------------------------------------------------

def quantile_edges(reference, bins=10):
    """Inner bin edges from the reference's quantiles: a list of F sorted 1-D arrays (one per feature).

    The bins are right-closed, (-inf, q_1], (q_1, q_2], ..., (q_{B-1}, inf) with q_k the k/B quantile of the
    feature (the smallest value with at least k/B of the reference at or below it), so each holds about
    1/B of the reference and values beyond the reference's range land in the end bins. Repeated quantiles (a feature with many equal values, such as a pixel that is mostly 0) merge
    their bins, so such a feature gets fewer than ``bins`` bins; a constant feature gets two.
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    ref = _columns(reference, "reference")
    # q_k = the smallest reference value with F_ref(q_k) >= k/B, so (-inf, q_k] holds at least k/B of it
    inner = np.quantile(ref, np.arange(1, bins) / bins, axis=0, method="inverted_cdf")  # (bins - 1, F)
    return [np.unique(inner[:, f]) for f in range(ref.shape[1])]


def bin_fractions(x, edges):
    """The fraction of the rows of ``x`` (n, F) in each right-closed bin of ``edges`` (from quantile_edges):
    a list of F arrays, the f-th of length len(edges[f]) + 1, each summing to 1."""
    x = _columns(x, "x")
    if len(edges) != x.shape[1]:
        raise ValueError(f"x has {x.shape[1]} feature(s) but edges has {len(edges)}")
    return [np.bincount(np.searchsorted(e, x[:, f], side="left"), minlength=len(e) + 1) / len(x)
            for f, e in enumerate(edges)]


def psi_from_fractions(expected, actual, eps=1e-4):
    """PSI = sum_b (a_b - e_b) ln(a_b / e_b) for one feature's bin fractions ``expected`` (reference) and
    ``actual`` (current), both (B,). Empty bins would make the logarithm infinite, so both fractions are
    floored at ``eps`` first (the usual fix; the floor caps what one empty bin can add at about
    e_b ln(e_b / eps))."""
    e, a = np.maximum(expected, eps), np.maximum(actual, eps)
    return float(np.sum((a - e) * np.log(a / e)))


def population_stability_index(reference, current, bins=10, eps=1e-4):
    """Population stability index of each feature of ``current`` against ``reference``.

    PSI = sum_b (c_b - r_b) ln(c_b / r_b), with r_b and c_b the fractions of the reference and of the
    current sample in bin b, the bins cut at the reference's quantiles (see :func:`quantile_edges`) and
    empty bins floored at ``eps`` (see :func:`psi_from_fractions`). It is the symmetrized Kullback-Leibler
    divergence (Jeffreys divergence) between the two binned distributions: 0 when they match, never
    negative, symmetric in r and c.

    Args:
        reference: (N,) or (N, F) training-time inputs.
        current: (M,) or (M, F) inputs to compare, the same features.
        bins: the number of quantile bins (10, deciles, is usual); features with repeated quantiles get fewer.
        eps: the floor on a bin's fraction, > 0.

    Returns:
        a float for 1-D inputs, else an (F,) array.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    ref, cur = _pair(reference, current)
    edges = quantile_edges(ref, bins)
    values = np.array([psi_from_fractions(r, c, eps)
                       for r, c in zip(bin_fractions(ref, edges), bin_fractions(cur, edges))])
    return _squeeze(values, np.ndim(reference) == 1)


# ---------------------------------------------------------------------------------------------------------
# Two-sample Kolmogorov-Smirnov test
# ---------------------------------------------------------------------------------------------------------

def ks_gaps(reference, current):
    """The largest gaps between the two empirical CDFs, per feature, in units of 1/(N M).

    Walk through the pooled values in sorted order: the gap F_ref - F_cur rises by 1/N at each reference
    value and falls by 1/M at each current value; multiplied by N M, each step is +M or -N, so the gap is
    the integer i M - j N after i reference and j current values. Ties are read only after the last of
    equal values, as the CDFs are. Returns (up, down): integer (F,) arrays, max of i M - j N and of its
    negative (both >= 0).
    """
    ref, cur = _pair(reference, current)
    n, m = len(ref), len(cur)
    pooled = np.concatenate([ref, cur])  # (N + M, F)
    order = np.argsort(pooled, axis=0, kind="stable")
    values = np.take_along_axis(pooled, order, axis=0)
    gap = np.cumsum(np.where(order < n, m, -n), axis=0)  # i M - j N along the sorted pooled values
    last_of_ties = np.vstack([values[1:] != values[:-1], np.ones((1, values.shape[1]), bool)])
    gap = np.where(last_of_ties, gap, 0)
    return np.maximum(gap.max(axis=0), 0), np.maximum(-gap.min(axis=0), 0)


def _exact_sf(n, m, c, two_sided):
    """P(max gap >= c) under the null, for integer thresholds c (F,) on the gap i M - j N.

    Under the null every order of the N + M pooled values is equally likely, so the walk from (0, 0) to
    (N, M) is a uniformly random lattice path. u holds, for the points (i, j) on one anti-diagonal
    i + j = k, the fraction of the paths to (i, j) that have stayed strictly inside the band (|i M - j N|
    < c, or i M - j N < c one-sided); a path reaches (i, j) from (i - 1, j) or (i, j - 1), weighted i/k and
    j/k since C(k-1, i-1)/C(k, i) = i/k. The answer is 1 minus the fraction that ends inside at (N, M).
    The one-sided probability is the same for 'less' and 'greater' (reflecting the data swaps them).
    """
    c = np.asarray(c, dtype=np.int64)[:, None]
    u = np.zeros((len(c), n + 2))  # column i + 1 holds point i; column 0 stays 0 (no point i = -1)
    u[:, 1] = 1.0
    for k in range(1, n + m + 1):
        lo, hi = max(0, k - m), min(k, n)
        i = np.arange(lo, hi + 1)
        gap = i * m - (k - i) * n
        inside = (np.abs(gap) if two_sided else gap) < c  # (F, points on the diagonal)
        new = (i / k) * u[:, lo:hi + 1] + ((k - i) / k) * u[:, lo + 1:hi + 2]  # from (i - 1, j), (i, j - 1)
        u[:, lo + 1:hi + 2] = new * inside  # columns left of lo + 1 are never read again
    return np.clip(1.0 - u[:, n + 1], 0.0, 1.0)


def _asymp_sf(d, n, m, two_sided):
    """Large-sample p-values, as scipy: two-sided, the one-sample exact distribution (scipy.stats.kstwo)
    at n = round(N M / (N + M)); one-sided, Hodges's (1958) approximation exp(-2 z^2 - 2 z (M' + 2 N') /
    sqrt(M' N' (M' + N')) / 3) with z = sqrt(N M / (N + M)) d and M' >= N' the larger and smaller size."""
    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    if two_sided:
        from scipy.stats import kstwo

        return np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0)
    z = np.sqrt(en) * d
    return np.clip(np.exp(-2 * z**2 - 2 * z * (big + 2 * small) / np.sqrt(big * small * (big + small)) / 3), 0, 1)


def ks_test(reference, current, alternative="two-sided", method="auto"):
    """Two-sample Kolmogorov-Smirnov test for each feature, as ``scipy.stats.ks_2samp(reference, current)``.

    The statistic is the largest gap between the empirical CDFs F_ref and F_cur: ``'two-sided'``
    sup |F_ref - F_cur|, ``'greater'`` sup (F_ref - F_cur), ``'less'`` sup (F_cur - F_ref). The p-value is the
    chance of a gap at least as large when both samples come from one continuous distribution:
    ``'exact'`` counts lattice paths (see ``_exact_sf``), ``'asymp'`` uses the large-sample distribution,
    ``'auto'`` is exact when both samples have at most 10,000 values. With ties (discrete features such as
    pixels) the test is conservative: the p-values are too large, so it alerts less often than alpha.

    Args:
        reference: (N,) or (N, F); current: (M,) or (M, F), the same features.
        alternative: 'two-sided' (default), 'less' or 'greater' (scipy's spelling; first letters suffice).
        method: 'auto' (default), 'exact' or 'asymp'.

    Returns:
        KSResult(statistic, pvalue): floats for 1-D inputs, else (F,) arrays.
    """
    if not isinstance(alternative, str) or not alternative:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    alternative = {"t": "two-sided", "g": "greater", "l": "less"}.get(alternative.lower()[0], alternative)
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    ref, cur = _pair(reference, current)
    n, m = len(ref), len(cur)
    up, down = ks_gaps(ref, cur)
    gap = {"two-sided": np.maximum(up, down), "greater": up, "less": down}[alternative]
    statistic = gap / (n * m)
    two_sided = alternative == "two-sided"
    exact = method == "exact" or (method == "auto" and max(n, m) <= MAX_EXACT_N)
    pvalue = np.ones(len(gap))
    moved = gap > 0  # no gap at all (a pixel that is 0 in both samples): p = 1 without computing
    if moved.any():
        pvalue[moved] = (_exact_sf(n, m, gap[moved], two_sided) if exact
                         else _asymp_sf(statistic[moved], n, m, two_sided))
    one = np.ndim(reference) == 1
    return KSResult(_squeeze(statistic, one), _squeeze(np.asarray(pvalue, dtype=float), one))


# ---------------------------------------------------------------------------------------------------------
# The monitor
# ---------------------------------------------------------------------------------------------------------

def reject(pvalues, alpha=0.05, correction="bonferroni"):
    """Which of the F tests reject, keeping the chance of any false rejection at most ``alpha``.

    ``'bonferroni'``: p < alpha / F. ``'holm'`` (Holm 1979): sort the p-values, reject the k-th smallest
    (k = 1, 2, ...) while p_(k) < alpha / (F - k + 1); it rejects at least what Bonferroni does, with the same
    guarantee. ``'none'``: p < alpha, for one feature or when false alarms are cheap. Returns (F,) bool.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    p = np.atleast_1d(np.asarray(pvalues, dtype=float))
    f = len(p)
    if correction == "none":
        return p < alpha
    if correction == "bonferroni":
        return p < alpha / f
    order = np.argsort(p, kind="stable")
    passed = p[order] < alpha / (f - np.arange(f))
    n_reject = f if passed.all() else int(np.argmin(passed))  # stop at the first that fails
    rejected = np.zeros(f, bool)
    rejected[order[:n_reject]] = True
    return rejected


@dataclass
class DriftReport:
    """What :meth:`DriftMonitor.check` found in one batch. Arrays are (F,), one entry per feature."""

    psi: np.ndarray
    ks_statistic: np.ndarray
    ks_pvalue: np.ndarray
    drifted: np.ndarray  # bool: the features the rule flags
    alert: bool  # any feature drifted
    features: list  # the names (or indices) of the drifted features

    def __str__(self):
        worst = int(np.argmax(self.psi))
        head = f"ALERT: {len(self.features)} feature(s) drifted" if self.alert else "no drift"
        return f"{head}; largest PSI {self.psi[worst]:.3f} (feature {worst}), smallest KS p {self.ks_pvalue.min():.2g}"


class DriftMonitor:
    """Watches batches of inputs for drift away from a reference sample of the training inputs.

    A feature drifts when, under ``rule``:

    * ``'both'`` (default): its KS test rejects after the ``correction`` for F features at level ``alpha``
      (the shift is real, not sampling noise) *and* its PSI exceeds ``psi_threshold`` (the shift is large
      enough to matter). The test keeps false alarms on fresh samples rare whatever the batch size; the
      threshold keeps a large batch from alerting on a tiny, harmless shift.
    * ``'either'``: either condition; ``'ks'`` or ``'psi'``: that one alone.

    The monitor alerts when any feature drifts. The reference's bins are computed once, here.

    Args:
        reference: (N, F) inputs the model was trained on (or a sample of them).
        psi_threshold: 0.2 by default, between the rule of thumb's 0.1 and 0.25.
        alpha: the chance of a false alarm per batch that the test allows (before ties make it smaller).
        correction: 'bonferroni' (default), 'holm' or 'none' (see :func:`reject`).
        bins, eps: for the PSI (see :func:`population_stability_index`).
        method: the KS p-value method (see :func:`ks_test`).
        feature_names: F names for the report; indices by default.
    """

    def __init__(self, reference, psi_threshold=0.2, alpha=0.05, correction="bonferroni", rule="both",
                 bins=10, eps=1e-4, method="auto", feature_names=None):
        self.reference = _columns(reference, "reference")
        if not psi_threshold > 0:
            raise ValueError(f"psi_threshold must be positive, got {psi_threshold!r}")
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        reject(np.ones(1), alpha, correction)  # checks alpha and correction now, not at the first batch
        n_features = self.reference.shape[1]
        names = list(range(n_features)) if feature_names is None else list(feature_names)
        if len(names) != n_features:
            raise ValueError(f"feature_names has {len(names)} name(s) for {n_features} feature(s)")
        self.psi_threshold, self.alpha, self.correction, self.rule = psi_threshold, alpha, correction, rule
        self.eps, self.method, self.feature_names = eps, method, names
        self.edges = quantile_edges(self.reference, bins)
        self.expected = bin_fractions(self.reference, self.edges)

    def check(self, batch):
        """Compare ``batch`` (M, F) with the reference. Returns a :class:`DriftReport`."""
        batch = _columns(batch, "batch")
        if batch.shape[1] != self.reference.shape[1]:
            raise ValueError(f"batch has {batch.shape[1]} feature(s) but the reference has {self.reference.shape[1]}")
        psi = np.array([psi_from_fractions(e, a, self.eps)
                        for e, a in zip(self.expected, bin_fractions(batch, self.edges))])
        ks = ks_test(self.reference, batch, method=self.method)
        significant = reject(ks.pvalue, self.alpha, self.correction)
        large = psi > self.psi_threshold
        drifted = {"both": significant & large, "either": significant | large,
                   "ks": significant, "psi": large}[self.rule]
        return DriftReport(psi, ks.statistic, ks.pvalue, drifted, bool(drifted.any()),
                           [self.feature_names[f] for f in np.flatnonzero(drifted)])

    def stream(self, batches):
        """Check each batch in turn; returns the list of reports (for a plot of PSI over time)."""
        return [self.check(batch) for batch in batches]


# ---------------------------------------------------------------------------------------------------------
# Shifted inputs, for experiments
# ---------------------------------------------------------------------------------------------------------

SHIFTS = ("none", "brightness", "noise")


def shift_inputs(x, kind, amount, rng=None, low=0.0, high=1.0):
    """A copy of ``x`` (M, F) with a simulated input shift, kept in [low, high] (the digits' pixel range).

    ``'brightness'``: every value times (1 + amount), as a brighter scanner would give; ``'noise'``:
    Gaussian noise with standard deviation ``amount`` added; ``'none'``: unchanged.
    """
    if kind not in SHIFTS:
        raise ValueError(f"kind must be one of {SHIFTS}, got {kind!r}")
    x = _columns(x, "x")
    if kind == "brightness":
        x = x * (1 + amount)
    elif kind == "noise":
        rng = np.random.default_rng(rng)
        x = x + rng.normal(0.0, amount, size=x.shape)
    return np.clip(x, low, high)


def alert_rate(monitor, pool, batch_size, n_batches, kind="none", amount=0.0, seed=0):
    """The fraction of ``n_batches`` batches that raise an alert: each batch draws ``batch_size`` rows of
    ``pool`` (M, F) without replacement and applies :func:`shift_inputs`. On fresh samples (kind 'none')
    this is the false-alarm rate; on shifted ones the detection rate."""
    batches = shifting_stream(pool, batch_size, 0, kind, [amount] * n_batches, seed)
    return float(np.mean([monitor.check(batch).alert for batch in batches]))


def shifting_stream(pool, batch_size, n_fresh, kind, amounts, seed=0):
    """A stream of batches for a drift figure: ``n_fresh`` fresh batches of ``batch_size`` rows drawn from
    ``pool`` (M, F) without replacement, then one batch per entry of ``amounts``, each shifted by
    :func:`shift_inputs` with that amount (e.g. a brightness growing batch by batch). Returns a list of
    (batch_size, F) arrays; the shift starts at index ``n_fresh``."""
    rng = np.random.default_rng(seed)
    pool = _columns(pool, "pool")
    if not 0 < batch_size <= len(pool):
        raise ValueError(f"batch_size must be in 1..{len(pool)} (the pool's rows), got {batch_size!r}")
    plan = [("none", 0.0)] * n_fresh + [(kind, amount) for amount in amounts]
    return [shift_inputs(pool[rng.choice(len(pool), batch_size, replace=False)], k, a, rng) for k, a in plan]
