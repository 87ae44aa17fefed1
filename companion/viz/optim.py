"""Optimizer trajectories drawn on a loss surface, as stills or as an animation."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from companion.data.surfaces import get_surface
from companion.np.optim import trajectory
from companion.np.schedules import lr_curve

COLOURS = {"sgd": "#c0392b", "momentum": "#8e44ad", "nesterov": "#2c3e50", "rmsprop": "#27ae60",
           "adam": "#2980b9", "adamw": "#16a085"}

# The four contenders of the chapter: (label, rule, hyperparameters other than lr)
CONTENDERS = {
    "sgd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "rmsprop": ("rmsprop", {}),
    "adam": ("adam", {}),
}


def paths(surface="ravine", lrs=None, steps=60, names=tuple(CONTENDERS)):
    """{label: (steps + 1, 2) array} of points visited from the surface's start, per optimizer."""
    s = get_surface(surface)
    lrs = lrs or {}
    out = {}
    for name in names:
        rule, hyper = CONTENDERS[name]
        out[name] = trajectory(rule, s.grad, s.start, steps, lr=lrs.get(name, default_lr(name)), **hyper)
    return out


def default_lr(name):
    return {"sgd": 0.45, "momentum": 0.05, "rmsprop": 0.3, "adam": 0.5}.get(name, 0.1)


def draw_surface(ax, surface):
    s = get_surface(surface)
    x0, x1, y0, y1 = s.extent
    X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    Z = s.f(np.stack([X, Y], axis=-1))
    ax.contour(X, Y, np.log1p(Z), levels=18, cmap="Greys", linewidths=0.7)
    ax.plot(*s.minimum, "*", color="gold", markersize=14, markeredgecolor="black", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def plot_paths(path_dict, surface="ravine", ax=None, upto=None):
    """Draw each optimizer's path (first ``upto`` points) on the surface's contour map."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    draw_surface(ax, surface)
    for name, points in path_dict.items():
        shown = points[: upto if upto is not None else len(points)]
        ax.plot(shown[:, 0], shown[:, 1], "o-", ms=2.5, lw=1.2, color=COLOURS.get(name), label=name)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_path_grid(panels, surface="ravine", ncols=None):
    """One contour map per panel, all on the same axes: ``panels`` lists (title, {optimizer: points}).

    ncols: panels per row (default: all in one row). Returns the matplotlib Figure.
    """
    panels = list(panels)
    ncols = len(panels) if ncols is None else ncols
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(5.5 * ncols, 13), 2.75 * nrows + 0.25),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (title, path_dict) in zip(axes.flat, panels):
        plot_paths(path_dict, surface, ax=ax)
        ax.set_title(title)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def paths_animation(path_dict, surface="ravine", every=2):
    """Scrubbable animation of the paths growing step by step; show with ``HTML(anim.to_jshtml())``."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    longest = max(len(p) for p in path_dict.values())
    frames = list(range(1, longest + 1, every))

    plot_paths(path_dict, surface, ax=ax, upto=1)       # the surface, axes and legend: drawn once
    lines = ax.get_lines()[-len(path_dict):]              # one line per optimizer, in path_dict's order

    def frame(i):
        # only the paths and the title change (clearing the axes for every frame redrew the contours and
        # rebuilt the ticks, most of the animation's cost)
        for line, points in zip(lines, path_dict.values()):
            line.set_data(points[:i, 0], points[:i, 1])
        ax.set_title(f"step {i - 1}")

    anim = FuncAnimation(fig, frame, frames=frames, interval=150)
    plt.close(fig)
    return anim


def plot_schedules(schedules, base_lr, steps, ax=None):
    """Learning rate against step for each schedule in ``schedules`` ({label: schedule}), one line each."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    for label, schedule in schedules.items():
        ax.plot(range(steps), lr_curve(schedule, base_lr, steps), lw=1.8, label=label)
    ax.set_xlabel("step (epoch)")
    ax.set_ylabel("learning rate")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax
