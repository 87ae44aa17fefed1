"""Drift monitoring: PSI's definition and properties, the KS test against scipy.stats.ks_2samp (every
alternative and method), corrections against statsmodels, and the monitor's alert rates on the digits,
measured over many batches: rare on fresh samples, frequent on shifted ones."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from companion.data.shipped import load_digits
from companion.deploy import monitoring as mon


# --- PSI ---------------------------------------------------------------------------------------------------

def test_psi_matches_its_formula_on_deciles():
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(size=1000), rng.normal(0.5, 1.0, size=400)
    edges = np.quantile(ref, np.arange(1, 10) / 10, method="inverted_cdf")
    r = np.bincount(np.searchsorted(edges, ref), minlength=10) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur), minlength=10) / len(cur)
    assert np.all(r == 0.1)  # quantile bins hold a tenth of the reference each
    assert mon.population_stability_index(ref, cur) == pytest.approx(np.sum((c - r) * np.log(c / r)), rel=1e-12)


def test_psi_is_zero_on_the_reference_and_grows_with_the_shift():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=2000)
    assert mon.population_stability_index(ref, ref) == 0.0
    psis = [mon.population_stability_index(ref, ref + delta) for delta in (0.1, 0.3, 1.0)]
    assert 0 < psis[0] < psis[1] < psis[2]


def test_psi_per_feature_and_the_floor_on_empty_bins():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(500, 3))
    cur = ref[:200].copy()
    cur[:, 1] = 100.0  # every current value in the top bin: nine bins empty
    psi = mon.population_stability_index(ref, cur, eps=1e-4)
    assert psi.shape == (3,)
    top = 1 - np.mean(ref[:, 1] <= np.quantile(ref[:, 1], 0.9))
    want = (1 - top) * np.log(1 / top) + sum((1e-4 - 0.1) * np.log(1e-4 / 0.1) for _ in range(9))
    assert psi[1] == pytest.approx(want, rel=1e-9)
    assert mon.population_stability_index(ref, cur, eps=1e-6)[1] > psi[1]  # a smaller floor, a larger PSI


def test_psi_with_no_shift_averages_about_bins_minus_one_times_one_over_n_plus_one_over_m():
    """The docstring's chi-squared approximation: E[PSI] ~ (B - 1)(1/N + 1/M) when nothing has shifted."""
    rng = np.random.default_rng(5)
    n, m = 2000, 200
    psis = [mon.population_stability_index(rng.normal(size=n), rng.normal(size=m)) for _ in range(300)]
    assert np.mean(psis) == pytest.approx(9 * (1 / n + 1 / m), rel=0.15)


def test_repeated_quantiles_merge_bins():
    ref = np.r_[np.zeros(700), np.linspace(0.1, 1, 300)]  # a mostly-blank pixel
    (edges,) = mon.quantile_edges(ref, 10)
    assert edges[0] == 0 and len(edges) == 3  # seven deciles at 0 collapse into one edge
    (fractions,) = mon.bin_fractions(ref, [edges])
    assert fractions[0] == pytest.approx(0.7) and fractions.sum() == pytest.approx(1.0)
    (constant,) = mon.quantile_edges(np.ones(50), 10)
    assert list(constant) == [1.0]


def test_psi_bad_input_is_named():
    with pytest.raises(ValueError, match="2 feature"):
        mon.population_stability_index(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        mon.population_stability_index(np.zeros(5), [0.0, np.nan])
    with pytest.raises(ValueError, match="current is empty"):
        mon.population_stability_index(np.zeros(5), np.zeros(0))
    with pytest.raises(ValueError, match="bins must be an integer"):
        mon.population_stability_index(np.zeros(5), np.zeros(5), bins=1)
    with pytest.raises(ValueError, match="eps must be positive"):
        mon.population_stability_index(np.zeros(5), np.zeros(5), eps=0)
    with pytest.raises(ValueError, match="must be numbers"):
        mon.population_stability_index(["a", "b"], np.zeros(2))
    with pytest.raises(ValueError, match="1-D"):
        mon.population_stability_index(np.zeros((2, 2, 2)), np.zeros(2))


# --- KS test against scipy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater", "g", "L"])
@pytest.mark.parametrize("method", ["auto", "exact", "asymp"])
@pytest.mark.parametrize("sizes", [(1, 1), (5, 7), (12, 12), (40, 17), (300, 120)])
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_ks_equals_scipy(alternative, method, sizes):
    rng = np.random.default_rng(sum(sizes))
    n, m = sizes
    ref = np.column_stack([rng.normal(size=n), np.round(rng.normal(size=n)), rng.normal(size=n)])
    cur = np.column_stack([rng.normal(0.4, size=m), np.round(rng.normal(0.4, size=m)), rng.normal(size=m)])
    ours = mon.ks_test(ref, cur, alternative, method)
    for f in range(3):  # features: continuous and shifted, with ties, continuous and not shifted
        want = stats.ks_2samp(ref[:, f], cur[:, f], alternative=alternative, method=method)
        assert ours.statistic[f] == pytest.approx(want.statistic, abs=1e-12)
        # (1 vs 1 asymptotic: scipy's kstwo at n = round(0.5) = 0 is NaN, and so is ours)
        assert ours.pvalue[f] == pytest.approx(want.pvalue, rel=1e-9, abs=1e-12, nan_ok=True)


def test_ks_auto_switches_to_asymptotic_beyond_ten_thousand():
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(size=10001), rng.normal(0.03, size=50)
    ours = mon.ks_test(ref, cur)
    want = stats.ks_2samp(ref, cur)
    assert ours.pvalue == pytest.approx(want.pvalue, rel=1e-9)
    assert ours.pvalue == pytest.approx(mon.ks_test(ref, cur, method="asymp").pvalue, rel=1e-12)


def test_ks_on_one_feature_returns_floats_and_identical_samples_give_one():
    x = np.arange(10.0)
    result = mon.ks_test(x, x)
    assert isinstance(result.statistic, float | np.floating) and result.statistic == 0.0 and result.pvalue == 1.0


def test_ks_bad_options_are_named():
    with pytest.raises(ValueError, match="alternative must be one of"):
        mon.ks_test(np.zeros(3), np.zeros(3), alternative="both")
    with pytest.raises(ValueError, match="method must be one of"):
        mon.ks_test(np.zeros(3), np.zeros(3), method="approx")
    with pytest.raises(ValueError, match="reference is empty"):
        mon.ks_test(np.zeros(0), np.zeros(3))


# --- corrections -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("correction", ["bonferroni", "holm"])
def test_corrections_equal_statsmodels(correction):
    rng = np.random.default_rng(4)
    for _ in range(4):  # statsmodels runs gc.collect() on each Holm call: slow in a large process
        p = rng.uniform(0, 0.05, size=12) ** rng.uniform(0.5, 2)
        want = multipletests(p, alpha=0.05, method=correction)[0]
        # statsmodels rejects p <= alpha / k; ours p < alpha / k: equal when no p-value sits on a boundary
        assert np.array_equal(mon.reject(p, 0.05, correction), want)
    assert np.array_equal(mon.reject([0.01, 0.2], 0.05, "none"), [True, False])


def test_holm_rejects_what_bonferroni_does_and_more():
    p = np.array([0.001, 0.013, 0.02, 0.5])
    assert mon.reject(p, 0.05, "bonferroni").tolist() == [True, False, False, False]
    assert mon.reject(p, 0.05, "holm").tolist() == [True, True, True, False]  # 0.05/3 and 0.05/2 pass
    with pytest.raises(ValueError, match="correction must be one of"):
        mon.reject(p, 0.05, "fdr")
    with pytest.raises(ValueError, match="alpha must be in"):
        mon.reject(p, 1.5)


# --- the monitor on the digits -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_split():
    x, y = load_digits()
    order = np.random.default_rng(0).permutation(len(x))
    return x[order[:1000]], x[order[1000:]], y[order[1000:]]  # reference, pool of fresh samples, labels


def test_report_fields_and_names(digits_split):
    ref, pool, _ = digits_split
    names = [f"pixel {r},{c}" for r in range(8) for c in range(8)]
    monitor = mon.DriftMonitor(ref, feature_names=names)
    report = monitor.check(mon.shift_inputs(pool[:200], "brightness", 0.3))
    assert report.alert and report.psi.shape == report.ks_pvalue.shape == report.drifted.shape == (64,)
    assert report.features == [names[f] for f in np.flatnonzero(report.drifted)]
    assert np.all(report.psi[report.drifted] > 0.2)
    assert np.all(report.ks_pvalue[report.drifted] < 0.05 / 64)
    assert np.allclose(report.psi, mon.population_stability_index(ref, mon.shift_inputs(pool[:200], "brightness", 0.3)))
    assert "ALERT" in str(report)


def test_exact_and_asymptotic_monitors_agree_on_the_digits(digits_split):
    ref, pool, _ = digits_split
    for batch in (pool[:200], mon.shift_inputs(pool[200:400], "noise", 0.05, rng=0)):
        exact, asymp = mon.DriftMonitor(ref).check(batch), mon.DriftMonitor(ref, method="asymp").check(batch)
        assert exact.alert == asymp.alert
        assert np.sum(exact.drifted != asymp.drifted) <= 1  # a feature on the boundary may differ
        assert np.max(np.abs(exact.ks_pvalue - asymp.ks_pvalue)) < 0.02


# The asymptotic p-values (agreeing with the exact ones above) keep the many batches fast.
N_BATCHES = 40


def test_fresh_samples_rarely_alert(digits_split):
    ref, pool, _ = digits_split
    monitor = mon.DriftMonitor(ref, method="asymp")
    for batch_size in (50, 200):
        rate = mon.alert_rate(monitor, pool, batch_size, N_BATCHES, seed=1)
        print(f"false-alarm rate, batches of {batch_size}: {rate:.3f}")
        assert rate <= 0.05  # the Bonferroni bound alpha; measured 0 of 40 for both sizes


def test_psi_alone_false_alarms_on_small_batches(digits_split):
    """PSI's spread under no shift grows as the batch shrinks (Yurdakul 2018): with 50 rows and 64 features,
    some pixel crosses 0.2 by chance in nearly every batch; with 200 rows almost never."""
    ref, pool, _ = digits_split
    monitor = mon.DriftMonitor(ref, rule="psi", method="asymp")
    small, large = (mon.alert_rate(monitor, pool, size, N_BATCHES, seed=1) for size in (50, 200))
    print(f"PSI-only false alarms: {small:.2f} (50 rows), {large:.2f} (200 rows)")
    assert small >= 0.8 and large <= 0.1


@pytest.mark.parametrize("kind, amount", [("brightness", 0.2), ("noise", 0.05)])
def test_shifted_inputs_alert(digits_split, kind, amount):
    ref, pool, _ = digits_split
    monitor = mon.DriftMonitor(ref, method="asymp")
    rate = mon.alert_rate(monitor, pool, 50, N_BATCHES, kind, amount, seed=2)
    print(f"detection rate, {kind} {amount}, batches of 50: {rate:.3f}")
    assert rate >= 0.9


def test_a_change_of_class_mix_alerts(digits_split):
    ref, pool, labels = digits_split
    monitor = mon.DriftMonitor(ref, method="asymp")
    ones_and_sevens = pool[np.isin(labels, [1, 7])]  # only two digits arrive
    rate = mon.alert_rate(monitor, ones_and_sevens, 50, N_BATCHES, seed=3)
    print(f"detection rate, only 1s and 7s, batches of 50: {rate:.3f}")
    assert rate >= 0.9


def test_monitor_bad_input_is_named(digits_split):
    ref, pool, _ = digits_split
    with pytest.raises(ValueError, match="batch has 63 feature"):
        mon.DriftMonitor(ref).check(pool[:10, :63])
    with pytest.raises(ValueError, match="rule must be one of"):
        mon.DriftMonitor(ref, rule="any")
    with pytest.raises(ValueError, match="alpha must be in"):
        mon.DriftMonitor(ref, alpha=0)
    with pytest.raises(ValueError, match="feature_names has 2 name"):
        mon.DriftMonitor(ref, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="psi_threshold must be positive"):
        mon.DriftMonitor(ref, psi_threshold=-1)
    with pytest.raises(ValueError, match="kind must be one of"):
        mon.shift_inputs(pool, "rotation", 1.0)
    with pytest.raises(ValueError, match="batch_size must be in"):
        mon.alert_rate(mon.DriftMonitor(ref), pool[:5], 10, 1)


def test_shift_inputs_stays_in_range():
    x = np.linspace(0, 1, 40).reshape(10, 4)
    assert np.array_equal(mon.shift_inputs(x, "none", 0.5), x)
    bright = mon.shift_inputs(x, "brightness", 0.5)
    assert bright.max() == 1.0 and np.allclose(bright[x < 0.5], 1.5 * x[x < 0.5])
    noisy = mon.shift_inputs(x, "noise", 0.3, rng=0)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.array_equal(noisy, x)


def test_shifting_stream_is_fresh_then_shifted(digits_split):
    _, pool, _ = digits_split
    stream = mon.shifting_stream(pool, 30, 3, "brightness", [0.5, 1.0], seed=4)
    assert len(stream) == 5 and all(b.shape == (30, 64) for b in stream)
    rows = {tuple(r) for r in pool}
    assert all(tuple(r) in rows for b in stream[:3] for r in b)  # fresh batches are rows of the pool
    assert stream[4].mean() > stream[3].mean() > np.mean([b.mean() for b in stream[:3]])
    again = mon.shifting_stream(pool, 30, 3, "brightness", [0.5, 1.0], seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(stream, again))  # a seed repeats the stream
    with pytest.raises(ValueError, match="batch_size must be in"):
        mon.shifting_stream(pool[:5], 10, 1, "none", [])


def test_exercise_referees_agree_with_the_package_and_stay_on_their_floor():
    """companion.exercises.deployment (floor 3) writes its own referees instead of importing
    companion.deploy (also floor 3); they must still give what the package's functions give."""
    import subprocess
    import sys

    from companion.exercises import deployment as ex

    rng = np.random.default_rng(5)
    for _ in range(20):
        e, a = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        a[rng.integers(6)] = 0.0
        assert ex.psi_reference(e, a) == pytest.approx(mon.psi_from_fractions(e, a), rel=1e-12)
        x, y = rng.integers(0, 4, size=int(rng.integers(1, 40))) / 3, rng.normal(size=int(rng.integers(1, 40)))
        assert ex.ks_statistic_reference(x, y) == pytest.approx(float(mon.ks_test(x, y).statistic), abs=1e-12)
        p = rng.uniform(0, 0.08, size=int(rng.integers(1, 10)))
        assert np.array_equal(ex.holm_reference(p, 0.05), mon.reject(p, 0.05, "holm"))
    loaded = subprocess.run([sys.executable, "-c", "import sys, companion.exercises.deployment; "
                             "print(sorted(m for m in sys.modules if m.startswith('companion.deploy')))"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert loaded.stdout.strip() == "[]"
