"""Scaling-out figures: the ring all-reduce step by step (who holds whose numbers), and all-reduce time
measured against the ring's cost model. NumPy and matplotlib only."""

import matplotlib.pyplot as plt
import numpy as np


def step_title(log, t):
    """The name of state ``t`` of a ring of ``log``'s steps: "start", then e.g. "reduce-scatter 1"."""
    if t == 0:
        return "start"
    entry = log[t - 1]
    return f"{entry['phase']} {entry['step'] + 1}"


def draw_ring_state(held, log, t, ax):
    """One panel: worker (rows) by chunk (columns) after ``t`` steps, each cell coloured by how many
    workers' numbers it holds and labelled with their ranks ("all" when every worker's); the cells that
    were just received carry a black frame.

    Args:
        held: (T, p, p, p) booleans from :func:`companion.parallelism.ring_contributions`.
        log: its ring log (``T - 1`` steps).
        t: the state to draw, 0 to ``T - 1``.
    """
    held = np.asarray(held, dtype=bool)
    if held.ndim != 4 or not held.shape[1] == held.shape[2] == held.shape[3]:
        raise ValueError(f"held must have shape (T, p, p, p), got {held.shape}")
    if len(log) != len(held) - 1:
        raise ValueError(f"held has {len(held)} states, so log needs {len(held) - 1} steps, got {len(log)}")
    if not 0 <= t < len(held):
        raise ValueError(f"t must be from 0 to {len(held) - 1}, got {t}")
    p = held.shape[1]
    counts = held[t].sum(-1)                                                      # (p workers, p chunks)
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=p * 1.15)
    for i in range(p):
        for c in range(p):
            who = np.flatnonzero(held[t, i, c])
            label = "all" if len(who) == p else "".join(map(str, who)) if p <= 10 else str(len(who))
            ax.text(c, i, label, ha="center", va="center", fontsize=8,
                    color="white" if counts[i, c] > 0.6 * p else "black")
    if t > 0:  # worker i sent chunk chunks[i] to worker i + 1
        for i, c in enumerate(log[t - 1]["chunks"]):
            ax.add_patch(plt.Rectangle((c - 0.5, (i + 1) % p - 0.5), 1, 1, fill=False, lw=2, color="black"))
    ax.set_xticks(range(p))
    ax.set_yticks(range(p))
    ax.set_xlabel("chunk")
    ax.set_ylabel("worker")
    ax.set_title(step_title(log, t), fontsize=9)
    return ax


def plot_ring_log(held, log, ncols=None):
    """Every state of a ring all-reduce side by side (:func:`draw_ring_state` each): the reduce-scatter
    fills one chunk per worker with everyone's numbers, the all-gather copies those chunks round the
    ring. Returns the figure."""
    held = np.asarray(held, dtype=bool)
    n = len(held)
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.9 * ncols, 2.3 * nrows), squeeze=False)
    for t, ax in enumerate(axes.reshape(-1)):
        if t < n:
            draw_ring_state(held, log, t, ax)
            if t % ncols:
                ax.set_ylabel("")
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def plot_allreduce_times(rows, workers, bandwidth, latency, ax=None):
    """Measured all-reduce seconds (points) against bytes per worker, log-log, with the ring's cost model
    ``2 (p-1)/p n/B + 2 (p-1) alpha`` for the given ``bandwidth`` (bytes/s) and ``latency`` (s) as a line.

    Args:
        rows: list of dicts with ``bytes`` and ``seconds`` (``allreduce_times.json``).
    Returns the axes.
    """
    from companion.parallelism import ring_all_reduce_cost

    if not rows:
        raise ValueError("rows is empty: nothing measured to draw")
    n = np.array([r["bytes"] for r in rows], dtype=float)
    seconds = np.array([r["seconds"] for r in rows], dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.3))
    grid = np.geomspace(n.min() / 2, n.max() * 2, 50)
    model = [ring_all_reduce_cost(b, workers, bandwidth, latency) for b in grid]
    ax.plot(grid, model, color="C1", label=f"ring model, B = {bandwidth / 1e9:.2g} GB/s, "
                                           f"α = {latency * 1e6:.3g} µs")
    ax.plot(n, seconds, "o", color="C0", label=f"measured, {workers} processes")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bytes per worker")
    ax.set_ylabel("seconds per all-reduce")
    ax.legend(fontsize=8)
    return ax
