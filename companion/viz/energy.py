"""Energy and carbon drawn: log-scale bars that put the book's small runs beside GPT-3's training."""

import matplotlib.pyplot as plt
import numpy as np


def plot_log_bars(panels, figsize=(9, 3.2)):
    """One horizontal bar chart per panel, each on a log axis, side by side.

    ``panels``: a list of (title, {label: positive value}). Each bar is labelled with its value in
    scientific notation. Returns the figure."""
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
    for ax, (title, values) in zip(axes[0], panels):
        labels, numbers = list(values), np.asarray(list(values.values()), dtype=float)
        if not np.all(numbers > 0):
            raise ValueError(f"panel {title!r}: every value must be positive on a log axis")
        y = np.arange(len(labels))
        ax.barh(y, numbers, color=["tab:red" if "GPT-3" in label else "tab:blue" for label in labels])
        ax.set_xscale("log")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(numbers.min() / 20, numbers.max() * 1e3)
        for yi, value in zip(y, numbers):
            ax.text(value * 1.5, yi, f"{value:.1e}", va="center", fontsize=8)
        ax.set_title(title)
    fig.tight_layout()
    return fig
