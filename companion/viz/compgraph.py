"""Computational graphs: the nodes of an autodiff expression with the values and gradients on its edges."""

import matplotlib.pyplot as plt
import numpy as np

from companion.np.autodiff import Tensor, edge_gradients, topological_order

LEAF, OPERATION, GRADIENT = "#dbeafe", "#dcfce7", "#c0392b"
OP_SYMBOLS = {"*": "×", "@": "@", "+": "+"}


def _columns(order):
    """Column of each node: an operation one right of its furthest parent, a leaf just left of its first user."""
    column = {}
    for t in order:
        if t.parents:
            column[id(t)] = 1 + max(column[id(p)] for p in t.parents)
        else:
            column[id(t)] = 0
    for t in order:  # pull each leaf next to the first operation that uses it
        users = [column[id(u)] for u in order if any(p is t for p in u.parents)]
        if not t.parents and users:
            column[id(t)] = min(users) - 1
    return column


def _positions(order):
    """(x, y) of every node: column on x, the nodes of a column one unit apart and centred on y = 0."""
    column, positions = _columns(order), {}
    for c in sorted(set(column.values())):
        nodes = [t for t in order if column[id(t)] == c]
        for j, t in enumerate(nodes):
            positions[id(t)] = (1.6 * c, (len(nodes) - 1) / 2 - j)
    return positions


def _show(value, fmt):
    value = np.asarray(value)
    return fmt.format(float(value)) if value.size == 1 else f"shape {value.shape}"


def _node_text(t, names, fmt):
    name = names.get(id(t), "")
    op = OP_SYMBOLS.get(t.op, t.op)
    head = name if not op else (f"{name} = {op}" if name else op)
    return f"{head}\n{_show(t.value, fmt)}"


def draw_computational_graph(root, names=None, *, ax=None, fmt="{:.3g}"):
    """Draw the graph that produced ``root``, after ``root.backward()``.

    Each node is a box: its name (from ``names``, a {Tensor: str} dict), its operation, and its
    forward value. Each arrow runs from an input to the operation that used it, carrying the input's
    value forward (black, above) and, in red below it, the gradient that operation sends back
    (:func:`companion.np.autodiff.edge_gradients`). A node's gradient is the sum of the red numbers on
    its outgoing arrows. Values of more than one element are shown by their shape. Returns the Axes.
    """
    if not isinstance(root, Tensor):
        raise ValueError(f"root must be a companion.np.autodiff.Tensor, got {type(root).__name__}")
    if root.value.size != 1 or not np.all(root.grad == 1):
        raise ValueError("call root.backward() before drawing its graph (its .grad must be 1)")
    names = {id(t): str(n) for t, n in (names or {}).items()}
    order = topological_order(root)
    pos = _positions(order)
    if ax is None:
        width = max(x for x, _ in pos.values()) + 2.4
        height = max(abs(y) for _, y in pos.values()) * 2 + 1.6
        _, ax = plt.subplots(figsize=(1.6 * width, 1.1 * height))
    for (parent, child), grad in edge_gradients(root).items():
        (x0, y0), (x1, y1) = pos[id(parent)], pos[id(child)]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                    arrowprops=dict(arrowstyle="-|>", lw=1.0, color="#34495e", shrinkA=26, shrinkB=30))
        xm, ym = x0 + 0.4 * (x1 - x0), y0 + 0.4 * (y1 - y0)  # nearer the tail, where arrows are apart
        label = dict(ha="center", fontsize=8, zorder=4, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
        ax.text(xm, ym + 0.07, _show(parent.value, fmt), va="bottom", **label)
        ax.text(xm, ym - 0.07, _show(grad, fmt), va="top", color=GRADIENT, **label)
    for t in order:
        x, y = pos[id(t)]
        ax.text(x, y, _node_text(t, names, fmt), ha="center", va="center", fontsize=9, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=OPERATION if t.parents else LEAF, ec="black", lw=0.8))
    x, y = pos[id(root)]
    ax.text(x, y - 0.45, _show(root.grad, fmt), ha="center", va="top", fontsize=8, color=GRADIENT)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.6)
    ax.set_axis_off()
    return ax
