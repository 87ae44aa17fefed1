"""Exercises of the page *Deployment and monitoring*: PSI, the KS statistic, Holm's procedure and the order
in which companion.deploy.service refuses a bad request.

The referees are written here or taken from SciPy, not imported from companion.deploy (the same floor as
this package: exercises use floors 1-2 only); tests/test_monitoring.py holds companion.deploy.monitoring
to the same formulas."""

import numpy as np

from companion.exercises.core import Exercise, register


def psi_reference(expected, actual, eps=1e-4):
    """PSI = sum_b (a_b - e_b) ln(a_b / e_b) of two (B,) bin-fraction arrays, both floored at ``eps``."""
    e, a = np.maximum(expected, eps), np.maximum(actual, eps)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_statistic_reference(a, b):
    """The two-sample KS statistic sup_x |F_a(x) - F_b(x)| of the 1-D samples a (N,) and b (M,), by SciPy."""
    from scipy.stats import ks_2samp  # here, not at the top: scipy.stats takes a second or two to import on
    # every page that imports companion.exercises, and only this checker needs it
    return float(ks_2samp(a, b).statistic)


def holm_reference(pvalues, alpha):
    """Holm (1979): reject the k-th smallest p-value while p_(k) < alpha / (F - k + 1); (F,) bool."""
    p = np.asarray(pvalues, dtype=float)
    rejected = np.zeros(len(p), dtype=bool)
    for k, index in enumerate(np.argsort(p, kind="stable")):
        if not p[index] < alpha / (len(p) - k):
            break
        rejected[index] = True
    return rejected


def _fractions(rng, bins, zeros=0):
    """bins fractions summing to 1, ``zeros`` of them empty."""
    f = rng.dirichlet(np.ones(bins))
    f[rng.choice(bins, zeros, replace=False)] = 0.0
    return f / f.sum()


def _psi_cases(rng):
    yield np.full(4, 0.25), np.array([0.1, 0.2, 0.3, 0.4])
    yield np.full(4, 0.25), np.array([0.5, 0.5, 0.0, 0.0])          # empty bins: the floor matters
    for _ in range(20):
        bins = int(rng.integers(2, 11))
        yield _fractions(rng, bins), _fractions(rng, bins, zeros=int(rng.integers(0, bins // 2 + 1)))


register(Exercise(
    id="deployment.psi",
    prompt="Write psi(expected, actual): expected (B,) and actual (B,) are the fractions of the reference and "
           "of the current sample in each of B bins (each sums to 1). Floor both at 1e-4 (np.maximum), so that "
           "an empty bin does not make the logarithm infinite, and return the population stability index "
           "sum_b (a_b - e_b) ln(a_b / e_b) as a float.",
    reference=psi_reference, cases=_psi_cases, arg_names=("expected", "actual"),
))


def _ks_cases(rng):
    yield np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5])
    yield np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0])   # ties, as pixels have
    for _ in range(20):
        n, m = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        if rng.random() < 0.5:
            yield rng.normal(size=n), rng.normal(rng.normal(), 1.0, size=m)
        else:
            yield rng.integers(0, 5, size=n) / 4, rng.integers(0, 5, size=m) / 4


register(Exercise(
    id="deployment.ks_statistic",
    prompt="Write ks_statistic(a, b), the two-sample Kolmogorov-Smirnov statistic of the 1-D samples a (N,) and "
           "b (M,): the largest absolute gap sup_x |F_a(x) - F_b(x)| between their empirical CDFs, F_a(x) the "
           "fraction of a at or below x. The samples may have ties and different sizes. Return a float.",
    reference=ks_statistic_reference, cases=_ks_cases, arg_names=("a", "b"),
))


def _holm_cases(rng):
    yield np.array([0.01, 0.015, 0.03, 0.5]), 0.05             # Holm rejects 0.01 and 0.015; Bonferroni only 0.01
    yield np.array([0.2, 0.001, 0.04]), 0.05
    for _ in range(20):
        f = int(rng.integers(1, 12))
        yield rng.uniform(0, 0.1, size=f) ** rng.uniform(1, 3), float(rng.choice([0.01, 0.05, 0.1]))


register(Exercise(
    id="deployment.holm",
    prompt="Write holm(pvalues, alpha), Holm's step-down procedure for F tests at once: sort the p-values, and "
           "reject the k-th smallest (k = 1, 2, ...) while p_(k) < alpha / (F - k + 1); at the first that "
           "fails, stop (it and all larger p-values are kept). Return an (F,) boolean array, True where the "
           "test rejects, in the order of pvalues.",
    reference=holm_reference, cases=_holm_cases,
    arg_names=("pvalues", "alpha"),
))


def service_status(content_type, n_bytes, max_bytes, is_json, is_valid):
    """The status the service answers a POST with, in the order companion.deploy.service checks: the size
    first (413), then the media type (415), then whether the body parses as JSON (400), then the fields
    (422); else 200."""
    if n_bytes > max_bytes:
        return 413
    if content_type.split(";")[0].strip().lower() != "application/json":
        return 415
    if not is_json:
        return 400
    return 200 if is_valid else 422


CONTENT_TYPES = ("application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain",
                 "application/x-www-form-urlencoded", "text/csv", "")


def _status_cases(rng):
    yield "text/plain", 2_000_000, 1_048_576, False, False            # too big and not JSON: the size first
    yield "application/json; charset=utf-8", 900, 1_048_576, True, False
    for _ in range(30):
        yield (str(rng.choice(CONTENT_TYPES)), int(rng.integers(0, 3000)), int(rng.integers(500, 2500)),
               bool(rng.random() < 0.6), bool(rng.random() < 0.5))


register(Exercise(
    id="deployment.status_code",
    prompt="Write status_code(content_type, n_bytes, max_bytes, is_json, is_valid): the HTTP status the page's "
           "service gives a POST request. It checks, in this order: a body over max_bytes gets 413; a media "
           "type (the Content-Type header before any ';', case-insensitive, spaces stripped) other than "
           "application/json gets 415; a body that is not valid JSON (is_json False) gets 400; JSON whose "
           "fields are wrong (is_valid False) gets 422; anything else 200.",
    reference=service_status, cases=_status_cases,
    arg_names=("content_type", "n_bytes", "max_bytes", "is_json", "is_valid"),
))
