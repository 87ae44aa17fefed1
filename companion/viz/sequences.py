"""Figures of the page "Forecasting and sequence to sequence": series, forecasts and their drift."""

import matplotlib.pyplot as plt
import numpy as np


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


def plot_loss_curve(losses, ax=None, label=None):
    """Mean training loss per epoch. Returns the Axes."""
    if ax is None:
        ax = plt.subplots(figsize=(5, 3.2))[1]
    ax.plot(np.arange(1, len(losses) + 1), losses, marker="o", ms=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    return ax
