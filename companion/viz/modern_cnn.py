"""Figures of the pages "Modern convolutional networks" (depth, residual connections) and "Data augmentation
and the 98% goal" (augmented digits)."""

import matplotlib.pyplot as plt
import numpy as np

from companion.viz.propagation import plot_layer_gradient_norms


def smooth(values, window):
    """The running mean of the last ``window`` values at every position (fewer at the start): (T,) -> (T,)."""
    values = np.asarray(values, dtype=float)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    sums = np.cumsum(np.concatenate([[0.0], values]))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def plot_depth_experiment(norms, histories, window=5):
    """Two panels: each network's weight-gradient norm per layer at initialization (log scale), and its
    training loss per update (running mean over ``window`` updates).

    norms: {label: {layer name: norm}} in forward order, as ``layer_gradient_norms`` returns them;
    histories: {label: History} from :func:`companion.train.fit`, the same labels. Returns the Figure.
    """
    if set(norms) != set(histories):
        raise ValueError(f"norms and histories must name the same networks, got {sorted(norms)} and {sorted(histories)}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    plot_layer_gradient_norms({label: list(n.values()) for label, n in norms.items()}, ax=left)
    left.set_title("at initialization: gradient norm per layer", fontsize=10)
    for (label, history), line in zip(histories.items(), left.get_lines()):
        right.plot(np.arange(1, history.updates + 1), smooth(history.step_loss, window), color=line.get_color(),
                   label=label)
    right.set_xlabel("update")
    right.set_ylabel(f"training loss (mean of {window} updates)")
    right.set_title("training", fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_augmented(original, versions, image_shape=(8, 8)):
    """A grid of images: the first row ``original`` (k images), then one row per entry of ``versions``
    ({row label: k images each}), each image reshaped to ``image_shape``. Returns the Figure."""
    original = np.asarray(original)
    rows = {"original": original, **{label: np.asarray(images) for label, images in versions.items()}}
    k = len(original)
    if any(len(images) != k for images in rows.values()):
        raise ValueError(f"every row needs {k} images, as many as original: "
                         f"{ {label: len(images) for label, images in rows.items()} }")
    fig, axes = plt.subplots(len(rows), k, figsize=(1.1 * k + 1, 1.2 * len(rows)), squeeze=False)
    for row_axes, (label, images) in zip(axes, rows.items()):
        for ax, image in zip(row_axes, images):
            ax.imshow(np.reshape(image, image_shape), cmap="gray_r", vmin=0, vmax=max(original.max(), 1e-12))
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig
