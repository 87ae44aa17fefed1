"""Synthetic hiring-style data whose bias is built in on purpose, for the per-group metrics of
:mod:`companion.fairness`.

No data set that ships with the packages the book already uses pairs a binary outcome a model can
predict with a sensitive attribute of individuals: scikit-learn's diabetes set has sex as a feature,
but its target is a continuous disease-progression score (a cut-off would invent the outcome);
statsmodels' sets are time series, aggregates (states, school districts) or surveys such as
"fair" (Ray Fair's 1978 extramarital-affairs data) and "anes96" (the 1996 US election survey), whose
outcomes (affairs, a vote) are not decisions made about a person.
So the book generates one and says plainly how the bias got in. Three knobs, each a mechanism seen
in real data:

* **base rates** differ by group: ``P(qualified | group)`` is ``base_rates[group]``;
* a **proxy feature**: feature 0 is shifted by ``shift`` for group 1 whatever the label, so a model
  can infer the group from it even when the group column is left out;
* **label bias**: a fraction ``label_flip`` of group 1's qualified people are recorded as 0 (the
  historical decisions the model learns from under-recorded them).

The remaining features carry the (true) qualification as a signal of size ``signal`` in Gaussian
noise of standard deviation 1.
"""

import numpy as np


def _check_probability(value, name):
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")


def make_biased(n=2000, n_features=4, minority_share=0.3, base_rates=(0.5, 0.3), shift=1.0, signal=1.0,
                label_flip=0.2, include_group=False, return_qualified=False, seed=0):
    """Return ``X, y, group`` (and ``qualified`` if asked): features, recorded labels, the group.

    Args:
        n: number of people (rows).
        n_features: columns of X besides the group (at least 2: the proxy and one signal).
        minority_share: P(group = 1); group 0 is the majority.
        base_rates: (P(qualified | group 0), P(qualified | group 1)).
        shift: added to feature 0 for group 1 (the proxy); 0 removes it.
        signal: mean of the signal features is ``signal`` for the qualified, 0 otherwise.
        label_flip: fraction of group 1's qualified whose recorded label is 0.
        include_group: append the group as a last column of X (a model may then use it directly).
        return_qualified: also return the true qualification, before the label bias, which no real data
            set records: a model can be scored against it as well as against the recorded labels.
        seed: the generator's seed; the same seed gives the same arrays.

    Returns:
        X: (n, n_features) or (n, n_features + 1) float64.
        y: (n,) int64 recorded label in {0, 1} (what a model is trained and scored on).
        group: (n,) int64 in {0, 1}.
        qualified: (n,) int64 in {0, 1}, only with ``return_qualified=True``.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n!r}")
    if n_features < 2:
        raise ValueError(f"n_features must be at least 2 (the proxy and one signal), got {n_features!r}")
    for value, name in [(minority_share, "minority_share"), (label_flip, "label_flip"),
                        (base_rates[0], "base_rates[0]"), (base_rates[1], "base_rates[1]")]:
        _check_probability(value, name)
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < minority_share).astype(np.int64)
    qualified = (rng.random(n) < np.where(group == 1, base_rates[1], base_rates[0])).astype(np.int64)
    X = rng.normal(size=(n, n_features))
    X[:, 0] += shift * group  # the proxy: says something about the group, nothing about the label
    X[:, 1:] += signal * qualified[:, None]
    flipped = (group == 1) & (qualified == 1) & (rng.random(n) < label_flip)
    y = np.where(flipped, 0, qualified).astype(np.int64)
    if include_group:
        X = np.column_stack([X, group.astype(float)])
    return (X, y, group, qualified) if return_qualified else (X, y, group)
