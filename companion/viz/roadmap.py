"""Roadmap figures: learning curves of one or more models, a row of images, and the test images a model got wrong."""

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


def plot_images(images, titles, axes=None):
    """A row of images, each with its title.

    Args:
        images: (N, H, W) grey or (N, H, W, 3) colour images, uint8 in 0..255 or float in [0, 1].
        titles: N strings.
        axes: a sequence of at least N axes; a new row of N when None.

    Returns the axes used.
    """
    images = np.asarray(images)
    if len(images) != len(titles) or len(images) == 0:
        raise ValueError(f"need one title per image and at least one image, got {len(images)} images "
                         f"and {len(titles)} titles")
    if axes is None:
        _, axes = plt.subplots(1, len(images), figsize=(1.3 * len(images), 1.7), squeeze=False)
        axes = axes[0]
    for ax in axes:
        ax.axis("off")
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(image, cmap="gray_r" if image.ndim == 2 else None, interpolation="nearest")
        ax.set_title(title, fontsize=7)
    return list(axes[:len(images)])


def plot_misclassified(images, labels, predictions, class_names=None, n=8, axes=None):
    """The first ``n`` images whose prediction is wrong, titled "true -> predicted" (see :func:`plot_images`).

    Args:
        images: (N, H, W) grey or (N, H, W, 3) colour images, uint8 in 0..255 or float in [0, 1].
        labels, predictions: (N,) integer classes.
        class_names: names for the titles (index -> name); the class numbers when None.
        axes: a sequence of at least ``n`` axes; a new row when None.

    Returns the axes used (an empty list when every prediction is right: nothing is drawn).
    """
    images, labels, predictions = np.asarray(images), np.asarray(labels), np.asarray(predictions)
    if not len(images) == len(labels) == len(predictions):
        raise ValueError(f"images, labels and predictions differ in length: "
                         f"{len(images)}, {len(labels)}, {len(predictions)}")
    wrong = np.flatnonzero(labels != predictions)[:n]
    if len(wrong) == 0:
        return []
    name = (lambda k: str(k)) if class_names is None else (lambda k: str(class_names[k]))
    titles = [f"{name(labels[i])}\n→ {name(predictions[i])}" for i in wrong]
    return plot_images(images[wrong], titles, axes=axes)
