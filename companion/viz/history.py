"""The timeline figure of the history chapter."""

import textwrap

import matplotlib.pyplot as plt

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
