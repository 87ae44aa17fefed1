"""Training curves, confusion matrices, ROC curves and decision boundaries."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation


def _plot_pair(ax, epochs, train, val, ylabel, label):
    ax.plot(epochs, train, label=f"{label} training".strip())
    if val:
        ax.plot(epochs, val, "--", label=f"{label} validation".strip())
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def plot_history(history, ax_loss=None, ax_acc=None, label=""):
    """Training and validation loss (and accuracy, when recorded) per epoch."""
    if ax_loss is None:
        _, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3))
    _plot_pair(ax_loss, history.epoch, history.train_loss, history.val_loss, "loss", label)
    if ax_acc is not None and history.train_accuracy:
        _plot_pair(ax_acc, history.epoch, history.train_accuracy, history.val_accuracy, "accuracy", label)
    return ax_loss, ax_acc


def plot_confusion_matrix(matrix, labels=None, ax=None):
    """A confusion matrix as a heat map with the counts written in."""
    matrix = np.asarray(matrix)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(matrix, cmap="Blues")
    labels = list(range(len(matrix))) if labels is None else labels
    ax.set_xticks(range(len(matrix)), labels)
    ax.set_yticks(range(len(matrix)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if count > matrix.max() / 2 else "black")
    return ax


def plot_roc(fpr, tpr, area, ax=None):
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.plot(fpr, tpr, label=f"ROC curve, AUC = {area:.3f}")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def grid(extent, n=80):
    """Points (n*n, 2) covering extent = (xmin, xmax, ymin, ymax), and the two mesh arrays."""
    xs, ys = np.linspace(extent[0], extent[1], n), np.linspace(extent[2], extent[3], n)
    XX, YY = np.meshgrid(xs, ys)
    return np.c_[XX.ravel(), YY.ravel()], XX, YY


def plot_boundary(predict, X, y, ax=None, extent=(-3.5, 3.5, -3.5, 3.5), n=80, X_test=None, y_test=None,
                  discrete=False):
    """Heat map of ``predict`` (points (m, 2) -> values (m,)) over the plane, with the data on top."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    points, XX, YY = grid(extent, n)
    values = np.asarray(predict(points)).reshape(XX.shape)
    if discrete:
        values = (values > 0.5).astype(float)
    image = ax.imshow(values, origin="lower", extent=extent, cmap="RdBu", vmin=0, vmax=1, alpha=0.75)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", vmin=0, vmax=1, edgecolors="white", s=18, linewidths=0.6)
    if X_test is not None:
        ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="RdBu", vmin=0, vmax=1, edgecolors="black",
                   s=18, linewidths=0.8)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    return image


def boundary_animation(predictors, X, y, titles, extent=(-3.5, 3.5, -3.5, 3.5)):
    """Scrubbable animation of a decision boundary, one frame per predictor (e.g. per epoch)."""
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    n = 50
    image = plot_boundary(predictors[0], X, y, ax=ax, extent=extent, n=n)   # axes, ticks and points: once
    points, XX, _ = grid(extent, n)

    def frame(i):
        # only the heat map and the title change (clearing the axes for every frame rebuilt their ticks,
        # most of the animation's cost)
        image.set_data(np.asarray(predictors[i](points)).reshape(XX.shape))
        ax.set_title(titles[i])

    anim = FuncAnimation(fig, frame, frames=len(predictors), interval=250)
    plt.close(fig)
    return anim
