"""Drift figures: the PSI of a stream of batches against its threshold, and one feature's histograms."""

import matplotlib.pyplot as plt
import numpy as np


def plot_psi_stream(psi, threshold=0.2, alerts=None, ax=None, label=None, shift_at=None):
    """PSI of each batch in a stream, against the alert threshold.

    Args:
        psi: (T,) one value per batch (e.g. each report's ``psi.max()``), or (T, F) to draw the largest.
        threshold: drawn as a dashed horizontal line.
        alerts: optional (T,) booleans (each report's ``alert``); alerting batches are marked in red.
        shift_at: optional batch index where the inputs start to shift, drawn as a dotted vertical line.
        label: the curve's legend entry; by default "largest PSI over the features" for (T, F), else "PSI".

    Returns the axes.
    """
    psi = np.asarray(psi, dtype=float)
    if label is None:
        label = "largest PSI over the features" if psi.ndim == 2 else "PSI"
    if psi.ndim == 2:
        psi = psi.max(axis=1)
    if psi.ndim != 1 or len(psi) == 0:
        raise ValueError(f"psi must be (T,) or (T, features) with T >= 1, got shape {np.shape(psi)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.0))
    batches = np.arange(len(psi))
    ax.plot(batches, psi, marker="o", markersize=3, label=label)
    ax.axhline(threshold, color="black", linestyle="--", label=f"threshold {threshold:g}")
    if alerts is not None:
        alerts = np.asarray(alerts, dtype=bool)
        if alerts.shape != psi.shape:
            raise ValueError(f"alerts must have one entry per batch, shape {psi.shape}, got {alerts.shape}")
        ax.scatter(batches[alerts], psi[alerts], color="tab:red", zorder=3, s=18, label="alert")
    if shift_at is not None:
        ax.axvline(shift_at, color="grey", linestyle=":", label="inputs start to shift")
    ax.set_xlabel("batch")
    ax.set_ylabel("PSI")
    ax.legend(fontsize=8)
    return ax


def plot_feature_histograms(reference, current, bins=20, ax=None, names=("reference", "current"), xlabel="value"):
    """Histograms of one feature in the reference (N,) and in a current batch (M,), on the same bins, each
    normalized to unit area so that samples of different sizes compare. Returns the axes."""
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    if reference.ndim != 1 or current.ndim != 1 or not len(reference) or not len(current):
        raise ValueError(f"reference and current must be non-empty 1-D arrays (one feature), got shapes "
                         f"{reference.shape} and {current.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.0))
    edges = np.histogram_bin_edges(np.concatenate([reference, current]), bins=bins)  # shared bins
    for values, name in zip((reference, current), names):
        ax.hist(values, bins=edges, alpha=0.6, density=True, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax
