"""Figures of the history chapter: Hebb against Oja, the perceptron's moving boundary, the timeline, and
XOR in input space and hidden space."""

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


def hebb_oja_panels(hebb_path, oja_path, X):
    """Left: |w| along Hebb's and Oja's runs (log scale). Right: the data X (N, 2) with Oja's final w,
    drawn twice as long so that it stands out of the cloud. The paths are (steps + 1, 2) weight histories."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 3.4))
    ax0.semilogy(np.linalg.norm(hebb_path, axis=1), label="Hebb")
    ax0.semilogy(np.linalg.norm(oja_path, axis=1), label="Oja")
    ax0.set_xlabel("update")
    ax0.set_ylabel("|w| (log scale)")
    ax0.legend()
    ax1.scatter(*np.asarray(X).T, s=4, color="grey")
    ax1.arrow(0, 0, *(2 * np.asarray(oja_path)[-1]), width=0.05, color="C1", label="Oja's w (x2)")
    ax1.set_aspect("equal")
    ax1.legend(loc="upper left")
    ax1.set_title("Oja's rule finds the long axis of the data")
    fig.tight_layout()
    return ax0, ax1


def perceptron_boundaries(X, t, record, ax=None, extent=4.0):
    """The points X (N, 2) coloured by label t, and the boundary w . x + b = 0 after every update in
    ``record["boundaries"]`` (from ``perceptron_train``): faint and green early, the last one black."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    X = np.asarray(X)
    ax.scatter(X[:, 0], X[:, 1], c=t, cmap="RdBu", edgecolors="black", s=30)
    xs = np.linspace(-extent, extent, 2)
    boundaries = record["boundaries"][1:]  # the first entry is the starting weights, before any update
    for i, (w, b) in enumerate(boundaries):
        if abs(w[1]) > 1e-9:  # a vertical line cannot be written as y(x); none occurs in the chapter
            final = i == len(boundaries) - 1
            ax.plot(xs, -(w[0] * xs + b) / w[1], color="black" if final else "C2",
                    alpha=1.0 if final else 0.15 + 0.6 * i / len(boundaries), lw=2 if final else 1)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_title(f"{record['updates']} updates, mistakes per epoch: {record['errors']}")
    return ax
