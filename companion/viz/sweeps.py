"""Hyperparameter sweeps: a grid of scores as a heat map, and a score against one setting as a curve."""

import matplotlib.pyplot as plt
import numpy as np


def _check_scores(scores, shape, name):
    scores = np.asarray(scores, dtype=float)
    if scores.shape[:len(shape)] != shape:
        raise ValueError(f"{name} must have shape {shape} (+ one axis of repeats), got {scores.shape}")
    return scores


def sweep_heatmap(scores, row_values, col_values, *, row_label, col_label, title="", fmt="{:.3f}",
                  best="min", ax=None, cmap="viridis"):
    """A heat map of ``scores`` (rows, cols) or (rows, cols, repeats), averaged over repeats.

    Every cell carries its mean written in; the best cell (``best="min"`` or ``"max"``) is framed.
    Returns the axes.
    """
    scores = _check_scores(scores, (len(row_values), len(col_values)), "scores")
    mean = scores.mean(axis=2) if scores.ndim == 3 else scores
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.2))
    ax.imshow(mean, cmap=cmap if best == "max" else f"{cmap}_r", aspect="auto")
    ax.set_xticks(range(len(col_values)), [str(v) for v in col_values])
    ax.set_yticks(range(len(row_values)), [str(v) for v in row_values])
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    ax.set_title(title, fontsize=9)
    i, j = np.unravel_index(np.argmin(mean) if best == "min" else np.argmax(mean), mean.shape)
    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
    middle = (mean.max() + mean.min()) / 2
    for (r, c), value in np.ndenumerate(mean):
        dark = (value > middle) == (best == "min")  # the colour map turns light (yellow) towards the best
        ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    return ax


def sweep_curve(values, scores, *, xlabel, ylabel, title="", log=True, best="min", ax=None):
    """``scores`` (n,) or (n, repeats) against the setting ``values`` (n,): each repeat as a dot, the mean
    as a line, the best mean marked. Returns the axes."""
    values = np.asarray(values, dtype=float)
    scores = _check_scores(scores, (len(values),), "scores")
    repeats = scores.reshape(len(values), -1)
    mean = repeats.mean(axis=1)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.2))
    for column in repeats.T:
        ax.plot(values, column, ".", color="grey", alpha=0.6)
    ax.plot(values, mean, "-o", label="mean")
    k = int(np.nanargmin(mean) if best == "min" else np.nanargmax(mean))
    ax.plot(values[k], mean[k], "*", color="red", markersize=14, label=f"best: {values[k]:.2g}")
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return ax
