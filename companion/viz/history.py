"""The timeline figure of the history chapter."""

import textwrap

import matplotlib.pyplot as plt

from companion.data.milestones import MILESTONES

ERAS = [(1940, 1969, "#dbeafe", "first wave"), (1969, 1986, "#e5e7eb", "first AI winter"),
        (1986, 2006, "#dcfce7", "backprop era"), (2006, 2020, "#fde68a", "deep learning")]


LEVELS = (0.8, -0.8, 2.7, -2.7)  # label heights, cycled, so that neighbouring labels do not collide


def timeline(milestones=MILESTONES, ax=None):
    """Milestones on a time axis, labels staggered above and below, eras shaded behind."""
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
