"""Figures of the history chapter: the timeline, and XOR in input space and hidden space."""

import textwrap

import matplotlib.pyplot as plt
import numpy as np

from companion.data.milestones import MILESTONES

# The three waves of Goodfellow, Bengio & Courville (2016, ch. 1, fig. 1.7): cybernetics in the
# 1940s-1960s, connectionism about 1980-1995, deep learning from 2006. The gaps are left unshaded.
ERAS = [(1940, 1970, "#dbeafe", "cybernetics"), (1980, 1995, "#dcfce7", "connectionism"),
        (2006, 2024, "#fde68a", "deep learning")]


LEVELS = (0.8, -0.8, 2.7, -2.7)  # label heights, cycled, so that neighbouring labels do not collide


def timeline(milestones=MILESTONES, ax=None):
    """Milestones on a time axis, labels staggered above and below, the three waves shaded behind."""
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 5))
    for start, end, colour, name in ERAS:
        ax.axvspan(start, end, color=colour, zorder=0)
        ax.text((start + end) / 2, -4.8, name, ha="center", fontsize=10, color="#374151")
    ax.axhline(0, color="black", lw=1)
    for i, (year, label, _) in enumerate(milestones):
        height = LEVELS[i % len(LEVELS)]
        text = f"{year}\n" + textwrap.fill(label, 22)
        ax.plot([year, year], [0, height], color="#6b7280", lw=0.8)
        ax.plot(year, 0, "o", color="#1f2937", ms=6)
        ax.text(year, height, text, ha="center", va="bottom" if height > 0 else "top", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#9ca3af", lw=0.5))
    ax.set_xlim(1936, 2024)
    ax.set_ylim(-5.1, 5.1)
    ax.axis("off")
    return ax


XOR_LABELS = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")
LABEL_OFFSETS = ((8, 8), (8, -16), (-42, 8), (-42, -16))  # distinct, so coinciding points stay readable
SIZES = (260, 190, 120, 60)  # shrinking, so a point drawn on top of another leaves a visible ring


def xor_panel(points, targets, ax=None, title="", line=None, labels=XOR_LABELS):
    """The four XOR inputs as placed by some layer: points (4, 2), coloured by target, each labelled.

    ``line`` = (w (2,), b) draws the output neuron's boundary w . h + b = 0 across the panel.
    """
    points = np.asarray(points, dtype=float)
    if points.shape != (len(labels), 2):
        raise ValueError(f"points must be ({len(labels)}, 2), one row per labelled input; got {points.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(points[:, 0], points[:, 1], c=targets, cmap="RdBu", vmin=0, vmax=1, edgecolors="black",
               s=SIZES[:len(points)], zorder=2)
    for (px, py), label, offset in zip(points, labels, LABEL_OFFSETS):
        ax.annotate(label, (px, py), textcoords="offset points", xytext=offset)
    if line is not None:
        w, b = line
        xs = np.linspace(-1.4, 1.4, 2)
        if abs(w[1]) > 1e-12:
            ax.plot(xs, -(w[0] * xs + b) / w[1], "k--")
        else:  # a vertical boundary
            ax.axvline(-b / w[0], color="black", linestyle="--")
        ax.set_xlim(-1.4, 1.4)  # tanh outputs lie in (-1, 1); the margin leaves room for the labels
        ax.set_ylim(-1.4, 1.4)
    ax.set_title(title, fontsize=10)
    return ax
