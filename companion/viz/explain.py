"""Attribution figures: maps over small images, and the features with the largest attributions."""

import matplotlib.pyplot as plt
import numpy as np


def plot_attribution_maps(images, maps, titles=None, axes=None):
    """Each image in the first column, then one attribution map per method beside it.

    Args:
        images: (N, H, W) the inputs (drawn in grey).
        maps: {method name: (N, H, W) attributions}; each map is drawn in a diverging colour scale centred
            at 0 and scaled to its own largest |value| (red: raises the class score, blue: lowers it).
        titles: optional N strings, one per row (e.g. "label 3").
        axes: an (N, 1 + len(maps)) array of axes, or None for a new figure.

    Returns the axes.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    for name, m in maps.items():
        if np.shape(m) != images.shape:
            raise ValueError(f"maps[{name!r}] has shape {np.shape(m)}, the images {images.shape}")
    n, cols = len(images), 1 + len(maps)
    if axes is None:
        _, axes = plt.subplots(n, cols, figsize=(1.5 * cols, 1.5 * n), squeeze=False)
    for row in range(n):
        axes[row, 0].imshow(images[row], cmap="gray_r")
        axes[row, 0].set_ylabel(titles[row] if titles is not None else "", fontsize=8)
        for col, (name, m) in enumerate(maps.items(), start=1):
            scale = float(np.abs(m[row]).max()) or 1.0
            axes[row, col].imshow(m[row], cmap="bwr", vmin=-scale, vmax=scale)
            if row == 0:
                axes[row, col].set_title(name, fontsize=8)
        if row == 0:
            axes[row, 0].set_title("input", fontsize=8)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    return axes


def plot_top_features(values, names, k=10, ax=None, xlabel="mean |attribution|"):
    """Horizontal bars of the ``k`` features with the largest ``values`` (F,), the largest on top.

    names: F feature names. Returns the axes.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) != len(names):
        raise ValueError(f"values must be (F,) with one name per feature, got {values.shape} and {len(names)} names")
    if not 1 <= k <= len(values):
        raise ValueError(f"k must be in 1..{len(values)}, got {k!r}")
    top = np.argsort(values)[::-1][:k]
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(6.0, 0.3 * k + 0.8))
    ax.barh(np.arange(k)[::-1], values[top])
    ax.set_yticks(np.arange(k)[::-1])
    ax.set_yticklabels([names[i] for i in top], fontsize=8)
    ax.set_xlabel(xlabel)
    if own:
        ax.figure.tight_layout()                     # room for long feature names
    return ax
