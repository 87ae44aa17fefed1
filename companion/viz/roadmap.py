"""Roadmap figures: learning curves of one or more models, and the test images a model got wrong."""

import matplotlib.pyplot as plt
import numpy as np


def plot_curves(curves, axes=None):
    """Training loss (left) and test accuracy (right) per epoch, one line per model.

    Args:
        curves: {model name: {"loss": per-epoch mean training loss, "accuracy": per-epoch test accuracy}},
            both lists of the same length (epoch 1, 2, ...).
        axes: two axes to draw into; new ones when None.

    Returns the two axes.
    """
    if not curves:
        raise ValueError("curves names no model to draw")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3))
    for name, curve in curves.items():
        loss, acc = np.asarray(curve["loss"], float), np.asarray(curve["accuracy"], float)
        if loss.shape != acc.shape or loss.ndim != 1:
            raise ValueError(f"{name!r}: loss {loss.shape} and accuracy {acc.shape} must be 1-D of equal length")
        epochs = np.arange(1, len(loss) + 1)
        axes[0].plot(epochs, loss, marker="o", markersize=3, label=name)
        axes[1].plot(epochs, acc, marker="o", markersize=3, label=name)
    axes[0].set_ylabel("training loss (mean per epoch)")
    axes[1].set_ylabel("test accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    return axes


def plot_misclassified(images, labels, predictions, class_names=None, n=8, axes=None):
    """The first ``n`` images whose prediction is wrong, titled "true -> predicted".

    Args:
        images: (N, H, W) grey or (N, H, W, 3) colour images, uint8 in 0..255 or float in [0, 1].
        labels, predictions: (N,) integer classes.
        class_names: names for the titles (index -> name); the class numbers when None.
        axes: a sequence of at least ``n`` axes; a new row of ``n`` when None.

    Returns the axes used (an empty list when every prediction is right: nothing is drawn).
    """
    images, labels, predictions = np.asarray(images), np.asarray(labels), np.asarray(predictions)
    if not len(images) == len(labels) == len(predictions):
        raise ValueError(f"images, labels and predictions differ in length: "
                         f"{len(images)}, {len(labels)}, {len(predictions)}")
    wrong = np.flatnonzero(labels != predictions)[:n]
    if len(wrong) == 0:
        return []
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(1.3 * n, 1.7), squeeze=False)
        axes = axes[0]
    name = (lambda k: str(k)) if class_names is None else (lambda k: str(class_names[k]))
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        ax.imshow(images[i], cmap="gray_r" if images[i].ndim == 2 else None, interpolation="nearest")
        ax.set_title(f"{name(labels[i])}\n→ {name(predictions[i])}", fontsize=7)
    return list(axes[:len(wrong)])
