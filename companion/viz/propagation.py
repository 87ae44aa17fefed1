"""Signal propagation through a deep stack: per-layer activation and gradient size (chapter: Backpropagation)."""

import matplotlib.pyplot as plt
import numpy as np


def plot_propagation(results, axes=None):
    """One row per stack, two panels: std of the activations and of their gradients, per layer, log scale.

    ``results`` = {row title: {curve label: {"activation_std": (L,), "gradient_std": (L,)}}}, for
    example {"tanh": {"Xavier × 0.5": stats, …}, "ReLU": {…}}, as :func:`companion.np.deep_stack_statistics`
    returns them. Returns the (rows, 2) array of axes.
    """
    if axes is None:
        _, axes = plt.subplots(len(results), 2, figsize=(10, 3.2 * len(results)), squeeze=False)
    for row, (title, curves) in zip(axes, results.items()):
        for label, stats in curves.items():
            layers = np.arange(1, len(stats["activation_std"]) + 1)
            row[0].semilogy(layers, stats["activation_std"], "o-", markersize=3, label=label)
            row[1].semilogy(layers, stats["gradient_std"], "o-", markersize=3, label=label)
        row[0].set_title(f"{title}: activations, forward →", fontsize=10)
        row[1].set_title(f"{title}: gradients, ← backward", fontsize=10)
        row[0].set_ylabel("std")
        row[0].legend(fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("layer (1 = nearest the input)")
    plt.tight_layout()
    return axes


def plot_layer_gradient_norms(norms, ax=None):
    """The gradient norm of each layer's weights, one curve per network, on a log scale.

    ``norms`` = {label: [norm of layer 1's weight gradient, …, layer L's]}, layer 1 nearest the input.
    Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    for label, values in norms.items():
        ax.semilogy(np.arange(1, len(values) + 1), values, "o-", label=label)
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm of the layer's weights")
    ax.legend()
    plt.tight_layout()
    return ax
