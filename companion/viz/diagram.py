"""Network diagrams: layers of circles joined by arrows whose width and colour show the weights."""

import matplotlib.pyplot as plt
import numpy as np

POSITIVE, NEGATIVE, PLAIN = "#34495e", "#c0392b", "#95a5a6"
LAYER_COLOURS = {"input": "#3b82f6", "hidden": "#22a06b", "output": "#f39c12"}


def _node_positions(sizes):
    """(x, y) of every node: layer i at x = i, its nodes centred on y = 0, one unit apart."""
    return [[(i, (n - 1) / 2 - j) for j in range(n)] for i, n in enumerate(sizes)]


def _check_weights(sizes, weights):
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"{len(sizes)} layers need {len(sizes) - 1} weight matrices, got {len(weights)}")
    for i, w in enumerate(weights):
        if np.shape(w) != (sizes[i + 1], sizes[i]):
            raise ValueError(f"weights[{i}] must have shape {(sizes[i + 1], sizes[i])} "
                             f"(out_features, in_features), got {np.shape(w)}")


def _default_colours(sizes):
    return [LAYER_COLOURS["input"]] + [LAYER_COLOURS["hidden"]] * (len(sizes) - 2) + [LAYER_COLOURS["output"]]


def _draw_edges(ax, pos, weights, weight_labels):
    biggest = max((np.abs(w).max() for w in weights), default=1.0) or 1.0
    for layer, w in enumerate(weights):
        for out in range(w.shape[0]):
            for inp in range(w.shape[1]):
                (x0, y0), (x1, y1) = pos[layer][inp], pos[layer + 1][out]
                value = w[out, inp]
                ax.annotate("", xy=(x1 - 0.12, y1), xytext=(x0 + 0.12, y0), zorder=1,
                            arrowprops=dict(arrowstyle="-|>", lw=0.6 + 3.0 * abs(value) / biggest,
                                            color=POSITIVE if value >= 0 else NEGATIVE, alpha=0.8))
                if (layer, out, inp) in weight_labels:
                    t = 0.3  # label near the arrow's tail, where arrows fanning out are still apart
                    ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.08, f"{value:.2f}", ha="center",
                            fontsize=8, zorder=4, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))


def draw_network(sizes, weights=None, *, ax=None, colors=None, captions=None, node_labels=None,
                 weight_labels=(), title=None):
    """Draw a fully connected network.

    sizes: nodes per layer, e.g. [3, 4, 2]. weights: optional list of (sizes[i+1], sizes[i]) arrays
    (PyTorch layout); arrow width grows with |w|, dark arrows are positive, red ones negative.
    colors: one colour per layer (default blue inputs, green hidden, orange outputs). captions: text
    under each layer. node_labels: per layer, a list of strings written in the nodes. weight_labels:
    (layer, out, in) triples whose weight is written on its arrow, or "all".
    Returns the matplotlib Axes.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
    if weights is not None:
        weights = [np.asarray(w, dtype=float) for w in weights]
        _check_weights(sizes, weights)
        if weight_labels == "all":
            weight_labels = {(l, o, i) for l, w in enumerate(weights) for o in range(w.shape[0]) for i in range(w.shape[1])}
    colors = _default_colours(sizes) if colors is None else list(colors)
    for name, seq in (("colors", colors), ("captions", captions), ("node_labels", node_labels)):
        if seq is not None and len(seq) != len(sizes):
            raise ValueError(f"{name} needs one entry per layer ({len(sizes)}), got {len(seq)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.9 * len(sizes) + 1, 0.75 * max(sizes) + 1.4))
    pos = _node_positions(sizes)
    if weights is None:
        for layer in range(len(sizes) - 1):
            for x0, y0 in pos[layer]:
                for x1, y1 in pos[layer + 1]:
                    ax.plot([x0, x1], [y0, y1], color=PLAIN, lw=0.8, zorder=1)
    else:
        _draw_edges(ax, pos, weights, set(weight_labels))
    for layer, nodes in enumerate(pos):
        for j, (x, y) in enumerate(nodes):
            ax.add_patch(plt.Circle((x, y), 0.12, color=colors[layer], ec="black", lw=0.8, zorder=3))
            if node_labels is not None:
                ax.text(x, y, node_labels[layer][j], ha="center", va="center", fontsize=8, color="white",
                        fontweight="bold", zorder=5)
        if captions is not None:
            ax.text(nodes[0][0], -(max(sizes) - 1) / 2 - 0.6, captions[layer], ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(max(sizes) - 1) / 2 - 1.1, (max(sizes) - 1) / 2 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
