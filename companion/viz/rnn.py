"""Figures of the chapter "Recurrent neural networks": the Zipf curve, gradient norms through time,
LSTM and GRU cell diagrams, and samples at several temperatures."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch


def plot_zipf(frequencies, ax=None):
    """Frequency against rank on log-log axes, one curve per vocabulary.

    ``frequencies`` = {label: counts sorted from the most frequent down}. A dotted line of slope -1
    through each curve's first point is Zipf's law, frequency ∝ 1 / rank. Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    for label, counts in frequencies.items():
        counts = np.asarray(counts, dtype=float)
        ranks = np.arange(1, len(counts) + 1)
        line, = ax.loglog(ranks, counts, label=label)
        ax.loglog(ranks, counts[0] / ranks, ":", color=line.get_color(), linewidth=1)
    ax.set_xlabel("rank (1 = most frequent token)")
    ax.set_ylabel("count")
    ax.set_title("Token frequency against rank (dotted: count ∝ 1 / rank)", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_gradient_norms(norms, ax=None):
    """||dL/dh_t|| against the time step t on a log scale, one curve per cell.

    ``norms`` = {label: (T,) norms, t = 1 … T}; the loss sits on the last step, so each curve starts
    at the right and falls (vanishes) or rises (explodes) to the left. Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        ax.semilogy(np.arange(1, len(values) + 1), np.maximum(values, 1e-300), label=label)
    ax.set_xlabel("time step t (the loss is on the last step)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title("How much of the gradient reaches step t", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_training_curves(curves, ax=None, ylabel="loss"):
    """One line per run: ``curves`` = {label: values per update}; non-finite values end a line.
    Returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.4))
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), np.where(np.isfinite(values), values, np.nan), label=label)
    ax.set_xlabel("update")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


# --- cell diagrams ------------------------------------------------------------------------------

_GATE_COLOUR = {"σ": "#f6d55c", "tanh": "#ed553b"}


def _node(ax, xy, label, kind):
    x, y = xy
    if kind == "gate":
        half = max(0.32, 0.055 * len(label))                  # wide enough for the label
        ax.add_patch(FancyBboxPatch((x - half, y - 0.2), 2 * half, 0.4, boxstyle="round,pad=0.03",
                                    facecolor=_GATE_COLOUR.get(label, "#cccccc"), edgecolor="black", zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=4)
    elif kind == "op":
        ax.add_patch(Circle((x, y), 0.17, facecolor="#f3c6e8", edgecolor="black", zorder=3))
        ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=4)
    else:
        ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4)


def _arrow(ax, points):
    """A polyline through ``points`` with an arrowhead on its last segment."""
    points = np.asarray(points, dtype=float)
    ax.plot(points[:-1, 0], points[:-1, 1], color="black", linewidth=1.2, zorder=1)
    ax.annotate("", xy=points[-1], xytext=points[-2],
                arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.2, shrinkA=0, shrinkB=12), zorder=2)


def _draw_cell(nodes, paths, notes, title, ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.add_patch(FancyBboxPatch((0.4, 0.3), 6.2, 3.4, boxstyle="round,pad=0.05", facecolor="#eef3fb",
                                edgecolor="#5577aa", zorder=0))
    for name, (xy, label, kind) in nodes.items():
        _node(ax, xy, label, kind)
    for path in paths:
        _arrow(ax, [nodes[p][0] if isinstance(p, str) else p for p in path])
    for xy, text in notes:
        ax.text(*xy, text, ha="center", va="center", fontsize=7, color="#333333", zorder=5,
                bbox=dict(facecolor="#eef3fb", edgecolor="none", pad=0.5))       # hides the wire beneath
    ax.set_xlim(-0.4, 7.6)
    ax.set_ylim(-0.5, 4.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return ax


def draw_lstm_cell(ax=None):
    """The LSTM cell (torch's gate order i, f, g, o): c_t = f ⊙ c_{t-1} + i ⊙ g runs along the top;
    h_t = o ⊙ tanh(c_t) leaves at the right. Returns the axes."""
    nodes = {
        "c_in": ((-0.1, 3.2), "$c_{t-1}$", "io"), "c_out": ((7.2, 3.2), "$c_t$", "io"),
        "h_in": ((-0.1, 0.6), "$h_{t-1}$", "io"), "h_out": ((7.2, 0.6), "$h_t$", "io"),
        "x": ((1.0, -0.25), "$x_t$", "io"), "h_up": ((5.9, 4.2), "$h_t$", "io"),
        "f": ((1.6, 1.5), "σ", "gate"), "i": ((2.6, 1.5), "σ", "gate"), "g": ((3.6, 1.5), "tanh", "gate"),
        "o": ((4.6, 1.5), "σ", "gate"),
        "mul_f": ((1.6, 3.2), "×", "op"), "mul_i": ((3.1, 2.4), "×", "op"), "add": ((3.1, 3.2), "+", "op"),
        "tanh_c": ((5.9, 2.4), "tanh", "gate"), "mul_o": ((5.9, 1.5), "×", "op"),
    }
    paths = [["c_in", "mul_f"], ["mul_f", "add"], ["add", "c_out"], ["h_in", (1.0, 0.6), (1.0, 0.72)],
             ["x", (1.0, 0.72)], [(1.0, 0.72), (1.6, 0.72), "f"], [(1.0, 0.72), (2.6, 0.72), "i"],
             [(1.0, 0.72), (3.6, 0.72), "g"], [(1.0, 0.72), (4.6, 0.72), "o"], ["f", "mul_f"],
             ["i", (2.6, 2.4), "mul_i"], ["g", (3.6, 2.4), "mul_i"], ["mul_i", "add"],
             [(5.9, 3.2), "tanh_c"], ["tanh_c", "mul_o"], ["o", "mul_o"], ["mul_o", (5.9, 0.6), "h_out"],
             [(6.3, 0.6), (6.3, 3.9), (5.9, 3.9), "h_up"]]
    notes = [((1.6, 1.08), "forget f"), ((2.6, 1.08), "input i"), ((3.6, 1.08), "candidate g"),
             ((4.6, 1.08), "output o"), ((4.5, 3.45), "cell state: only × and +")]
    return _draw_cell(nodes, paths, notes, r"LSTM cell: $c_t = f \odot c_{t-1} + i \odot g$,   $h_t = o \odot \tanh(c_t)$", ax)


def draw_gru_cell(ax=None):
    """The GRU cell (torch's gates r, z, n, with r applied to W_hn h + b_hn):
    h_t = (1 - z) ⊙ n + z ⊙ h_{t-1} runs along the top. Returns the axes."""
    nodes = {
        "h_in": ((-0.1, 3.2), "$h_{t-1}$", "io"), "h_out": ((7.2, 3.2), "$h_t$", "io"),
        "x": ((1.0, -0.25), "$x_t$", "io"),
        "z": ((1.6, 1.5), "σ", "gate"), "r": ((2.8, 1.5), "σ", "gate"), "n": ((5.0, 1.5), "tanh", "gate"),
        "lin": ((3.9, 0.85), "W_hn h + b_hn", "gate"), "mul_r": ((3.9, 1.5), "×", "op"),
        "mul_z": ((1.6, 3.2), "×", "op"), "one_minus": ((2.8, 2.4), "1−", "op"), "mul_n": ((5.0, 2.4), "×", "op"),
        "add": ((5.0, 3.2), "+", "op"),
    }
    paths = [["h_in", "mul_z"], ["mul_z", "add"], ["add", "h_out"],
             [(0.6, 3.2), (0.6, 0.45), (3.9, 0.45), "lin"],              # h_{t-1} down to the reset path
             ["x", (1.0, 0.7)], [(0.6, 0.7), (1.6, 0.7), "z"], [(0.6, 0.7), (2.8, 0.7), "r"],
             [(1.0, 0.7), (1.0, 0.15), (5.0, 0.15), "n"],                # x_t to the candidate
             ["r", "mul_r"], ["lin", "mul_r"], ["mul_r", "n"],
             ["z", "mul_z"], [(1.6, 2.4), "one_minus"], ["one_minus", "mul_n"], ["n", "mul_n"], ["mul_n", "add"]]
    notes = [((1.6, 1.08), "update z"), ((2.8, 1.08), "reset r"), ((6.05, 1.5), "candidate n")]
    return _draw_cell(nodes, paths, notes, r"GRU cell: $h_t = (1 - z) \odot n + z \odot h_{t-1}$", ax)


def show_samples(samples, title=None):
    """A figure-free table of generated text: ``samples`` = {setting: text}; returns an HTML string."""
    import html

    rows = "".join(f"<tr><td style='white-space:nowrap;padding-right:1em'><b>{html.escape(k)}</b></td>"
                   f"<td><code>{html.escape(v)}</code></td></tr>" for k, v in samples.items())
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return f"<table class='nnx-samples'>{caption}{rows}</table>"
