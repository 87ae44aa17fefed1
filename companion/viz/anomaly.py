"""Anomaly detection: the distribution of anomaly scores, and inputs beside their reconstructions."""

import matplotlib.pyplot as plt
import numpy as np


def plot_score_histogram(scores, is_anomaly, threshold=None, ax=None, names=("normal", "anomalies"), bins=30):
    """Histograms of ``scores`` (N,) for the normal (``is_anomaly`` 0) and the anomalous (1) samples,
    each normalized to unit area, and a vertical line at ``threshold`` when given. Returns the axes."""
    scores, is_anomaly = np.asarray(scores, dtype=float), np.asarray(is_anomaly)
    if scores.shape != is_anomaly.shape or scores.ndim != 1:
        raise ValueError(f"scores and is_anomaly must be 1-D of one length, got {scores.shape} and {is_anomaly.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.2))
    edges = np.histogram_bin_edges(scores, bins=bins)  # the same bins for both groups
    for label, name in enumerate(names):
        ax.hist(scores[is_anomaly == label], bins=edges, alpha=0.7, label=name, density=True)
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("reconstruction error")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax


def plot_reconstructions(originals, reconstructions, image_shape, ax=None, title=""):
    """Inputs (top row) above their reconstructions (bottom row); each row of the arrays is one image."""
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    if originals.shape != reconstructions.shape:
        raise ValueError(f"originals {originals.shape} and reconstructions {reconstructions.shape} differ in shape")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(originals), 2.6))
    strip = np.vstack([np.hstack([row.reshape(image_shape) for row in images])
                       for images in (originals, reconstructions)])
    ax.imshow(strip, cmap="gray_r")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    return ax
