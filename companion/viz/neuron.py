"""One neuron drawn as its computation: inputs, weights, the weighted sum with the bias, the activation,
the output."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch

from companion.np.activations import get_activation
from companion.np.dense import dense
from companion.viz.diagram import LAYER_COLOURS, NEGATIVE, POSITIVE

_SUM, _ACT, _OUT = (2.2, 0.0), (3.6, 0.0), (5.0, 0.0)  # centres of the sum, activation and output


def _arrow(ax, start, end, colour="#34495e", width=1.2):
    ax.annotate("", xy=end, xytext=start, zorder=1,
                arrowprops=dict(arrowstyle="-|>", lw=width, color=colour, shrinkA=0, shrinkB=0))


def _activation_icon(ax, name, z):
    """A small plot of f on [-3, 3] inside the activation box, with a dot at (z, f(z))."""
    f = get_activation(name)
    grid = np.linspace(-3, 3, 61)
    (cx, cy), scale = _ACT, 0.13
    curve = f(grid)
    top = max(np.abs(curve).max(), 1e-12)
    ax.plot(cx + grid * scale, cy - 0.05 + curve / top * 0.3, color="#22a06b", lw=1.5, zorder=4)
    zc = float(np.clip(z, -3, 3))
    ax.plot(cx + zc * scale, cy - 0.05 + float(f(np.array(zc))) / top * 0.3, "o", color="#c0392b", ms=4, zorder=5)


def draw_neuron(x, weight, bias=0.0, activation="relu", *, ax=None, decimals=2, title=None):
    """Draw one neuron computing z = sum_i w_i x_i + b and a = f(z), with every number written on it.

    x: (n,) inputs; weight: (n,) one weight per input; bias: a number; activation: a registry name
    (e.g. "relu", "sigmoid"); decimals: digits shown. The sum and the output are computed by
    :func:`companion.np.dense` and the activation, so the figure cannot disagree with the package.
    Returns the matplotlib Axes.
    """
    x = np.asarray(x, dtype=float)
    weight = np.asarray(weight, dtype=float)
    if x.ndim != 1 or weight.shape != x.shape or x.size == 0:
        raise ValueError(f"x and weight must be 1-D with one weight per input, got shapes {x.shape} "
                         f"and {weight.shape}")
    z = float(dense(x, weight[None, :], np.array([float(bias)]))[0])
    a = float(get_activation(activation)(np.array(z)))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.9 * len(x)))
    n = len(x)
    ys = [(n - 1) / 2 - i for i in range(n)]
    biggest = max(np.abs(weight).max(), 1e-12)
    for i, (xi, wi, y) in enumerate(zip(x, weight, ys)):
        ax.add_patch(Circle((0, y), 0.28, color=LAYER_COLOURS["input"], zorder=3))
        ax.text(0, y, f"$x_{i + 1}$", ha="center", va="center", color="white", fontsize=11, zorder=4)
        ax.text(-0.4, y, f"{xi:.{decimals}f}", ha="right", va="center", fontsize=10)
        start, end = (0.3, y), (_SUM[0] - 0.34, _SUM[1] + 0.2 * y / max(n - 1, 1))
        _arrow(ax, start, end, POSITIVE if wi >= 0 else NEGATIVE, 0.8 + 2.5 * abs(wi) / biggest)
        t = 0.4  # the weight's label sits on its arrow, before the arrows converge
        ax.text(start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]) + 0.12,
                f"$w_{i + 1}$ = {wi:.{decimals}f}", ha="center", fontsize=9, zorder=4,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    bottom = min(ys) - 0.6
    ax.text(_SUM[0], bottom, f"$b$ = {float(bias):.{decimals}f}", ha="center", va="top", fontsize=9)
    _arrow(ax, (_SUM[0], bottom), (_SUM[0], _SUM[1] - 0.34))
    ax.add_patch(Circle(_SUM, 0.34, fc="white", ec="#34495e", lw=1.5, zorder=3))
    ax.text(*_SUM, r"$\Sigma$", ha="center", va="center", fontsize=15, zorder=4)
    ax.text(_SUM[0], _SUM[1] + 0.45, f"$z$ = {z:.{decimals}f}", ha="center", fontsize=10)
    _arrow(ax, (_SUM[0] + 0.34, 0), (_ACT[0] - 0.45, 0))
    ax.add_patch(FancyBboxPatch((_ACT[0] - 0.45, -0.4), 0.9, 0.8, boxstyle="round,pad=0.02", fc="#eafaf1",
                                ec="#22a06b", lw=1.5, zorder=3))
    _activation_icon(ax, activation, z)
    ax.text(_ACT[0], 0.48, f"$f$ = {activation}", ha="center", fontsize=10)
    _arrow(ax, (_ACT[0] + 0.45, 0), (_OUT[0] - 0.3, 0))
    ax.add_patch(Circle(_OUT, 0.28, color=LAYER_COLOURS["output"], zorder=3))
    ax.text(*_OUT, "$a$", ha="center", va="center", color="white", fontsize=12, zorder=4)
    ax.text(_OUT[0], 0.4, f"{a:.{decimals}f}", ha="center", fontsize=10)
    ax.set_xlim(-1.1, _OUT[0] + 0.5)
    ax.set_ylim(bottom - 0.45, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
