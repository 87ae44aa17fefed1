"""Figures of the page "Graph neural networks": graphs drawn with networkx, matrices with their numbers,
node embeddings as they train, over-smoothing against depth, attention weights on the edges.

Graphs arrive as PyG's ``edge_index`` (2, E), row 0 the source j and row 1 the target i of each edge.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def _edge_index(edge_index):
    edge_index = np.asarray(edge_index)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E), got {edge_index.shape}")
    return edge_index.astype(np.int64)


def _num_nodes(edge_index, num_nodes):
    return int(edge_index.max()) + 1 if num_nodes is None else int(num_nodes)


def _nx_graph(edge_index, num_nodes, directed=False):
    import networkx as nx  # imported here: only the graph figures need it

    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    graph.add_edges_from(map(tuple, edge_index.T.tolist()))
    return graph


_LAYOUTS = {}  # (N, edges) -> positions: the layout takes about half a second, and the page and its panel ask twice


def graph_layout(edge_index, num_nodes=None):
    """Node positions (N, 2) by the Kamada-Kawai layout (deterministic: no random start), which places
    nodes so that their distances on the page follow their shortest-path distances in the graph. Layouts
    of graphs seen before come from a small cache (a fresh copy each time)."""
    import networkx as nx

    edge_index = _edge_index(edge_index)
    n = _num_nodes(edge_index, num_nodes)
    key = (n, edge_index.tobytes())
    if key not in _LAYOUTS:
        if len(_LAYOUTS) >= 16:
            _LAYOUTS.clear()
        pos = nx.kamada_kawai_layout(_nx_graph(edge_index, n))
        _LAYOUTS[key] = np.array([pos[i] for i in range(n)])
    return _LAYOUTS[key].copy()


def _node_colours(n, labels, values):
    if labels is not None and values is not None:
        raise ValueError("give labels (a class per node) or values (a number per node), not both")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), one per node, got {labels.shape}")
        return [CLASS_COLOURS[int(c) % len(CLASS_COLOURS)] for c in labels], {}
    if values is not None:
        values = np.asarray(values, dtype=float)
        if values.shape != (n,):
            raise ValueError(f"values must have shape ({n},), one per node, got {values.shape}")
        return values, {"cmap": "coolwarm", "vmin": -np.abs(values).max(), "vmax": np.abs(values).max()}
    return "#dddddd", {}


def draw_graph(edge_index, num_nodes=None, pos=None, labels=None, values=None, marked=None, node_text=None,
               ax=None, title=None, node_size=300):
    """Draw a graph with networkx: nodes coloured by class (``labels`` (N,)) or by a number (``values`` (N,),
    a diverging scale centred on 0), ``marked`` (N,) bool nodes ringed in black (e.g. the labelled ones),
    ``node_text`` their names (default: the node numbers). Edges are drawn undirected. Returns the Axes.
    """
    import networkx as nx

    edge_index = _edge_index(edge_index)
    n = _num_nodes(edge_index, num_nodes)
    pos = graph_layout(edge_index, n) if pos is None else np.asarray(pos)
    if pos.shape != (n, 2):
        raise ValueError(f"pos must have shape ({n}, 2), got {pos.shape}")
    colours, scale = _node_colours(n, labels, values)
    ax = plt.subplots(figsize=(5, 4))[1] if ax is None else ax
    graph, where = _nx_graph(edge_index, n), dict(enumerate(pos))
    nx.draw_networkx_edges(graph, where, ax=ax, edge_color="#999999", width=1.0)
    ring = np.zeros(n, dtype=bool) if marked is None else np.asarray(marked, dtype=bool)
    nx.draw_networkx_nodes(graph, where, ax=ax, node_color=colours, node_size=node_size,
                           edgecolors=np.where(ring, "black", "white").tolist(),
                           linewidths=np.where(ring, 2.5, 0.5).tolist(), **scale)
    text = {i: str(i) if node_text is None else str(node_text[i]) for i in range(n)}
    nx.draw_networkx_labels(graph, where, labels=text, ax=ax, font_size=7)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_matrix(matrix, ax=None, title=None, fmt=None, row_label="i (receives)", col_label="j (sends)"):
    """A small matrix as a grid of its numbers (zeros left blank), e.g. an adjacency A[i, j]; ``fmt`` formats
    each number (default: whole numbers as they are, others to two decimals). Returns the Axes."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    if fmt is None:
        fmt = "{:.0f}" if np.all(matrix == np.round(matrix)) else "{:.2f}"
    ax = plt.subplots(figsize=(0.5 * matrix.shape[1] + 1, 0.5 * matrix.shape[0] + 1))[1] if ax is None else ax
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(matrix.max(), 1e-12) * 1.6)
    for (i, j), value in np.ndenumerate(matrix):
        if value != 0:
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    ax.set_xlabel(col_label)
    ax.set_ylabel(row_label)
    if title:
        ax.set_title(title)
    return ax


def plot_graph_and_matrices(edge_index, matrices, num_nodes=None, titles=None, figsize=None):
    """The graph (numbered nodes) beside one or more of its (N, N) matrices, e.g. A, D and the normalized
    adjacency. Returns the Figure."""
    edge_index = _edge_index(edge_index)
    n = _num_nodes(edge_index, num_nodes)
    titles = [None] * len(matrices) if titles is None else list(titles)
    if len(titles) != len(matrices):
        raise ValueError(f"{len(titles)} titles for {len(matrices)} matrices")
    for m in matrices:
        if np.shape(m) != (n, n):
            raise ValueError(f"each matrix must have shape ({n}, {n}), got {np.shape(m)}")
    fig, axes = plt.subplots(1, 1 + len(matrices), figsize=figsize or (3.2 * (1 + len(matrices)), 3.2))
    draw_graph(edge_index, n, ax=axes[0], title="the graph")
    for ax, m, t in zip(axes[1:], matrices, titles):
        plot_matrix(m, ax=ax, title=t)
    fig.tight_layout()
    return fig


def _check_frames(frames, labels):
    frames = np.asarray(frames, dtype=float)
    if frames.ndim != 3 or frames.shape[2] != 2:
        raise ValueError(f"frames must have shape (T, N, 2), got {frames.shape}")
    if np.shape(labels) != (frames.shape[1],):
        raise ValueError(f"labels must have shape ({frames.shape[1]},), one per node, got {np.shape(labels)}")
    return frames


def plot_embeddings(points, labels, marked=None, ax=None, title=None, limits=None, classes=None, diagonal=False):
    """Nodes as points in a 2-D representation space, (N, 2), coloured by class, ``marked`` nodes ringed;
    ``diagonal`` draws the line y = x (for two logits: where the two classes tie). Returns the Axes."""
    from matplotlib.lines import Line2D

    points = _check_frames(np.asarray(points)[None], labels)[0]
    labels = np.asarray(labels)
    ax = plt.subplots(figsize=(4, 4))[1] if ax is None else ax
    ring = np.zeros(len(points), dtype=bool) if marked is None else np.asarray(marked, dtype=bool)
    handles = []
    for c in np.unique(labels):
        pick = labels == c
        colour = CLASS_COLOURS[int(c) % len(CLASS_COLOURS)]
        ax.scatter(*points[pick].T, s=40, color=colour, edgecolors=np.where(ring[pick], "black", "white").tolist(),
                   linewidths=np.where(ring[pick], 2.0, 0.5).tolist())
        handles.append(Line2D([], [], marker="o", linestyle="", color=colour, markeredgecolor="white",
                              label=f"class {c}" if classes is None else classes[int(c)]))
    if limits is not None:
        ax.set_xlim(limits[0])
        ax.set_ylim(limits[1])
    if diagonal:
        low, high = min(ax.get_xlim()[0], ax.get_ylim()[0]), max(ax.get_xlim()[1], ax.get_ylim()[1])
        ax.plot([low, high], [low, high], "--", color="grey", linewidth=0.8)
        if limits is not None:                       # the line must not widen the fixed axes
            ax.set_xlim(limits[0])
            ax.set_ylim(limits[1])
    if marked is not None and ring.any():
        handles.append(Line2D([], [], marker="o", linestyle="", color="white", markeredgecolor="black",
                              markeredgewidth=2.0, label="labelled"))
    ax.legend(handles=handles, loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def embedding_animation(frames, labels, marked=None, steps=None, accuracies=None, classes=None,
                        xlabel="output 0", ylabel="output 1", diagonal=False):
    """Animate nodes' 2-D representations as a model trains: frames (T, N, 2), one per recorded step.

    ``steps`` (T,) the update number of each frame and ``accuracies`` (T,) a score to show in the title,
    ``diagonal`` as in :func:`plot_embeddings`;
    the axes stay fixed over all frames, so that movement on screen is movement in the space. Returns a
    FuncAnimation; display it with ``HTML(anim.to_jshtml())``.
    """
    frames = _check_frames(frames, labels)
    steps = np.arange(len(frames)) if steps is None else np.asarray(steps)
    for name, seq in (("steps", steps), ("accuracies", accuracies)):
        if seq is not None and len(seq) != len(frames):
            raise ValueError(f"{len(seq)} {name} for {len(frames)} frames")
    low, high = frames.min(axis=(0, 1)), frames.max(axis=(0, 1))
    pad = 0.05 * np.maximum(high - low, 1e-12)
    limits = list(zip(low - pad, high + pad))
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    plot_embeddings(frames[0], labels, marked, ax=ax, limits=limits, classes=classes, diagonal=diagonal)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    labels = np.asarray(labels)
    groups = [(labels == c, points) for c, points in zip(np.unique(labels), ax.collections)]  # one scatter a class

    def frame(t):
        # move the points and retitle; the axes, diagonal and legend stay (redrawing them costs 3x the time)
        for pick, points in groups:
            points.set_offsets(frames[t][pick])
        title = f"update {steps[t]}"
        if accuracies is not None:
            title += f": {accuracies[t]:.0%} of unlabelled nodes right"
        ax.set_title(title)

    anim = FuncAnimation(fig, frame, frames=len(frames), interval=250)
    plt.close(fig)  # the animation, not a stray still, is what the cell shows
    return anim


def plot_smoothing(depths, curves, ylabel="mean pairwise distance", ax=None, title=None, log=True):
    """Curves of a smoothness measure against the number of layers: ``curves`` {label: values (len(depths),)};
    on the log axis (``log``) values of 0 are left out. Returns the Axes."""
    depths = np.asarray(depths)
    ax = plt.subplots(figsize=(5, 3.4))[1] if ax is None else ax
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.shape != depths.shape:
            raise ValueError(f"curve {label!r} has {values.shape} values for {depths.shape} depths")
        ax.plot(depths, values, "o-", label=label, markersize=4)
    if log:
        ax.set_yscale("log", nonpositive="mask")     # a value of exactly 0 ends its curve rather than sink to the floor
    ax.set_xlabel("number of layers")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def draw_attention(edge_index, alpha, num_nodes=None, pos=None, labels=None, ax=None, title=None,
                   threshold=0.0, relative=False):
    """Attention weights on a graph: each edge j -> i drawn as an arrow into i whose width and darkness
    grow with alpha (E,), the weight i gives j (a node's incoming weights sum to 1). ``relative`` draws
    alpha divided by an even share, 1 / (the number of edges into i), so that a node with few neighbours
    does not stand out for that alone. Self-loops are not drawn; edges whose (relative) weight is
    <= threshold neither. Returns the Axes."""
    import networkx as nx

    edge_index = _edge_index(edge_index)
    alpha = np.asarray(alpha, dtype=float)
    if alpha.shape != (edge_index.shape[1],):
        raise ValueError(f"alpha must have shape ({edge_index.shape[1]},), one per edge, got {alpha.shape}")
    n = _num_nodes(edge_index, num_nodes)
    pos = graph_layout(edge_index, n) if pos is None else np.asarray(pos)
    if relative:
        alpha = alpha * np.bincount(edge_index[1], minlength=n)[edge_index[1]]
    keep = (edge_index[0] != edge_index[1]) & (alpha > threshold)
    ax = plt.subplots(figsize=(5.5, 4.5))[1] if ax is None else ax
    colours, scale = _node_colours(n, labels, None)
    graph, where = _nx_graph(edge_index[:, keep], n, directed=True), dict(enumerate(pos))
    strength = alpha[keep] / max(alpha[keep].max(), 1e-12) if keep.any() else alpha[keep]
    nx.draw_networkx_nodes(graph, where, ax=ax, node_color=colours, node_size=200, **scale)
    nx.draw_networkx_labels(graph, where, ax=ax, font_size=6)
    nx.draw_networkx_edges(graph, where, edgelist=list(map(tuple, edge_index[:, keep].T.tolist())), ax=ax,
                           width=(0.3 + 3.0 * strength).tolist(), edge_color=strength.tolist(),
                           edge_cmap=plt.cm.Greys, edge_vmin=-0.3, edge_vmax=1.0, arrows=True, arrowsize=8,
                           connectionstyle="arc3,rad=0.12", node_size=200)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
