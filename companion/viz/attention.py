"""Figures of the page "Attention": kernel regression, attention maps, score spreads, positional encodings."""

import matplotlib.pyplot as plt
import numpy as np


def _as_map(weights, name="weights"):
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"{name} must be 2-D (queries, keys), got shape {weights.shape}")
    return weights


def _check_labels(labels, size, what):
    if labels is not None and len(labels) != size:
        raise ValueError(f"{len(labels)} {what} labels for {size} {what}")


def plot_attention_map(weights, keys=None, queries=None, ax=None, title=None, xlabel="key", ylabel="query",
                       colorbar=True):
    """One attention map: weights (L, S), row l the weights query l gives the S keys (a row sums to 1).

    keys, queries: optional tick labels (S,) and (L,), e.g. the characters read and written. The colour
    scale runs from 0 to 1 on every map, so that two maps can be compared by eye. Returns the Axes.
    """
    weights = _as_map(weights)
    _check_labels(keys, weights.shape[1], "key")
    _check_labels(queries, weights.shape[0], "query")
    if ax is None:
        ax = plt.subplots(figsize=(0.3 * weights.shape[1] + 2, 0.3 * weights.shape[0] + 1.2))[1]
    image = ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    for labels, set_ticks, set_labels in ((keys, ax.set_xticks, ax.set_xticklabels),
                                          (queries, ax.set_yticks, ax.set_yticklabels)):
        if labels is not None:
            set_ticks(range(len(labels)))
            set_labels([str(label) for label in labels], fontsize=7)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_attention_grid(maps, keys=None, queries=None, titles=None, ncols=None, cell=2.6, xlabel="key",
                        ylabel="query", figsize=None):
    """Several attention maps side by side: maps (K, L, S) or (rows, cols, L, S) (e.g. layers by heads).

    keys, queries: one list of tick labels for every map, or one list per map (K lists); titles: one per
    map. A 4-D ``maps`` is laid out as its rows and columns; a 3-D one in ``ncols`` columns (default all).
    Each map gets a ``cell`` x ``cell`` inch square unless ``figsize`` (width, height) is given. Returns the Figure.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim not in (3, 4):
        raise ValueError(f"maps must be 3-D (K, L, S) or 4-D (rows, cols, L, S), got shape {maps.shape}")
    nrows, ncols = (maps.shape[:2] if maps.ndim == 4 else
                    (int(np.ceil(len(maps) / (ncols or len(maps)))), ncols or len(maps)))
    flat = maps.reshape(-1, *maps.shape[-2:])
    if titles is not None and len(titles) != len(flat):
        raise ValueError(f"{len(titles)} titles for {len(flat)} maps")

    def per_map(labels, k):
        if labels is None or (len(labels) and not isinstance(labels[0], (list, tuple, np.ndarray))):
            return labels
        if len(labels) != len(flat):
            raise ValueError(f"{len(labels)} label lists for {len(flat)} maps")
        return labels[k]

    fig, axes = plt.subplots(nrows, ncols, figsize=figsize or (cell * ncols, cell * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(flat):
            ax.axis("off")
            continue
        plot_attention_map(flat[k], per_map(keys, k), per_map(queries, k), ax=ax,
                           title=None if titles is None else titles[k], colorbar=False,
                           xlabel=xlabel, ylabel=ylabel)
    fig.tight_layout()
    return fig


def plot_kernel_regression(x_train, y_train, x_query, fits, truth=None, weights=None):
    """Nadaraya-Watson fits and, with ``weights`` (Q, n), the weight matrix beside them.

    x_train, y_train (n,): the observations; x_query (Q,): where the fits are evaluated; fits: {label:
    (Q,) predictions}; truth: optional (Q,) noise-free function at x_query. The weight matrix is drawn with
    the training points sorted by x, so that the band along its diagonal shows each query reading its
    neighbours. Returns the Figure.
    """
    x_train, y_train, x_query = (np.asarray(a, dtype=float) for a in (x_train, y_train, x_query))
    if len(x_train) != len(y_train):
        raise ValueError(f"{len(x_train)} inputs for {len(y_train)} targets")
    for label, values in fits.items():
        if len(values) != len(x_query):
            raise ValueError(f"fit {label!r} has {len(values)} values for {len(x_query)} queries")
    panels = 1 if weights is None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), squeeze=False)
    ax = axes[0, 0]
    ax.scatter(x_train, y_train, s=10, color="0.6", label="observations")
    if truth is not None:
        ax.plot(x_query, truth, color="black", lw=1.2, ls="--", label="true function")
    for label, values in fits.items():
        ax.plot(x_query, values, lw=1.6, label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8)
    if weights is not None:
        weights = _as_map(weights)
        if weights.shape != (len(x_query), len(x_train)):
            raise ValueError(f"weights must be (queries, observations) = {(len(x_query), len(x_train))}, "
                             f"got {weights.shape}")
        order = np.argsort(x_train)
        ax = axes[0, 1]
        image = ax.imshow(weights[:, order], cmap="Blues", aspect="auto", interpolation="nearest",
                          extent=(0, len(x_train), x_query[-1], x_query[0]))
        ax.set_xlabel("observations, sorted by x")
        ax.set_ylabel("query x")
        ax.set_title("attention weights", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def plot_score_scaling(dims, spreads, peaks):
    """Why scale by sqrt(d): the spread of q.k and the largest softmax weight against the dimension d.

    dims (K,); spreads, peaks: {label: (K,) values}, e.g. "unscaled" and "scaled by 1/sqrt(d)". Left: the
    standard deviation of the scores (log-log); right: the mean largest weight of a row. Returns the Figure.
    """
    for label, values in {**spreads, **peaks}.items():
        if len(values) != len(dims):
            raise ValueError(f"{label!r} has {len(values)} values for {len(dims)} dimensions")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for label, values in spreads.items():
        left.plot(dims, values, marker="o", ms=3, label=label)
    left.set_xscale("log", base=2)
    left.set_yscale("log", base=2)
    left.set_ylabel("standard deviation of the scores")
    for label, values in peaks.items():
        right.plot(dims, values, marker="o", ms=3, label=label)
    right.set_xscale("log", base=2)
    right.set_ylim(0, 1.02)
    right.set_ylabel("largest softmax weight (mean over rows)")
    for ax in (left, right):
        ax.set_xlabel("dimension d of queries and keys")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_positions(table, columns=(0, 1, 6, 7)):
    """A positional-encoding table (T, D): as an image (position by dimension), and a few of its columns
    as curves against the position. Returns the Figure."""
    table = _as_map(table, "table")
    bad = [c for c in columns if not 0 <= c < table.shape[1]]
    if bad:
        raise ValueError(f"columns {bad} outside 0 .. {table.shape[1] - 1}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    image = left.imshow(table, cmap="RdBu", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    left.set_xlabel("dimension")
    left.set_ylabel("position")
    fig.colorbar(image, ax=left, fraction=0.046, pad=0.04)
    for c in columns:
        right.plot(table[:, c], lw=1.2, label=f"dimension {c}")
    right.set_xlabel("position")
    right.set_ylabel("value")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig
