"""Plots of activation functions beside their derivatives."""

import matplotlib.pyplot as plt
import numpy as np

from companion.np.activations import get_activation, get_derivative


def plot_activations(names=("relu", "sigmoid", "tanh"), x=None, derivatives=True):
    """One panel per element-wise activation: f(x), and f'(x) dashed when ``derivatives``.

    x: 1-D grid of inputs (default 401 points on [-5, 5]). Returns the matplotlib Figure.
    """
    names = list(names)
    if "softmax" in names:
        raise ValueError("softmax maps a vector to a vector and has no 1-D curve; plot it with a bar chart")
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D grid, got shape {x.shape}")
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(x, get_activation(name)(x), lw=2, label=f"{name}(x)")
        if derivatives:
            ax.plot(x, get_derivative(name)(x), "--", lw=1.5, label=f"{name}'(x)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
