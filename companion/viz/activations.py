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


def plot_bias_shift(weights=(0.5, 1.0, 3.0), switch=2.0, x=None):
    """What a bias does to a sigmoid neuron: sigma(w x) beside sigma(w x + b) with b = -switch * w.

    Without a bias every curve crosses 0.5 at x = 0, whatever w; with b = -switch * w the crossing
    moves to x = -b / w = switch. x: 1-D grid (default 241 points on [-6, 6]). Returns the Figure.
    """
    x = np.linspace(-6, 6, 241) if x is None else np.asarray(x, dtype=float)
    sigmoid = get_activation("sigmoid")
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3), sharey=True)
    for w in weights:
        ax0.plot(x, sigmoid(w * x), label=f"w = {w:g}")
        ax1.plot(x, sigmoid(w * x - switch * w), label=f"w = {w:g}, b = {-switch * w:g}")
    ax0.set_title("no bias: every curve switches at x = 0")
    ax1.set_title(f"with bias b = -{switch:g}w: the switch moves to x = {switch:g}")
    for ax in (ax0, ax1):
        ax.axhline(0.5, color="grey", lw=0.5)
        ax.legend(fontsize=8)
        ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def plot_softmax(scores):
    """Bar charts of a score vector (logits) and of its softmax probabilities. Returns the Figure."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1:
        raise ValueError(f"scores must be one vector of logits, got shape {scores.shape}")
    classes = range(len(scores))
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 2.8))
    ax0.bar(classes, scores, color="#7f8c8d")
    ax0.set_title("scores (logits)")
    ax1.bar(classes, get_activation("softmax")(scores), color="#f39c12")
    ax1.set_title("softmax probabilities")
    for ax in (ax0, ax1):
        ax.set_xticks(list(classes), [f"class {i}" for i in classes])
    fig.tight_layout()
    return fig
