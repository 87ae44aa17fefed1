"""Figures of the chapter "Overfitting and regularization" (the width sweep, rows of small images, …) and
the introduction's polynomial fits."""

import matplotlib.pyplot as plt
import numpy as np

from companion.viz.training import plot_boundary


def plot_width_sweep(widths, train_loss, val_loss, nets, X, y, show=(1, 8, 128)):
    """Final training and validation loss against width (log axis), then the boundaries of ``show``.

    nets: {width: network with ``eval().forward(points) -> (m, 1)`` probabilities}; X, y: the
    training points drawn on each boundary. Returns the figure.
    """
    fig = plt.figure(figsize=(13, 3.6))
    ax = fig.add_subplot(1, len(show) + 1, 1)
    ax.semilogx(widths, train_loss, "o-", label="training")
    ax.semilogx(widths, val_loss, "o--", label="validation")
    ax.set_xlabel("neurons per hidden layer")
    ax.set_ylabel("loss after training")
    ax.legend(fontsize=8)
    for i, width in enumerate(show):
        ax = fig.add_subplot(1, len(show) + 1, i + 2)
        net = nets[width]
        plot_boundary(lambda p, net=net: net.eval().forward(p).ravel(), X, y, ax=ax)
        ax.set_title(f"{width} neuron{'s' if width > 1 else ''} per layer", fontsize=9)
    fig.tight_layout()
    return fig


def plot_image_row(images, titles=(), image_shape=None, size=1.4):
    """Grey-scale images side by side, ink dark: (N, H, W), or (N, H*W) with square or given shape.

    Returns the axes (one per image).
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), *(image_shape or (side, side)))
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size * 1.15), squeeze=False)
    for i, (ax, image) in enumerate(zip(axes[0], images)):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=max(float(images.max()), 1e-12))
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(titles):
            ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return axes[0]


def plot_size_sweep(sizes, train_accuracy, val_accuracy):
    """Final training and validation accuracy against the number of training points (log axis)."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogx(sizes, train_accuracy, "o-", label="training")
    ax.semilogx(sizes, val_accuracy, "o--", label="validation")
    ax.set_xlabel("training points")
    ax.set_ylabel("accuracy after training")
    ax.legend()
    fig.tight_layout()
    return ax


def plot_weight_histograms(weights, val_losses, limit=1.5):
    """One histogram of weight values per run, side by side: {name: weights}, {name: validation loss}."""
    fig, axes = plt.subplots(1, len(weights), figsize=(4 * len(weights), 2.8), sharey=True, squeeze=False)
    for ax, (name, w) in zip(axes[0], weights.items()):
        ax.hist(np.ravel(w), bins=np.linspace(-limit, limit, 61), color="C0")
        ax.set_title(f"{name}: validation loss {val_losses[name]:.3f}", fontsize=9)
        ax.set_xlabel("weight value")
    axes[0, 0].set_ylabel("count")
    fig.tight_layout()
    return axes[0]


def plot_early_stopping(full, stopped):
    """The full run's training and validation loss, with the early-stopped run's best and last epochs.

    full, stopped: :class:`companion.train.History` of the same network trained without and with
    ``early_stopping``.
    """
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(full.epoch, full.train_loss, color="C0", label="training loss")
    ax.plot(full.epoch, full.val_loss, "--", color="C1", label="validation loss")
    ax.axvline(stopped.best_epoch, color="black", lw=1, label=f"best epoch ({stopped.best_epoch})")
    ax.axvline(len(stopped.epoch), color="grey", lw=1, ls=":", label=f"stopped ({len(stopped.epoch)})")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return ax


def plot_polynomial_fits(x, y, degrees, truth, ylim=(-2, 2)):
    """One panel per degree: the points (x, y), the least-squares polynomial of that degree and the
    true curve ``truth`` (a function of x), all on [0, 1] (the introduction's overfitting example)."""
    grid = np.linspace(0, 1, 200)
    fig, axes = plt.subplots(1, len(degrees), figsize=(11, 3), sharey=True, squeeze=False)
    for ax, degree in zip(axes[0], degrees):
        ax.plot(x, y, "o", color="black", label="training points")
        ax.plot(grid, np.polyval(np.polyfit(x, y, degree), grid), label=f"degree {degree}")
        ax.plot(grid, truth(grid), "--", color="grey", label="true curve")
        ax.set_ylim(*ylim)
        ax.set_title(f"degree {degree}")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig
