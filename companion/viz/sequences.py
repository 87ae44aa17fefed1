"""Figures of the page "Forecasting and sequence to sequence": series, forecasts and their drift."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def _check_lengths(x, named):
    for label, values in named.items():
        if len(values) != len(x):
            raise ValueError(f"{label!r} has {len(values)} values for {len(x)} time points")


def plot_forecasts(t, actual, forecasts, history=None, ax=None, ylabel="value", title=None):
    """The actual series and each forecast over the same time points t (T,).

    actual: (T,); forecasts: {label: (T,) values}; history: optional (t_before, values) drawn in grey
    before the forecast period, e.g. the training part. Returns the Axes.
    """
    _check_lengths(t, {"actual": actual, **forecasts})
    if ax is None:
        ax = plt.subplots(figsize=(10, 3.4))[1]
    if history is not None:
        ax.plot(*history, color="0.6", lw=1, label="before (training)")
    ax.plot(t, actual, color="black", lw=1.6, label="actual")
    for label, values in forecasts.items():
        ax.plot(t, values, lw=1.2, label=label)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2 + len(forecasts) // 2)
    return ax


def plot_drift(t, actual, one_step, k_step, start, ax=None, ylabel="value"):
    """One-step-ahead predictions (each from observed values) against a forecast fed its own outputs
    from time ``start`` on, over the same time points t (T,). Returns the Axes."""
    _check_lengths(t, {"actual": actual, "one-step": one_step, "k-step": k_step})
    if ax is None:
        ax = plt.subplots(figsize=(10, 3.4))[1]
    ax.plot(t, actual, color="black", lw=1.6, label="actual")
    ax.plot(t, one_step, lw=1.2, label="one step ahead (observed inputs)")
    ax.plot(t, k_step, lw=1.2, ls="--", label="k steps ahead (its own outputs fed back)")
    ax.axvline(start, color="0.5", lw=0.8, ls=":")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def plot_mse_by_horizon(horizons, errors, ax=None):
    """Test MSE against the forecast horizon k, one line per model: errors {label: (len(horizons),)}."""
    _check_lengths(horizons, errors)
    if ax is None:
        ax = plt.subplots(figsize=(5, 3.4))[1]
    for label, values in errors.items():
        ax.plot(horizons, values, marker="o", ms=3, label=label)
    ax.set_xlabel("steps ahead k")
    ax.set_ylabel("test MSE")
    ax.legend(fontsize=8)
    return ax


def plot_loss_curve(losses, ax=None, label=None, ylabel="training loss"):
    """Mean training loss per epoch, on whole-numbered epoch ticks. Returns the Axes."""
    if ax is None:
        ax = plt.subplots(figsize=(5, 3.2))[1]
    ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # no epoch 1.5
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    return ax


def draw_seq2seq(source, target, ax=None):
    """The encoder–decoder unrolled: one box per encoder step under its source token, the summary c, and
    one box per decoder step with its input below (<bos>, then the previous target token, as in teacher
    forcing) and its output above; a space is drawn as ␣. source, target: sequences of tokens (strings).
    Returns the Axes."""
    source, target = list(source), list(target)
    if not source or not target:
        raise ValueError("source and target need at least one token each")
    if ax is None:
        width = 0.62 * (len(source) + len(target)) + 2
        ax = plt.subplots(figsize=(min(width, 14), 2.6))[1]
    box = dict(boxstyle="round,pad=0.3", linewidth=1)
    arrow = dict(arrowstyle="->", color="0.35", lw=0.9)
    enc_x = np.arange(len(source), dtype=float)
    dec_x = len(source) + 1.2 + np.arange(len(target), dtype=float)
    for x, token in zip(enc_x, source):
        ax.text(x, 0, "enc", ha="center", va="center", fontsize=8, bbox={**box, "facecolor": "#dbe8f6"})
        ax.text(x, -1, "␣" if token == " " else token, ha="center", va="center", fontsize=9, family="monospace")
        ax.annotate("", (x, -0.25), (x, -0.8), arrowprops=arrow)
    inputs = ["<bos>"] + target[:-1]
    for x, token, previous in zip(dec_x, target, inputs):
        ax.text(x, 0, "dec", ha="center", va="center", fontsize=8, bbox={**box, "facecolor": "#f8e2c8"})
        ax.text(x, -1, previous, ha="center", va="center", fontsize=9 if len(previous) == 1 else 7,
                family="monospace", color="0.35")
        ax.text(x, 1, token, ha="center", va="center", fontsize=9, family="monospace", fontweight="bold")
        ax.annotate("", (x, -0.25), (x, -0.8), arrowprops=arrow)
        ax.annotate("", (x, 0.75), (x, 0.25), arrowprops=arrow)
    for xs in (enc_x, dec_x):
        for a, b in zip(xs[:-1], xs[1:]):
            ax.annotate("", (b - 0.3, 0), (a + 0.3, 0), arrowprops=arrow)
    c_x = (enc_x[-1] + dec_x[0]) / 2
    ax.annotate("", (dec_x[0] - 0.3, 0), (enc_x[-1] + 0.3, 0), arrowprops={**arrow, "color": "#b02a37", "lw": 1.6})
    ax.text(c_x, 0.35, "c", ha="center", va="bottom", fontsize=11, color="#b02a37", style="italic")
    ax.set_xlim(-0.7, dec_x[-1] + 0.7)
    ax.set_ylim(-1.5, 1.5)
    ax.axis("off")
    return ax
